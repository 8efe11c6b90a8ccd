/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET .../api/v2/konto            the accounts the calling integration may
 *                                 use (a case-system vendor's first check
 *                                 that its credentials work)
 * GET .../api/v2/konto/{kontoId}  one of them; any other id is 404, never
 *                                 403, so ids of other tenants stay unseen
 * .../api/v2/konto/{kontoId}/meldinger...  the consumer API
 *                                 (mod_bekymring_meldinger.c)
 * .../api/v2/konto/{kontoId}/kontroller... post-delivery challenges
 *                                 (mod_bekymring_kontroll.c)
 * .../api/v2/konto/{kontoId}/avstemming    reconciliation
 *                                 (mod_bekymring_avstemming.c)
 */
#include "mod_bekymring_private.h"

#include <http_protocol.h>
#include <apr_strings.h>

static json_t *konto_json(const bkm_konto_t *k)
{
    json_t *j = json_pack("{s:s, s:s}", "kontoId", k->id, "type", k->type);

    if (k->bydel) {
        json_object_set_new(j, "kommunenummer",
                            json_string(k->bydel->kommune->nummer));
        json_object_set_new(j, "kommunenavn",
                            json_string(k->bydel->kommune->navn));
        json_object_set_new(j, "bydelsnummer", json_string(k->bydel->nummer));
        json_object_set_new(j, "bydelsnavn", json_string(k->bydel->navn));
        json_object_set_new(j, "stottetVersjon",
                            json_string(k->bydel->versjon == 1 ? "V1"
                                                               : "V2"));
    }
    return j;
}

int bkm_handle_konto(request_rec *r, const char *rest)
{
    const bkm_integrasjon_t *in;
    json_t *list;
    int i;

    if (!(in = bkm_integration_authenticate(r))) {
        return OK;
    }
    if (*rest == '\0' || strcmp(rest, "/") == 0) {
        if (bkm_method_refused(r, "GET")) {
            return OK;
        }
        list = json_array();
        for (i = 0; i < in->kontoer->nelts; i++) {
            json_array_append_new(list,
                konto_json(APR_ARRAY_IDX(in->kontoer, i,
                                         const bkm_konto_t *)));
        }
        return bkm_reply_json(r, HTTP_OK,
            json_pack("{s:s, s:s, s:s, s:b, s:o}", "integrasjonId", in->id,
                      "navn", in->navn, "organisasjonsnummer", in->orgnr,
                      "produsent", in->produsent, "kontoer", list));
    }
    for (i = 0; rest[0] == '/' && i < in->kontoer->nelts; i++) {
        const bkm_konto_t *k = APR_ARRAY_IDX(in->kontoer, i,
                                             const bkm_konto_t *);
        size_t n = strlen(k->id);

        if (strncmp(rest + 1, k->id, n) != 0) {
            continue;
        }
        if (rest[1 + n] == '\0') {
            return bkm_method_refused(r, "GET")
                   ? OK : bkm_reply_json(r, HTTP_OK, konto_json(k));
        }
        if (strncmp(rest + 1 + n, "/meldinger", 10) == 0
            && (rest[11 + n] == '\0' || rest[11 + n] == '/')) {
            return bkm_handle_meldinger(r, in, k, rest + 11 + n);
        }
        if (strncmp(rest + 1 + n, "/kontroller", 11) == 0
            && (rest[12 + n] == '\0' || rest[12 + n] == '/')) {
            return bkm_handle_kontroller(r, in, k, rest + 12 + n);
        }
        if (strncmp(rest + 1 + n, "/avstemming", 11) == 0
            && (rest[12 + n] == '\0' || rest[12 + n] == '/')) {
            return bkm_handle_avstemming(r, in, k, rest + 12 + n);
        }
    }
    return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-konto",
                           "no such account for this integration");
}
