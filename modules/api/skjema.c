/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The form-submission API, what the portal's own pages submit (the
 * incumbent's shape):
 *   POST /bekymringsmelding/api/v2/mottak/skjema/privat
 *   POST /bekymringsmelding/api/v2/mottak/skjema/offentlig
 * JSON from a person logged in through mod_auth_openidc at level
 * substantial or high.  The server, not the body, decides what only it can
 * know: the reporter's name (from the login), the municipality's and
 * district's names, the time sent, the delivery channel and the protocol
 * version the district supports.  The national id number from the login is
 * never put in the report, stored or logged.
 */
#include "mod_bekymring_private.h"
#include "api/api.h"
#include "api/skjema.h"
#include "report/mottak.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/http.h"
#include "server/person.h"
#include "server/routes.h"
#include "bkm_jsonschema.h"
#include "bkm_registry.h"
#include "bkm_route.h"
#include "bkm_lagring.h"
#include "bkm_ids.h"
#include "bkm_time.h"

#include <apr_strings.h>

/* Upper bound on a report from the form: the longest free texts people
 * write are a few tens of kilobytes. */
#define BKM_SKJEMA_MAX_BODY (1024 * 1024)

static int refuse_field(request_rec *r, const char *pointer,
                        const char *message)
{
    apr_array_header_t *errors =
        apr_array_make(r->pool, 1, sizeof(bkm_jsonschema_error_t));
    bkm_jsonschema_error_t *e = apr_array_push(errors);

    e->pointer = pointer;
    e->keyword = "register";
    e->message = message;
    return bkm_reply_invalid(r, errors, 0);
}

const char *bkm_mottaker_name(bkm_mottaker_e e)
{
    switch (e) {
    case BKM_MOTTAKER_UKJENT_KOMMUNE:
        return "kommune";
    case BKM_MOTTAKER_INAKTIV:
        return "inaktiv";
    case BKM_MOTTAKER_UKJENT_BYDEL:
        return "bydel";
    default:
        return NULL;
    }
}

bkm_mottaker_e bkm_skjema_route(const bkm_registry_t *reg, const char *knr,
                                const char *bnr, const bkm_bydel_t **out)
{
    const bkm_kommune_t *k = knr ? bkm_registry_kommune(reg, knr) : NULL;
    const bkm_bydel_t *b = NULL;
    int i;

    *out = NULL;
    if (!k) {
        return BKM_MOTTAKER_UKJENT_KOMMUNE;
    }
    if (!k->aktiv) {
        return BKM_MOTTAKER_INAKTIV;
    }
    for (i = 0; !bnr && i < k->bydeler->nelts; i++) {
        const bkm_bydel_t *d = APR_ARRAY_IDX(k->bydeler, i,
                                             const bkm_bydel_t *);
        if (d->standard_mottaker) {
            b = d;
        }
    }
    if (bnr) {
        b = bkm_kommune_bydel(k, bnr);
    }
    *out = b;
    return b ? BKM_MOTTAKER_FUNNET : BKM_MOTTAKER_UKJENT_BYDEL;
}

bkm_mottak_e bkm_skjema_submit(request_rec *r, const char *type,
                               json_t *report, const bkm_person_t *person,
                               bkm_melding_t *m, bkm_mottak_result_t *res)
{
    const bkm_bydel_t *b = m->bydel;
    const char *meldingstype;
    json_t *melder;
    char now[20];

    meldingstype = apr_psprintf(r->pool,
                                "no.ks.fiks.bekymringsmelding.%s.v%d", type,
                                b->versjon);
    m->mottatt = bkm_now(r);
    bkm_time_oslo_format(now, m->mottatt);
    json_object_set_new(report, "kommunenummer",
                        json_string(b->kommune->nummer));
    json_object_set_new(report, "kommunenavn", json_string(b->kommune->navn));
    json_object_set_new(report, "bydelsnummer", json_string(b->nummer));
    json_object_set_new(report, "bydelsnavn", json_string(b->navn));
    json_object_set_new(report, "sendingstidspunkt", json_string(now));
    json_object_set_new(report, "leveringskanal",
                        json_string(b->kanal == BKM_KANAL_FAGSYSTEM
                                        ? "Fagsystem"
                                        : "Manuell"));
    melder = json_object_get(report, strcmp(type, "offentlig") == 0
                                         ? "offentligMelder"
                                         : "privatMelder");
    if (json_is_object(melder) && person->name) {
        /* The name comes from the login; the form may only supply one when
         * the identity provider gave none. */
        json_object_set_new(melder, "personnavn", json_string(person->name));
    }
    m->id = bkm_uuid(r->pool);
    m->meldingstype = meldingstype;
    m->versjon = b->versjon;
    m->kilde = "skjema";
    m->aktor = "portal";
    if (!m->id) {
        return BKM_MOTTAK_INTERNAL;
    }
    return bkm_mottak_take(r, report, meldingstype, m,
                           bkm_srv_cfg(r->server)->signer, res);
}

/* POST .../mottak/skjema/{privat|offentlig} (the type: q->arg), from a
 * person logged in at the level we accept (the route's access rule). */
int bkm_handle_skjema_api(request_rec *r, const bkm_req_t *q)
{
    const char *type = q->arg, *ct;
    bkm_melding_t m;
    bkm_mottak_result_t res;
    json_error_t jerr;
    json_t *report;
    char *body;
    apr_size_t len;
    int status;

    ct = apr_table_get(r->headers_in, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0
        || (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
        return bkm_reply_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                               "feil-innholdstype",
                               "send the report as application/json");
    }
    if ((status = bkm_read_body(r, BKM_SKJEMA_MAX_BODY, &body, &len)) != OK) {
        return status;
    }
    /* jansson refuses invalid UTF-8 and, with this flag, duplicate keys. */
    report = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    memset(body, 0, len);
    if (!report || !json_is_object(report)) {
        json_decref(report);
        return bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-json",
                               report
                                   ? "the body must be a JSON object"
                                   : apr_psprintf(r->pool,
                                                  "not valid "
                                                  "JSON (UTF-8) at "
                                                  "position %d: %s",
                                                  jerr.position, jerr.text));
    }
    bkm_json_own(r->pool, report);

    /* Route: the municipality and district the person chose. */
    memset(&m, 0, sizeof(m));
    switch (bkm_skjema_route(
        bkm_srv_cfg(r->server)->registry,
        json_string_value(json_object_get(report, "kommunenummer")),
        json_string_value(json_object_get(report, "bydelsnummer")),
        &m.bydel)) {
    case BKM_MOTTAKER_FUNNET:
        break;
    case BKM_MOTTAKER_UKJENT_BYDEL:
        return refuse_field(r, "/bydelsnummer", "unknown district");
    case BKM_MOTTAKER_INAKTIV:
        return refuse_field(r, "/kommunenummer",
                            "this municipality does "
                            "not receive reports through the portal; send "
                            "it by post to its child welfare service");
    default:
        return refuse_field(r, "/kommunenummer", "unknown municipality");
    }
    return bkm_mottak_reply(r,
                            bkm_skjema_submit(r, type, report, q->person, &m,
                                              &res),
                            &res, &m);
}
