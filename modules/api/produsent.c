/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The producer API, for other agencies' systems (school, police) sending a
 * report to a municipality, in the incumbent's shape
 * (bekymringsmelding-mottak-fagsystem-api-v2):
 *
 *   GET  .../mottak/fagsystem/{kommunenummer}/{bydelsnummer}/krypteringsnokler
 *   POST .../mottak/fagsystem/{fraFiksOrgId}/{kommunenummer}/{bydelsnummer}/{privat|offentlig}
 *        multipart: "bekymringsmelding" = the PDF sealed for print,
 *                   "asice" = the container sealed for the case system
 *   GET  .../mottak/fagsystem/{fraFiksOrgId}/bekymringsmelding/{id}/status
 *
 * The producer seals the report itself, so the portal never sees it in the
 * clear; it checks that each part is CMS for the right recipient before
 * storing it.  For a district on manual download, "the case system's key"
 * handed out is the manual-download certificate, and the container is what
 * staff download.  Only integrations marked produsent may call (the
 * routes' access rule, PRODUCER); a producer sees only the reports it sent
 * (any other id is 404).
 */
#include "mod_bekymring_private.h"
#include "api/api.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "server/routes.h"
#include "bkm_db.h"
#include "bkm_levering.h"
#include "bkm_log.h"
#include "bkm_registry.h"
#include "bkm_route.h"
#include "bkm_seal.h"
#include "bkm_lagring.h"
#include "bkm_digest.h"
#include "bkm_multipart.h"
#include "bkm_ids.h"
#include "bkm_time.h"
#include "bkm_besittelse.h"
#include "bkm_cms.h"
#include "bkm_sertifikat.h"

#include <apr_base64.h>

#include <apr_strings.h>
#include <apr_lib.h>

/* This file's statements, prepared on every connection (the table is
 * handed to mod_dbd by server/db.c). */
#define BKM_SQL_HENDELSER_FOR_INTEGRASJON "bkm_hendelser_integrasjon"

const bkm_sql_t bkm_produsent_sql[] = {
    { BKM_SQL_HENDELSER_FOR_INTEGRASJON,
      "SELECT h.tidspunkt, h.tilstand, h.hendelse, h.beskrivelse "
      "FROM bkm_hendelse h JOIN bkm_melding m ON m.id = h.melding_id "
      "WHERE m.id = %s AND m.integrasjon_id = %s AND m.fra_org = %s "
      "ORDER BY h.nr" },
    { NULL, NULL }
};

/* The incumbent's limit on a producer's POST. */
#define BKM_PRODUSENT_MAX_BODY (5 * 1024 * 1024)
#define BKM_IDEMPOTENCY_MAX 128

/* fraFiksOrgId: the incumbent's Fiks organisation id (a UUID); an
 * organisation number is accepted too. */
static int org_id_ok(const char *s)
{
    size_t i;

    if (bkm_uuid_valid(s, 1)) {
        return 1;
    }
    for (i = 0; i < 9; i++) {
        if (!apr_isdigit(s[i])) {
            return 0;
        }
    }
    return s[9] == '\0';
}

/* The sender a report is stored under: the integration's own organisation,
 * by its number or its registered Fiks id, spelt as the registry has it.
 * Anything else is NULL: the token proved only the integration's own
 * organisation, so a producer must not speak for another. */
static const char *own_sender(const bkm_integrasjon_t *in, const char *s)
{
    if (strcmp(s, in->orgnr) == 0) {
        return in->orgnr;
    }
    if (in->fiks_org_id && ap_cstr_casecmp(s, in->fiks_org_id) == 0) {
        return in->fiks_org_id;
    }
    return NULL;
}

static const bkm_bydel_t *active_bydel(request_rec *r, const char *knr,
                                       const char *bnr)
{
    const bkm_kommune_t *k =
        bkm_registry_kommune(bkm_srv_cfg(r->server)->registry, knr);

    return k && k->aktiv ? bkm_kommune_bydel(k, bnr) : NULL;
}

/* The district's channel for the container: the case system's, or for
 * manual download the manual-download certificates. */
static const char *container_kanal(const bkm_bydel_t *b)
{
    return b->kanal == BKM_KANAL_FAGSYSTEM ? "fagsystem" : "manuell";
}

/* The certificate of a channel that seals at @p now. */
static const bkm_cert_t *sealing_cert(const bkm_bydel_t *b, const char *kanal,
                                      apr_time_t now)
{
    const apr_array_header_t *list;
    const bkm_cert_t *single;

    bkm_sertifikat_kanal(b, kanal, &list, &single);
    return bkm_sertifikat_velg(list, single, now);
}

static json_t *cert_json(apr_pool_t *p, const bkm_cert_t *c, apr_time_t now)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "nokkel", c->pem,
                     "validFrom", bkm_time_utc(p, c->not_before), "validTo",
                     bkm_time_utc(p, c->not_after), "serial", c->serial,
                     "subjectDN", c->subject, "issuerDN", c->issuer, "gyldig",
                     bkm_sertifikat_gyldig(c, now));
}

/* Every certificate of a channel valid now or later (during a key
 * rotation the current and the next), oldest notBefore first, each
 * marked "forsegler" when it is the one that seals now. */
static json_t *certs_json(apr_pool_t *p, const bkm_bydel_t *b,
                          const char *kanal, apr_time_t now)
{
    const apr_array_header_t *list;
    const bkm_cert_t *single, *seals, *c;
    const bkm_cert_t *sorted[BKM_SERTIFIKATER_MAX];
    json_t *arr = json_array(), *one;
    int i, j, n;

    bkm_sertifikat_kanal(b, kanal, &list, &single);
    seals = bkm_sertifikat_velg(list, single, now);
    n = bkm_sertifikat_antall(list, single);
    for (i = 0, j = 0; i < n && j < BKM_SERTIFIKATER_MAX; i++) {
        c = bkm_sertifikat_nr(list, single, i);
        if (bkm_sertifikat_publisert(list, single, c, now)) {
            int k = j++;
            while (k > 0 && sorted[k - 1]->not_before > c->not_before) {
                sorted[k] = sorted[k - 1];
                k--;
            }
            sorted[k] = c;
        }
    }
    for (i = 0; i < j; i++) {
        one = cert_json(p, sorted[i], now);
        json_object_set_new(one, "forsegler",
                            json_boolean(sorted[i] == seals));
        json_array_append_new(arr, one);
    }
    return arr;
}

/* The incumbent's two members name the certificates that seal now; the
 * lists beside them publish every one valid now or later, so that a
 * producer that fetches the keys before a rotation's switch can still
 * seal after it (and tell which is next). */
static int keys(request_rec *r, const char *knr, const char *bnr)
{
    const bkm_bydel_t *b = active_bydel(r, knr, bnr);
    apr_time_t now = bkm_now(r);

    if (!b) {
        return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-mottaker",
                               "no active district with this number");
    }
    return bkm_reply_json(
        r, HTTP_OK,
        json_pack("{s:o, s:o, s:o, s:o}", "fiksIOOffentligNokkel",
                  cert_json(r->pool, sealing_cert(b, container_kanal(b), now),
                            now),
                  "printOffentligNokkel",
                  cert_json(r->pool, sealing_cert(b, "print", now), now),
                  "fiksIOOffentligeNokler",
                  certs_json(r->pool, b, container_kanal(b), now),
                  "printOffentligeNokler",
                  certs_json(r->pool, b, "print", now)));
}

/* The producer API's gate for one part: CMS for a certificate of the
 * channel that is valid now, or the one that seals now.  @p which is set
 * to the certificate the part names. */
static const char *check_part(request_rec *r, const bkm_bydel_t *b,
                              const char *kanal, const void *der,
                              apr_size_t len, apr_time_t now,
                              const bkm_cert_t **which)
{
    const apr_array_header_t *list;
    const bkm_cert_t *single, *seals, *c;
    const char *err = "no certificate";
    int i, n;

    bkm_sertifikat_kanal(b, kanal, &list, &single);
    seals = bkm_sertifikat_velg(list, single, now);
    n = bkm_sertifikat_antall(list, single);
    for (i = 0; i < n; i++) {
        c = bkm_sertifikat_nr(list, single, i);
        if (c != seals && !bkm_sertifikat_gyldig(c, now)) {
            continue;
        }
        if (!(err = bkm_cms_check_recipient(r->pool, der, len, c->pem))) {
            *which = c;
            return NULL;
        }
    }
    return err;
}

/* What each state means, for the producer's status history. */
static const char *status_text(const char *tilstand)
{
    static const char *const texts[][2] = {
        { "AKSEPTERT", "Mottatt og lagret kryptert" },
        { "SENDT_FAGSYSTEM", "Hentet av mottakerens fagsystem" },
        { "AVVIST_FAGSYSTEM", "Mottakerens fagsystem kunne ikke ta imot" },
        { "SENDT_PRINT", "Sendt til utskrift som brevpost" },
        { "AVVIST_PRINT", "Utskrift feilet; følges opp manuelt" },
        { "LEVERT", "Levert til mottakeren" },
    };
    size_t i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (strcmp(texts[i][0], tilstand) == 0) {
            return texts[i][1];
        }
    }
    return NULL;
}

static int status(request_rec *r, const bkm_integrasjon_t *in,
                  const char *org, const char *id)
{
    const char *args[3] = { id, in->id, org };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    json_t *list = json_array();
    const char *prev = NULL;
    bkm_db_t *db;

    if (!bkm_uuid_valid(id, 1)) {
        json_decref(list);
        return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-melding",
                               "no such report");
    }
    if (!(db = bkm_db_acquire(r))
        || bkm_db_select(db, BKM_SQL_HENDELSER_FOR_INTEGRASJON, &res, 3, args)
               != 0) {
        json_decref(list);
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the database does not answer; try again");
    }
    /* The history of states, in the incumbent's values: one entry per
     * change (the timeline's other events -- fetched, receipted without
     * proof, refused receipts -- are the municipality's business, and the
     * case system's own error texts are not the producer's). */
    while (apr_dbd_get_row(db->drv, r->pool, res, &row, -1) == 0) {
        const char *tilstand = apr_dbd_get_entry(db->drv, row, 1);
        apr_off_t t = 0;

        if (prev && strcmp(prev, tilstand) == 0) {
            continue;
        }
        prev = apr_pstrdup(r->pool, tilstand);
        apr_strtoff(&t, apr_dbd_get_entry(db->drv, row, 0), NULL, 10);
        /* RFC 3339 in UTC, as "opprettet" everywhere (issue 15: it was
         * Oslo's local time without an offset). */
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s, s:s?}",
                                        "bekymringsmeldingId", id,
                                        "tidspunkt",
                                        bkm_time_utc(r->pool, (apr_time_t)t),
                                        "tilstand", prev, "beskrivelse",
                                        status_text(prev)));
    }
    if (json_array_size(list) == 0) {
        json_decref(list);
        return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-melding",
                               "no such report");
    }
    return bkm_reply_json(r, HTTP_OK, list);
}

static int part_error(request_rec *r, const char *part, const char *why)
{
    return bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-del",
                           apr_pstrcat(r->pool, "part \"", part, "\": ", why,
                                       NULL));
}

/* The producer sealed the container, so the secret cannot be inside it:
 * it gets a CMS message of its own, to the same recipient certificate and
 * in the district's profile, served beside the message
 * (GET .../meldinger/{id}/besittelse).  Whoever can read that can read the
 * container, which is what a stored-receipt v2 is to show. */
static const char *besittelse(request_rec *r, const bkm_bydel_t *b,
                              const bkm_cert_t *cert, bkm_melding_t *m)
{
    const unsigned char *der;
    apr_size_t len, der_len;
    const char *doc, *err;
    char *b64;

    if (!(m->besittelse = bkm_besittelse_new(r->pool))) {
        return "no random secret";
    }
    doc = bkm_besittelse_document(r->pool, m->id, m->besittelse, &len);
    if ((err = bkm_cms_encrypt(r->pool, cert->pem, doc, len, b->gcm, &der,
                               &der_len))) {
        return err;
    }
    b64 = apr_palloc(r->pool, apr_base64_encode_len((int)der_len));
    apr_base64_encode(b64, (const char *)der, (int)der_len);
    m->besittelse_cms = b64;
    return NULL;
}

/* An answer given by a step of post(): DONE once answered (post()
 * returns OK then), as the glue's helpers do (server/http.h). */
static int answered(int rv)
{
    return rv == OK ? DONE : rv;
}

/* The body's two parts, each sealed (CMS) to the key it must be for: the
 * PDF to the print provider's, the container to the district's.  OK, or
 * DONE after answering 400. */
static int read_parts(request_rec *r, const bkm_bydel_t *b,
                      const char *boundary, const char *body, apr_size_t len,
                      const bkm_part_t **pdf, const bkm_part_t **asice,
                      const bkm_cert_t **print_cert,
                      const bkm_cert_t **container_cert)
{
    apr_array_header_t *parts;
    const char *err;

    if ((err = bkm_multipart_parse(r->pool, boundary, body, len, 2,
                                   &parts))) {
        return answered(bkm_reply_error(r, HTTP_BAD_REQUEST,
                                        "ugyldig-multipart", err));
    }
    if (!(*pdf = bkm_multipart_get(parts, "bekymringsmelding"))) {
        return answered(part_error(r, "bekymringsmelding", "missing"));
    }
    if (!(*asice = bkm_multipart_get(parts, "asice"))) {
        return answered(part_error(r, "asice", "missing"));
    }
    if ((err = check_part(r, b, "print", (*pdf)->data, (*pdf)->len,
                          bkm_now(r), print_cert))) {
        return answered(part_error(r, "bekymringsmelding",
                                   apr_pstrcat(r->pool, err,
                                               " (must be CMS for the print "
                                               "provider's key)",
                                               NULL)));
    }
    if ((err = check_part(r, b, container_kanal(b), (*asice)->data,
                          (*asice)->len, bkm_now(r), container_cert))) {
        return answered(
            part_error(r, "asice",
                       apr_pstrcat(r->pool, err,
                                   " (must be CMS for the district's "
                                   "fiksIOOffentligNokkel)",
                                   NULL)));
    }
    return OK;
}

/* What is stored: the container for the district's channel, the PDF for
 * print. */
static void seal_parts(const bkm_bydel_t *b, const bkm_part_t *pdf,
                       const bkm_part_t *asice, const bkm_cert_t *print_cert,
                       const bkm_cert_t *container_cert, bkm_sealed_t *sealed)
{
    sealed[0].mottaker = b->kanal == BKM_KANAL_FAGSYSTEM ? "fagsystem"
                                                         : "manuell";
    sealed[0].innholdstype = "application/vnd.etsi.asic-e+zip";
    sealed[0].data = (const unsigned char *)asice->data;
    sealed[0].len = asice->len;
    sealed[1].mottaker = "print";
    sealed[1].innholdstype = "application/pdf";
    sealed[1].data = (const unsigned char *)pdf->data;
    sealed[1].len = pdf->len;
    sealed[0].cert = container_cert;
    sealed[1].cert = print_cert;
}

/* The request an idempotency key is bound to: a retry must be this one.
 * Its body is taken as its parts (name and SHA-256 of each, in order),
 * not its bytes: a client library that sends the same parts again under
 * a new multipart boundary retries the same request. */
static const char *fingerprint(request_rec *r, const bkm_part_t *pdf,
                               const bkm_part_t *asice)
{
    const char *sum =
        apr_pstrcat(r->pool, pdf->name, "\n",
                    bkm_sha256_hex(r->pool, pdf->data, pdf->len), "\n",
                    asice->name, "\n",
                    bkm_sha256_hex(r->pool, asice->data, asice->len), "\n",
                    NULL);

    return bkm_idempotency_fingerprint(r->pool, r->method, r->uri,
                                       bkm_sha256_hex(r->pool, sum,
                                                      strlen(sum)));
}

/* The report's record, from the integration and its request. */
static void new_report(request_rec *r, const bkm_integrasjon_t *in,
                       const char *org, const char *type, const char *key,
                       const bkm_bydel_t *b, const bkm_part_t *pdf,
                       const bkm_part_t *asice, bkm_melding_t *m)
{
    memset(m, 0, sizeof(*m));
    m->id = bkm_uuid(r->pool);
    m->meldingstype = apr_psprintf(r->pool,
                                   "no.ks.fiks.bekymringsmelding.%s.v%d",
                                   type, b->versjon);
    m->versjon = b->versjon;
    m->kilde = "produsent";
    m->integrasjon_id = in->id;
    m->fra_org = org;
    m->idempotensnokkel = key;
    if (key) {
        m->idempotens_fingeravtrykk = fingerprint(r, pdf, asice);
    }
    m->bydel = b;
    m->mottatt = bkm_now(r);
    m->aktor = in->id;
}

/* Store the report: APR_SUCCESS, APR_EEXIST (a repeat under its
 * idempotency key), APR_EMISMATCH (the key was another request's) or
 * APR_EGENERAL. */
static apr_status_t store(request_rec *r, bkm_db_t *db, bkm_melding_t *m,
                          const bkm_sealed_t *sealed)
{
    bkm_levering_policy_t pol;
    apr_status_t rv = APR_EGENERAL;
    int i;

    bkm_cfg_delivery(r->server, &pol);
    for (i = 0; i < 2 && rv == APR_EGENERAL && m->id; i++) {
        m->referanse = bkm_reference(r->pool); /* a taken one: draw again */
        rv = bkm_lagring_melding(db, &pol, m, sealed, 2);
    }
    return rv;
}

/* The answer to a report stored, or not, as store() said. */
static int reply_stored(request_rec *r, const bkm_integrasjon_t *in,
                        const bkm_melding_t *m, apr_status_t rv)
{
    if (rv == APR_EMISMATCH) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(03003)
                      "integration %s reused an idempotency key for another "
                      "request: refused, nothing stored", in->id);
        return bkm_reply_error(r, HTTP_UNPROCESSABLE_ENTITY,
                               "idempotency-key-reused",
                               "this Idempotency-Key was used for another "
                               "request (method, path or body differ); "
                               "nothing was stored: send a new report under "
                               "a new key");
    }
    if (rv == APR_EGENERAL) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the report could not be stored now; "
                               "nothing was kept: please try again");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  BKMLOGNO(00901) "report %s %s from integration %s", m->id,
                  rv == APR_EEXIST ? "repeated (idempotency key)"
                                   : "accepted",
                  in->id);
    return bkm_reply_json(r, HTTP_CREATED,
                          json_pack("{s:s, s:s}", "uuid", m->id, "referanse",
                                    m->referanse));
}

static int post(request_rec *r, const bkm_integrasjon_t *in, const char *org,
                const char *knr, const char *bnr, const char *type)
{
    const bkm_bydel_t *b = active_bydel(r, knr, bnr);
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    const char *key = apr_table_get(r->headers_in, "Idempotency-Key");
    const char *boundary, *err;
    const bkm_cert_t *print_cert = NULL, *container_cert = NULL;
    const bkm_part_t *pdf, *asice;
    bkm_sealed_t sealed[2];
    bkm_melding_t m;
    bkm_db_t *db;
    apr_size_t len;
    char *body;
    int st;

    if (!b) {
        return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-mottaker",
                               "no active district with this number");
    }
    if (key && (!*key || strlen(key) > BKM_IDEMPOTENCY_MAX)) {
        return bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-foresporsel",
                               "Idempotency-Key must be 1 to 128 "
                               "characters");
    }
    if ((err = bkm_multipart_boundary(r->pool, ct, &boundary))) {
        return bkm_reply_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                               "feil-innholdstype", err);
    }
    if ((st = bkm_read_body(r, BKM_PRODUSENT_MAX_BODY, &body, &len)) != OK) {
        return st;
    }
    if ((st = read_parts(r, b, boundary, body, len, &pdf, &asice, &print_cert,
                         &container_cert))
        != OK) {
        return st == DONE ? OK : st;
    }
    if (!(db = bkm_db_acquire(r))) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the report could not be stored now; "
                               "nothing was kept: please try again");
    }
    seal_parts(b, pdf, asice, print_cert, container_cert, sealed);
    new_report(r, in, org, type, key, b, pdf, asice, &m);
    if (b->kanal == BKM_KANAL_FAGSYSTEM
        && (err = besittelse(r, b, container_cert, &m))) {
        ap_log_rerror(
            APLOG_MARK, APLOG_ERR, 0, r,
            BKMLOGNO(03101) "report %s: no proof-of-possession challenge: %s",
            m.id, err);
        return bkm_reply_error(r, HTTP_INTERNAL_SERVER_ERROR, "intern-feil",
                               "the report could not be sealed; nothing "
                               "was kept: please try again");
    }
    return reply_stored(r, in, &m, store(r, db, &m, sealed));
}

/* GET .../mottak/fagsystem/{kommunenummer}/{bydelsnummer}/krypteringsnokler */
int bkm_handle_produsent_nokler(request_rec *r, const bkm_req_t *q)
{
    return keys(r, bkm_route_param(q->match, "kommunenummer"),
                bkm_route_param(q->match, "bydelsnummer"));
}

/* GET .../mottak/fagsystem/{fraFiksOrgId}/bekymringsmelding/{id}/status */
int bkm_handle_produsent_status(request_rec *r, const bkm_req_t *q)
{
    const char *org = own_sender(q->in,
                                 bkm_route_param(q->match, "fraFiksOrgId"));

    /* Reports are stored under the registry's spelling of the sender;
     * another organisation's reports are as unknown as none. */
    if (!org) {
        return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-melding",
                               "no such report");
    }
    return status(r, q->in, org,
                  bkm_route_param(q->match, "bekymringsmeldingId"));
}

/* POST .../mottak/fagsystem/{fraFiksOrgId}/{kommunenummer}/{bydelsnummer}/
 * {privat|offentlig} (the type: q->arg) */
int bkm_handle_produsent_post(request_rec *r, const bkm_req_t *q)
{
    const char *from = bkm_route_param(q->match, "fraFiksOrgId");
    const char *org;

    if (!org_id_ok(from)) {
        return bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-avsender",
                               "fraFiksOrgId must be a UUID or an "
                               "organisation number");
    }
    if (!(org = own_sender(q->in, from))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(02901)
                      "integration %s (organisation %s) posted as "
                      "another sender: refused", q->in->id, q->in->orgnr);
        return bkm_reply_error(r, HTTP_FORBIDDEN, "feil-avsender",
                               "fraFiksOrgId is not the organisation "
                               "of this integration (its "
                               "organisasjonsnummer or registered "
                               "Fiks id)");
    }
    return post(r, q->in, org, bkm_route_param(q->match, "kommunenummer"),
                bkm_route_param(q->match, "bydelsnummer"), q->arg);
}
