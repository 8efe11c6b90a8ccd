/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AES-256-GCM boxes (bkm_box.h), with OpenSSL's EVP interface.
 */
#include "bkm_box.h"
#include "bkm_digest.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#define NONCE 12
#define TAG 16

const char *bkm_box_seal(apr_pool_t *p, const unsigned char *key,
                         const void *plain, apr_size_t len,
                         unsigned char **out, apr_size_t *out_len)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    unsigned char *b = apr_palloc(p, NONCE + len + TAG);
    int n = 0, fin = 0, ok;

    ok = ctx && len < (1u << 30) && RAND_bytes(b, NONCE) == 1
         && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE, NULL) == 1
         && EVP_EncryptInit_ex(ctx, NULL, NULL, key, b) == 1
         && EVP_EncryptUpdate(ctx, b + NONCE, &n, plain, (int)len) == 1
         && EVP_EncryptFinal_ex(ctx, b + NONCE + n, &fin) == 1
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG,
                                b + NONCE + n + fin)
                == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        return "sealing failed";
    }
    *out = b;
    *out_len = NONCE + (apr_size_t)(n + fin) + TAG;
    return NULL;
}

const char *bkm_box_open(apr_pool_t *p, const unsigned char *key,
                         const void *box, apr_size_t len,
                         unsigned char **plain, apr_size_t *plain_len)
{
    const unsigned char *b = box;
    EVP_CIPHER_CTX *ctx;
    unsigned char *out, tag[TAG];
    int n = 0, fin = 0, ok;

    if (len < NONCE + TAG || len > (1u << 30)) {
        return "not a box";
    }
    out = apr_palloc(p, len - NONCE - TAG + 1);
    memcpy(tag, b + len - TAG, TAG);
    ctx = EVP_CIPHER_CTX_new();
    ok = ctx
         && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE, NULL) == 1
         && EVP_DecryptInit_ex(ctx, NULL, NULL, key, b) == 1
         && EVP_DecryptUpdate(ctx, out, &n, b + NONCE,
                              (int)(len - NONCE - TAG))
                == 1
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG, tag) == 1
         && EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        /* Nothing of a failed open is handed out. */
        memset(out, 0, len - NONCE - TAG);
        return "the box does not open with this key";
    }
    out[n + fin] = '\0';
    *plain = out;
    *plain_len = (apr_size_t)(n + fin);
    return NULL;
}

const char *bkm_random_hex(apr_pool_t *p, apr_size_t n)
{
    unsigned char buf[64];
    const char *hex;

    if (n > sizeof(buf) || RAND_bytes(buf, (int)n) != 1) {
        return NULL;
    }
    hex = bkm_hex(p, buf, n);
    /* Keys and secrets are drawn here: none stays behind on the stack. */
    OPENSSL_cleanse(buf, n);
    return hex;
}

static int nibble(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : -1;
}

int bkm_unhex(const char *hex, unsigned char *out, apr_size_t n)
{
    apr_size_t i;

    if (!hex || strlen(hex) != 2 * n) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (unsigned char)(hi * 16 + lo);
    }
    return 0;
}
