/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The manual-download channel, for districts without a case system:
 *   GET  /kommune/{nr}/mottak                 the waiting reports of my
 *                                             districts
 *   GET  /kommune/{nr}/mottak/{id}            one: open it, confirm it
 *   GET  /kommune/{nr}/mottak/{id}/melding    the PDF sealed to the
 *                                             district's manual-download
 *                                             certificate (CMS DER)
 *   POST /kommune/{nr}/mottak/{id}/bekreft    "stored in our own system"
 * {id} is the message (meldingId) on the district's manual account.  The
 * server cannot open the report: the receiver's browser does, with
 * WebCrypto and a key file that never leaves their machine
 * (htdocs/static/dekrypter.mjs); without script the sealed file can be
 * saved and opened with other tools.  A download that sent every byte
 * (not HEAD, not cut off) is recorded as the delivery API records a
 * fetch, and confirming, only after one, as its "mottatt": the
 * report is delivered (LEVERT), and escalation to letter post stops.
 * Only a receiver of the report's district gets anything but 404 (the
 * municipality: the routes' access rule, MOTTAK; the district: here).
 */
#include "mod_bekymring_private.h"
#include "admin/admin.h"
#include "pages/pages.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "server/person.h"
#include "server/routes.h"
#include "bkm_db.h"
#include "bkm_levering.h"
#include "bkm_i18n.h"
#include "bkm_leveranse.h"
#include "bkm_log.h"
#include "bkm_registry.h"
#include "bkm_roles.h"
#include "bkm_route.h"
#include "bkm_ids.h"
#include "bkm_time.h"
#include "bkm_format.h"

#include <http_protocol.h>
#include <util_filter.h>
#include <apr_strings.h>
#include <string.h>

/* This file's statements, prepared on every connection (the table is
 * handed to mod_dbd by server/db.c). */
#define BKM_SQL_NEDLASTING_VENTER "bkm_nedlasting_venter"

const bkm_sql_t bkm_nedlasting_sql[] = {
    /* A receiver's waiting reports (manual download). */
    { BKM_SQL_NEDLASTING_VENTER,
      "SELECT l.id, l.melding_id, m.referanse, m.meldingstype, l.opprettet, "
      "l.hentet, m.bydelsnummer, c.storrelse, m.frist FROM bkm_leveranse l "
      "JOIN bkm_melding m ON m.id = l.melding_id JOIN bkm_chiffer c "
      "ON c.melding_id = l.melding_id AND c.mottaker = l.mottaker "
      "WHERE l.konto_id = %s AND l.svar IS NULL ORDER BY l.opprettet, l.id "
      "LIMIT %d" },
    { NULL, NULL }
};

typedef struct {
    const bkm_req_t *q; /* for the administration's header */
    const bkm_person_t *person;
    const char *lang;
    const char *navn; /* the role binding's name: the actor */
    const bkm_kommune_t *k;
    const apr_array_header_t *bydeler;
} receiver_t;

/* The manual-download accounts of the districts I receive for. */
static apr_array_header_t *accounts(request_rec *r, const receiver_t *rc)
{
    apr_array_header_t *list = apr_array_make(r->pool, 2,
                                              sizeof(const bkm_bydel_t *));
    int i;

    /* A receiver's binding always names its districts (bkm_roles). */
    for (i = 0; rc->bydeler && i < rc->k->bydeler->nelts; i++) {
        const bkm_bydel_t *b = APR_ARRAY_IDX(rc->k->bydeler, i,
                                             const bkm_bydel_t *);
        if (b->kanal == BKM_KANAL_MANUELL
            && bkm_roles_covers(rc->bydeler, b->nummer)) {
            APR_ARRAY_PUSH(list, const bkm_bydel_t *) = b;
        }
    }
    return list;
}

/* Message @p id on one of my accounts: OK, or an answered status. */
static int load(request_rec *r, const receiver_t *rc, const char *id,
                int with_content, bkm_db_t **db, bkm_leveranse_t *l)
{
    apr_array_header_t *mine = accounts(r, rc);
    int i;

    if (!bkm_uuid_valid(id, 0)) {
        bkm_page_not_found(r, rc->lang);
        return DONE;
    }
    if (!(*db = bkm_db_acquire(r))) {
        bkm_page_unavailable(r, rc->lang);
        return DONE;
    }
    for (i = 0; i < mine->nelts; i++) {
        const bkm_bydel_t *b = APR_ARRAY_IDX(mine, i, const bkm_bydel_t *);
        apr_status_t rv = bkm_leveranse_load(*db, b->konto_id, id,
                                             with_content, l);
        if (rv == APR_SUCCESS) {
            return OK;
        }
        if (rv != APR_NOTFOUND) {
            bkm_page_unavailable(r, rc->lang);
            return DONE;
        }
    }
    bkm_page_not_found(r, rc->lang);
    return DONE;
}

static int list(request_rec *r, const receiver_t *rc)
{
    const bkm_pages_t *pg = bkm_pages(r);
    apr_array_header_t *mine = accounts(r, rc);
    json_t *data, *rows = json_array();
    bkm_db_t *db;
    int i;

    if (!(db = bkm_db_acquire(r))) {
        return bkm_page_unavailable(r, rc->lang);
    }
    for (i = 0; i < mine->nelts; i++) {
        const bkm_bydel_t *b = APR_ARRAY_IDX(mine, i, const bkm_bydel_t *);
        const char *args[2] = { b->konto_id, "500" };
        apr_dbd_results_t *res = NULL;
        apr_dbd_row_t *row = NULL;
        if (bkm_db_select(db, BKM_SQL_NEDLASTING_VENTER, &res, 2, args)) {
            return bkm_page_unavailable(r, rc->lang);
        }
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            const char *id = bkm_db_value(db, row, 0);
            json_array_append_new(
                rows,
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s?}", "href",
                          apr_pstrcat(r->pool, "/kommune/", rc->k->nummer,
                                      "/mottak/", id, NULL),
                          "referanse", bkm_db_value(db, row, 2), "type",
                          bkm_i18n_text(pg->i18n, rc->lang,
                                        strstr(bkm_db_value(db, row, 3),
                                               ".offentlig.")
                                            ? "admin.type.offentlig"
                                            : "admin.type.privat"),
                          "mottatt",
                          bkm_page_when(r->pool, bkm_db_value(db, row, 4)),
                          "bydel", b->navn, "hentet",
                          bkm_db_value(db, row, 5) != NULL, "frist",
                          /* Each report's deadline before letter post
                           * (issue 14, item 4). */
                          bkm_db_value(db, row, 8) ? bkm_format_datetime(
                              r->pool, rc->lang,
                              (apr_time_t)apr_atoi64(bkm_db_value(db, row,
                                                                  8)))
                                                   : NULL));
        }
    }
    data = bkm_page_data(r, rc->lang,
                         apr_pstrcat(r->pool,
                                     bkm_i18n_text(pg->i18n, rc->lang,
                                                   "mottak.tittel"),
                                     " – ", bkm_kommune_navn(rc->k, rc->lang),
                                     NULL));
    json_object_set_new(data, "rader", rows);
    json_object_set_new(data, "ingen",
                        json_boolean(json_array_size(rows) == 0));
    json_object_set_new(data, "bekreftet",
                        json_boolean(bkm_page_arg(r, "bekreftet") != NULL));
    return bkm_admin_render(r, rc->q, HTTP_OK, "mottak", data);
}

/* One waiting report; @p feil a catalogue key for the error summary. */
static int one(request_rec *r, const receiver_t *rc, const char *id,
               int status, const char *feil)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *base = apr_pstrcat(r->pool, "/kommune/", rc->k->nummer,
                                   "/mottak/", id, NULL);
    bkm_leveranse_t l;
    json_t *data;
    bkm_db_t *db;
    int container;

    if (load(r, rc, id, 0, &db, &l) != OK) {
        return OK;
    }
    data = bkm_page_data(r, rc->lang,
                         apr_pstrcat(r->pool,
                                     bkm_i18n_text(pg->i18n, rc->lang,
                                                   "mottak.melding.tittel"),
                                     " ", l.referanse, NULL));
    json_object_set_new(data, "referanse", json_string(l.referanse));
    json_object_set_new(data, "mottatt",
                        json_string(bkm_page_when(
                            r->pool, apr_off_t_toa(r->pool, l.opprettet))));
    json_object_set_new(data, "hentet", json_boolean(l.hentet));
    json_object_set_new(data, "bekreftet", json_boolean(l.svar != NULL));
    /* "Stored with us" only after the report was downloaded in full:
     * not offered before (and refused by confirm()). */
    json_object_set_new(data, "ikkeHentet", json_boolean(!l.hentet));
    json_object_set_new(data, "url",
                        json_string(apr_pstrcat(r->pool, base, "/melding",
                                                NULL)));
    json_object_set_new(data, "bekreft",
                        json_string(apr_pstrcat(r->pool, base, "/bekreft",
                                                NULL)));
    json_object_set_new(data, "tilbake",
                        json_string(apr_pstrcat(r->pool, "/kommune/",
                                                rc->k->nummer, "/mottak",
                                                NULL)));
    /* A producer's report comes as the ASiC-E container it sent (the
     * PDF inside it): named .asice, and the page takes the PDF out of
     * it after decrypting (dekrypter.mjs). */
    container = l.innholdstype
                && strcmp(l.innholdstype, "application/vnd.etsi.asic-e+zip")
                       == 0;
    json_object_set_new(data, "container", json_boolean(container));
    json_object_set_new(data, "filnavn",
                        json_string(apr_pstrcat(r->pool, "bekymringsmelding-",
                                                l.referanse, ".pdf", NULL)));
    json_object_set_new(data, "filnavnContainer",
                        json_string(container
                                        ? apr_pstrcat(r->pool,
                                                      "bekymringsmelding-",
                                                      l.referanse, ".asice",
                                                      NULL)
                                        : ""));
    if (feil) {
        json_object_set_new(data, "feiloppsummering",
                            json_pack("[{s:s, s:s}]", "href",
                                      "#dekrypter-tittel", "tekst",
                                      bkm_i18n_text(pg->i18n, rc->lang,
                                                    feil)));
    }
    json_object_set_new(data, "filnavnKryptert",
                        json_string(apr_pstrcat(r->pool, "bekymringsmelding-",
                                                l.referanse, ".p7m", NULL)));
    json_object_set_new(data, "csrf", json_string(bkm_page_csrf(r)));
    return bkm_admin_render(r, rc->q, status, "mottak-melding", data);
}

static int download(request_rec *r, const receiver_t *rc, const char *id)
{
    bkm_leveranse_t l;
    apr_status_t rv;
    bkm_db_t *db;

    if (load(r, rc, id, 1, &db, &l) != OK) {
        return OK;
    }
    if (!l.innhold) {
        /* Retention deleted it after delivery. */
        return bkm_page_message(r, HTTP_GONE, rc->lang,
                                "side.ikke_funnet.tittel",
                                "side.ikke_funnet.tekst");
    }
    /* Safe upgrades (README "Upgrades"): the first download is recorded
     * (a write), which a node whose code and schema disagree cannot make:
     * refused before a byte goes out, as the API's fetch. */
    if (!l.hentet && !r->header_only) {
        int found, expected;
        if (bkm_db_outdated(r, &found, &expected)) {
            apr_table_setn(r->headers_out, "Retry-After", "60");
            return bkm_page_unavailable(r, rc->lang);
        }
    }
    /* Always the whole file: the download counts only when every byte
     * went out, which a partial (Range) answer never does.  So a Range
     * is ignored (httpd's byterange filter would answer 206), and
     * Accept-Ranges: none tells clients not to ask. */
    apr_table_unset(r->headers_in, "Range");
    apr_table_unset(r->headers_in, "If-Range");
    bkm_page_headers(r);
    ap_set_content_type(r, "application/pkcs7-mime");
    apr_table_setn(r->headers_out, "Content-Disposition",
                   apr_pstrcat(r->pool,
                               "attachment; filename=\"bekymringsmelding-",
                               l.referanse, ".p7m\"", NULL));
    apr_table_setn(r->headers_out, "Accept-Ranges", "none");
    ap_set_content_length(r, (apr_off_t)l.innhold_len);
    if (r->header_only) {
        /* HEAD sends no bytes: nothing was downloaded. */
        return OK;
    }
    if (!bkm_send_all(r, l.innhold, l.innhold_len, &rv)
        || r->status != HTTP_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, BKMLOGNO(02801)
                      "manual download of message %s not completed "
                      "(status %d%s): not recorded", l.id, r->status,
                      r->connection->aborted ? ", the client went away"
                                             : "");
        return rv != APR_SUCCESS ? AP_FILTER_ERROR : OK;
    }
    /* Recorded only now that the receiver has the bytes: only then may
     * they confirm that they stored it (confirm()). */
    if (!l.hentet
        && bkm_levering_fetched(db, &l,
                                apr_pstrcat(r->pool, "mottaker: ", rc->navn,
                                            NULL),
                                bkm_now(r))
               != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BKMLOGNO(02802)
                      "manual download of message %s completed but not "
                      "recorded: %s", l.id,
                      db->error ? db->error : "database error");
    }
    return OK;
}

static int confirm(request_rec *r, const receiver_t *rc, const char *id)
{
    bkm_levering_policy_t pol;
    bkm_kvittering_t kv;
    bkm_kvittering_in_t in;
    bkm_leveranse_t l;
    apr_table_t *form;
    bkm_db_t *db;
    int rv;

    if ((rv = bkm_page_form(r, 4096, &form)) != OK) {
        return bkm_page_message(r, rv, rc->lang, "side.foresporsel.tittel",
                                NULL);
    }
    if (!bkm_page_csrf_ok(r, apr_table_get(form, "csrf"))) {
        ap_log_rerror(
            APLOG_MARK, APLOG_INFO, 0, r,
            BKMLOGNO(01601) "confirmation without a "
                            "matching CSRF token: refused");
        return bkm_page_message(r, HTTP_FORBIDDEN, rc->lang,
                                "side.foresporsel.tittel", NULL);
    }
    if (load(r, rc, id, 0, &db, &l) != OK) {
        return OK;
    }
    if (!l.hentet) {
        /* Nobody can have stored what nobody downloaded: a HEAD or a
         * download cut off is not recorded (download()). */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(02803)
                      "confirmation of message %s refused (409): never "
                      "downloaded in full", l.id);
        return one(r, rc, id, HTTP_CONFLICT, "mottak.ikke_hentet.tittel");
    }
    if (!l.svar) {
        memset(&in, 0, sizeof(in));
        in.svar = BKM_SVAR_MOTTATT;
        in.aktor = apr_pstrcat(r->pool, "mottaker: ", rc->navn, NULL);
        bkm_cfg_delivery(r->server, &pol);
        if (bkm_levering_answer(db, &pol, &l, &in, bkm_now(r), &kv)
            != APR_SUCCESS) {
            return bkm_page_unavailable(r, rc->lang);
        }
        if (kv.utfall == BKM_KVITTERING_MOTSTRIDENDE
            || kv.utfall == BKM_KVITTERING_IKKE_HENTET) {
            /* Answered otherwise meanwhile (decided under the row's
             * lock, and recorded as refused): say so, change nothing. */
            return bkm_page_message(r, HTTP_CONFLICT, rc->lang,
                                    "mottak.motstrid.tittel",
                                    "mottak.motstrid.tekst");
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(01602)
                      "message %s of report %s confirmed by a receiver "
                      "(%s)", l.id, l.melding_id,
                      kv.utfall == BKM_KVITTERING_NY ? kv.hendelse
                                                     : "GJENTATT");
    }
    apr_table_setn(r->headers_out, "Location",
                   apr_pstrcat(r->pool, "/kommune/", rc->k->nummer,
                               "/mottak?bekreftet=1", NULL));
    bkm_page_headers(r);
    return HTTP_SEE_OTHER;
}

/* What the route's access rule (MOTTAK: a receiver of the municipality)
 * found, in this file's shape. */
static receiver_t *receiver(request_rec *r, const bkm_req_t *q)
{
    receiver_t *rc = apr_pcalloc(r->pool, sizeof(*rc));

    rc->q = q;
    rc->person = q->person;
    rc->lang = q->lang;
    rc->navn = q->navn;
    rc->k = q->kommune;
    rc->bydeler = q->bydeler;
    return rc;
}

/* GET /kommune/{kommunenummer}/mottak */
int bkm_handle_nedlasting_list(request_rec *r, const bkm_req_t *q)
{
    return list(r, receiver(r, q));
}

/* GET /kommune/{kommunenummer}/mottak/{meldingId} */
int bkm_handle_nedlasting_one(request_rec *r, const bkm_req_t *q)
{
    return one(r, receiver(r, q), bkm_route_param(q->match, "meldingId"),
               HTTP_OK, NULL);
}

/* GET /kommune/{kommunenummer}/mottak/{meldingId}/melding */
int bkm_handle_nedlasting_download(request_rec *r, const bkm_req_t *q)
{
    return download(r, receiver(r, q),
                    bkm_route_param(q->match, "meldingId"));
}

/* POST /kommune/{kommunenummer}/mottak/{meldingId}/bekreft */
int bkm_handle_nedlasting_confirm(request_rec *r, const bkm_req_t *q)
{
    return confirm(r, receiver(r, q), bkm_route_param(q->match, "meldingId"));
}
