/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The consumer API: what a case system (or the print provider) fetches
 * from its account.  The pull replacement for the incumbent's AMQP queue,
 * with the same message types and payloads.
 *
 * GET .../konto/{kontoId}/meldinger[?vent=N]
 *     the messages not yet receipted, oldest first (at most 100).  With
 *     vent=N (1..30 seconds; vent=0 is refused, 400: leave it out not to
 *     wait) an empty answer waits until a message
 *     arrives or N seconds have passed: a case system that asks again at
 *     once learns of a new report within BKM_POLL_STEP of its arrival
 *     while asking at most once every 30 seconds when nothing comes.
 * GET .../meldinger/{meldingId}
 *     the CMS ciphertext (DER); one Range is answered 206 (here, not by
 *     httpd's byterange filter).  The message counts as fetched once
 *     every byte has gone out, in one answer or in ranges that together
 *     cover it (issue 12); HEAD and answers cut off do not count.
 * GET .../meldinger/{meldingId}/manifest      print jobs: the XML manifest
 * and, beside these in the route table: POST .../meldinger/{meldingId}/svar
 * (the receipt, api/kvittering.c) and GET .../meldinger/{meldingId}/besittelse (a
 * producer-sealed message's secret, api/kontroll.c).
 *
 * Waiting costs one worker thread per waiting client (the event MPM
 * cannot park a handler) and, every BKM_POLL_STEP, one indexed query on a
 * connection borrowed only for that query -- never a database connection
 * held for the whole wait.  README "Consumer API" has the measured cost.
 */
#include "mod_bekymring_private.h"
#include "api/api.h"
#include "api/konto.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "server/routes.h"
#include "server/vent.h"
#include "bkm_db.h"
#include "bkm_leveranse.h"
#include "bkm_log.h"
#include "bkm_registry.h"
#include "bkm_route.h"
#include "bkm_printjob.h"
#include "bkm_ids.h"
#include "bkm_time.h"
#include "bkm_levering.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <http_core.h>
#include <apr_base64.h>
#include <apr_lib.h>
#include <apr_portable.h>

#include <sys/socket.h>
#include <poll.h>

/* This file's statements, prepared on every connection (the table is
 * handed to mod_dbd by server/db.c). */
#define BKM_SQL_LEVERANSER_VENTER "bkm_leveranser_venter"

const bkm_sql_t bkm_meldinger_sql[] = {
    { BKM_SQL_LEVERANSER_VENTER,
      "SELECT l.id, l.melding_id, l.meldingstype, l.opprettet, "
      "m.kommunenummer, m.bydelsnummer, c.storrelse, c.sha256, l.hentet "
      "FROM bkm_leveranse l JOIN bkm_melding m ON m.id = l.melding_id "
      "JOIN bkm_chiffer c ON c.melding_id = l.melding_id "
      "AND c.mottaker = l.mottaker WHERE l.konto_id = %s AND l.svar IS NULL "
      "ORDER BY l.opprettet, l.id LIMIT %d" },
    { NULL, NULL }
};

#define BKM_LIST_MAX 100
#define BKM_VENT_MAX 30
/** How often a waiting list asks the database again: the other nodes of
 *  a farm store reports too, so a local signal would not be enough. */
#define BKM_POLL_STEP apr_time_from_sec(1)

/* The account's waiting messages, as JSON; NULL when the database fails. */
static json_t *waiting(bkm_db_t *db, const bkm_konto_t *k, int *count)
{
    const char *args[2] = { k->id, apr_itoa(db->pool, BKM_LIST_MAX) };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    json_t *list;

    if (bkm_db_select(db, BKM_SQL_LEVERANSER_VENTER, &res, 2, args) != 0) {
        return NULL;
    }
    list = json_array();
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        apr_off_t opprettet = 0, size = 0;
        apr_strtoff(&opprettet, apr_dbd_get_entry(db->drv, row, 3), NULL, 10);
        apr_strtoff(&size, apr_dbd_get_entry(db->drv, row, 6), NULL, 10);
        json_array_append_new(
            list,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:b}",
                      "meldingId", apr_dbd_get_entry(db->drv, row, 0),
                      "meldingType", apr_dbd_get_entry(db->drv, row, 2),
                      "bekymringsmeldingId",
                      apr_dbd_get_entry(db->drv, row, 1), "kommunenummer",
                      apr_dbd_get_entry(db->drv, row, 4), "bydelsnummer",
                      apr_dbd_get_entry(db->drv, row, 5), "opprettet",
                      bkm_time_utc(db->pool, (apr_time_t)opprettet),
                      "storrelse", (json_int_t)size, "sha256",
                      apr_dbd_get_entry(db->drv, row, 7), "hentet",
                      bkm_db_value(db, row, 8) != NULL));
    }
    *count = (int)json_array_size(list);
    return list;
}

/* Whether the client has closed its connection while we wait (a waiting
 * thread is freed at once instead of at the end of vent).  The peer's FIN
 * or a reset, asked of poll() (POLLRDHUP: the peer shut down writing,
 * whatever unread bytes are still queued): over TLS a client that closes
 * sends close_notify before its FIN, so a peek that reads nothing at end
 * of file never saw the end, and the wait (and its place, server/vent.c)
 * lasted the whole vent (issue 15, attacked from outside; t/vent_angrep.t).
 * Without POLLRDHUP, the peek alone. */
static int client_gone(request_rec *r)
{
    apr_socket_t *sock = ap_get_conn_socket(r->connection);
    apr_os_sock_t fd;
    char c;

    if (r->connection->aborted) {
        return 1;
    }
    if (!sock || apr_os_sock_get(&fd, sock) != APR_SUCCESS) {
        return 0;
    }
#ifdef POLLRDHUP
    {
        struct pollfd pfd;

        pfd.fd = fd;
        pfd.events = POLLIN | POLLRDHUP;
        pfd.revents = 0;
        if (poll(&pfd, 1, 0) > 0
            && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
            return 1;
        }
    }
#endif
    return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* ?vent=N, the only query parameter: 0 without it, -1 when malformed or
 * outside 1..BKM_VENT_MAX (the README's range: vent=0 was taken as "no
 * wait" and a vendor's client, meaning "wait", spun; issue 15). */
static int parse_vent(const char *args)
{
    char *end;
    long v;

    if (!args || !*args) {
        return 0;
    }
    if (strncmp(args, "vent=", 5) != 0 || !apr_isdigit(args[5])) {
        return -1;
    }
    v = strtol(args + 5, &end, 10);
    return *end || v < 1 || v > BKM_VENT_MAX ? -1 : (int)v;
}

static int list(request_rec *r, const bkm_integrasjon_t *in,
                const bkm_konto_t *k)
{
    int vent = parse_vent(r->args), count = 0;
    apr_time_t until = apr_time_now() + apr_time_from_sec(vent);
    json_t *body = NULL;

    if (vent < 0) {
        return bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-foresporsel",
                               "the only parameter is vent, 1 to 30 "
                               "seconds (leave it out not to wait)");
    }
    /* Waiting holds a worker: a few per integration, a share of the
     * node's in all (server/vent.c; issue 15, item 6). */
    if (vent > 0
        && bkm_vent_begin(r, in->id, until + apr_time_from_sec(1)) != OK) {
        return OK; /* answered: 429 */
    }
    for (;;) {
        /* A connection and a pool per look, given back before waiting. */
        apr_pool_t *p;
        bkm_db_t *db;

        apr_pool_create(&p, r->pool);
        db = bkm_db_open(r->server, p);
        if (db) {
            bkm_db_set_request(db, r);
            body = waiting(db, k, &count); /* json_pack copied all */
            bkm_db_close(db);
        }
        apr_pool_destroy(p);
        if (!body) {
            return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                                   "the database does not answer; try "
                                   "again");
        }
        if (count > 0 || apr_time_now() + BKM_POLL_STEP > until) {
            break;
        }
        if (client_gone(r)) {
            json_decref(body);
            return DONE; /* nobody to answer */
        }
        json_decref(body);
        body = NULL;
        apr_sleep(BKM_POLL_STEP);
    }
    return bkm_reply_json(r, HTTP_OK,
                          json_pack("{s:s, s:o, s:b}", "kontoId", k->id,
                                    "meldinger", body, "flere",
                                    count >= BKM_LIST_MAX));
}

/* Hex SHA-256 as RFC 9530's structured byte sequence. */
static const char *repr_digest(apr_pool_t *p, const char *hex)
{
    unsigned char raw[32];
    char b64[64];
    int i;

    for (i = 0; i < 32; i++) {
        char h[3] = { hex[2 * i], hex[2 * i + 1], '\0' };
        raw[i] = (unsigned char)strtol(h, NULL, 16);
    }
    apr_base64_encode(b64, (const char *)raw, 32);
    return apr_pstrcat(p, "sha-256=:", b64, ":", NULL);
}

/* The headers of a message's download: its ids and type, its digest and
 * ETag (the ciphertext's SHA-256), ranges in bytes, never cached. */
static void message_headers(request_rec *r, const bkm_leveranse_t *l)
{
    ap_set_content_type(r, "application/pkcs7-mime");
    apr_table_setn(r->headers_out, "meldingType", l->meldingstype);
    apr_table_setn(r->headers_out, "meldingId", l->id);
    apr_table_setn(r->headers_out, "bekymringsmeldingId", l->melding_id);
    apr_table_setn(r->headers_out, "Innholdstype", l->innholdstype);
    apr_table_setn(r->headers_out, "Repr-Digest",
                   repr_digest(r->pool, l->sha256));
    apr_table_setn(r->headers_out, "ETag",
                   apr_pstrcat(r->pool, "\"", l->sha256, "\"", NULL));
    apr_table_setn(r->headers_out, "Accept-Ranges", "bytes");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
}

/* Whether an If-None-Match list names @p etag (weak comparison, as RFC
 * 9110 13.1.2 asks of it) or is "*"; with @p strong, whether an If-Match
 * list does (strong comparison, 13.1.1: a weak tag never matches). */
static int etag_listed(apr_pool_t *p, const char *list, const char *etag,
                       int strong)
{
    char *copy = apr_pstrdup(p, list), *last = NULL, *t;

    for (t = apr_strtok(copy, ",", &last); t;
         t = apr_strtok(NULL, ",", &last)) {
        apr_size_t n;

        while (*t == ' ' || *t == '\t') {
            t++;
        }
        n = strlen(t);
        while (n && (t[n - 1] == ' ' || t[n - 1] == '\t')) {
            t[--n] = '\0';
        }
        if (strncmp(t, "W/", 2) == 0) {
            if (strong) {
                continue;
            }
            t += 2;
        }
        if (strcmp(t, "*") == 0 || strcmp(t, etag) == 0) {
            return 1;
        }
    }
    return 0;
}

static int fetch(request_rec *r, const bkm_integrasjon_t *in,
                 const bkm_konto_t *k, const char *id)
{
    apr_off_t start = 0, end = 0;
    const char *if_range;
    bkm_leveranse_t l;
    apr_status_t rv;
    int range, complete = 0;
    bkm_db_t *db;

    if (bkm_konto_leveranse(r, &db, k, id, 1, &l) != OK) {
        return OK; /* answered */
    }
    if (!l.sha256) {
        return bkm_reply_error(r, HTTP_GONE, "slettet",
                               "the report was delivered and its "
                               "ciphertext deleted after the retention "
                               "period");
    }
    /* Safe upgrades (README "Upgrades"): a first fetch is a write (the
     * fetch is recorded once its bytes went out), which a node whose code
     * and the database's schema disagree cannot make.  Refused before a
     * byte goes out, as every other write; a message already fetched is
     * sent again (nothing to record). */
    if (!l.hentet && !r->header_only) {
        int found, expected;
        if (bkm_db_outdated(r, &found, &expected)) {
            apr_table_setn(r->headers_out, "Retry-After", "60");
            return bkm_reply_error(
                r, HTTP_SERVICE_UNAVAILABLE, "skjemaversjon",
                apr_psprintf(r->pool,
                             "this node cannot record the fetch: the "
                             "database has schema version %d, the node's "
                             "code version %d (an upgrade is under way); "
                             "try again later",
                             found, expected));
        }
    }
    if ((apr_off_t)l.innhold_len != l.storrelse) {
        ap_log_rerror(
            APLOG_MARK, APLOG_ERR, 0, r,
            BKMLOGNO(01003) "message %s: its ciphertext has %" APR_SIZE_T_FMT
                            " bytes, not %" APR_OFF_T_FMT,
            l.id, l.innhold_len, l.storrelse);
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the database does not answer; try again");
    }
    /* Range is ours, not httpd's byterange filter's: the fetch counts
     * only for bytes we know went out.  One range is answered 206; several
     * ranges, or an If-Range that is not this ETag, get the whole body
     * (RFC 9110 allows both). */
    range = bkm_range_parse(apr_table_get(r->headers_in, "Range"),
                            l.storrelse, &start, &end);
    if_range = apr_table_get(r->headers_in, "If-Range");
    if (range != 0 && if_range
        && strcmp(if_range, apr_pstrcat(r->pool, "\"", l.sha256, "\"", NULL))
               != 0) {
        range = 0;
    }
    apr_table_unset(r->headers_in, "Range");
    apr_table_unset(r->headers_in, "If-Range");
    message_headers(r, &l);
    /* If-Match that does not name this ETag (strong comparison) is 412,
     * first, as RFC 9110 13.2.2 orders it: a client that asks for the
     * bytes it knew must not get others (it was ignored: 200; issue 15,
     * attacked from outside, t/api_angrep.t).  Nothing is sent. */
    if (apr_table_get(r->headers_in, "If-Match")
        && !etag_listed(r->pool, apr_table_get(r->headers_in, "If-Match"),
                        apr_table_get(r->headers_out, "ETag"), 1)) {
        return bkm_reply_error(r, HTTP_PRECONDITION_FAILED,
                               "forutsetning-feilet",
                               "If-Match does not name this message's ETag");
    }
    /* A client that holds this ciphertext already (its ETag) gets 304 and
     * no bytes, before any Range (RFC 9110 13.2.2); no bytes went out, so
     * nothing is recorded as fetched (issue 15: it was 200). */
    if (apr_table_get(r->headers_in, "If-None-Match")
        && etag_listed(r->pool, apr_table_get(r->headers_in, "If-None-Match"),
                       apr_table_get(r->headers_out, "ETag"), 0)) {
        r->status = HTTP_NOT_MODIFIED;
        return OK;
    }
    if (range < 0) {
        apr_table_setn(r->headers_out, "Content-Range",
                       apr_psprintf(r->pool, "bytes */%" APR_OFF_T_FMT,
                                    l.storrelse));
        return bkm_reply_error(r, HTTP_RANGE_NOT_SATISFIABLE, "ugyldig-range",
                               "the range is outside the "
                               "message's bytes");
    }
    if (range == 0) {
        start = 0;
        end = l.storrelse - 1;
    }
    else {
        r->status = HTTP_PARTIAL_CONTENT;
        apr_table_setn(r->headers_out, "Content-Range",
                       apr_psprintf(r->pool,
                                    "bytes %" APR_OFF_T_FMT "-%" APR_OFF_T_FMT
                                    "/%" APR_OFF_T_FMT,
                                    start, end, l.storrelse));
    }
    ap_set_content_length(r, end - start + 1);
    if (r->header_only) {
        return OK; /* HEAD sends no bytes: nothing was fetched */
    }
    /* Only bytes that went out (bkm_send_all) are recorded: a case
     * system that hung up mid-body has not got the report, and a receipt
     * from it is refused (issue 12). */
    if (!bkm_send_all(r, l.innhold + (apr_size_t)start,
                      (apr_size_t)(end - start + 1), &rv)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r,
                      BKMLOGNO(03001) "message %s: bytes %" APR_OFF_T_FMT
                                      "-%" APR_OFF_T_FMT
                                      " not sent completely%s: not recorded",
                      l.id, start, end,
                      r->connection->aborted ? " (the client went away)"
                                             : "");
        return rv != APR_SUCCESS ? AP_FILTER_ERROR : OK;
    }
    if (bkm_levering_fetched_range(db, &l, in->id, bkm_now(r), start, end,
                                   &complete)
        != 0) {
        ap_log_rerror(
            APLOG_MARK, APLOG_ERR, 0, r,
            BKMLOGNO(01001) "message %s: the download "
                            "could not be recorded: %s",
            l.id, db->error ? db->error : "database error");
    }
    else if (!complete) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      BKMLOGNO(03002) "message %s: bytes %" APR_OFF_T_FMT
                                      "-%" APR_OFF_T_FMT
                                      " sent; not yet fetched completely",
                      l.id, start, end);
    }
    return OK;
}

static int manifest(request_rec *r, const bkm_konto_t *k, const char *id)
{
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const bkm_kommune_t *kommune;
    const bkm_bydel_t *b;
    bkm_printjob_t job;
    bkm_leveranse_t l;
    const char *err;
    apr_size_t len;
    bkm_db_t *db;
    char *xml;

    if (strcmp(k->type, "print") != 0) {
        return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-adresse",
                               "only print jobs have a manifest");
    }
    if (bkm_konto_leveranse(r, &db, k, id, 0, &l) != OK) {
        return OK; /* answered */
    }
    kommune = bkm_registry_kommune(reg, l.kommunenummer);
    b = kommune ? bkm_kommune_bydel(kommune, l.bydelsnummer) : NULL;
    if (!b || !l.sha256) {
        return bkm_reply_error(r, HTTP_GONE, "slettet",
                               "the print job's document or district is "
                               "gone");
    }
    memset(&job, 0, sizeof(job));
    job.utskrift_id = l.id;
    job.bekymringsmelding_id = l.melding_id;
    job.referanse = l.referanse;
    job.kommunenummer = kommune->nummer;
    job.kommunenavn = kommune->navn;
    job.bydelsnummer = b->nummer;
    job.bydelsnavn = b->navn;
    job.adresse = &b->adresse;
    job.dokument_sha256 = l.sha256;
    job.dokument_storrelse = l.storrelse;
    job.dokument_type = BKM_PRINTJOB_DOKUMENT_TYPE;
    job.bestilt = l.opprettet;
    job.arsak = l.arsak ? l.arsak : "frist";
    if ((err = bkm_printjob_manifest(r->pool, &job, &xml, &len))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      BKMLOGNO(01002) "print job %s: no manifest: %s", l.id,
                      err);
        return bkm_reply_error(r, HTTP_INTERNAL_SERVER_ERROR, "intern-feil",
                               "the manifest could not be made; the "
                               "district's address is invalid");
    }
    ap_set_content_type(r, BKM_PRINTJOB_MEDIA_TYPE "; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only) {
        ap_rwrite(xml, (int)len, r);
    }
    return OK;
}

/* GET .../konto/{kontoId}/meldinger */
int bkm_handle_meldinger(request_rec *r, const bkm_req_t *q)
{
    return list(r, q->in, q->konto);
}

/* GET .../konto/{kontoId}/meldinger/{meldingId} */
int bkm_handle_melding(request_rec *r, const bkm_req_t *q)
{
    return fetch(r, q->in, q->konto, bkm_route_param(q->match, "meldingId"));
}

/* GET .../konto/{kontoId}/meldinger/{meldingId}/manifest */
int bkm_handle_manifest(request_rec *r, const bkm_req_t *q)
{
    return manifest(r, q->konto, bkm_route_param(q->match, "meldingId"));
}
