/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_i18n.h
 * @brief The pages' message catalogues (bokmål, nynorsk, English) and the
 * choice of language.  httpd-free.
 *
 * A catalogue is a flat JSON object of key -> text, one file a language
 * (htdocs/i18n/nb.json, nn.json, en.json).  All three must have exactly the
 * same keys and no empty text: a page is never half translated.
 */
#ifndef BKM_I18N_H
#define BKM_I18N_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

/** The languages, in the order of the language switcher; the first is the
 *  default. */
#define BKM_I18N_LANGS \
    { \
        "nb", "nn", "en" \
    }
#define BKM_I18N_NLANGS 3

typedef struct bkm_i18n_t bkm_i18n_t;

/** Load and check the catalogues in @p dir; they live as long as @p p.
 *  @return NULL or a message naming the file and key. */
const char *bkm_i18n_load(apr_pool_t *p, const char *dir, bkm_i18n_t **out);

/** A message for the first of @p keys missing from the catalogues. */
const char *bkm_i18n_check_keys(const bkm_i18n_t *i, apr_pool_t *p,
                                const apr_array_header_t *keys);

/** The position of @p lang in BKM_I18N_LANGS (0, the default, for any
 *  other). */
int bkm_i18n_index(const char *lang);

/** The catalogue of @p lang (one of BKM_I18N_LANGS), borrowed. */
json_t *bkm_i18n_texts(const bkm_i18n_t *i, const char *lang);

/** One text; the key itself if it is missing (never NULL). */
const char *bkm_i18n_text(const bkm_i18n_t *i, const char *lang,
                          const char *key);

/** One of BKM_I18N_LANGS for @p tag (nb, nn, en, no, nb-NO, en-GB ...),
 *  or NULL when it is none of ours. */
const char *bkm_i18n_lang(const char *tag);

/**
 * The page's language: the person's own choice (@p chosen, from the
 * language switcher) first, then the login's locale claim, then the
 * browser's Accept-Language (by q-value), else bokmål.
 */
const char *bkm_i18n_pick(const char *chosen, const char *locale,
                          const char *accept_language);

/** @p text with each "{name}" replaced by @p value. */
const char *bkm_i18n_format(apr_pool_t *p, const char *text, const char *name,
                            const char *value);

#endif
