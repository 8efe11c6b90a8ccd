/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /status[?kode=...]: the reporter sees that the report arrived
 * (issue 12, item 8), with the status code from the receipt page
 * (bkm_statuskode.h: reference number and a derived secret).  It shows
 * one of three things and nothing else -- nothing of the content, not
 * even the municipality:
 *   - received by the portal (on its way);
 *   - delivered to the municipality's child welfare service on a date;
 *   - sent by letter post on a date;
 * for as long as the portal keeps the report: until the retention period
 * (BekymringRetention) after delivery has passed; a report not yet
 * delivered is shown until it is.
 *
 * A wrong code, an unknown reference number and a report past its
 * retention get the same page (404, the same text) after the same work:
 * one lookup by reference number and one MAC, over a stand-in id when
 * there is no report, so neither the answer nor its time tells whether a
 * reference number exists.
 *
 * A read-only GET needs no CSRF token: a page elsewhere that makes a
 * browser ask learns nothing (it cannot read the answer, and CSP and
 * frame-ancestors keep it out of frames).  What a GET costs: the code is
 * in the address, so in the browser's history and the server's access
 * log; the pages send no Referer (bkm_page_headers).  Someone with the
 * browser's history could equally open /sendt while its cookie lives.
 *
 * Rate-limited per client address (an IPv6 client by its /64), every
 * request that carries a code counted, valid or not: at most
 * BKM_STATUS_LIMIT in BKM_THROTTLE_WINDOW, then 429 with Retry-After.
 * The counts are the login throttle's table (server/throttle.c),
 * in each node's shared memory: a farm of N nodes allows N times as many,
 * still far too few to guess a 39-bit secret.
 */
#include "mod_bekymring_private.h"
#include "pages/pages.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/db.h"
#include "server/routes.h"
#include "server/throttle.h"
#include "bkm_db.h"
#include "bkm_i18n.h"
#include "bkm_log.h"
#include "bkm_statuskode.h"
#include "bkm_time.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <string.h>

/* This file's statements, prepared on every connection (the table is
 * handed to mod_dbd by server/db.c). */
#define BKM_SQL_STATUS "bkm_status"

const bkm_sql_t bkm_status_sql[] = {
    /* The reporter's status page: the report by its reference number
     * (UNIQUE), and when the print provider posted it, if it did. */
    { BKM_SQL_STATUS,
      "SELECT m.id, m.mottatt, m.levert, (SELECT MIN(l.svar_tid) "
      "FROM bkm_leveranse l WHERE l.melding_id = m.id "
      "AND l.mottaker = 'print' AND l.svar IN ('mottatt', 'lagret')) "
      "FROM bkm_melding m WHERE m.referanse = %s" },
    { NULL, NULL }
};

/** Lookups per client address and window (per node). */
#define BKM_STATUS_LIMIT 30
/** The longest code we read (blanks and hyphens included). */
#define BKM_STATUS_MAX_TYPED 64

/* What the page shows for a code that holds. */
typedef enum {
    STATUS_UNKNOWN = 0, /* also: wrong code, past retention */
    STATUS_MOTTATT,
    STATUS_LEVERT,
    STATUS_BREVPOST
} status_e;

/* The date of @p t in Oslo, as the page's language writes it. */
static const char *date_of(apr_pool_t *p, const char *lang, apr_time_t t)
{
    char buf[20];

    bkm_time_oslo_format(buf, t);
    if (strcmp(lang, "en") == 0) {
        return apr_pstrndup(p, buf, 10); /* 2026-12-02 */
    }
    return apr_psprintf(p, "%.2s.%.2s.%.4s", buf + 8, buf + 5, buf);
}

/* Look the code up.  @return the status (and *when for a date), or -1
 * when the database does not answer. */
static int look_up(request_rec *r, const char *ref, const char *secret,
                   apr_time_t *when)
{
    const bkm_srv_cfg_t *c = bkm_srv_cfg(r->server);
    /* Checked against when there is no report: same work, no answer. */
    static const char *stand_in = "00000000-0000-4000-8000-000000000000";
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *id = NULL, *levert = NULL, *post = NULL;
    apr_time_t now = bkm_now(r), t_levert = 0, t_post = 0;
    bkm_db_t *db;
    int ok;

    if (!(db = bkm_db_acquire(r))
        || bkm_db_select(db, BKM_SQL_STATUS, &res, 1, &ref)) {
        return -1;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        id = bkm_db_value(db, row, 0);
        levert = bkm_db_value(db, row, 2);
        post = bkm_db_value(db, row, 3);
    }
    ok = bkm_statuskode_ok(c->token_keys, id ? id : stand_in, secret);
    if (!id || !ok) {
        return STATUS_UNKNOWN;
    }
    if (!levert) {
        return STATUS_MOTTATT;
    }
    t_levert = (apr_time_t)apr_atoi64(levert);
    if (now >= t_levert + bkm_cfg_retention(c)) {
        return STATUS_UNKNOWN;
    }
    /* Delivered by whoever came first: the print provider's posting when
     * it is the delivery (a case system's late receipt does not move
     * it), else the recipient's. */
    if (post && (t_post = (apr_time_t)apr_atoi64(post)) <= t_levert) {
        *when = t_post;
        return STATUS_BREVPOST;
    }
    *when = t_levert;
    return STATUS_LEVERT;
}

static int page(request_rec *r, int status, const char *lang, json_t *data)
{
    return bkm_page_render(r, status, "status", data);
}

int bkm_handle_status(request_rec *r, const bkm_req_t *q)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *lang = q->lang, *typed, *key;
    char ref[10], secret[9];
    apr_time_t when = 0;
    json_t *data;
    int wait, st;

    data = bkm_page_data(r, lang,
                         bkm_i18n_text(pg->i18n, lang, "status.tittel"));
    json_object_set_new(data, "action", json_string("/status"));
    json_object_set_new(data, "beskrevetav", json_string("kode-hjelp"));
    typed = bkm_page_arg(r, "kode");
    if (!typed) {
        return page(r, HTTP_OK, lang, data);
    }
    if ((wait = bkm_throttle_hit(r, "status", BKM_STATUS_LIMIT)) > 0) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(03303)
                      "status lookups refused for %d s: more than %d from "
                      "this address in its window", wait, BKM_STATUS_LIMIT);
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_itoa(r->pool, wait));
        json_object_set_new(data, "forMange", json_true());
        return page(r, HTTP_TOO_MANY_REQUESTS, lang, data);
    }
    if (strlen(typed) <= BKM_STATUS_MAX_TYPED) {
        json_object_set_new(data, "kode", json_string(typed));
    }
    if (strlen(typed) > BKM_STATUS_MAX_TYPED
        || bkm_statuskode_parse(typed, ref, secret) != 0) {
        /* The field's error, tied to it (aria-describedby), and in the
         * summary at the top. */
        key = *typed ? "status.feil.form" : "status.feil.tom";
        json_object_set_new(data, "feil",
                            json_string(bkm_i18n_text(pg->i18n, lang, key)));
        json_object_set_new(data, "beskrevetav",
                            json_string("kode-hjelp kode-feil"));
        json_object_set_new(data, "ugyldig", json_string("true"));
        return page(r, HTTP_BAD_REQUEST, lang, data);
    }
    st = look_up(r, ref, secret, &when);
    memset(secret, 0, sizeof(secret));
    if (st < 0) {
        return bkm_page_unavailable(r, lang);
    }
    switch (st) {
    case STATUS_MOTTATT:
        json_object_set_new(data, "svar",
                            json_string(bkm_i18n_text(pg->i18n, lang,
                                                      "status.mottatt")));
        break;
    case STATUS_LEVERT:
    case STATUS_BREVPOST:
        json_object_set_new(data, "svar",
                            json_string(bkm_i18n_format(
                                r->pool,
                                bkm_i18n_text(pg->i18n, lang,
                                              st == STATUS_LEVERT
                                                  ? "status.levert"
                                                  : "status.brevpost"),
                                "dato", date_of(r->pool, lang, when))));
        break;
    default:
        json_object_set_new(data, "ukjent", json_true());
        return page(r, HTTP_NOT_FOUND, lang, data);
    }
    json_object_set_new(data, "tilstand",
                        json_string(st == STATUS_MOTTATT  ? "mottatt"
                                    : st == STATUS_LEVERT ? "levert"
                                                          : "brevpost"));
    return page(r, HTTP_OK, lang, data);
}
