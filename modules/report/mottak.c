/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Report intake shared by the form-submission API (api/skjema.c)
 * and, for what applies, the producer API: the report schemas compiled at
 * start-up, the portal's signing identity, and the pipeline
 *   validate -> render PDF -> seal for each recipient -> store.
 *
 * Readable content lives only in request-pool memory for the length of one
 * request; what reaches the database is ciphertext for recipients whose
 * private keys the server does not hold.
 */
#include "mod_bekymring_private.h"
#include "report/mottak.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "bkm_cms.h"
#include "bkm_db.h"
#include "bkm_levering.h"
#include "bkm_log.h"
#include "bkm_registry.h"
#include "bkm_route.h"
#include "bkm_lagring.h"
#include "bkm_embedded.h"
#include "bkm_jsonschema.h"
#include "bkm_felt.h"
#include "bkm_skjema.h"
#include "bkm_pdf.h"
#include "bkm_asice.h"
#include "bkm_ids.h"
#include "bkm_box.h"
#include "bkm_besittelse.h"
#include "bkm_seal.h"
#include "bkm_heap.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <unistd.h>
#include <ap_mpm.h>

/* The report schemas, compiled once per configuration generation and
 * read-only afterwards (shared by all threads). */
static const struct {
    const char *meldingstype;
    const char *file;
} bkm_schema_files[] = {
    { "no.ks.fiks.bekymringsmelding.privat.v1", "privat.v1.json" },
    { "no.ks.fiks.bekymringsmelding.privat.v2", "privat.v2.json" },
    { "no.ks.fiks.bekymringsmelding.offentlig.v1", "offentlig.v1.json" },
    { "no.ks.fiks.bekymringsmelding.offentlig.v2", "offentlig.v2.json" },
    { NULL, NULL }
};
static const bkm_jsonschema_t *bkm_schemas[4];
/* The postal-code register, made once at start-up like the schemas. */
static const bkm_postnummer_t *bkm_register;

const bkm_postnummer_t *bkm_mottak_postnummer(void)
{
    return bkm_register;
}

static const bkm_jsonschema_t *bkm_report_schema(const char *meldingstype)
{
    int i;

    for (i = 0; bkm_schema_files[i].meldingstype; i++) {
        if (strcmp(meldingstype, bkm_schema_files[i].meldingstype) == 0) {
            return bkm_schemas[i];
        }
    }
    return NULL;
}

int bkm_mottak_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                           server_rec *s)
{
    bkm_jsonschema_set_t *set = bkm_jsonschema_set_make(pconf);
    const bkm_embedded_t *e;
    const char *err;
    server_rec *sp;
    int i;

    for (e = bkm_report_schemas; e->name; e++) {
        if ((err = bkm_jsonschema_add(set, e->name, e->data, e->len))) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         BKMLOGNO(00701) "report schema %s: %s", e->name,
                         err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    for (i = 0; bkm_schema_files[i].file; i++) {
        err = bkm_jsonschema_compile(set, bkm_schema_files[i].file,
                                     &bkm_schemas[i]);
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         BKMLOGNO(00702) "report schema %s: %s",
                         bkm_schema_files[i].file, err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if ((err = bkm_postnummer_builtin(pconf, &bkm_register))) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, BKMLOGNO(06000) "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* The signing key is read here, once, as root; the children inherit
     * it and never read the key file again. */
    for (sp = s; sp; sp = sp->next) {
        bkm_srv_cfg_t *c = bkm_srv_cfg(sp);
        bkm_signer_t *signer;
        if (!bkm_cfg_portal(sp) || !c->portal_cert_path || c->signer) {
            continue;
        }
        err = bkm_signer_load(&signer, pconf, c->portal_cert_path,
                              c->portal_key_path);
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sp,
                         BKMLOGNO(00703) "%s: %s", BKM_DIR_PORTAL_CERT, err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        c->signer = signer;
    }
    return OK;
}

/* A child's first report costs what its hundredth does (issue 17, item
 * 6): the schemas and the postal-code register are made in post_config
 * and inherited; here the heap is set to stop giving memory back between
 * reports (bkm_heap.h), the PDF's font maps are made and warmed, one for
 * each core (as many renders as run at once; at most the child's threads;
 * should more overlap, each extra map is made once, in 5 ms: bkm_pdf.c),
 * and the validator and the seal run once, so that OpenSSL, libzip and
 * libxml2 have fetched and built what they keep.  About 15 ms in all on
 * a quiet core, and 5 ms and 0.7 MB for each font map after the first. */
void bkm_mottak_child_init(apr_pool_t *pchild, server_rec *s)
{
    int threads = 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned int n, warmed;
    apr_time_t start = apr_time_now();
    json_t *report;
    apr_pool_t *p;
    const char *err;
    server_rec *sp;
    int i;

    if (bkm_heap_tune() != 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     BKMLOGNO(07400) "mallopt refused the heap's thresholds: "
                                     "reports may fault their memory in");
    }
    bkm_asice_init();
    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS
        || threads < 1) {
        threads = 1;
    }
    n = cpus > 0 ? (unsigned int)cpus : 1;
    if (n > (unsigned int)threads) {
        n = (unsigned int)threads;
    }
    warmed = bkm_pdf_warm(n);
    apr_pool_create(&p, pchild);
    if ((report = bkm_pdf_warm_report())) {
        for (i = 0; bkm_schema_files[i].file; i++) {
            if (bkm_schemas[i]) {
                bkm_jsonschema_validate(bkm_schemas[i], report, p, NULL);
            }
        }
        json_decref(report);
    }
    for (sp = s; sp; sp = sp->next) {
        bkm_srv_cfg_t *c = bkm_srv_cfg(sp);

        if (bkm_cfg_portal(sp) && (c->signer || c->registry)) {
            err = bkm_seal_warm(p, c->signer,
                                c->registry && c->registry->print_cert
                                    ? c->registry->print_cert->pem
                                    : NULL);
            if (err) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, sp,
                             BKMLOGNO(07402) "warming the seal: %s", err);
            }
            break;
        }
    }
    apr_pool_destroy(p);
    ap_log_error(APLOG_MARK, warmed == n ? APLOG_DEBUG : APLOG_WARNING, 0, s,
                 BKMLOGNO(07401) "warmed for reports: PDF fonts for %u of %u "
                                 "renders at once, the validator and the "
                                 "seal, in %" APR_TIME_T_FMT " ms",
                 warmed, n, apr_time_as_msec(apr_time_now() - start));
}

/* Validation errors as the API's "feil" list: [{pointer, melding}]. */
static json_t *errors_json(const apr_array_header_t *errors)
{
    json_t *list = json_array();
    int i;

    for (i = 0; i < errors->nelts && i < BKM_JSONSCHEMA_MAX_ERRORS; i++) {
        const bkm_jsonschema_error_t *e =
            &APR_ARRAY_IDX(errors, i, bkm_jsonschema_error_t);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "pointer",
                                              e->pointer, "regel", e->keyword,
                                              "melding", e->message));
    }
    return list;
}

int bkm_reply_invalid(request_rec *r, const apr_array_header_t *errors,
                      int more)
{
    /* A bounded answer to any body (issue 11: 100,000 empty children were
     * answered with 23 MB of errors): the first errors in the report's
     * order, and "flere" when the validator stopped before the end. */
    json_t *body;

    more = more || errors->nelts > BKM_JSONSCHEMA_MAX_ERRORS;
    body = json_pack("{s:s, s:s, s:o, s:b}", "errorId", "valideringsfeil",
                     "feilmelding",
                     more ? "the report is not valid; see the list of fields "
                            "(the first of more errors)"
                          : "the report is not valid; see the list of fields",
                     "feil", errors_json(errors), "flere", more);

    ap_log_rerror(
        APLOG_MARK, APLOG_INFO, 0, r,
        BKMLOGNO(00704) "422: report refused with %d validation errors%s",
        errors->nelts, more ? " and more" : "");
    return bkm_reply_json(r, HTTP_UNPROCESSABLE_ENTITY, body);
}

/* The form and version a message type is ("...privat.v2"). */
static void form_of(const char *meldingstype, bkm_skjema_type_e *type,
                    int *versjon)
{
    const char *v = strrchr(meldingstype, '.');

    *type = strstr(meldingstype, ".offentlig.") ? BKM_SKJEMA_OFFENTLIG
                                                : BKM_SKJEMA_PRIVAT;
    *versjon = v && v[1] == 'v' ? atoi(v + 2) : 1;
}

int bkm_mottak_validate(apr_pool_t *p, json_t *report,
                        const char *meldingstype, apr_array_header_t *errors,
                        int *more)
{
    const bkm_jsonschema_t *schema = bkm_report_schema(meldingstype);
    apr_array_header_t *found;
    bkm_skjema_type_e type;
    int i, j, room, versjon;

    *more = 0;
    if (!schema) {
        return 0;
    }
    /* The form's own rules first (README "Field rules"): no member the
     * form does not have, and the formats of national ids, organisation
     * numbers, postcodes, phones and e-mail (which also puts valid values
     * in their canonical form). */
    form_of(meldingstype, &type, &versjon);
    bkm_skjema_check_members(p, type, versjon, report, errors);
    bkm_felt_check(p, report, bkm_register, errors);
    /* Then the schema's, at the pointers that have no error yet: one
     * answer lists them all. */
    room = BKM_JSONSCHEMA_MAX_ERRORS - errors->nelts;
    found = apr_array_make(p, 8, sizeof(bkm_jsonschema_error_t));
    bkm_jsonschema_validate_max(schema, report, p, found, room < 1 ? 1 : room,
                                more);
    for (i = 0; i < found->nelts; i++) {
        const bkm_jsonschema_error_t *e =
            &APR_ARRAY_IDX(found, i, bkm_jsonschema_error_t);
        int seen = 0;
        for (j = 0; j < errors->nelts && !seen; j++) {
            seen = strcmp(APR_ARRAY_IDX(errors, j, bkm_jsonschema_error_t)
                              .pointer,
                          e->pointer)
                   == 0;
        }
        if (seen) {
            continue;
        }
        if (errors->nelts >= BKM_JSONSCHEMA_MAX_ERRORS) {
            *more = 1;
            break;
        }
        *(bkm_jsonschema_error_t *)apr_array_push(errors) = *e;
    }
    return errors->nelts == 0;
}

bkm_mottak_e bkm_mottak_check(request_rec *r, json_t *report,
                              const char *meldingstype,
                              bkm_mottak_result_t *res)
{
    memset(res, 0, sizeof(*res));
    res->errors = apr_array_make(r->pool, 8, sizeof(bkm_jsonschema_error_t));
    if (!bkm_report_schema(meldingstype)) {
        return BKM_MOTTAK_INTERNAL;
    }
    return bkm_mottak_validate(r->pool, report, meldingstype, res->errors,
                               &res->more_errors)
               ? BKM_MOTTAK_OK
               : BKM_MOTTAK_INVALID;
}

bkm_mottak_e bkm_mottak_take(request_rec *r, json_t *report,
                             const char *meldingstype, bkm_melding_t *m,
                             const bkm_signer_t *signer,
                             bkm_mottak_result_t *res)
{
    const bkm_jsonschema_t *schema = bkm_report_schema(meldingstype);
    bkm_sealed_t sealed[BKM_SEAL_MAX];
    bkm_levering_policy_t pol;
    const unsigned char *pdf = NULL;
    apr_size_t pdf_len = 0, besittelse_len = 0;
    const char *err, *besittelse = NULL;
    char *json_text;
    bkm_db_t *db;
    int n, attempt;
    apr_status_t rv = APR_EGENERAL;

    bkm_mottak_e checked = bkm_mottak_check(r, report, meldingstype, res);

    if (checked != BKM_MOTTAK_OK) {
        return checked;
    }
    if (!schema) {
        return BKM_MOTTAK_INTERNAL;
    }
    if (!(db = bkm_db_acquire(r))) {
        return BKM_MOTTAK_DATABASE;
    }
    json_text = json_dumps(report, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!json_text) {
        return BKM_MOTTAK_INTERNAL;
    }
    /* The reference number is printed in the PDF, so a reference that
     * turns out to be taken (the database refuses the insert) means
     * drawing, rendering and sealing again. */
    /* A case system's container carries a secret only its reader can
     * know: the proof of possession (bkm_besittelse.h). */
    if (m->bydel->kanal == BKM_KANAL_FAGSYSTEM
        && !(m->besittelse = bkm_besittelse_new(r->pool))) {
        memset(json_text, 0, strlen(json_text));
        free(json_text);
        return BKM_MOTTAK_INTERNAL;
    }
    if (m->besittelse) {
        besittelse = bkm_besittelse_document(r->pool, m->id, m->besittelse,
                                             &besittelse_len);
    }
    for (attempt = 0; attempt < 2 && rv == APR_EGENERAL; attempt++) {
        m->referanse = bkm_reference(r->pool);
        err = bkm_pdf_render(r->pool, report, meldingstype, m->referanse,
                             &pdf, &pdf_len);
        if (!err) {
            err = bkm_seal_report_besittelse(r->pool, signer, m->bydel,
                                             m->mottatt, json_text,
                                             strlen(json_text), pdf, pdf_len,
                                             besittelse, besittelse_len,
                                             sealed, &n);
        }
        /* The reporter's copy is sealed under their key, never stored
         * readable (bkm_box.h). */
        if (!err && m->kopi_nokkel && m->kopi_pdf) {
            err = bkm_box_seal(r->pool, m->kopi_nokkel, pdf, pdf_len,
                               (unsigned char **)&m->kopi, &m->kopi_len);
        }
        if (err) {
            memset(json_text, 0, strlen(json_text));
            free(json_text);
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          BKMLOGNO(00705) "report %s: %s", m->id, err);
            return BKM_MOTTAK_INTERNAL;
        }
        bkm_cfg_delivery(r->server, &pol);
        rv = bkm_lagring_melding(db, &pol, m, sealed, n);
    }
    /* The plaintext JSON was malloc'ed by jansson: wipe it before free. */
    memset(json_text, 0, strlen(json_text));
    free(json_text);
    if (rv == APR_EGENERAL) {
        return BKM_MOTTAK_DATABASE;
    }
    res->repeated = rv == APR_EEXIST;
    return BKM_MOTTAK_OK;
}

int bkm_mottak_reply(request_rec *r, bkm_mottak_e rc,
                     const bkm_mottak_result_t *res, const bkm_melding_t *m)
{
    switch (rc) {
    case BKM_MOTTAK_INVALID:
        return bkm_reply_invalid(r, res->errors, res->more_errors);
    case BKM_MOTTAK_DATABASE:
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the report could not be stored now (the "
                               "database does not answer); nothing was "
                               "kept: please try again");
    case BKM_MOTTAK_INTERNAL:
        return bkm_reply_error(r, HTTP_INTERNAL_SERVER_ERROR, "intern-feil",
                               "the report could not be sealed; nothing "
                               "was kept");
    default:
        break;
    }
    /* A retry with a used idempotency key gets the first answer, 201
     * included, so a client cannot tell a retry from the first try. */
    return bkm_reply_json(r, HTTP_CREATED,
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "uuid",
                                    m->id, "referanse", m->referanse,
                                    "kommunenummer",
                                    m->bydel->kommune->nummer, "kommunenavn",
                                    m->bydel->kommune->navn, "bydelsnummer",
                                    m->bydel->nummer, "bydelsnavn",
                                    m->bydel->navn));
}
