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
 */

#include "mod_bekymring_private.h"
#include "api/api.h"
#include "server/config.h"
#include "server/http.h"
#include "server/routes.h"
#include "bkm_registry.h"
#include "bkm_route.h"

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

/* GET .../kommuner */
int bkm_handle_kommuner(request_rec *r, const bkm_req_t *q)
{
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const char *lang;
    json_t *list;
    int i;

    if (begin(r, &lang) != OK) {
        return OK; /* answered */
    }
    list = json_array();
    for (i = 0; i < reg->kommuner->nelts; i++) {
        const bkm_kommune_t *k = APR_ARRAY_IDX(reg->kommuner, i,
                                               const bkm_kommune_t *);
        if (k->aktiv) {
            json_array_append_new(list, json_pack("{s:s, s:s}", "kommunenr",
                                                  k->nummer, "navn",
                                                  bkm_kommune_navn(k, lang)));
        }
    }
    return bkm_reply_json(r, HTTP_OK, list);
}

/* GET .../kommuner/{kommunenummer} */
int bkm_handle_kommune(request_rec *r, const bkm_req_t *q)
{
    const bkm_kommune_t *k;
    const char *lang;

    if (begin(r, &lang) != OK || !(k = kommune(r, q))) {
        return OK; /* answered */
    }
    return bkm_reply_json(r, HTTP_OK,
                          json_pack("{s:s, s:s, s:o}", "kommunenr", k->nummer,
                                    "navn", bkm_kommune_navn(k, lang),
                                    "bydeler", bydeler_json(k)));
}

/* GET .../kommuner/{kommunenummer}/bydeler */
int bkm_handle_bydeler(request_rec *r, const bkm_req_t *q)
{
    const bkm_kommune_t *k;
    const char *lang;

    if (begin(r, &lang) != OK || !(k = kommune(r, q))) {
        return OK; /* answered */
    }
    return bkm_reply_json(r, HTTP_OK, bydeler_json(k));
}

/* GET .../kommuner/{kommunenummer}/bydeler/{bydelsnummer} */
int bkm_handle_bydel(request_rec *r, const bkm_req_t *q)
{
    const char *bnr = bkm_route_param(q->match, "bydelsnummer");
    const bkm_kommune_t *k;
    const bkm_bydel_t *b;
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
    return bkm_reply_json(r, HTTP_OK, bydel_json(b));
}
