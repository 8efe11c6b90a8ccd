/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET .../api/v2/konto            the accounts the calling integration may
 *                                 use (a case-system vendor's first check
 *                                 that its credentials work)
 * GET .../api/v2/konto/{kontoId}  one of them; any other id is 404, never
 *                                 403, so ids of other tenants stay unseen
 *                                 (the route's access rule, KONTO)
 * and what the account's resources share: loading one of its messages
 * (bkm_konto_leveranse), for the consumer API (api/meldinger.c), receipts
 * (api/kvittering.c) and proof of possession (api/kontroll.c), which the route table
 * calls directly.
 */
#include "mod_bekymring_private.h"
#include "api/api.h"
#include "api/konto.h"
#include "server/db.h"
#include "server/http.h"
#include "server/routes.h"
#include "bkm_db.h"
#include "bkm_leveranse.h"
#include "bkm_registry.h"
#include "bkm_ids.h"

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

/* GET .../konto */
int bkm_handle_kontoer(request_rec *r, const bkm_req_t *q)
{
    const bkm_integrasjon_t *in = q->in;
    json_t *list = json_array();
    int i;

    for (i = 0; i < in->kontoer->nelts; i++) {
        json_array_append_new(list,
                              konto_json(APR_ARRAY_IDX(in->kontoer, i,
                                                       const bkm_konto_t *)));
    }
    return bkm_reply_json(r, HTTP_OK,
                          json_pack("{s:s, s:s, s:s, s:b, s:o}",
                                    "integrasjonId", in->id, "navn", in->navn,
                                    "organisasjonsnummer", in->orgnr,
                                    "produsent", in->produsent, "kontoer",
                                    list));
}

/* GET .../konto/{kontoId} */
int bkm_handle_konto(request_rec *r, const bkm_req_t *q)
{
    return bkm_reply_json(r, HTTP_OK, konto_json(q->konto));
}

int bkm_konto_leveranse(request_rec *r, bkm_db_t **db, const bkm_konto_t *k,
                        const char *id, int with_content, bkm_leveranse_t *l)
{
    apr_status_t rv;

    if (!bkm_uuid_valid(id, 0)) {
        bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-melding",
                        "no such message for this account");
        return DONE;
    }
    if (!(*db = bkm_db_acquire(r))) {
        bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                        "the database does not answer; try again");
        return DONE;
    }
    rv = bkm_leveranse_load(*db, k->id, id, with_content, l);
    if (rv == APR_NOTFOUND) {
        bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-melding",
                        "no such message for this account");
        return DONE;
    }
    if (rv != APR_SUCCESS) {
        bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                        "the database does not answer; try again");
        return DONE;
    }
    return OK;
}
