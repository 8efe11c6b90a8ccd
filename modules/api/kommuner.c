/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public municipality API in the incumbent's shape
 * (fiks bekymringsmelding-kommune-api-v2):
 *   GET .../kommuner                          [KommuneEnkel] (active ones)
 *   GET .../kommuner/{kommunenummer}          KommuneV2
 *   GET .../kommuner/{kommunenummer}/bydeler  [BydelEnkelV2]
 *   GET .../kommuner/{kommunenummer}/bydeler/{bydelsnummer}  BydelEnkelV2
 * An inactive municipality answers with no districts (so a form can still
 * name it and say where to send a letter); an unknown one is 404.
 *
 * The answers are the registry's, which changes only with the
 * configuration: post_config writes each of them once per configuration
 * generation (every path, in every language the registry names, and the
 * default), with an ETag of its bytes, and a request sends the bytes it
 * finds (issue 17, item 7: JSON was built and serialised per request).
 * If-None-Match with that ETag is answered 304.
 */

#include "mod_bekymring_private.h"
#include "api/api.h"
#include "server/config.h"
#include "server/http.h"
#include "server/routes.h"
#include "bkm_registry.h"
#include "bkm_route.h"
#include "bkm_digest.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <apr_lib.h>

/* sprakKode=xx (2-3 lower-case letters); NULL when absent.  Sets *bad when
 * the query string holds anything else we do not understand. */
static const char *sprak_kode(request_rec *r, int *bad)
{
    char *args, *pair, *state = NULL;
    const char *kode = NULL;

    *bad = 0;
    if (!r->args || !*r->args) {
        return NULL;
    }
    args = apr_pstrdup(r->pool, r->args);
    for (pair = apr_strtok(args, "&", &state); pair;
         pair = apr_strtok(NULL, "&", &state)) {
        if (strncmp(pair, "sprakKode=", 10) == 0) {
            const char *k = pair + 10;
            size_t n = strlen(k), i;
            if (n < 2 || n > 3) {
                *bad = 1;
            }
            for (i = 0; i < n; i++) {
                if (!apr_islower(k[i])) {
                    *bad = 1;
                }
            }
            kode = k;
        }
        else {
            *bad = 1;
        }
    }
    return kode;
}

static json_t *bydel_json(const bkm_bydel_t *b)
{
    return json_pack("{s:s, s:s, s:b, s:s}", "bydelsnummer", b->nummer,
                     "bydelsnavn", b->navn, "standardMottaker",
                     b->standard_mottaker, "stottetVersjon",
                     b->versjon == 1 ? "V1" : "V2");
}

static json_t *bydeler_json(const bkm_kommune_t *k)
{
    json_t *list = json_array();
    int i;

    for (i = 0; k->aktiv && i < k->bydeler->nelts; i++) {
        json_array_append_new(list,
                              bydel_json(APR_ARRAY_IDX(k->bydeler, i,
                                                       const bkm_bydel_t *)));
    }
    return list;
}

/* ---- the answers, written once per configuration generation ---- */

typedef struct {
    const char *text;
    apr_size_t len;
    const char *etag;
} bkm_svar_t;

typedef struct {
    apr_hash_t *svar;  /* key (see svar_key) -> bkm_svar_t */
    apr_hash_t *sprak; /* the registry's language codes, lower case */
} bkm_kommuner_cache_t;

/* registry -> its answers; in pconf, so a new generation starts empty */
static apr_hash_t *bkm_kommuner_caches;

static apr_status_t caches_gone(void *unused)
{
    bkm_kommuner_caches = NULL;
    return APR_SUCCESS;
}

/* "l" (the list), "k" (a municipality), "b" (its districts) or "d" (one
 * district), then the numbers and the language ("" for the default). */
static const char *svar_key(apr_pool_t *p, char what, const char *kommune,
                            const char *bydel, const char *lang)
{
    return apr_psprintf(p, "%c/%s/%s/%s", what, kommune ? kommune : "",
                        bydel ? bydel : "", lang ? lang : "");
}

static void svar_put(apr_pool_t *p, bkm_kommuner_cache_t *c, const char *key,
                     json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    bkm_svar_t *a = apr_pcalloc(p, sizeof(*a));

    json_decref(body);
    if (!text) {
        return; /* the request builds it then */
    }
    a->len = strlen(text);
    a->text = apr_pstrmemdup(p, text, a->len);
    free(text);
    /* a strong ETag: the first 128 bits of the bytes' SHA-256 */
    a->etag = apr_psprintf(p, "\"%.32s\"",
                           bkm_sha256_hex(p, a->text, a->len));
    apr_hash_set(c->svar, key, APR_HASH_KEY_STRING, a);
}

static json_t *kommuner_json(const bkm_registry_t *reg, const char *lang);
static json_t *kommune_json(const bkm_kommune_t *k, const char *lang);
static json_t *bydeler_json(const bkm_kommune_t *k);
static json_t *bydel_json(const bkm_bydel_t *b);

static bkm_kommuner_cache_t *cache_build(apr_pool_t *p,
                                         const bkm_registry_t *reg)
{
    bkm_kommuner_cache_t *c = apr_pcalloc(p, sizeof(*c));
    apr_hash_index_t *hi;
    int i, j;

    c->svar = apr_hash_make(p);
    c->sprak = apr_hash_make(p);
    for (i = 0; i < reg->kommuner->nelts; i++) {
        const bkm_kommune_t *k = APR_ARRAY_IDX(reg->kommuner, i,
                                               const bkm_kommune_t *);
        const apr_array_header_t *e = apr_table_elts(k->navn_sprak);

        for (j = 0; j < e->nelts; j++) {
            char *l = apr_pstrdup(p,
                                  APR_ARRAY_IDX(e, j, apr_table_entry_t).key);

            ap_str_tolower(l);
            apr_hash_set(c->sprak, l, APR_HASH_KEY_STRING, l);
        }
    }
    apr_hash_set(c->sprak, "", APR_HASH_KEY_STRING, "");
    for (hi = apr_hash_first(p, c->sprak); hi; hi = apr_hash_next(hi)) {
        const char *l = apr_hash_this_val(hi);
        const char *lang = *l ? l : NULL;

        svar_put(p, c, svar_key(p, 'l', NULL, NULL, l),
                 kommuner_json(reg, lang));
        for (i = 0; i < reg->kommuner->nelts; i++) {
            const bkm_kommune_t *k = APR_ARRAY_IDX(reg->kommuner, i,
                                                   const bkm_kommune_t *);

            svar_put(p, c, svar_key(p, 'k', k->nummer, NULL, l),
                     kommune_json(k, lang));
        }
    }
    for (i = 0; i < reg->kommuner->nelts; i++) {
        const bkm_kommune_t *k = APR_ARRAY_IDX(reg->kommuner, i,
                                               const bkm_kommune_t *);

        svar_put(p, c, svar_key(p, 'b', k->nummer, NULL, NULL),
                 bydeler_json(k));
        for (j = 0; k->aktiv && j < k->bydeler->nelts; j++) {
            const bkm_bydel_t *b = APR_ARRAY_IDX(k->bydeler, j,
                                                 const bkm_bydel_t *);

            svar_put(p, c, svar_key(p, 'd', k->nummer, b->nummer, NULL),
                     bydel_json(b));
        }
    }
    return c;
}

int bkm_kommuner_post_config(apr_pool_t *pconf, server_rec *s)
{
    server_rec *sp;

    bkm_kommuner_caches = apr_hash_make(pconf);
    apr_pool_cleanup_register(pconf, NULL, caches_gone,
                              apr_pool_cleanup_null);
    for (sp = s; sp; sp = sp->next) {
        const bkm_registry_t *reg = bkm_srv_cfg(sp)->registry;

        if (reg && !apr_hash_get(bkm_kommuner_caches, &reg, sizeof(reg))) {
            const bkm_registry_t **key = apr_pmemdup(pconf, &reg,
                                                     sizeof(reg));

            apr_hash_set(bkm_kommuner_caches, key, sizeof(reg),
                         cache_build(pconf, reg));
        }
    }
    return OK;
}

/* The answer written for this path and language, or NULL (then the
 * request builds it as before). */
static const bkm_svar_t *svar_find(request_rec *r, char what,
                                   const char *kommune, const char *bydel,
                                   const char *lang)
{
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const bkm_kommuner_cache_t *c = bkm_kommuner_caches
                                        ? apr_hash_get(bkm_kommuner_caches,
                                                       &reg, sizeof(reg))
                                        : NULL;

    if (!c) {
        return NULL;
    }
    /* a language the registry has no names in: the default names */
    if (what == 'b' || what == 'd' || !lang
        || !apr_hash_get(c->sprak, lang, APR_HASH_KEY_STRING)) {
        lang = "";
    }
    return apr_hash_get(c->svar,
                        svar_key(r->pool, what, kommune, bydel, lang),
                        APR_HASH_KEY_STRING);
}

/* Send a written answer: its ETag, and 304 when the client holds it. */
static int svar_send(request_rec *r, const bkm_svar_t *a)
{
    int rc;

    apr_table_setn(r->headers_out, "ETag", a->etag);
    rc = ap_meets_conditions(r);
    if (rc == HTTP_NOT_MODIFIED) {
        r->status = HTTP_NOT_MODIFIED;
        return OK;
    }
    if (rc == HTTP_PRECONDITION_FAILED) {
        apr_table_unset(r->headers_out, "ETag");
        return bkm_reply_error(r, HTTP_PRECONDITION_FAILED,
                               "forutsetning-feilet",
                               "If-Match does not name this answer's ETag");
    }
    return bkm_reply_json_text(r, HTTP_OK, a->text, a->len);
}

/* What every answer here begins with: the language asked for (OK), or
 * DONE after refusing the query (400).  Answers may be cached a minute. */
static int begin(request_rec *r, const char **lang)
{
    int bad;

    *lang = sprak_kode(r, &bad);
    if (bad) {
        bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-parameter",
                        "the only query parameter is sprakKode, a "
                        "two- or three-letter language code");
        return DONE;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=60");
    return OK;
}

/* {kommunenummer} of the path (four digits: the route's kind), or NULL
 * after answering 404. */
static const bkm_kommune_t *kommune(request_rec *r, const bkm_req_t *q)
{
    const char *nr = bkm_route_param(q->match, "kommunenummer");
    const bkm_kommune_t *k =
        bkm_registry_kommune(bkm_srv_cfg(r->server)->registry, nr);

    if (!k) {
        bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-kommune",
                        apr_psprintf(r->pool, "no municipality %s", nr));
    }
    return k;
}

static json_t *kommuner_json(const bkm_registry_t *reg, const char *lang)
{
    json_t *list = json_array();
    int i;

    for (i = 0; i < reg->kommuner->nelts; i++) {
        const bkm_kommune_t *k = APR_ARRAY_IDX(reg->kommuner, i,
                                               const bkm_kommune_t *);
        if (k->aktiv) {
            json_array_append_new(list, json_pack("{s:s, s:s}", "kommunenr",
                                                  k->nummer, "navn",
                                                  bkm_kommune_navn(k, lang)));
        }
    }
    return list;
}

static json_t *kommune_json(const bkm_kommune_t *k, const char *lang)
{
    return json_pack("{s:s, s:s, s:o}", "kommunenr", k->nummer, "navn",
                     bkm_kommune_navn(k, lang), "bydeler", bydeler_json(k));
}

/* GET .../kommuner */
int bkm_handle_kommuner(request_rec *r, const bkm_req_t *q)
{
    const bkm_svar_t *a;
    const char *lang;

    if (begin(r, &lang) != OK) {
        return OK; /* answered */
    }
    if ((a = svar_find(r, 'l', NULL, NULL, lang))) {
        return svar_send(r, a);
    }
    return bkm_reply_json(r, HTTP_OK,
                          kommuner_json(bkm_srv_cfg(r->server)->registry,
                                        lang));
}

/* GET .../kommuner/{kommunenummer} */
int bkm_handle_kommune(request_rec *r, const bkm_req_t *q)
{
    const bkm_kommune_t *k;
    const bkm_svar_t *a;
    const char *lang;

    if (begin(r, &lang) != OK || !(k = kommune(r, q))) {
        return OK; /* answered */
    }
    if ((a = svar_find(r, 'k', k->nummer, NULL, lang))) {
        return svar_send(r, a);
    }
    return bkm_reply_json(r, HTTP_OK, kommune_json(k, lang));
}

/* GET .../kommuner/{kommunenummer}/bydeler */
int bkm_handle_bydeler(request_rec *r, const bkm_req_t *q)
{
    const bkm_kommune_t *k;
    const bkm_svar_t *a;
    const char *lang;

    if (begin(r, &lang) != OK || !(k = kommune(r, q))) {
        return OK; /* answered */
    }
    if ((a = svar_find(r, 'b', k->nummer, NULL, NULL))) {
        return svar_send(r, a);
    }
    return bkm_reply_json(r, HTTP_OK, bydeler_json(k));
}

/* GET .../kommuner/{kommunenummer}/bydeler/{bydelsnummer} */
int bkm_handle_bydel(request_rec *r, const bkm_req_t *q)
{
    const char *bnr = bkm_route_param(q->match, "bydelsnummer");
    const bkm_kommune_t *k;
    const bkm_bydel_t *b;
    const bkm_svar_t *a;
    const char *lang;

    if (begin(r, &lang) != OK || !(k = kommune(r, q))) {
        return OK; /* answered */
    }
    b = k->aktiv ? bkm_kommune_bydel(k, bnr) : NULL;
    if (!b) {
        return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-bydel",
                               apr_psprintf(r->pool,
                                            "no active district "
                                            "%s in municipality %s",
                                            bnr, k->nummer));
    }
    if ((a = svar_find(r, 'd', k->nummer, b->nummer, NULL))) {
        return svar_send(r, a);
    }
    return bkm_reply_json(r, HTTP_OK, bydel_json(b));
}
