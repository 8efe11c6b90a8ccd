/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The receipt, for the browser that sent the report:
 *   GET /sendt/{id}            reference number, where it went, what next
 *   GET /sendt/{id}/kopi.pdf   public reporters: a copy of exactly what
 *                              was sent (the PDF that was sealed)
 * The browser proves it sent the report with the key in its cookie
 * (pages/skjema.c): the database has only the key's hash and the
 * PDF sealed under it, so the server can open the copy only while this
 * browser asks for it, and never keeps a readable one.  Anyone else, and
 * this browser after an hour, gets 404.
 */
#include "mod_bekymring_private.h"
#include "pages/pages.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "server/routes.h"
#include "bkm_db.h"
#include "bkm_i18n.h"
#include "bkm_registry.h"
#include "bkm_route.h"
#include "bkm_box.h"
#include "bkm_digest.h"
#include "bkm_ids.h"
#include "bkm_statuskode.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <string.h>

/* This file's statements, prepared on every connection (the table is
 * handed to mod_dbd by server/db.c). */
#define BKM_SQL_KOPI_GET "bkm_kopi_get"

const bkm_sql_t bkm_sendt_sql[] = {
    { BKM_SQL_KOPI_GET,
      "SELECT k.nokkel_sha256, k.utloper, m.referanse, m.kommunenummer, "
      "m.bydelsnummer, m.meldingstype, k.innhold FROM bkm_kopi k "
      "JOIN bkm_melding m ON m.id = k.melding_id WHERE k.melding_id = %s" },
    { NULL, NULL }
};

typedef struct {
    const char *referanse, *kommunenummer, *bydelsnummer, *meldingstype;
    const char *kopi;
    apr_size_t kopi_len;
    unsigned char key[BKM_BOX_KEY];
} sent_t;

/* 1 found and this browser's; 0 not (404); -1 database (503). */
static int load(request_rec *r, const char *id, sent_t *s)
{
    bkm_db_rows_t *rows = NULL;
    const char *hash = NULL;
    apr_time_t utloper = 0;
    bkm_db_t *db;
    int found = 0;

    memset(s, 0, sizeof(*s));
    if (!bkm_page_key_cookie_get(r, BKM_COOKIE_SENDT, id, s->key)) {
        return 0;
    }
    if (!(db = bkm_db_acquire(r))
        || bkm_db_select_rows(db, BKM_SQL_KOPI_GET, 1, &id, &rows)) {
        return -1;
    }
    /* Read as stored: on PostgreSQL the copy comes in binary (issue 17). */
    while (bkm_db_rows_next(rows)) {
        const char *t = bkm_db_rows_value(rows, 1);
        hash = bkm_db_rows_value(rows, 0);
        utloper = t ? apr_atoi64(t) : 0;
        s->referanse = bkm_db_rows_value(rows, 2);
        s->kommunenummer = bkm_db_rows_value(rows, 3);
        s->bydelsnummer = bkm_db_rows_value(rows, 4);
        s->meldingstype = bkm_db_rows_value(rows, 5);
        if (bkm_db_rows_blob(rows, 6, &s->kopi, &s->kopi_len)) {
            s->kopi = NULL;
        }
        found = 1;
    }
    if (found && hash && strlen(hash) == 64 && utloper > bkm_now(r)) {
        const char *mine = bkm_sha256_hex(r->pool, s->key, sizeof(s->key));
        return CRYPTO_memcmp(mine, hash, 64) == 0;
    }
    return 0;
}

static int copy_pdf(request_rec *r, const char *lang, sent_t *s)
{
    unsigned char *pdf;
    apr_size_t len;

    if (!s->kopi
        || bkm_box_open(r->pool, s->key, s->kopi, s->kopi_len, &pdf, &len)) {
        return bkm_page_message(r, HTTP_NOT_FOUND, lang,
                                "side.ikke_funnet.tittel",
                                "side.ikke_funnet.tekst");
    }
    bkm_page_headers(r);
    apr_table_setn(r->headers_out, "Content-Disposition",
                   apr_pstrcat(r->pool,
                               "attachment; filename=\"bekymringsmelding-",
                               s->referanse, ".pdf\"", NULL));
    ap_set_content_type(r, "application/pdf");
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only) {
        ap_rwrite(pdf, (int)len, r);
    }
    memset(pdf, 0, len);
    return OK;
}

/* The receipt {meldingId} of the path, if it is this browser's: OK, or
 * DONE after answering (404 for any other, as for one that expired). */
static int this_browsers(request_rec *r, const bkm_req_t *q, sent_t *s)
{
    switch (load(r, bkm_route_param(q->match, "meldingId"), s)) {
    case 1:
        return OK;
    case 0:
        bkm_page_message(r, HTTP_NOT_FOUND, q->lang,
                         "side.ikke_funnet.tittel", "side.ikke_funnet.tekst");
        return DONE;
    default:
        bkm_page_unavailable(r, q->lang);
        return DONE;
    }
}

/* GET /sendt/{meldingId}/kopi.pdf */
int bkm_handle_sendt_kopi(request_rec *r, const bkm_req_t *q)
{
    sent_t s;
    int rv;

    if (this_browsers(r, q, &s) != OK) {
        return OK; /* answered */
    }
    rv = copy_pdf(r, q->lang, &s);
    memset(s.key, 0, sizeof(s.key));
    return rv;
}

/* GET /sendt/{meldingId} */
int bkm_handle_sendt(request_rec *r, const bkm_req_t *q)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const char *lang = q->lang, *id = bkm_route_param(q->match, "meldingId");
    const bkm_kommune_t *k;
    const bkm_bydel_t *b;
    json_t *data;
    sent_t s;

    if (this_browsers(r, q, &s) != OK) {
        return OK; /* answered */
    }
    memset(s.key, 0, sizeof(s.key));
    k = bkm_registry_kommune(reg, s.kommunenummer);
    b = k ? bkm_kommune_bydel(k, s.bydelsnummer) : NULL;
    data = bkm_page_data(r, lang,
                         bkm_i18n_text(pg->i18n, lang, "sendt.tittel"));
    json_object_set_new(data, "referanse", json_string(s.referanse));
    /* The status code is derived again each time (nothing stored; see
     * bkm_statuskode.h).  The link to /status does not carry it: a code
     * in an address stays in the browser's history, where the receipt's
     * address is worth nothing once its cookie is gone. */
    {
        const char *kode = bkm_statuskode(r->pool,
                                          bkm_srv_cfg(r->server)->token_keys,
                                          s.referanse, id);
        if (kode) {
            json_object_set_new(data, "statuskode", json_string(kode));
            json_object_set_new(data, "status", json_string("/status"));
        }
    }
    json_object_set_new(data, "mottaker",
                        json_string(!k ? s.kommunenummer
                                    : !b || strcmp(b->nummer, "00") == 0
                                        ? bkm_kommune_navn(k, lang)
                                        : apr_pstrcat(r->pool,
                                                      bkm_kommune_navn(k,
                                                                       lang),
                                                      ", ", b->navn, NULL)));
    json_object_set_new(data, "offentlig",
                        json_boolean(s.meldingstype
                                     && strstr(s.meldingstype,
                                               ".offentlig.")));
    if (s.kopi) {
        json_object_set_new(data, "kopi",
                            json_string(apr_pstrcat(r->pool, "/sendt/", id,
                                                    "/kopi.pdf", NULL)));
    }
    return bkm_page_render(r, HTTP_OK, "sendt", data);
}
