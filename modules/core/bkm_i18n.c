/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Message catalogues and the choice of language (bkm_i18n.h).
 */
#include "bkm_i18n.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

static const char *const langs[BKM_I18N_NLANGS] = BKM_I18N_LANGS;

struct bkm_i18n_t {
    json_t *texts[BKM_I18N_NLANGS];
};

static apr_status_t release(void *data)
{
    bkm_i18n_t *i = data;
    int k;

    for (k = 0; k < BKM_I18N_NLANGS; k++) {
        json_decref(i->texts[k]);
    }
    return APR_SUCCESS;
}

const char *bkm_i18n_load(apr_pool_t *p, const char *dir, bkm_i18n_t **out)
{
    bkm_i18n_t *i = apr_pcalloc(p, sizeof(*i));
    const char *key;
    json_t *v;
    int k;

    apr_pool_cleanup_register(p, i, release, apr_pool_cleanup_null);
    for (k = 0; k < BKM_I18N_NLANGS; k++) {
        const char *file = apr_psprintf(p, "%s/%s.json", dir, langs[k]);
        json_error_t jerr;
        i->texts[k] = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
        if (!i->texts[k]) {
            return apr_psprintf(p, "%s line %d: %s", file, jerr.line,
                                jerr.text);
        }
        if (!json_is_object(i->texts[k])) {
            return apr_psprintf(p, "%s: not a JSON object", file);
        }
        json_object_foreach(i->texts[k], key, v) {
            if (!json_is_string(v) || json_string_length(v) == 0) {
                return apr_psprintf(p,
                                    "%s: \"%s\" is not a non-empty "
                                    "string",
                                    file, key);
            }
        }
    }
    /* Same keys everywhere: each key of one is in all. */
    for (k = 0; k < BKM_I18N_NLANGS; k++) {
        int m;
        json_object_foreach(i->texts[k], key, v) {
            for (m = 0; m < BKM_I18N_NLANGS; m++) {
                if (!json_object_get(i->texts[m], key)) {
                    return apr_psprintf(p,
                                        "%s/%s.json lacks \"%s\" (which "
                                        "%s.json has)",
                                        dir, langs[m], key, langs[k]);
                }
            }
        }
    }
    *out = i;
    return NULL;
}

const char *bkm_i18n_check_keys(const bkm_i18n_t *i, apr_pool_t *p,
                                const apr_array_header_t *keys)
{
    int n;

    for (n = 0; n < keys->nelts; n++) {
        const char *key = APR_ARRAY_IDX(keys, n, const char *);
        if (!json_object_get(i->texts[0], key)) {
            return apr_psprintf(p,
                                "the catalogues lack \"%s\", which a "
                                "template uses",
                                key);
        }
    }
    return NULL;
}

int bkm_i18n_index(const char *lang)
{
    int k;

    for (k = 0; k < BKM_I18N_NLANGS; k++) {
        if (lang && strcmp(lang, langs[k]) == 0) {
            return k;
        }
    }
    return 0;
}

json_t *bkm_i18n_texts(const bkm_i18n_t *i, const char *lang)
{
    return i->texts[bkm_i18n_index(lang)];
}

const char *bkm_i18n_text(const bkm_i18n_t *i, const char *lang,
                          const char *key)
{
    const char *s =
        json_string_value(json_object_get(i->texts[bkm_i18n_index(lang)],
                                          key));
    return s ? s : key;
}

const char *bkm_i18n_lang(const char *tag)
{
    char primary[4];
    apr_size_t n = 0;

    if (!tag) {
        return NULL;
    }
    while (tag[n] && tag[n] != '-' && tag[n] != '_' && n < 3) {
        primary[n] = (char)apr_tolower(tag[n]);
        n++;
    }
    if (n < 2 || (tag[n] && tag[n] != '-' && tag[n] != '_')) {
        return NULL;
    }
    primary[n] = '\0';
    if (strcmp(primary, "nb") == 0 || strcmp(primary, "no") == 0) {
        return "nb";
    }
    if (strcmp(primary, "nn") == 0) {
        return "nn";
    }
    if (strcmp(primary, "en") == 0) {
        return "en";
    }
    return NULL;
}

/* The best of ours in an Accept-Language list: the highest q wins, the
 * earlier of equals; q=0 means "not this one".  White space is spaces or
 * tabs and "q" may be "Q" (RFC 9110 sections 5.6.3 and 12.4.2). */
static const char *from_accept(const char *header)
{
    const char *best = NULL, *p = header;
    double best_q = 0;

    while (p && *p) {
        char tag[36];
        apr_size_t n = 0;
        double q = 1.0;
        const char *lang;

        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t'
               && n < sizeof(tag) - 1) {
            tag[n++] = *p++;
        }
        tag[n] = '\0';
        while (*p && *p != ',') {
            if (*p == ';') {
                const char *qs = p + 1;
                while (*qs == ' ' || *qs == '\t') {
                    qs++;
                }
                if ((qs[0] == 'q' || qs[0] == 'Q') && qs[1] == '=') {
                    q = strtod(qs + 2, NULL);
                }
            }
            p++;
        }
        lang = bkm_i18n_lang(tag);
        if (lang && q > best_q) {
            best = lang;
            best_q = q;
        }
    }
    return best;
}

const char *bkm_i18n_pick(const char *chosen, const char *locale,
                          const char *accept_language)
{
    const char *lang;

    if ((lang = bkm_i18n_lang(chosen)) || (lang = bkm_i18n_lang(locale))
        || (lang = from_accept(accept_language))) {
        return lang;
    }
    return langs[0];
}

const char *bkm_i18n_format(apr_pool_t *p, const char *text, const char *name,
                            const char *value)
{
    const char *mark = apr_pstrcat(p, "{", name, "}", NULL);
    const char *at = strstr(text, mark);

    if (!at) {
        return text;
    }
    return apr_pstrcat(p, apr_pstrndup(p, text, (apr_size_t)(at - text)),
                       value,
                       bkm_i18n_format(p, at + strlen(mark), name, value),
                       NULL);
}
