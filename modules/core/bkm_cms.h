/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_cms.h
 * @brief CMS (RFC 5652) with OpenSSL: encryption to a recipient's
 * certificate, the portal's detached signatures, and the producer API's
 * check that an uploaded ciphertext is meant for the right recipient.
 *
 * The encryption profile is the incumbent's (Fiks/KS, BouncyCastle):
 * EnvelopedData, AES-256-CBC, key transport RSAES-OAEP with SHA-256,
 * MGF1-SHA-256 and the empty label, so that case systems built for the
 * incumbent and `openssl cms -decrypt` both open what we send.
 * AuthEnvelopedData with AES-256-GCM is offered for recipients that take it.
 *
 * httpd-free: APR pools and OpenSSL 3 only.  Every OpenSSL object is tied to
 * a pool with a cleanup; everything happens in memory (no temporary files).
 * Error messages name the step that failed and OpenSSL's reason, never any
 * of the data.  All functions are thread-safe; a loaded signer may be shared
 * by all threads of a process.
 */
#ifndef BKM_CMS_H
#define BKM_CMS_H

#include <apr_pools.h>

/** The portal's own certificate (plus any chain) and private key. */
typedef struct bkm_signer_t bkm_signer_t;

/**
 * Load the portal's signing identity, once (at configuration time).
 * @param out           the signer, allocated from @p p; OpenSSL's copies of
 *                      the certificate and key are freed by a cleanup on @p p
 * @param cert_pem_path PEM file: the signing certificate first, then any
 *                      intermediate certificates to ship in signatures
 * @param key_pem_path  PEM file with the matching, unencrypted private key
 * @return NULL on success, else a message naming the file and the problem
 */
const char *bkm_signer_load(bkm_signer_t **out, apr_pool_t *p,
                            const char *cert_pem_path,
                            const char *key_pem_path);

/**
 * Encrypt @p data to one recipient.
 * @param cert_pem  the recipient's X.509 certificate as PEM text (RSA key)
 * @param gcm       0: EnvelopedData with AES-256-CBC (the incumbent's exact
 *                  profile); 1: AuthEnvelopedData with AES-256-GCM.  Key
 *                  transport is RSAES-OAEP(SHA-256, MGF1-SHA-256, empty
 *                  label) either way, the recipient named by issuer and
 *                  serial number.
 * @param der       set to the DER ContentInfo, allocated from @p p
 * @return NULL on success, else what failed
 */
const char *bkm_cms_encrypt(apr_pool_t *p, const char *cert_pem,
                            const void *data, apr_size_t len, int gcm,
                            const unsigned char **der, apr_size_t *der_len);

/**
 * A detached CMS SignedData over @p data by @p s: SHA-256 with the key's
 * default signature scheme (PKCS#1 v1.5 for RSA), the signing certificate
 * (and chain) included, signed attributes contentType, signingTime,
 * messageDigest and ESS signing-certificate-v2 (the CAdES-BES set).
 * @param der   set to the DER ContentInfo, allocated from @p p
 * @return NULL on success, else what failed
 */
const char *bkm_cms_sign_detached(apr_pool_t *p, const bkm_signer_t *s,
                                  const void *data, apr_size_t len,
                                  const unsigned char **der,
                                  apr_size_t *der_len);

/**
 * The producer API's gate: is @p der a CMS EnvelopedData or
 * AuthEnvelopedData with a key-transport recipient that names @p cert_pem
 * (by issuer and serial number, or by subjectKeyIdentifier)?  Needs no
 * private key and decrypts nothing.  BER (as streamed by BouncyCastle) is
 * accepted like DER; bytes after the structure are not.
 * @return NULL if so, else a short English reason fit for a 400 answer:
 *         "not DER CMS", "not EnvelopedData", "no encrypted content" or
 *         "not encrypted to the expected certificate"
 *         (or, for a bad @p cert_pem, a message that says so)
 */
const char *bkm_cms_check_recipient(apr_pool_t *p, const void *der,
                                    apr_size_t len, const char *cert_pem);

#endif
