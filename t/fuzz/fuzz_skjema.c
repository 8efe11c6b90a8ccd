/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The web form's posted fields (application/x-www-form-urlencoded,
 * bkm_skjema.h), the way pages/skjema.c takes them: read with
 * every version's fields, the district's version set, the button applied,
 * the report made, validated against its schema, the errors put back on
 * the fields, and the page's view made.  Each input is tried as both
 * forms (private and public).  The catalogues are read from htdocs/i18n:
 * run from the top of the tree (as make does).
 */
#include "fuzz.h"
#include "bkm_skjema.h"
#include "bkm_i18n.h"
#include "bkm_jsonschema.h"
#include "bkm_felt.h"

#include <apr_strings.h>

static bkm_i18n_t *i18n;
static const bkm_postnummer_t *postnummer;

static void init(void)
{
    static apr_pool_t *p;
    const char *err;

    if (i18n) {
        return;
    }
    bkm_fuzz_keep_begin();
    p = bkm_fuzz_pool();
    if ((err = bkm_i18n_load(p, "htdocs/i18n", &i18n))) {
        bkm_fuzz_fail("htdocs/i18n: %s (run from the top of the tree)", err);
    }
    if ((err = bkm_postnummer_builtin(p, &postnummer))) {
        bkm_fuzz_fail("postal-code register: %s", err);
    }
    bkm_fuzz_keep_end();
}

static void one(apr_pool_t *p, bkm_skjema_type_e type, const char *body,
                size_t len)
{
    static const char *const lang[] = { "nb", "nn", "en" };
    bkm_skjema_t *f = NULL;
    const bkm_jsonschema_t *s;
    apr_array_header_t *errors;
    json_t *report, *view;
    int versjon;

    if (bkm_skjema_parse(p, type, BKM_SKJEMA_ALL_VERSIONS, body, len, &f)) {
        return;
    }
    if (!f) {
        bkm_fuzz_fail("bkm_skjema_parse: no form and no error");
    }
    /* The district's version: 2 when every field is one of v2's. */
    versjon = bkm_skjema_set_version(f, 2) ? 1 : 2;
    if (versjon == 1 && bkm_skjema_set_version(f, 1)) {
        return;
    }
    if (f->handling) {
        (void)bkm_skjema_apply(f, f->handling);
    }
    report = bkm_skjema_report(f, postnummer);
    if (!report) {
        bkm_fuzz_fail("bkm_skjema_report: NULL");
    }
    /* What the server adds (api/skjema.c) before validating. */
    json_object_set_new(report, "kommunenummer", json_string("0301"));
    json_object_set_new(report, "kommunenavn", json_string("Oslo"));
    json_object_set_new(report, "bydelsnummer", json_string("01"));
    json_object_set_new(report, "bydelsnavn", json_string("Gamle Oslo"));
    json_object_set_new(report, "sendingstidspunkt",
                        json_string("2025-03-14T09:26:53"));
    json_object_set_new(report, "leveringskanal", json_string("Fagsystem"));
    s = bkm_fuzz_report_schema(apr_psprintf(p, "%s.v%d.json",
                                            bkm_skjema_type_name(type),
                                            versjon));
    errors = apr_array_make(p, 8, sizeof(bkm_jsonschema_error_t));
    /* The form's own rules (api/skjema.c), then the schema's. */
    if (bkm_skjema_check_members(p, type, versjon, report, errors)) {
        bkm_fuzz_fail("the form's report has a member the form has not");
    }
    bkm_felt_check(p, report, postnummer, errors);
    (void)bkm_jsonschema_validate_max(s, report, p, errors,
                                      BKM_JSONSCHEMA_MAX_ERRORS, NULL);
    if (errors->nelts) {
        bkm_skjema_set_errors(f, errors, i18n, lang[len % 3]);
    }
    view = bkm_skjema_view(f, i18n, lang[len % 3]);
    if (!view) {
        bkm_fuzz_fail("bkm_skjema_view: NULL");
    }
    json_decref(view);
    json_decref(report);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;

    init();
    p = bkm_fuzz_pool();
    one(p, BKM_SKJEMA_PRIVAT, (const char *)data, size);
    one(p, BKM_SKJEMA_OFFENTLIG, (const char *)data, size);
    apr_pool_destroy(p);
    return 0;
}
