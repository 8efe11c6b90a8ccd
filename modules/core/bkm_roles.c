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

const char *bkm_binding_check(apr_pool_t *p, const char *fodselsnummer,
                              const char *navn, const char *rolle,
                              const char *kommune, const char *bydeler,
                              bkm_binding_t *b)
{
    char *copy, *d, *last;

    memset(b, 0, sizeof(*b));
    if (!digits(fodselsnummer, 11)) {
        return "\"fodselsnummer\" must be eleven digits";
    }
    b->fodselsnummer = apr_pstrdup(p, fodselsnummer);
    if (!navn || !*navn || strlen(navn) > 200) {
        return "\"navn\" is missing (it names the person in logs and "
               "timelines)";
    }
    b->navn = apr_pstrdup(p, navn);
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
        return "\"rolle\" must be administrator, mottaker or operator";
    }
    b->bydeler = apr_array_make(p, 2, sizeof(const char *));
    if (b->rolle == BKM_ROLLE_OPERATOR) {
        return (kommune && *kommune) || (bydeler && *bydeler)
                   ? "an operator has every municipality; no \"kommune\""
                   : NULL;
    }
    if (!digits(kommune, 4)) {
        return "\"kommune\" must be four digits";
    }
    b->kommune = apr_pstrdup(p, kommune);
    copy = apr_pstrdup(p, bydeler ? bydeler : "");
    for (d = apr_strtok(copy, ", ", &last); d;
         d = apr_strtok(NULL, ", ", &last)) {
        if (!digits(d, 2)) {
            return "each of \"bydeler\" must be two digits";
        }
        APR_ARRAY_PUSH(b->bydeler, const char *) = d;
    }
    if (b->rolle == BKM_ROLLE_MOTTAKER && b->bydeler->nelts == 0) {
        return "a receiver's \"bydeler\" must name the districts (\"00\" "
               "where there are none)";
    }
    return NULL;
}

static const char *entry(apr_pool_t *p, json_t *e, int i, bkm_binding_t *b)
{
    const char *key, *err, *bydeler = "";
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
    list = json_object_get(e, "bydeler");
    if (list && !json_is_array(list)) {
        return apr_psprintf(p, "roller[%d]: \"bydeler\" must be a list", i);
    }
    for (k = 0; k < json_array_size(list); k++) {
        const char *d = json_string_value(json_array_get(list, k));
        if (!d || strchr(d, ',') || strchr(d, ' ')) {
            return apr_psprintf(p,
                                "roller[%d]: bydeler[%d] must be two "
                                "digits",
                                i, (int)k);
        }
        bydeler = apr_pstrcat(p, bydeler, k ? "," : "", d, NULL);
    }
    err = bkm_binding_check(
        p, json_string_value(json_object_get(e, "fodselsnummer")),
        json_string_value(json_object_get(e, "navn")),
        json_string_value(json_object_get(e, "rolle")),
        json_string_value(json_object_get(e, "kommune")),
        json_is_array(list) && json_array_size(list) ? bydeler : NULL, b);
    if (!err && json_object_get(e, "kommune")
        && b->rolle == BKM_ROLLE_OPERATOR) {
        err = "an operator has every municipality; no \"kommune\"";
    }
    /* The name is the entry's label in messages, never the national id. */
    return err ? apr_psprintf(p, "roller[%d]%s%s%s: %s", i,
                              b->navn ? " (" : "", b->navn ? b->navn : "",
                              b->navn ? ")" : "", err)
               : NULL;
}

bkm_roles_t *bkm_roles_of(apr_pool_t *p, const bkm_roles_t *all,
                          const char *fodselsnummer)
{
    bkm_roles_t *r = apr_pcalloc(p, sizeof(*r));
    int i;

    r->bindings = apr_array_make(p, 2, sizeof(bkm_binding_t));
    for (i = 0; all && fodselsnummer && i < all->bindings->nelts; i++) {
        const bkm_binding_t *b = &APR_ARRAY_IDX(all->bindings, i,
                                                bkm_binding_t);
        if (strcmp(b->fodselsnummer, fodselsnummer) == 0) {
            *(bkm_binding_t *)apr_array_push(r->bindings) = *b;
        }
    }
    return r;
}

const char *bkm_roles_load(apr_pool_t *p, const char *path, bkm_roles_t **out)
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

int bkm_roles_covers(const apr_array_header_t *bydeler, const char *bydel)
{
    return !bydeler || has(bydeler, bydel);
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
            return NULL; /* all of them */
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

const char *bkm_roles_check_registry(apr_pool_t *p, const bkm_roles_t *roles,
                                     const bkm_registry_t *reg)
{
    int i, j;

    for (i = 0; roles && roles->bindings && i < roles->bindings->nelts; i++) {
        const bkm_binding_t *b = &APR_ARRAY_IDX(roles->bindings, i,
                                                bkm_binding_t);
        const bkm_kommune_t *k;

        if (!b->kommune) {
            continue; /* the operator: every municipality */
        }
        if (!(k = bkm_registry_kommune(reg, b->kommune))) {
            return apr_psprintf(p,
                                "roller[%d] (\"%s\"): municipality %s is "
                                "not in the registry %s",
                                i, b->navn ? b->navn : "", b->kommune,
                                reg->path ? reg->path : "");
        }
        for (j = 0; b->bydeler && j < b->bydeler->nelts; j++) {
            const char *bd = APR_ARRAY_IDX(b->bydeler, j, const char *);
            if (!bkm_kommune_bydel(k, bd)) {
                return apr_psprintf(p,
                                    "roller[%d] (\"%s\"): municipality %s "
                                    "has no district %s in the registry %s",
                                    i, b->navn ? b->navn : "", b->kommune, bd,
                                    reg->path ? reg->path : "");
            }
        }
    }
    return NULL;
}
