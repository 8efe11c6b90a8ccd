/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file server/http.h
 * @brief Replies, request bodies and downloads.
 *
 * One error convention in the glue:
 *  - A handler (bkm_handler_fn, server/routes.h) returns an HTTP status,
 *    as httpd's handler hook does: OK when it has answered (r->status
 *    says how); DONE when nothing more is to be sent (a helper answered,
 *    or the client went away); or a status for httpd to answer
 *    (HTTP_NOT_FOUND, HTTP_SEE_OTHER with Location set...).  So does a
 *    helper that answers on the handler's behalf or says what to answer:
 *    OK to go on (what it found in its arguments), DONE once it has
 *    answered (bkm_integrasjon_authenticate, bkm_page_person,
 *    bkm_konto_leveranse, bkm_read_body), or the status to answer
 *    (bkm_read_body_status, bkm_page_form).
 *  - A helper of one of httpd's hooks (bkm_db_post_config,
 *    bkm_pages_check_config...) returns what its hook does: OK, or an
 *    HTTP error status after logging why.
 *  - Every other function of the glue returns apr_status_t (APR_SUCCESS,
 *    else why not; the database's statuses are those of the core,
 *    bkm_db.h) or an enum documented where it is declared (bkm_mottak_e,
 *    bkm_kvittering_e...), and gives what it found through its
 *    arguments.  Predicates (bkm_*_ok, "whether") return 1 or 0, and
 *    bkm_send_all says whether every byte went out.
 */
#ifndef BKM_SERVER_HTTP_H
#define BKM_SERVER_HTTP_H

#include "mod_bekymring_private.h"
#include <jansson.h>

/* server/http.c: replies */
int bkm_reply_json(request_rec *r, int status, json_t *body);
/** The same for JSON a handler wrote as text (a long list is cheaper
 *  written than built as jansson objects). */
int bkm_reply_json_text(request_rec *r, int status, const char *text,
                        apr_size_t len);
int bkm_reply_error(request_rec *r, int status, const char *kode,
                    const char *melding);
/**
 * Read the request body, at most @p limit bytes.
 * @return OK with the body in *buf and *len (NUL-terminated), or DONE
 *         after answering (413 too large, 400 unreadable): return it.
 */
int bkm_read_body(request_rec *r, apr_size_t limit, char **buf,
                  apr_size_t *len);
/** The same without answering: OK, HTTP_REQUEST_ENTITY_TOO_LARGE or
 *  HTTP_BAD_REQUEST (for pages, which answer in the person's language). */
int bkm_read_body_status(request_rec *r, apr_size_t limit, char **buf,
                         apr_size_t *len);
/** Send @p len bytes of the body and flush them to the client.
 *  @return 1 when every byte went out (then, and only then, may a
 *  download be recorded), 0 when not: *rv has the filters' status. */
int bkm_send_all(request_rec *r, const char *data, apr_size_t len,
                 apr_status_t *rv);
/** Tie a jansson value to a pool: decref'ed when the pool is cleared
 *  (as mod_md does with its md_json_t). */
json_t *bkm_json_own(apr_pool_t *p, json_t *j);
/** Sets the headers of a page (no-store, strict CSP, no framing). */
void bkm_page_headers(request_rec *r);
/** Seconds a 503 asks the client to wait (Retry-After). */
#define BKM_RETRY_AFTER_503 "5"
/** Give a 503 (r->status) its Retry-After unless it has one; the JSON
 *  and page answers do it themselves, a handler that returns 503 to
 *  httpd calls it first. */
void bkm_retry_after(request_rec *r);

#endif
