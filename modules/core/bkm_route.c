/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_route.h"
#include "bkm_ids.h"

#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>

#define SLASH_SUFFIX "[/]"

/* A parameter while a row is being tried: pointers into the pattern and
 * the path, copied only for the row that is the answer. */
typedef struct {
    const char *name, *kind, *value;
    apr_size_t name_len, kind_len, value_len;
} span_t;

typedef struct {
    int n;
    int bad; /* index of the first bad parameter, or -1 */
    span_t p[BKM_ROUTE_MAX_PARAMS];
} cand_t;

enum {
    ROW_NO,
    ROW_BAD,
    ROW_YES
};

static const bkm_route_t *row_at(const bkm_route_table_t *t, apr_size_t i)
{
    return (const bkm_route_t *)((const char *)t->rows + i * t->stride);
}

/* The pattern's length without a final "[/]"; *slash says whether it had
 * one. */
static apr_size_t pattern_len(const char *pat, int *slash)
{
    apr_size_t n = strlen(pat), s = sizeof(SLASH_SUFFIX) - 1;

    *slash = n > s && strcmp(pat + n - s, SLASH_SUFFIX) == 0;
    return *slash ? n - s : n;
}

static const bkm_route_kind_t *kind_of(const bkm_route_kind_t *kinds,
                                       const char *name, apr_size_t len)
{
    for (; kinds && kinds->name; kinds++) {
        if (strlen(kinds->name) == len
            && memcmp(kinds->name, name, len) == 0) {
            return kinds;
        }
    }
    return NULL;
}

/* "{name}" or "{name:kind}" in [seg, end): its parts. */
static void param_parts(const char *seg, const char *end, span_t *sp)
{
    const char *colon = memchr(seg, ':', (apr_size_t)(end - seg));

    sp->name = seg + 1;
    if (colon) {
        sp->name_len = (apr_size_t)(colon - sp->name);
        sp->kind = colon + 1;
        sp->kind_len = (apr_size_t)(end - 1 - sp->kind);
    }
    else {
        sp->name_len = (apr_size_t)(end - 1 - sp->name);
        sp->kind = sp->name;
        sp->kind_len = sp->name_len;
    }
}

/* Try one row: ROW_YES, ROW_BAD (literals match, a parameter's shape does
 * not) or ROW_NO. */
static int match_row(apr_pool_t *p, const bkm_route_table_t *t,
                     const char *pattern, const char *path, cand_t *c)
{
    int slash;
    const char *pe = pattern + pattern_len(pattern, &slash);
    const char *pp = pattern + 1, *up = path + 1;

    c->n = 0;
    c->bad = -1;
    if (*path != '/') {
        return ROW_NO;
    }
    if (pe == pattern + 1) { /* the root, "/" */
        return *up == '\0' ? ROW_YES : ROW_NO;
    }
    for (;;) {
        const char *ps = memchr(pp, '/', (apr_size_t)(pe - pp));
        const char *us = strchr(up, '/');
        apr_size_t ulen;

        ps = ps ? ps : pe;
        us = us ? us : up + strlen(up);
        ulen = (apr_size_t)(us - up);
        if (*pp == '{') {
            const bkm_route_kind_t *k;
            span_t *sp;

            if (ulen == 0 || c->n == BKM_ROUTE_MAX_PARAMS) {
                return ROW_NO;
            }
            sp = &c->p[c->n];
            param_parts(pp, ps, sp);
            sp->value = up;
            sp->value_len = ulen;
            if (!(k = kind_of(t->kinds, sp->kind, sp->kind_len))) {
                return ROW_NO; /* bkm_route_check says so */
            }
            if (k->valid && c->bad < 0
                && !k->valid(apr_pstrmemdup(p, up, ulen))) {
                c->bad = c->n;
            }
            c->n++;
        }
        else if ((apr_size_t)(ps - pp) != ulen || memcmp(pp, up, ulen) != 0) {
            return ROW_NO;
        }
        if (ps == pe) {
            if (*us == '\0' || (slash && us[0] == '/' && us[1] == '\0')) {
                return c->bad < 0 ? ROW_YES : ROW_BAD;
            }
            return ROW_NO;
        }
        if (*us != '/') {
            return ROW_NO; /* the path ended first */
        }
        pp = ps + 1;
        up = us + 1;
    }
}

static void keep(apr_pool_t *p, const cand_t *c, bkm_route_match_t *m)
{
    int i;

    m->nparams = c->n;
    for (i = 0; i < c->n; i++) {
        m->params[i].name = apr_pstrmemdup(p, c->p[i].name, c->p[i].name_len);
        m->params[i].kind = apr_pstrmemdup(p, c->p[i].kind, c->p[i].kind_len);
        m->params[i].value = apr_pstrmemdup(p, c->p[i].value,
                                            c->p[i].value_len);
    }
    m->bad = c->bad >= 0 ? &m->params[c->bad] : NULL;
}

/* Whether the word [w, w + n) is in the blank-separated list. */
static int has_word(const char *list, const char *w, apr_size_t n)
{
    while (*list) {
        apr_size_t len = strcspn(list, " ");
        if (len == n && memcmp(list, w, n) == 0) {
            return 1;
        }
        list += len;
        list += strspn(list, " ");
    }
    return 0;
}

int bkm_route_method_ok(const char *methods, const char *method)
{
    apr_size_t n = strlen(method);

    return has_word(methods, "*", 1) || has_word(methods, method, n)
           || (strcmp(method, "HEAD") == 0 && has_word(methods, "GET", 3));
}

/* Append the words of @p methods not yet in @p allow. */
static const char *add_methods(apr_pool_t *p, const char *allow,
                               const char *methods)
{
    while (*methods) {
        apr_size_t len = strcspn(methods, " ");
        if (len && !has_word(allow, methods, len)) {
            allow = apr_pstrcat(p, allow, *allow ? " " : "",
                                apr_pstrmemdup(p, methods, len), NULL);
        }
        methods += len;
        methods += strspn(methods, " ");
    }
    return allow;
}

bkm_route_e bkm_route_match(apr_pool_t *p, const bkm_route_table_t *t,
                            const char *method, const char *path,
                            bkm_route_match_t *m)
{
    apr_size_t i, first = t->n, found = t->n, bad = t->n;
    const char *allow = "";
    cand_t c, c_first, c_found, c_bad;

    memset(m, 0, sizeof(*m));
    for (i = 0; i < t->n; i++) {
        const bkm_route_t *rt = row_at(t, i);
        switch (match_row(p, t, rt->pattern, path, &c)) {
        case ROW_YES:
            allow = add_methods(p, allow, rt->methods);
            if (first == t->n) {
                first = i;
                c_first = c;
            }
            if (found == t->n && bkm_route_method_ok(rt->methods, method)) {
                found = i;
                c_found = c;
            }
            break;
        case ROW_BAD:
            if (bad == t->n) {
                bad = i;
                c_bad = c;
            }
            break;
        default:
            break;
        }
    }
    if (found < t->n) {
        m->result = BKM_ROUTE_FOUND;
        m->row = found;
        m->allow = allow;
        keep(p, &c_found, m);
    }
    else if (first < t->n) {
        m->result = BKM_ROUTE_NO_METHOD;
        m->row = first;
        m->allow = allow;
        keep(p, &c_first, m);
    }
    else if (bad < t->n) {
        m->result = BKM_ROUTE_BAD_PARAM;
        m->row = bad;
        keep(p, &c_bad, m);
    }
    else {
        m->result = BKM_ROUTE_NOT_FOUND;
        m->row = t->n;
    }
    return m->result;
}

const char *bkm_route_param(const bkm_route_match_t *m, const char *name)
{
    int i;

    for (i = 0; m && i < m->nparams; i++) {
        if (strcmp(m->params[i].name, name) == 0) {
            return m->params[i].value;
        }
    }
    return NULL;
}

int bkm_route_under(const char *path, const char *prefix)
{
    apr_size_t n = strlen(prefix);

    if (strncmp(path, prefix, n) != 0) {
        return 0;
    }
    return (n > 0 && prefix[n - 1] == '/') || path[n] == '\0'
           || path[n] == '/';
}

/* ---- checking a table at start-up ------------------------------------ */

static const char *check_methods(const char *methods)
{
    const char *m = methods;

    if (!methods || !*methods) {
        return "no methods";
    }
    if (strcmp(methods, "*") == 0) {
        return NULL;
    }
    for (; *m; m++) {
        if (!(apr_isupper(*m)
              || (*m == ' ' && m > methods && m[1] && m[1] != ' '))) {
            return "methods are upper-case words, or \"*\" alone";
        }
    }
    return NULL;
}

static const char *check_pattern(apr_pool_t *p, const bkm_route_table_t *t,
                                 const char *pattern)
{
    int slash, n = 0, i;
    const char *pe, *pp;
    span_t sp[BKM_ROUTE_MAX_PARAMS];

    if (!pattern || *pattern != '/') {
        return "a pattern begins with /";
    }
    pe = pattern + pattern_len(pattern, &slash);
    if (pe == pattern + 1) {
        return slash ? "the root has no trailing slash to take" : NULL;
    }
    for (pp = pattern + 1; pp <= pe;) {
        const char *ps = memchr(pp, '/', (apr_size_t)(pe - pp));
        ps = ps ? ps : pe;
        if (ps == pp) {
            return "an empty segment";
        }
        if (*pp == '{') {
            const char *c;
            if (ps[-1] != '}' || ps - pp < 3) {
                return "a parameter is {name} or {name:kind}";
            }
            if (n == BKM_ROUTE_MAX_PARAMS) {
                return "too many parameters";
            }
            param_parts(pp, ps, &sp[n]);
            for (c = pp + 1; c < ps - 1; c++) {
                if (!(apr_isalnum(*c) || *c == '_' || *c == ':')) {
                    return "a parameter's name and kind are letters, "
                           "digits and _";
                }
            }
            if (sp[n].name_len == 0 || sp[n].kind_len == 0) {
                return "a parameter is {name} or {name:kind}";
            }
            if (!kind_of(t->kinds, sp[n].kind, sp[n].kind_len)) {
                return apr_psprintf(p, "unknown kind of parameter %.*s",
                                    (int)sp[n].kind_len, sp[n].kind);
            }
            for (i = 0; i < n; i++) {
                if (sp[i].name_len == sp[n].name_len
                    && memcmp(sp[i].name, sp[n].name, sp[n].name_len) == 0) {
                    return "a parameter named twice";
                }
            }
            n++;
        }
        else if (strpbrk(apr_pstrmemdup(p, pp, (apr_size_t)(ps - pp)),
                         "{}[]")) {
            return "a literal segment with { } [ or ]";
        }
        pp = ps + 1;
    }
    return NULL;
}

/* Whether two method lists take a method in common (HEAD is in GET). */
static int overlap(const char *a, const char *b)
{
    const char *m = a;

    if (strcmp(a, "*") == 0 || strcmp(b, "*") == 0) {
        return 1;
    }
    while (*m) {
        apr_size_t len = strcspn(m, " ");
        if (has_word(b, m, len)
            || (len == 3 && memcmp(m, "GET", 3) == 0
                && has_word(b, "HEAD", 4))
            || (len == 4 && memcmp(m, "HEAD", 4) == 0
                && has_word(b, "GET", 3))) {
            return 1;
        }
        m += len;
        m += strspn(m, " ");
    }
    return 0;
}

const char *bkm_route_check(apr_pool_t *p, const bkm_route_table_t *t)
{
    apr_size_t i, j;
    const char *err;

    for (i = 0; i < t->n; i++) {
        const bkm_route_t *rt = row_at(t, i);
        if ((err = check_methods(rt->methods))
            || (err = check_pattern(p, t, rt->pattern))) {
            return apr_psprintf(p, "route %" APR_SIZE_T_FMT " (%s %s): %s", i,
                                rt->methods ? rt->methods : "(null)",
                                rt->pattern ? rt->pattern : "(null)", err);
        }
        for (j = 0; j < i; j++) {
            const bkm_route_t *o = row_at(t, j);
            if (strcmp(o->pattern, rt->pattern) == 0
                && overlap(o->methods, rt->methods)) {
                return apr_psprintf(p,
                                    "route %" APR_SIZE_T_FMT
                                    " (%s %s): "
                                    "a method of route %" APR_SIZE_T_FMT
                                    " for the same pattern",
                                    i, rt->methods, rt->pattern, j);
            }
        }
    }
    return NULL;
}

/* ---- shapes ------------------------------------------------------------ */

static int digits(const char *s, apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        if (!apr_isdigit(s[i])) {
            return 0;
        }
    }
    return s[n] == '\0';
}

int bkm_route_digits4(const char *s)
{
    return digits(s, 4);
}

int bkm_route_digits2(const char *s)
{
    return digits(s, 2);
}

int bkm_route_uuid(const char *s)
{
    return strlen(s) == 36 && bkm_uuid_valid(s, 0);
}

int bkm_route_uuid_any_case(const char *s)
{
    return strlen(s) == 36 && bkm_uuid_valid(s, 1);
}
