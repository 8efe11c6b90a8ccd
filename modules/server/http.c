/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replies: JSON bodies with the headers every answer of ours carries.
 *
 * Errors use the shape of Fiks' "ugyldigforespoersel" receipts, which case
 * systems built for the incumbent already parse:
 *   {"errorId": "<stable code>", "feilmelding": "<text>",
 *    "correlationId": "<random id, also in our log line>"}
 */

#include "mod_bekymring_private.h"
#include "server/config.h"
#include "server/http.h"
#include "bkm_log.h"
#include "bkm_route.h"

#include <stdlib.h>
#include <string.h>
#include <http_protocol.h>
#include <apr_strings.h>
#include <util_filter.h>
#include <http_request.h>
#include <http_core.h>

static void common_headers(request_rec *r)
{
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    /* Nothing we answer is meant to be framed or to leak its URL. */
    apr_table_setn(r->headers_out, "X-Frame-Options", "DENY");
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
    /* Behind TLS, browsers must never again come over plain http, where
     * cookies could be read or planted. */
    if (bkm_cfg_https(r)) {
        apr_table_setn(r->headers_out, "Strict-Transport-Security",
                       "max-age=31536000");
    }
    if (!apr_table_get(r->headers_out, "Cache-Control")) {
        apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    }
    bkm_retry_after(r);
}

void bkm_retry_after(request_rec *r)
{
    /* Every 503 says when to try again (RFC 9110 10.2.3; issue 15: none
     * did), unless its maker said already. */
    if (r->status == HTTP_SERVICE_UNAVAILABLE
        && !apr_table_get(r->headers_out, "Retry-After")
        && !apr_table_get(r->err_headers_out, "Retry-After")) {
        apr_table_setn(r->headers_out, "Retry-After", BKM_RETRY_AFTER_503);
    }
}

void bkm_page_headers(request_rec *r)
{
    const char *login = bkm_cfg_login_origin(bkm_srv_cfg(r->server));

    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    /* Our own files only; no inline script or style.  form-action must
     * allow the login: a post that needs a new login is redirected there,
     * and browsers check form-action on every step of a redirect chain. */
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   apr_pstrcat(r->pool,
                               "default-src 'none'; script-src "
                               "'self'; style-src 'self'; img-src 'self' "
                               "data:; font-src 'self'; connect-src 'self'; "
                               "form-action 'self' ",
                               login,
                               "; frame-ancestors 'none'; base-uri 'none'",
                               NULL));
    common_headers(r);
}

int bkm_reply_json(request_rec *r, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);

    json_decref(body);
    if (!text) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    r->status = status;
    common_headers(r);
    ap_set_content_type(r, "application/json; charset=utf-8");
    ap_set_content_length(r, strlen(text));
    if (!r->header_only) {
        ap_rwrite(text, strlen(text), r);
    }
    free(text);
    return OK;
}

int bkm_reply_json_text(request_rec *r, int status, const char *text,
                        apr_size_t len)
{
    r->status = status;
    common_headers(r);
    ap_set_content_type(r, "application/json; charset=utf-8");
    ap_set_content_length(r, len);
    if (!r->header_only) {
        ap_rwrite(text, (int)len, r);
    }
    return OK;
}

int bkm_reply_error(request_rec *r, int status, const char *kode,
                    const char *melding)
{
    unsigned char raw[8];
    char id[17];
    int i;

    apr_generate_random_bytes(raw, sizeof(raw));
    for (i = 0; i < 8; i++) {
        apr_snprintf(id + 2 * i, 3, "%02x", raw[i]);
    }
    ap_log_rerror(APLOG_MARK, status >= 500 ? APLOG_ERR : APLOG_INFO, 0, r,
                  BKMLOGNO(00201) "%d %s correlationId=%s", status, kode, id);
    return bkm_reply_json(r, status,
                          json_pack("{s:s, s:s, s:s}", "errorId", kode,
                                    "feilmelding", melding, "correlationId",
                                    id));
}

/* Answer a refused body, and tell the caller the request is done. */
int bkm_read_body_status(request_rec *r, apr_size_t limit, char **buf,
                         apr_size_t *len)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_bucket_brigade *bb;
    apr_size_t got = 0;
    apr_off_t declared;
    char *data, *end;
    int seen_eos = 0;
    apr_status_t rv;

    /* Refuse a declared oversize body before reading any of it. */
    if (cl
        && (apr_strtoff(&declared, cl, &end, 10) != APR_SUCCESS || *end
            || declared < 0)) {
        return HTTP_BAD_REQUEST;
    }
    if (cl && (apr_size_t)declared > limit) {
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    data = apr_palloc(r->pool, limit + 1);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    /* Chunked bodies have no Content-Length: count while reading. */
    while (!seen_eos) {
        apr_size_t room = limit - got + 1, n;
        rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                            APR_BLOCK_READ, 8192);
        if (rv != APR_SUCCESS) {
            return HTTP_BAD_REQUEST;
        }
        seen_eos = !APR_BRIGADE_EMPTY(bb)
                   && APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(bb));
        n = room;
        rv = apr_brigade_flatten(bb, data + got, &n);
        apr_brigade_cleanup(bb);
        if (rv != APR_SUCCESS) {
            return HTTP_BAD_REQUEST;
        }
        got += n;
        if (got > limit) {
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
    }
    data[got] = '\0';
    *buf = data;
    *len = got;
    return OK;
}

int bkm_read_body(request_rec *r, apr_size_t limit, char **buf,
                  apr_size_t *len)
{
    switch (bkm_read_body_status(r, limit, buf, len)) {
    case OK:
        return OK;
    case HTTP_REQUEST_ENTITY_TOO_LARGE:
        bkm_reply_error(
            r, HTTP_REQUEST_ENTITY_TOO_LARGE, "for-stor",
            apr_psprintf(r->pool,
                         "the body is larger than %" APR_SIZE_T_FMT " bytes",
                         limit));
        return DONE;
    default:
        bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-foresporsel",
                        "the body could not be read (or its Content-Length "
                        "is not a number)");
        return DONE;
    }
}

static apr_status_t json_cleanup(void *j)
{
    json_decref(j);
    return APR_SUCCESS;
}

json_t *bkm_json_own(apr_pool_t *p, json_t *j)
{
    if (j) {
        apr_pool_cleanup_register(p, j, json_cleanup, apr_pool_cleanup_null);
    }
    return j;
}

int bkm_send_all(request_rec *r, const char *data, apr_size_t len,
                 apr_status_t *rv)
{
    apr_bucket_brigade *bb = apr_brigade_create(r->pool,
                                                r->connection->bucket_alloc);

    /* The bytes (in the request's pool: no copy), then FLUSH: the core
     * output filter writes everything to the socket, blocking, before
     * ap_pass_brigade returns, so its result and the connection's aborted
     * flag say whether every byte went out.  Without the FLUSH the filter
     * may keep the bytes for later and answer success before a hung-up
     * client's reset is seen. */
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(data, len, r->pool,
                                                       bb->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(bb->bucket_alloc));
    *rv = ap_pass_brigade(r->output_filters, bb);
    return *rv == APR_SUCCESS && !r->connection->aborted;
}
