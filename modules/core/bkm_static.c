/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pages' static files by their built names: the manifest of
 * build/assets/static and the templates' references (bkm_static.h).
 */
#include "bkm_static.h"

#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>
#include <string.h>

#define PREFIX "/static/"
#define PREFIX_LEN (sizeof(PREFIX) - 1)

static int safe_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
           || c == '/';
}

/* A name the build makes: safe characters, no empty or dot-only part
 * (so no "..", no leading or doubled '/'). */
static int safe_name(const char *s)
{
    const char *part = s;

    if (!*s) {
        return 0;
    }
    for (;; s++) {
        if (*s == '/' || !*s) {
            apr_size_t n = (apr_size_t)(s - part);
            if (n == 0 || (n == 1 && part[0] == '.')
                || (n == 2 && part[0] == '.' && part[1] == '.')) {
                return 0;
            }
            if (!*s) {
                return 1;
            }
            part = s + 1;
        }
        else if (!safe_char(*s)) {
            return 0;
        }
    }
}

const char *bkm_static_load(apr_pool_t *p, const char *file, apr_hash_t **out)
{
    json_error_t jerr;
    json_t *m = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    apr_hash_t *h;
    const char *key, *err = NULL;
    json_t *v;

    if (!m) {
        return apr_psprintf(p, "%s: %s (run make: build/assets/static)", file,
                            jerr.text);
    }
    if (!json_is_object(m) || json_object_size(m) == 0) {
        json_decref(m);
        return apr_psprintf(p, "%s: not an object of names", file);
    }
    h = apr_hash_make(p);
    json_object_foreach(m, key, v) {
        const char *built = json_string_value(v);
        if (!built || !safe_name(key) || !safe_name(built)) {
            err = apr_psprintf(p, "%s: \"%s\" is not a static name", file,
                               key);
            break;
        }
        apr_hash_set(h, apr_pstrdup(p, key), APR_HASH_KEY_STRING,
                     apr_pstrdup(p, built));
    }
    json_decref(m);
    if (err) {
        return err;
    }
    *out = h;
    return NULL;
}

const char *bkm_static_rewrite(apr_pool_t *p, apr_hash_t *manifest,
                               const char *what, const char *text,
                               apr_size_t len, const char **out,
                               apr_size_t *outlen)
{
    struct piece_s {
        const char *s;
        apr_size_t n;
    };
    apr_array_header_t *parts = apr_array_make(p, 16, sizeof(struct piece_s));
    apr_size_t i = 0, from = 0, total = 0, k;
    char *buf, *w;

    while (i + 1 + PREFIX_LEN <= len) {
        char q = text[i];
        apr_size_t start, end;
        const char *name, *built;
        struct piece_s *v;

        if ((q != '"' && q != '\'')
            || memcmp(text + i + 1, PREFIX, PREFIX_LEN) != 0) {
            i++;
            continue;
        }
        start = i + 1 + PREFIX_LEN;
        for (end = start; end < len && text[end] != q; end++) {
        }
        if (end == len) {
            return apr_psprintf(p, "%s: an unclosed \"" PREFIX "...\"", what);
        }
        name = apr_pstrndup(p, text + start, end - start);
        built = apr_hash_get(manifest, name, APR_HASH_KEY_STRING);
        if (!built) {
            return apr_psprintf(p,
                                "%s names " PREFIX
                                "%s, which the build "
                                "did not make (a file of htdocs/static? run "
                                "make: build/assets/static)",
                                what, safe_name(name) ? name : "(bad name)");
        }
        v = apr_array_push(parts);
        v->s = text + from;
        v->n = start - from;
        v = apr_array_push(parts);
        v->s = built;
        v->n = strlen(built);
        from = i = end;
    }
    {
        struct piece_s *v = apr_array_push(parts);
        v->s = text + from;
        v->n = len - from;
    }
    for (k = 0; k < (apr_size_t)parts->nelts; k++) {
        total += APR_ARRAY_IDX(parts, k, struct piece_s).n;
    }
    w = buf = apr_palloc(p, total + 1);
    for (k = 0; k < (apr_size_t)parts->nelts; k++) {
        struct piece_s v = APR_ARRAY_IDX(parts, k, struct piece_s);
        memcpy(w, v.s, v.n);
        w += v.n;
    }
    *w = '\0';
    *out = buf;
    *outlen = total;
    return NULL;
}
