/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The national operator grants and removes roles in the pages:
 *   GET  /kommune/roller                 the roles granted here, and a
 *                                        form to grant one
 *   POST /kommune/roller                 grant (fødselsnummer, navn, rolle,
 *                                        kommune, bydeler, begrunnelse)
 *   POST /kommune/roller/{id}/slett      remove (begrunnelse)
 * The person is held as HMAC-SHA256 of their national id number under
 * BekymringRoleKey, never the number; every grant and removal goes into
 * the audit (bkm_revisjon) with the operator's name and reason.  Roles of
 * the BekymringRoles file are the hosting provider's and are not listed
 * here.  Only the operator gets anything but 404 (the routes' access rule,
 * OPERATOR).
 */
#include "mod_bekymring_private.h"
#include "admin/admin.h"
#include "pages/pages.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "server/routes.h"
#include "bkm_db.h"
#include "bkm_i18n.h"
#include "bkm_leveranse.h"
#include "bkm_log.h"
#include "bkm_registry.h"
#include "bkm_roles.h"
#include "bkm_route.h"
#include "bkm_digest.h"
#include "bkm_ids.h"
#include "bkm_time.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <string.h>

/* This file's statements, prepared on every connection (the table is
 * handed to mod_dbd by server/db.c). */
#define BKM_SQL_ROLLER_ALLE "bkm_roller_alle"
#define BKM_SQL_ROLLE_INSERT "bkm_rolle_insert"
#define BKM_SQL_ROLLE_GET "bkm_rolle_get"
#define BKM_SQL_ROLLE_DELETE "bkm_rolle_delete"

const bkm_sql_t bkm_roller_sql[] = {
    /* Roles granted in the pages. */
    { BKM_SQL_ROLLER_ALLE,
      "SELECT id, navn, rolle, kommunenummer, bydeler, opprettet "
      "FROM bkm_rolle ORDER BY kommunenummer, navn, id" },
    { BKM_SQL_ROLLE_INSERT,
      "INSERT INTO bkm_rolle (id, person, navn, rolle, kommunenummer, "
      "bydeler, opprettet) VALUES (%s, %s, %s, %s, %s, %s, %lld)" },
    { BKM_SQL_ROLLE_GET,
      "SELECT navn, rolle, kommunenummer, bydeler FROM bkm_rolle "
      "WHERE id = %s" },
    { BKM_SQL_ROLLE_DELETE, "DELETE FROM bkm_rolle WHERE id = %s" },
    { NULL, NULL }
};

/* The roles BekymringRoles gives (the file), which the page cannot
 * change but must show: without them the operator read "no roles"
 * while the file's were in force (issue 14, item 4).  Never the
 * national id. */
static json_t *file_roles(request_rec *r, const char *lang)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const bkm_srv_cfg_t *c = bkm_srv_cfg(r->server);
    json_t *list = json_array();
    int i, j;

    for (i = 0; c->roles && i < c->roles->bindings->nelts; i++) {
        const bkm_binding_t *b = &APR_ARRAY_IDX(c->roles->bindings, i,
                                                bkm_binding_t);
        const char *bydeler = "";
        for (j = 0; b->bydeler && j < b->bydeler->nelts; j++) {
            bydeler = apr_pstrcat(r->pool, bydeler, j ? ", " : "",
                                  APR_ARRAY_IDX(b->bydeler, j, const char *),
                                  NULL);
        }
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:s, s:s}", "navn",
                            b->navn ? b->navn : "", "rolle",
                            bkm_i18n_text(pg->i18n, lang,
                                          b->rolle == BKM_ROLLE_OPERATOR
                                              ? "roller.rolle.operator"
                                          : b->rolle == BKM_ROLLE_MOTTAKER
                                              ? "roller.rolle.mottaker"
                                              : "roller.rolle.administrator"),
                            "kommune", b->kommune ? b->kommune : "–",
                            "bydeler", *bydeler ? bydeler : "–"));
    }
    return list;
}

/* The roles page; @p feil a catalogue key for the error summary, which
 * links to @p felt (the field to fix), with what was typed kept. */
static int page(request_rec *r, const bkm_req_t *q, int status,
                apr_table_t *form, const char *feil, const char *felt)
{
    const char *lang = q->lang;
    const bkm_pages_t *pg = bkm_pages(r);
    const bkm_srv_cfg_t *c = bkm_srv_cfg(r->server);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    json_t *data, *list = json_array();
    bkm_db_t *db;

    data = bkm_page_data(r, lang,
                         bkm_i18n_text(pg->i18n, lang, "roller.tittel"));
    json_object_set_new(data, "mulig", json_boolean(c->role_key != NULL));
    if (c->role_key && (db = bkm_db_acquire(r))
        && bkm_db_select(db, BKM_SQL_ROLLER_ALLE, &res, 0, NULL) == 0) {
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            const char *id = bkm_db_value(db, row, 0);
            const char *rolle = bkm_db_value(db, row, 2);
            const char *knr = bkm_db_value(db, row, 3);
            const char *bydeler = bkm_db_value(db, row, 4);
            char when[20];
            bkm_time_oslo_format(when,
                                 (apr_time_t)apr_atoi64(bkm_db_value(db, row,
                                                                     5)));
            when[10] = '\0';
            json_array_append_new(
                list,
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "felt",
                          apr_pstrcat(r->pool, "begrunnelse-", id, NULL),
                          "navn", bkm_db_value(db, row, 1), "rolle",
                          bkm_i18n_text(pg->i18n, lang,
                                        apr_pstrcat(r->pool, "roller.rolle.",
                                                    rolle, NULL)),
                          "kommune", knr ? knr : "–", "bydeler",
                          bydeler && *bydeler ? bydeler : "–", "opprettet",
                          when, "slett",
                          apr_pstrcat(r->pool, "/kommune/roller/", id,
                                      "/slett", NULL)));
        }
    }
    json_object_set_new(data, "roller", list);
    json_object_set_new(data, "ingen",
                        json_boolean(json_array_size(list) == 0));
    list = file_roles(r, lang);
    json_object_set_new(data, "filroller", list);
    json_object_set_new(data, "filrollerIngen",
                        json_boolean(json_array_size(list) == 0));
    json_object_set_new(data, "csrf", json_string(bkm_page_csrf(r)));
    json_object_set_new(data, "utfort",
                        json_boolean(bkm_page_arg(r, "utfort") != NULL));
    if (feil) {
        json_object_set_new(data, "feil",
                            json_string(bkm_i18n_text(pg->i18n, lang, feil)));
        json_object_set_new(data, "feiloppsummering",
                            json_pack("[{s:s, s:s}]", "href",
                                      apr_pstrcat(r->pool, "#",
                                                  felt ? felt
                                                       : "fodselsnummer",
                                                  NULL),
                                      "tekst",
                                      bkm_i18n_text(pg->i18n, lang, feil)));
        json_object_set_new(data, "feilFelt",
                            json_string(felt ? felt : "fodselsnummer"));
    }
    /* What was typed comes back, but never the national id number. */
    if (form) {
        const char *keys[4] = { "navn", "kommune", "bydeler", "begrunnelse" };
        int i;
        for (i = 0; i < 4; i++) {
            const char *v = apr_table_get(form, keys[i]);
            if (v) {
                json_object_set_new(data, keys[i], json_string(v));
            }
        }
    }
    return bkm_admin_render(r, q, status, "admin-roller", data);
}

/* A grant or removal in the audit: the operator, the role, the reason. */
static int audit(request_rec *r, bkm_db_t *db, const char *handling,
                 const char *operator_navn, const char *kommune,
                 const char *begrunnelse, const char *hva)
{
    bkm_handling_t h;

    memset(&h, 0, sizeof(h));
    h.handling = handling;
    h.aktor = apr_pstrcat(r->pool, "operator: ", operator_navn, NULL);
    h.kommunenummer = kommune;
    h.begrunnelse = apr_pstrcat(r->pool, hva, ". ", begrunnelse, NULL);
    return bkm_audit(db, bkm_now(r), &h);
}
static int grant_role(request_rec *r, const bkm_req_t *q,
                      const char *operator_navn, apr_table_t *form)
{
    const char *lang = q->lang;
    const bkm_srv_cfg_t *c = bkm_srv_cfg(r->server);
    const char *fnr = apr_table_get(form, "fodselsnummer");
    const char *rolle = apr_table_get(form, "rolle");
    const char *knr = apr_table_get(form, "kommune");
    const char *bydeler = apr_table_get(form, "bydeler");
    const char *grunn = apr_table_get(form, "begrunnelse");
    const bkm_kommune_t *k = NULL;
    const char *person, *err;
    bkm_binding_t b;
    bkm_db_t *db;
    int rv, i;

    if (rolle && strcmp(rolle, "operator") == 0) {
        knr = NULL;
        bydeler = NULL;
    }
    err = bkm_binding_check(r->pool, fnr, apr_table_get(form, "navn"), rolle,
                            knr, bydeler ? bydeler : "", &b);
    if (!err && b.kommune
        && !(k = bkm_registry_kommune(c->registry, b.kommune))) {
        err = "unknown municipality";
    }
    for (i = 0; !err && k && i < b.bydeler->nelts; i++) {
        if (!bkm_kommune_bydel(k,
                               APR_ARRAY_IDX(b.bydeler, i, const char *))) {
            err = "unknown district";
        }
    }
    if (err || !grunn || !*grunn || strlen(grunn) > 2000) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      BKMLOGNO(01701) "role not granted: %s",
                      err ? err : "no reason given");
        return page(r, q, HTTP_UNPROCESSABLE_ENTITY, form,
                    err ? "roller.feil" : "admin.begrunnelse.feil",
                    err ? "fodselsnummer" : "begrunnelse");
    }
    person = bkm_hmac_sha256_hex(r->pool, c->role_key, c->role_key_len,
                                 b.fodselsnummer, 11);
    if (!person || !(db = bkm_db_acquire(r)) || bkm_db_begin(db) != 0) {
        return bkm_page_unavailable(r, lang);
    }
    {
        const char *args[7] = { bkm_uuid(r->pool),
                                person,
                                b.navn,
                                rolle,
                                b.kommune,
                                bydeler ? bydeler : "",
                                apr_off_t_toa(r->pool, bkm_now(r)) };
        rv = bkm_db_run(db, BKM_SQL_ROLLE_INSERT, NULL, 7, args);
    }
    if (rv == 0) {
        rv = audit(r, db, "rolle-gitt", operator_navn, b.kommune, grunn,
                   apr_pstrcat(r->pool, b.navn, ": ", rolle,
                               b.kommune ? " " : "",
                               b.kommune ? b.kommune : "",
                               bydeler && *bydeler ? "/" : "",
                               bydeler ? bydeler : "", NULL));
    }
    if (bkm_db_end(db, rv) != 0) {
        return bkm_page_unavailable(r, lang);
    }
    /* Names are in the audit table, not in the log. */
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                  BKMLOGNO(01702) "role %s granted by the operator (audited)",
                  rolle);
    apr_table_setn(r->headers_out, "Location", "/kommune/roller?utfort=1");
    bkm_page_headers(r);
    return HTTP_SEE_OTHER;
}

static int revoke_role(request_rec *r, const bkm_req_t *q,
                       const char *operator_navn, const char *id,
                       apr_table_t *form)
{
    const char *lang = q->lang;
    const char *grunn = apr_table_get(form, "begrunnelse");
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *navn = NULL, *rolle = NULL, *knr = NULL;
    bkm_db_t *db;
    int rv, n = 0;

    if (!bkm_uuid_valid(id, 0) || !(db = bkm_db_acquire(r))
        || bkm_db_select(db, BKM_SQL_ROLLE_GET, &res, 1, &id)) {
        return bkm_page_message(r, HTTP_NOT_FOUND, lang,
                                "side.ikke_funnet.tittel", NULL);
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        navn = bkm_db_value(db, row, 0);
        rolle = bkm_db_value(db, row, 1);
        knr = bkm_db_value(db, row, 2);
    }
    if (!navn) {
        return bkm_page_message(r, HTTP_NOT_FOUND, lang,
                                "side.ikke_funnet.tittel", NULL);
    }
    if (!grunn || !*grunn || strlen(grunn) > 2000) {
        return page(r, q, HTTP_UNPROCESSABLE_ENTITY, NULL,
                    "admin.begrunnelse.feil",
                    apr_pstrcat(r->pool, "begrunnelse-", id, NULL));
    }
    if (bkm_db_begin(db) != 0) {
        return bkm_page_unavailable(r, lang);
    }
    rv = bkm_db_run(db, BKM_SQL_ROLLE_DELETE, &n, 1, &id);
    if (rv == 0 && n == 1) {
        rv = audit(r, db, "rolle-fjernet", operator_navn, knr, grunn,
                   apr_pstrcat(r->pool, navn, ": ", rolle, knr ? " " : "",
                               knr ? knr : "", NULL));
    }
    if (bkm_db_end(db, rv) != 0) {
        return bkm_page_unavailable(r, lang);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                  BKMLOGNO(01703) "role %s removed by the operator (audited)",
                  rolle);
    apr_table_setn(r->headers_out, "Location", "/kommune/roller?utfort=1");
    bkm_page_headers(r);
    return HTTP_SEE_OTHER;
}

/* GET /kommune/roller (the national operator: the route's access rule) */
int bkm_handle_roller(request_rec *r, const bkm_req_t *q)
{
    return page(r, q, HTTP_OK, NULL, NULL, NULL);
}

/* What both posts begin with: OK with the form, or DONE once the page
 * has answered. */
static int posted(request_rec *r, const bkm_req_t *q, apr_table_t **form)
{
    int rv;

    if (!bkm_srv_cfg(r->server)->role_key) {
        page(r, q, HTTP_CONFLICT, NULL, "roller.ikke_mulig", NULL);
        return DONE;
    }
    if ((rv = bkm_page_form(r, 8192, form)) != OK) {
        bkm_page_message(r, rv, q->lang, "side.foresporsel.tittel", NULL);
        return DONE;
    }
    if (!bkm_page_csrf_ok(r, apr_table_get(*form, "csrf"))) {
        bkm_page_message(r, HTTP_FORBIDDEN, q->lang,
                         "side.foresporsel.tittel", NULL);
        return DONE;
    }
    return OK;
}

/* POST /kommune/roller: grant a role */
int bkm_handle_rolle_ny(request_rec *r, const bkm_req_t *q)
{
    apr_table_t *form;

    if (posted(r, q, &form) != OK) {
        return OK; /* answered */
    }
    return grant_role(r, q, q->navn, form);
}

/* POST /kommune/roller/{rolleId}/slett: remove one */
int bkm_handle_rolle_slett(request_rec *r, const bkm_req_t *q)
{
    apr_table_t *form;

    if (posted(r, q, &form) != OK) {
        return OK; /* answered */
    }
    return revoke_role(r, q, q->navn, bkm_route_param(q->match, "rolleId"),
                       form);
}
