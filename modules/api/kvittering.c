/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST .../konto/{kontoId}/meldinger/{meldingId}/svar: the receipt.
 *
 * As the incumbent's, the message type travels beside the body, here in
 * the "meldingType" header:
 *   no.ks.fiks.bekymringsmelding.mottatt.v1  empty body; or, from a case
 *       system, a stored-receipt (Content-Type application/jose, a compact
 *       JWS: schema/lagringskvittering/README.md) that proves which bytes
 *       it stored under which record id
 *   no.ks.fiks.bekymringsmelding.feilet.v1   application/json
 *       {"melding": "..."} (the incumbent's feilmelding; may be {})
 * From the print provider, mottatt means handed to the post (LEVERT) and
 * feilet means it could not print (AVVIST_PRINT, flagged for follow-up).
 *
 * Idempotent: the same receipt again is answered as the first and adds
 * nothing.  A contradicting one (feilet after mottatt, another record id,
 * feilet with another text) is refused with 409 and recorded, and of two
 * sent at once exactly one wins (bkm_levering_answer).  So is a
 * stored-receipt whose hash or signature does not match (422), and
 * mottatt or a stored-receipt for a message this account has not fetched
 * completely (409 ikke-hentet).  Such a report stays undelivered and keeps
 * escalating.  feilet needs no fetch.
 *
 * The rules are the core's (bkm_levering.c: bkm_kvittering_fits, the state
 * machine, bkm_kvittering_refusal; bkm_leveranse.c applies them in one
 * transaction): this file only turns the request into a receipt and the
 * outcome into an answer.
 */
#include "mod_bekymring_private.h"
#include "api/api.h"
#include "api/konto.h"
#include "api/kontroll.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/http.h"
#include "server/routes.h"
#include "bkm_db.h"
#include "bkm_levering.h"
#include "bkm_leveranse.h"
#include "bkm_log.h"
#include "bkm_registry.h"
#include "bkm_route.h"
#include "bkm_lagringskvittering.h"
#include "bkm_sertifikat.h"

#include <http_protocol.h>
#include <apr_strings.h>

#define BKM_KVITTERING_MAX_BODY (BKM_LAGRINGSKVITTERING_MAX + 1)
#define BKM_FEIL_MAX 200 /* characters of a feilet text kept */

static int answer(request_rec *r, const bkm_leveranse_t *l, const char *svar,
                  const char *hendelse, int repeat)
{
    return bkm_reply_json(r, HTTP_OK,
                          json_pack("{s:s, s:s, s:s, s:s?, s:b}", "meldingId",
                                    l->id, "bekymringsmeldingId",
                                    l->melding_id, "svar", svar, "hendelse",
                                    hendelse, "gjentatt", repeat));
}

/* The answer to a refused receipt, once it is on the timeline. */
static int refused(request_rec *r, const bkm_leveranse_t *l,
                   const bkm_integrasjon_t *in, int status, const char *kode,
                   const char *why)
{
    ap_log_rerror(
        APLOG_MARK, APLOG_WARNING, 0, r,
        BKMLOGNO(01102) "message %s: receipt from integration %s refused: %s",
        l->id, in->id, why);
    return bkm_reply_error(r, status, kode, why);
}

/* Refused and recorded on the timeline; the report is left as it was. */
static int refuse(request_rec *r, bkm_db_t *db, const bkm_leveranse_t *l,
                  const bkm_integrasjon_t *in, int status, const char *kode,
                  const char *why)
{
    if (bkm_levering_refused(db, l, in->id, bkm_now(r), why) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BKMLOGNO(01101)
                      "message %s: a refused receipt could not be recorded: "
                      "%s", l->id, db->error ? db->error : "database error");
    }
    return refused(r, l, in, status, kode, why);
}

/* A feilet body: {} or {"melding": string}; its text shortened. */
static const char *feilet_body(request_rec *r, const char *body,
                               apr_size_t len, const char **melding)
{
    json_error_t jerr;
    json_t *j, *m;
    const char *text;

    *melding = NULL;
    if (len == 0) {
        return NULL; /* as the incumbent's empty feilmelding */
    }
    j = bkm_json_own(r->pool,
                     json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr));
    if (!json_is_object(j)) {
        return "the body must be a JSON object {\"melding\": \"...\"}";
    }
    m = json_object_get(j, "melding");
    if (json_object_size(j) != (m ? 1u : 0u) || (m && !json_is_string(m))) {
        return "the body may hold only \"melding\", a string";
    }
    if (m) {
        /* Whole UTF-8 characters only (jansson checked the encoding). */
        apr_size_t n = 0, chars = 0;
        text = json_string_value(m);
        while (text[n] && chars < BKM_FEIL_MAX) {
            n++;
            while ((text[n] & 0xC0) == 0x80) {
                n++;
            }
            chars++;
        }
        *melding = apr_pstrndup(r->pool, text, n);
    }
    return NULL;
}

/* A fetch is recorded once its last byte has gone out, a moment after the
 * case system may have read it: a receipt sent at once could find the
 * fetch not yet recorded.  So a mottatt for a message not (yet) fetched
 * completely looks again for up to BKM_KVITTERING_FETCH_WAIT before it is judged
 * (and refused if it still is not). */
#define BKM_KVITTERING_FETCH_WAIT apr_time_from_msec(2000)
#define BKM_KVITTERING_FETCH_STEP apr_time_from_msec(100)

static int wait_for_fetch(request_rec *r, bkm_db_t *db, const bkm_konto_t *k,
                          bkm_leveranse_t *l)
{
    apr_time_t until = apr_time_now() + BKM_KVITTERING_FETCH_WAIT;

    while (!l->hentet && apr_time_now() < until) {
        apr_sleep(BKM_KVITTERING_FETCH_STEP);
        if (bkm_leveranse_load(db, k->id, l->id, 0, l) != APR_SUCCESS) {
            bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                            "the database does not answer; try again");
            return DONE;
        }
    }
    return OK;
}

/* An answer given by a step of the handler: DONE once answered (the
 * handler returns OK then), as the glue's helpers do (server/http.h). */
static int answered(int rv)
{
    return rv == OK ? DONE : rv;
}

/* The body a receipt of @p type may have: a feilet's JSON (its melding
 * into rin->melding), a mottatt's stored-receipt, or none.  OK, or DONE
 * after answering 415 or 400. */
static int check_body(request_rec *r, const char *type, const char *body,
                      apr_size_t len, bkm_kvittering_in_t *rin)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    const char *err;

    if (len > 0) {
        const char *want = rin->svar == BKM_SVAR_FEILET
                               ? "application/json"
                               : BKM_LAGRINGSKVITTERING_MEDIA_TYPE;
        if (!ct || strncasecmp(ct, want, strlen(want)) != 0
            || (ct[strlen(want)] && ct[strlen(want)] != ';')) {
            return answered(bkm_reply_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                                            "feil-innholdstype",
                                            apr_pstrcat(r->pool, "a ", type,
                                                        " body must be ",
                                                        want, NULL)));
        }
    }
    if (rin->svar == BKM_SVAR_FEILET
        && (err = feilet_body(r, body, len, &rin->melding))) {
        return answered(bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-json",
                                        err));
    }
    if (rin->svar == BKM_SVAR_MOTTATT && len > 0 && rin->print) {
        return answered(
            bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-foresporsel",
                            "the print provider's mottatt has no body"));
    }
    return OK;
}

/* The PEMs of the stored-receipt keys registered for the account, or
 * NULL for none. */
/* The certificates a stored-receipt may be signed with: the district's
 * valid now (during a key rotation, the old or the new one:
 * bkm_sertifikat.h).  None valid (a single certificate out of its dates,
 * as before rotation existed): the one sealing would choose, as sealing
 * does; the pass's ALERT (BKM05202) says so.  NULL when none is
 * registered. */
static apr_array_header_t *receipt_pems(request_rec *r, const bkm_konto_t *k)
{
    const apr_array_header_t *certs = k->bydel
                                          ? k->bydel->kvitteringssertifikater
                                          : NULL;
    apr_array_header_t *pems;

    if (!certs || certs->nelts == 0) {
        return NULL;
    }
    pems = bkm_sertifikat_gyldige_pem(r->pool, certs, bkm_now(r));
    if (pems->nelts == 0) {
        APR_ARRAY_PUSH(pems, const char *) =
            bkm_sertifikat_velg(certs, NULL, bkm_now(r))->pem;
    }
    return pems;
}

/* A stored-receipt: verified against what this account fetched, and as
 * proof that its sender decrypted the message.  OK with it in *lk, or
 * DONE after answering (refused ones recorded on the timeline). */
static int verify_stored(request_rec *r, bkm_db_t *db, const bkm_konto_t *k,
                         const bkm_integrasjon_t *in,
                         const bkm_leveranse_t *l, const char *body,
                         apr_size_t len, bkm_lagringskvittering_t *lk)
{
    apr_array_header_t *pems;
    const char *err, *kode, *why;

    if (!(pems = receipt_pems(r, k))) {
        return answered(bkm_reply_error(
            r, HTTP_UNPROCESSABLE_ENTITY, "lagringskvittering-ukjent-nokkel",
            "no stored-receipt key is registered for this account"));
    }
    if ((err = bkm_lagringskvittering_verify(r->pool, body, len, pems, lk))) {
        return answered(refuse(r, db, l, in, HTTP_UNPROCESSABLE_ENTITY,
                               "lagringskvittering-ugyldig", err));
    }
    switch (bkm_kvittering_fits(lk, l->id, l->melding_id, l->sha256,
                                l->hentet, &why)) {
    case BKM_DU_ANVENDT:
        break;
    case BKM_DU_IKKE_HENTET:
        return answered(refuse(r, db, l, in, HTTP_CONFLICT, "ikke-hentet",
                               why));
    default:
        return answered(refuse(r, db, l, in, HTTP_UNPROCESSABLE_ENTITY,
                               "lagringskvittering-ugyldig", why));
    }
    /* Item 4 of issue 12: the receipt proves its sender decrypted
     * this message (api/kontroll.c). */
    switch (bkm_kontroll_besittelse(db, l, lk, k->bydel, &kode, &err)) {
    case APR_SUCCESS:
        return OK;
    case APR_EINVAL:
        return answered(refuse(r, db, l, in, HTTP_UNPROCESSABLE_ENTITY, kode,
                               err));
    default:
        return answered(bkm_reply_error(
            r, HTTP_SERVICE_UNAVAILABLE, "database",
            "the database does not answer; send the receipt again"));
    }
}

/* Record the receipt and answer.  Repeat, contradiction or new: decided in
 * the transaction that holds the report's row, against the answer
 * committed before it (issue 11: decided here, on what was read before,
 * mottatt and feilet sent at once were both applied). */
static int record(request_rec *r, bkm_db_t *db, const bkm_integrasjon_t *in,
                  bkm_leveranse_t *l, const bkm_kvittering_in_t *rin)
{
    bkm_levering_policy_t pol;
    bkm_kvittering_t kv;
    const char *kode, *why;

    bkm_cfg_delivery(r->server, &pol);
    if (bkm_levering_answer(db, &pol, l, rin, bkm_now(r), &kv)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      BKMLOGNO(01103) "message %s: receipt not recorded: %s",
                      l->id, db->error ? db->error : "database error");
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the receipt could not be recorded; send it "
                               "again");
    }
    if ((kode = bkm_kvittering_refusal(&kv, &why))) {
        return refused(r, l, in, HTTP_CONFLICT, kode, why);
    }
    if (kv.utfall == BKM_KVITTERING_GJENTATT) {
        return answer(r, l, kv.svar, NULL, 1);
    }
    ap_log_rerror(
        APLOG_MARK, APLOG_INFO, 0, r,
        BKMLOGNO(01104) "message %s of report %s: "
                        "%s from integration %s (%s)",
        l->id, l->melding_id, kv.svar, in->id, kv.hendelse);
    return answer(r, l, kv.svar, kv.hendelse, 0);
}

int bkm_handle_kvittering(request_rec *r, const bkm_req_t *q)
{
    const bkm_integrasjon_t *in = q->in;
    const bkm_konto_t *k = q->konto;
    const char *id = bkm_route_param(q->match, "meldingId");
    const char *type = apr_table_get(r->headers_in, "meldingType");
    bkm_lagringskvittering_t lk;
    bkm_kvittering_in_t rin;
    bkm_leveranse_t l;
    apr_size_t len;
    bkm_db_t *db;
    char *body;
    int st;

    memset(&rin, 0, sizeof(rin));
    rin.aktor = in->id;
    rin.print = strcmp(k->type, "print") == 0;
    rin.krev_lagring = k->bydel && k->bydel->krev_lagringskvittering;
    if (!type
        || (strcmp(type, BKM_TYPE_MOTTATT) != 0
            && strcmp(type, BKM_TYPE_FEILET) != 0)) {
        return bkm_reply_error(
            r, HTTP_BAD_REQUEST, "ukjent-meldingstype",
            "the meldingType header must be " BKM_TYPE_MOTTATT
            " or " BKM_TYPE_FEILET);
    }
    if ((st = bkm_read_body(r, BKM_KVITTERING_MAX_BODY, &body, &len)) != OK) {
        return st;
    }
    rin.svar = strcmp(type, BKM_TYPE_FEILET) == 0 ? BKM_SVAR_FEILET
                                                  : BKM_SVAR_MOTTATT;
    if ((st = check_body(r, type, body, len, &rin)) != OK) {
        return st == DONE ? OK : st;
    }
    if (bkm_konto_leveranse(r, &db, k, id, 0, &l) != OK) {
        return OK; /* answered */
    }
    if (!rin.print && rin.svar == BKM_SVAR_MOTTATT && !l.hentet
        && wait_for_fetch(r, db, k, &l) != OK) {
        return OK; /* answered */
    }
    if (rin.svar == BKM_SVAR_MOTTATT && len > 0) {
        if ((st = verify_stored(r, db, k, in, &l, body, len, &lk)) != OK) {
            return st == DONE ? OK : st;
        }
        rin.svar = BKM_SVAR_LAGRET;
        rin.arkivreferanse = lk.arkivreferanse;
    }
    return record(r, db, in, &l, &rin);
}
