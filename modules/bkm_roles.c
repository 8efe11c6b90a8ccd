/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Roles of the municipal administration (bkm_roles.h).
 */
#include "bkm_roles.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <jansson.h>
#include <string.h>

static int digits(const char *s, apr_size_t n)
{
    apr_size_t i;

    if (!s || strlen(s) != n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!apr_isdigit(s[i])) {
            return 0;
        }
    }
    return 1;
}

static const char *entry(apr_pool_t *p, json_t *e, int i, bkm_binding_t *b)
{
    const char *rolle, *key;
    json_t *v, *list;
    size_t k;

    if (!json_is_object(e)) {
        return apr_psprintf(p, "roller[%d]: not an object", i);
    }
    json_object_foreach(e, key, v) {
        if (strcmp(key, "fodselsnummer") && strcmp(key, "navn")
            && strcmp(key, "rolle") && strcmp(key, "kommune")
            && strcmp(key, "bydeler")) {
            return apr_psprintf(p, "roller[%d]: unknown member \"%s\"", i,
                                key);
        }
    }
    b->fodselsnummer = apr_pstrdup(p, json_string_value(
        json_object_get(e, "fodselsnummer")) ? json_string_value(
        json_object_get(e, "fodselsnummer")) : "");
    if (!digits(b->fodselsnummer, 11)) {
        return apr_psprintf(p, "roller[%d]: \"fodselsnummer\" must be "
                            "eleven digits", i);
    }
    if (!json_string_value(json_object_get(e, "navn"))
        || !*json_string_value(json_object_get(e, "navn"))) {
        return apr_psprintf(p, "roller[%d]: \"navn\" is missing (it names "
                            "the person in logs and timelines)", i);
    }
    b->navn = apr_pstrdup(p, json_string_value(json_object_get(e, "navn")));
    rolle = json_string_value(json_object_get(e, "rolle"));
    if (rolle && strcmp(rolle, "administrator") == 0) {
        b->rolle = BKM_ROLLE_ADMINISTRATOR;
    }
    else if (rolle && strcmp(rolle, "mottaker") == 0) {
        b->rolle = BKM_ROLLE_MOTTAKER;
    }
    else if (rolle && strcmp(rolle, "operator") == 0) {
        b->rolle = BKM_ROLLE_OPERATOR;
    }
    else {
        return apr_psprintf(p, "roller[%d] (%s): \"rolle\" must be "
                            "administrator, mottaker or operator", i,
                            b->navn);
    }
    v = json_object_get(e, "kommune");
    list = json_object_get(e, "bydeler");
    b->bydeler = apr_array_make(p, 2, sizeof(const char *));
    if (b->rolle == BKM_ROLLE_OPERATOR) {
        if (v || list) {
            return apr_psprintf(p, "roller[%d] (%s): an operator has every "
                                "municipality; no \"kommune\"", i, b->navn);
        }
        return NULL;
    }
    if (!digits(json_string_value(v), 4)) {
        return apr_psprintf(p, "roller[%d] (%s): \"kommune\" must be four "
                            "digits", i, b->navn);
    }
    b->kommune = apr_pstrdup(p, json_string_value(v));
    if (list && !json_is_array(list)) {
        return apr_psprintf(p, "roller[%d] (%s): \"bydeler\" must be a list",
                            i, b->navn);
    }
    for (k = 0; k < json_array_size(list); k++) {
        const char *bnr = json_string_value(json_array_get(list, k));
        if (!digits(bnr, 2)) {
            return apr_psprintf(p, "roller[%d] (%s): bydeler[%d] must be two "
                                "digits", i, b->navn, (int)k);
        }
        APR_ARRAY_PUSH(b->bydeler, const char *) = apr_pstrdup(p, bnr);
    }
    if (b->rolle == BKM_ROLLE_MOTTAKER && b->bydeler->nelts == 0) {
        return apr_psprintf(p, "roller[%d] (%s): a receiver's \"bydeler\" "
                            "must name the districts (\"00\" where there are "
                            "none)", i, b->navn);
    }
    return NULL;
}

const char *bkm_roles_load(apr_pool_t *p, const char *path,
                           bkm_roles_t **out)
{
    bkm_roles_t *r = apr_pcalloc(p, sizeof(*r));
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *list;
    const char *err = NULL;
    size_t i;

    if (!doc) {
        return apr_psprintf(p, "%s line %d: %s", path, jerr.line, jerr.text);
    }
    list = json_object_get(doc, "roller");
    if (!json_is_array(list) || json_object_size(doc) != 1) {
        json_decref(doc);
        return apr_psprintf(p, "%s: must be {\"roller\": [...]}", path);
    }
    r->bindings = apr_array_make(p, (int)json_array_size(list) + 1,
                                 sizeof(bkm_binding_t));
    for (i = 0; !err && i < json_array_size(list); i++) {
        bkm_binding_t *b = apr_array_push(r->bindings);
        memset(b, 0, sizeof(*b));
        err = entry(p, json_array_get(list, i), (int)i, b);
    }
    json_decref(doc);
    if (err) {
        return apr_pstrcat(p, path, ": ", err, NULL);
    }
    *out = r;
    return NULL;
}

static int has(const apr_array_header_t *list, const char *s)
{
    int i;

    for (i = 0; i < list->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(list, i, const char *), s) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A binding that gives @p what in @p kommune. */
static int gives(const bkm_binding_t *b, bkm_tilgang_e what,
                 const char *kommune)
{
    if (what == BKM_TILGANG_MOTTA) {
        return b->rolle == BKM_ROLLE_MOTTAKER
            && strcmp(b->kommune, kommune) == 0;
    }
    return b->rolle == BKM_ROLLE_OPERATOR
        || (b->rolle == BKM_ROLLE_ADMINISTRATOR
            && strcmp(b->kommune, kommune) == 0);
}

int bkm_roles_allow(const bkm_roles_t *roles, const char *fodselsnummer,
                    bkm_tilgang_e what, const char *kommune,
                    const char *bydel, const char **navn)
{
    int i;

    for (i = 0; roles && fodselsnummer && i < roles->bindings->nelts; i++) {
        const bkm_binding_t *b = &APR_ARRAY_IDX(roles->bindings, i,
                                                bkm_binding_t);
        if (strcmp(b->fodselsnummer, fodselsnummer) != 0
            || !gives(b, what, kommune)) {
            continue;
        }
        if (!bydel || b->bydeler->nelts == 0 || has(b->bydeler, bydel)) {
            if (navn) {
                *navn = b->navn;
            }
            return 1;
        }
    }
    return 0;
}

const apr_array_header_t *bkm_roles_bydeler(apr_pool_t *p,
                                            const bkm_roles_t *roles,
                                            const char *fodselsnummer,
                                            bkm_tilgang_e what,
                                            const char *kommune)
{
    const apr_array_header_t *found = NULL;
    int i;

    for (i = 0; roles && fodselsnummer && i < roles->bindings->nelts; i++) {
        const bkm_binding_t *b = &APR_ARRAY_IDX(roles->bindings, i,
                                                bkm_binding_t);
        if (strcmp(b->fodselsnummer, fodselsnummer) != 0
            || !gives(b, what, kommune)) {
            continue;
        }
        if (b->bydeler->nelts == 0) {
            return NULL;        /* all of them */
        }
        if (!found) {
            found = b->bydeler;
        }
        else {
            /* Several bindings: their union. */
            apr_array_header_t *u = apr_array_copy(p, found);
            int k;
            for (k = 0; k < b->bydeler->nelts; k++) {
                const char *d = APR_ARRAY_IDX(b->bydeler, k, const char *);
                if (!has(u, d)) {
                    APR_ARRAY_PUSH(u, const char *) = d;
                }
            }
            found = u;
        }
    }
    return found;
}

apr_array_header_t *bkm_roles_kommuner(apr_pool_t *p,
                                       const bkm_roles_t *roles,
                                       const char *fodselsnummer, int *all,
                                       int *any)
{
    apr_array_header_t *list = apr_array_make(p, 2, sizeof(const char *));
    int i;

    *all = 0;
    *any = 0;
    for (i = 0; roles && fodselsnummer && i < roles->bindings->nelts; i++) {
        const bkm_binding_t *b = &APR_ARRAY_IDX(roles->bindings, i,
                                                bkm_binding_t);
        if (strcmp(b->fodselsnummer, fodselsnummer) != 0) {
            continue;
        }
        *any = 1;
        if (b->rolle == BKM_ROLLE_OPERATOR) {
            *all = 1;
        }
        else if (!has(list, b->kommune)) {
            APR_ARRAY_PUSH(list, const char *) = b->kommune;
        }
    }
    return list;
}
