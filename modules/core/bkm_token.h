/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_token.h
 * @brief Tokens the server issues to a person's browser and checks when
 * they come back, each bound to that person by a MAC under a key only the
 * server holds (BekymringSecretKey).  httpd-free.
 *
 * The person is known by a tag: HMAC(key, national id), 128 bits, never
 * the number.  What is bound to the tag:
 *  - the form's one-time token (hidden field "skjema"): a random nonce and
 *    its MAC.  The report's duplicate key and the key of the receipt's
 *    cookie are derived from tag and token, so another person who learns
 *    the token (it is in the page) can neither pass it off as his own nor
 *    reach the first report or its copy;
 *  - the CSRF token: a MAC over the browser's random cookie and the tag,
 *    so a cookie planted by someone else (over plain http, by a sibling
 *    domain) is worth nothing without the person's own login;
 *  - the login evidence: a signed cookie that says "this browser was
 *    logged in as tag T until time E", the only thing that lets a post
 *    whose login ran out be kept as a draft.
 *
 * Every key is derived from the one secret by purpose (HMAC(secret,
 * "bkm-token:" purpose)), so no token can stand in for another kind.
 */
#ifndef BKM_TOKEN_H
#define BKM_TOKEN_H

#include <apr_pools.h>
#include <apr_time.h>

/** Length of a person's tag and of a form token, in hex digits. */
#define BKM_TOKEN_TAG_HEX 32
#define BKM_TOKEN_FORM_HEX 64
/** Bytes of the key of the receipt's cookie (= BKM_BOX_KEY). */
#define BKM_TOKEN_KEY 32

/** The keys derived from BekymringSecretKey, one per purpose. */
typedef struct bkm_token_keys_s {
    unsigned char person[32];
    unsigned char form[32];
    unsigned char csrf[32];
    unsigned char evidence[32];
    unsigned char status[32]; /**< the reporter's status code
                                     (bkm_statuskode.h) */
} bkm_token_keys_t;

/** Derive the keys from the secret's @p len bytes.  @return 0 or -1. */
int bkm_token_keys(const unsigned char *secret, apr_size_t len,
                   bkm_token_keys_t *keys);

/** The tag of the person with national id @p pid: 32 hex digits, or NULL
 *  on an OpenSSL failure. */
const char *bkm_token_person(apr_pool_t *p, const bkm_token_keys_t *k,
                             const char *pid);

/** A new form token for the person @p tag (64 hex digits), or NULL when
 *  the random source fails. */
const char *bkm_token_form_new(apr_pool_t *p, const bkm_token_keys_t *k,
                               const char *tag);
/** Whether @p token was issued to @p tag (constant time).  1 or 0. */
int bkm_token_form_ok(const bkm_token_keys_t *k, const char *tag,
                      const char *token);
/**
 * What a valid form token and the report it sends decide: the report's
 * duplicate key (64 hex digits, stored) and the key of the receipt's
 * cookie (BKM_TOKEN_KEY bytes, never stored: only its hash is).
 * @p fingerprint names the report's content (e.g. a SHA-256 of it): a
 * double click or a reload sends the same and finds the first report,
 * while another report sent under the same token (a duplicated tab, a
 * page from the browser's history) is a report of its own, never
 * mistaken for the first.  @return 0 or -1.
 */
int bkm_token_form_keys(apr_pool_t *p, const bkm_token_keys_t *k,
                        const char *tag, const char *token,
                        const char *fingerprint, const char **dupkey,
                        unsigned char *receipt_key);

/** What a sealed draft records of its owner (@p tag under another key:
 *  the database can count a person's drafts without holding the tag a
 *  form token is bound to): 32 hex digits, or NULL. */
const char *bkm_token_owner(apr_pool_t *p, const bkm_token_keys_t *k,
                            const char *tag);

/** The CSRF token of a browser whose cookie holds @p cookie, for the
 *  person @p tag ("" for none): 64 hex digits, or NULL. */
const char *bkm_token_csrf(apr_pool_t *p, const bkm_token_keys_t *k,
                           const char *cookie, const char *tag);
/** Whether @p posted is that token (constant time).  1 or 0. */
int bkm_token_csrf_ok(const bkm_token_keys_t *k, const char *cookie,
                      const char *tag, const char *posted);

/** The login evidence "tag.expiry.mac" for @p tag, valid until
 *  @p expires; NULL on an OpenSSL failure. */
const char *bkm_token_evidence(apr_pool_t *p, const bkm_token_keys_t *k,
                               const char *tag, apr_time_t expires);
/** The tag in the evidence @p value when its MAC holds and it has not
 *  expired at @p now, else NULL. */
const char *bkm_token_evidence_tag(apr_pool_t *p, const bkm_token_keys_t *k,
                                   const char *value, apr_time_t now);

#endif
