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

#include <http_protocol.h>
#include <apr_strings.h>
#include <apr_lib.h>

static int digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!apr_isdigit(s[i])) {
            return 0;
        }
    }
    return 1;
}

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
                     "bydelsnavn", b->navn,
                     "standardMottaker", b->standard_mottaker,
                     "stottetVersjon", b->versjon == 1 ? "V1" : "V2");
}

static json_t *bydeler_json(const bkm_kommune_t *k)
{
    json_t *list = json_array();
    int i;

    for (i = 0; k->aktiv && i < k->bydeler->nelts; i++) {
        json_array_append_new(list,
            bydel_json(APR_ARRAY_IDX(k->bydeler, i, const bkm_bydel_t *)));
    }
    return list;
}

int bkm_handle_kommuner(request_rec *r, const char *rest)
{
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const bkm_kommune_t *k;
    const bkm_bydel_t *b;
    const char *lang;
    char nr[5];
    json_t *list;
    int i, bad;

    if (bkm_method_refused(r, "GET")) {
        return OK;
    }
    lang = sprak_kode(r, &bad);
    if (bad) {
        return bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-parameter",
                               "the only query parameter is sprakKode, a "
                               "two- or three-letter language code");
    }
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=60");

    if (*rest == '\0' || strcmp(rest, "/") == 0) {
        list = json_array();
        for (i = 0; i < reg->kommuner->nelts; i++) {
            k = APR_ARRAY_IDX(reg->kommuner, i, const bkm_kommune_t *);
            if (k->aktiv) {
                json_array_append_new(list, json_pack("{s:s, s:s}",
                    "kommunenr", k->nummer, "navn", bkm_kommune_navn(k, lang)));
            }
        }
        return bkm_reply_json(r, HTTP_OK, list);
    }

    /* "/NNNN", "/NNNN/bydeler", "/NNNN/bydeler/NN" */
    if (rest[0] != '/' || !digits(rest + 1, 4)
        || (rest[5] != '\0' && rest[5] != '/')) {
        return bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-kommunenummer",
                               "kommunenummer is four digits");
    }
    memcpy(nr, rest + 1, 4);
    nr[4] = '\0';
    rest += 5;
    if (!(k = bkm_registry_kommune(reg, nr))) {
        return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-kommune",
                               apr_psprintf(r->pool, "no municipality %s",
                                            nr));
    }
    if (*rest == '\0') {
        return bkm_reply_json(r, HTTP_OK,
            json_pack("{s:s, s:s, s:o}", "kommunenr", k->nummer,
                      "navn", bkm_kommune_navn(k, lang),
                      "bydeler", bydeler_json(k)));
    }
    if (strcmp(rest, "/bydeler") == 0 || strcmp(rest, "/bydeler/") == 0) {
        return bkm_reply_json(r, HTTP_OK, bydeler_json(k));
    }
    if (strncmp(rest, "/bydeler/", 9) == 0 && digits(rest + 9, 2)
        && rest[11] == '\0') {
        b = k->aktiv ? bkm_kommune_bydel(k, rest + 9) : NULL;
        if (!b) {
            return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-bydel",
                                   apr_psprintf(r->pool, "no active district "
                                                "%s in municipality %s",
                                                rest + 9, nr));
        }
        return bkm_reply_json(r, HTTP_OK, bydel_json(b));
    }
    return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-adresse",
                           "no such resource");
}
