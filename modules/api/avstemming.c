/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Automatic reconciliation (issue 12, item 5): after the incident,
 * municipalities counted by hand what their case system held against what
 * the portal said it had delivered.  Here the case system does it:
 *
 * GET  .../konto/{kontoId}/avstemming?fra=&til=[&etter=][&antall=]
 *     the messages the portal counts as delivered to this account whose
 *     receipt came in [fra, til) (UTC, "YYYY-MM-DDTHH:MM:SSZ"), oldest
 *     receipt first, at most antall (default and maximum
 *     BKM_AVST_PAGE_MAX) a page; "neste" is the cursor of the next page
 *     (etter=), null after the last.
 * POST .../konto/{kontoId}/avstemming      (application/json)
 *     {"fra": ..., "til": ..., "meldinger": [{"meldingId": ...,
 *      "arkivreferanse": ...}, ...]}: the messages of that period the case
 *     system holds.  Every delivered message of the period it leaves out
 *     goes back to its queue with a new deadline (then letter post, as any
 *     report), flagged on its timeline; a record id other than the one its
 *     stored-receipt named is recorded as a difference.  The rest are
 *     confirmed, which lets retention delete their ciphertexts.
 *
 * The answer is checked whole before anything changes: a malformed list,
 * an id that is not one of this account's deliveries in the period (an
 * unknown id and another account's id get the same answer), a period not
 * yet over, or more deliveries in the period than one answer may confirm
 * change nothing.  Why the period must be over: a receipt that comes in
 * after the case system made its list would otherwise be "missing".
 *
 * The escalation pass asks, per case-system account, for the oldest
 * delivery not yet confirmed: older than BekymringReconcileWithin business
 * days raises an alert (BKM03210), every pass until the account
 * reconciles.  And retention keeps the ciphertexts of a delivered report
 * until a reconciliation confirmed it or the retention period ended,
 * whichever is later (the pass's BKM_SQL_SLETTING_HOLD_SET, bkm_eskalering.c):
 * a report found missing can be delivered again only while its
 * ciphertext exists.
 */
#include "mod_bekymring_private.h"
#include "api/avstemming.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "server/routes.h"
#include "bkm_buf.h"
#include "bkm_calendar.h"
#include "bkm_db.h"
#include "bkm_leveranse.h"
#include "bkm_log.h"
#include "bkm_registry.h"
#include "bkm_ids.h"
#include "bkm_time.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_hash.h>

/* This file's statements, prepared on every connection (the table is
 * handed to mod_dbd by server/db.c). */
#define BKM_SQL_AVST_LISTE "bkm_avst_liste"
#define BKM_SQL_AVST_SETT "bkm_avst_sett"
#define BKM_SQL_AVST_BEKREFT "bkm_avst_bekreft"
#define BKM_SQL_AVST_FRIGI "bkm_avst_frigi"
#define BKM_SQL_AVST_INSERT "bkm_avst_insert"
#define BKM_SQL_AVST_AVVIK_INSERT "bkm_avst_avvik_insert"
#define BKM_SQL_AVST_TILBAKE_LEVERANSE "bkm_avst_tilbake_leveranse"
#define BKM_SQL_AVST_TILBAKE_MELDING "bkm_avst_tilbake_melding"
#define BKM_SQL_AVST_OPPFOLGING "bkm_avst_oppfolging"
#define BKM_SQL_AVST_ELDSTE "bkm_avst_eldste"
#define BKM_SQL_AVST_SISTE "bkm_avst_siste"
#define BKM_SQL_AVST_AVVIK_LISTE "bkm_avst_avvik_liste"
#define BKM_SQL_AVST_VANNMERKE "bkm_avst_vannmerke"
#define BKM_SQL_AVST_HULL "bkm_avst_hull"

const bkm_sql_t bkm_avstemming_sql[] = {
    /* An account's delivered messages in a period of receipt times, read
     * from their partial index (0012_avstemming.sql) by keyset.  The
     * keyset is spelt "t >= x AND (t > x OR id > y)" with x the later of
     * the period's start and the cursor (one lower bound, computed by the
     * caller), not as a row value: so both planners start the index range
     * at the cursor (SQLite read each page from the start of the period,
     * 4 s for 100,000). */
    { BKM_SQL_AVST_LISTE,
      "SELECT l.id, l.melding_id, m.referanse, l.meldingstype, c.sha256, "
      "l.opprettet, l.hentet, l.svar_tid, l.svar, l.arkivreferanse "
      "FROM bkm_leveranse l JOIN bkm_melding m ON m.id = l.melding_id "
      "LEFT JOIN bkm_chiffer c ON c.melding_id = l.melding_id "
      "AND c.mottaker = l.mottaker WHERE l.konto_id = %s "
      "AND l.svar IN ('mottatt', 'lagret') "
      "AND l.svar_tid >= %lld AND l.svar_tid < %lld "
      "AND (l.svar_tid > %lld OR l.id > %s) "
      "AND m.levert IS NOT NULL ORDER BY l.svar_tid, l.id LIMIT %d" },
    { BKM_SQL_AVST_SETT,
      "SELECT l.id, l.melding_id, m.referanse, l.arkivreferanse, "
      "m.slettet, m.kilde FROM bkm_leveranse l JOIN bkm_melding m "
      "ON m.id = l.melding_id WHERE l.konto_id = %s "
      "AND l.svar IN ('mottatt', 'lagret') AND l.svar_tid >= %lld "
      "AND l.svar_tid < %lld AND m.levert IS NOT NULL" },
    /* How far the account is reconciled: moved forward only. */
    { BKM_SQL_AVST_BEKREFT,
      "INSERT INTO bkm_avstemt (konto_id, til) VALUES (%s, %lld) "
      "ON CONFLICT (konto_id) DO UPDATE SET til = excluded.til "
      "WHERE bkm_avstemt.til < excluded.til" },
    /* Release what retention held and the new "til" covers: from the few
     * held (their partial index), not from the period's many. */
    { BKM_SQL_AVST_FRIGI,
      "UPDATE bkm_melding SET avstemming = 0 WHERE avstemming = 1 "
      "AND EXISTS (SELECT 1 FROM bkm_leveranse l "
      "WHERE l.melding_id = bkm_melding.id AND l.konto_id = %s "
      "AND l.svar IN ('mottatt', 'lagret') AND l.svar_tid < %lld)" },
    { BKM_SQL_AVST_INSERT,
      "INSERT INTO bkm_avstemming (id, konto_id, tidspunkt, fra, til, aktor, "
      "levert, bekreftet, mangler, avvik) VALUES (%s, %s, %lld, %lld, %lld, "
      "%s, %d, %d, %d, %d)" },
    { BKM_SQL_AVST_AVVIK_INSERT,
      "INSERT INTO bkm_avstemming_avvik (avstemming_id, melding_id, "
      "referanse, type, utfall) VALUES (%s, %s, %s, %s, %s)" },
    { BKM_SQL_AVST_TILBAKE_LEVERANSE,
      "UPDATE bkm_leveranse SET svar = NULL, svar_tid = NULL, hentet = NULL, "
      "hentet_av = NULL, arkivreferanse = NULL "
      "WHERE id = %s AND konto_id = %s AND svar IN ('mottatt', 'lagret')" },
    { BKM_SQL_AVST_TILBAKE_MELDING,
      "UPDATE bkm_melding SET tilstand = 'AKSEPTERT', frist = %lld, "
      "levert = NULL, avstemming = 0, endret = %lld WHERE id = %s "
      "AND levert IS NOT NULL AND slettet IS NULL" },
    { BKM_SQL_AVST_OPPFOLGING,
      "UPDATE bkm_melding SET oppfolging = 1, endret = %lld WHERE id = %s" },
    { BKM_SQL_AVST_ELDSTE,
      "SELECT MIN(svar_tid) FROM bkm_leveranse WHERE konto_id = %s "
      "AND svar IN ('mottatt', 'lagret') AND svar_tid >= COALESCE("
      "(SELECT til FROM bkm_avstemt WHERE konto_id = %s), 0)" },
    { BKM_SQL_AVST_SISTE,
      "SELECT id, tidspunkt, fra, til, levert, bekreftet, mangler, avvik "
      "FROM bkm_avstemming WHERE konto_id = %s ORDER BY tidspunkt DESC "
      "LIMIT 1" },
    { BKM_SQL_AVST_AVVIK_LISTE,
      "SELECT melding_id, referanse, type, utfall FROM bkm_avstemming_avvik "
      "WHERE avstemming_id = %s ORDER BY referanse LIMIT %d" },
    { BKM_SQL_AVST_VANNMERKE,
      "SELECT til FROM bkm_avstemt WHERE konto_id = %s" },
    /* Whether a delivery lies in [from, to): a gap a reconciliation
     * left. */
    { BKM_SQL_AVST_HULL,
      "SELECT MIN(svar_tid) FROM bkm_leveranse WHERE konto_id = %s "
      "AND svar IN ('mottatt', 'lagret') AND svar_tid >= %lld "
      "AND svar_tid < %lld" },
    { NULL, NULL }
};

/** A page of the list. */
#define BKM_AVST_PAGE_MAX 10000
/** Deliveries one answer may confirm (a longer period: split it). */
#define BKM_AVST_MAX 100000
/** The answer's body: 100,000 entries with record ids of 200 bytes. */
#define BKM_AVST_BODY_MAX (32 * 1024 * 1024)
#define BKM_AVST_ARKIV_MAX 200
/** At most so many ids named in an error, and differences in an answer. */
#define BKM_AVST_NAMED 20
#define BKM_AVST_DIFF_MAX 1000
/** "Never": the deadline of a control message that goes back to its
 *  queue (it is never printed). */
#define BKM_TIME_NEVER APR_INT64_C(0x7fffffffffffffff)

/* "YYYY-MM-DDTHH:MM:SSZ" as microseconds; -1 when it is not exactly that. */
static apr_time_t parse_utc(const char *s)
{
    int y, mo, d, h, mi, se, i;
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

    if (!s || strlen(s) != sizeof(shape) - 1) {
        return -1;
    }
    for (i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? !apr_isdigit(s[i]) : s[i] != shape[i]) {
            return -1;
        }
    }
    y = atoi(s);
    mo = atoi(s + 5);
    d = atoi(s + 8);
    h = atoi(s + 11);
    mi = atoi(s + 14);
    se = atoi(s + 17);
    if (y < 2000 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59
        || se > 59) {
        return -1;
    }
    return apr_time_from_sec((bkm_days_from_civil(y, (unsigned)mo,
                                                  (unsigned)d)
                                  * 86400
                              + h * 3600 + mi * 60 + se));
}

static int bad(request_rec *r, int status, const char *kode,
               const char *melding)
{
    return bkm_reply_error(r, status, kode, melding);
}

/* bad() for a step of a handler: DONE once it has answered (the
 * handler returns OK then), as the glue's helpers do (server/http.h). */
static int refuse(request_rec *r, int status, const char *kode,
                  const char *melding)
{
    int rv = bad(r, status, kode, melding);

    return rv == OK ? DONE : rv;
}

/* The period of a request: fra < til <= now. */
static const char *period(const char *fra_s, const char *til_s,
                          apr_time_t now, apr_time_t *fra, apr_time_t *til)
{
    *fra = parse_utc(fra_s);
    *til = parse_utc(til_s);
    if (*fra < 0 || *til < 0) {
        return "fra and til are UTC times, YYYY-MM-DDTHH:MM:SSZ";
    }
    if (*fra >= *til) {
        return "fra must be before til";
    }
    if (*til > now) {
        return "the period is not over yet: til must not be in the future";
    }
    return NULL;
}

/* ---- GET: the list ---------------------------------------------------- */

/* One query argument of a strict "a=b&c=d" list with known names only;
 * NULL with *bad set for an unknown or repeated name. */
static apr_table_t *query_args(request_rec *r, int *malformed)
{
    static const char *const known[] = { "fra", "til", "etter", "antall",
                                         NULL };
    apr_table_t *t = apr_table_make(r->pool, 4);
    char *args = r->args ? apr_pstrdup(r->pool, r->args) : NULL;
    char *tok, *last = NULL;

    *malformed = 0;
    for (tok = args ? apr_strtok(args, "&", &last) : NULL; tok;
         tok = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(tok, '=');
        int i, ok = 0;
        if (!eq) {
            *malformed = 1;
            return NULL;
        }
        *eq = '\0';
        for (i = 0; known[i]; i++) {
            ok |= strcmp(tok, known[i]) == 0;
        }
        if (!ok || apr_table_get(t, tok) || ap_unescape_url(eq + 1) != OK) {
            *malformed = 1;
            return NULL;
        }
        apr_table_setn(t, tok, eq + 1);
    }
    return t;
}

/* The list's text, written into one buffer sized for the page: 10,000
 * entries built as jansson objects, or printed through a brigade, cost
 * more than the query (t/bench/avstemming.t). */
typedef bkm_buf_t out_t;

static void out_mem(out_t *o, const char *s, apr_size_t n)
{
    bkm_buf_add(o, s, n);
}

#define OUT_LIT(o, lit) out_mem((o), (lit), sizeof(lit) - 1)

static void out_str(out_t *o, const char *s)
{
    out_mem(o, s, strlen(s));
}

/* A stored time (microseconds, as text) as "YYYY-MM-DDTHH:MM:SSZ". */
static void out_time(out_t *o, apr_time_t t)
{
    apr_time_exp_t x;
    char b[20];
    int v[6], w[6] = { 4, 2, 2, 2, 2, 2 }, i, k, at = 0;
    static const char sep[] = "--T::Z";

    apr_time_exp_gmt(&x, t);
    v[0] = x.tm_year + 1900;
    v[1] = x.tm_mon + 1;
    v[2] = x.tm_mday;
    v[3] = x.tm_hour;
    v[4] = x.tm_min;
    v[5] = x.tm_sec;
    for (i = 0; i < 6; i++) {
        for (k = w[i] - 1; k >= 0; k--) {
            b[at + k] = (char)('0' + v[i] % 10);
            v[i] /= 10;
        }
        at += w[i];
        b[at++] = sep[i];
    }
    out_mem(o, b, 20);
}

/* A JSON string (or null): quotes, backslashes and control characters
 * escaped; the rest is UTF-8 as stored (it came from a JSON receipt). */
static void out_json_string(out_t *o, const char *v)
{
    const char *p, *run;

    if (!v) {
        OUT_LIT(o, "null");
        return;
    }
    OUT_LIT(o, "\"");
    for (p = run = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20) {
            char esc[8];
            out_mem(o, run, (apr_size_t)(p - run));
            apr_snprintf(esc, sizeof(esc), "\\u%04x", c);
            out_mem(o, esc, 6);
            run = p + 1;
        }
    }
    out_mem(o, run, (apr_size_t)(p - run));
    OUT_LIT(o, "\"");
}

/* A page's arguments: the period, how many a page (?antall=) and where
 * the page starts (?etter=, the cursor we gave: "<receipt
 * time>.<meldingId>"; *after_t -1 without one).  OK, or the answer's
 * status after answering 400. */
static int list_args(request_rec *r, apr_time_t *fra, apr_time_t *til,
                     int *limit, apr_time_t *after_t, const char **after_id)
{
    apr_table_t *q;
    const char *err, *etter, *antall;
    int malformed;

    if (!(q = query_args(r, &malformed))) {
        return refuse(r, HTTP_BAD_REQUEST, "ugyldig-foresporsel",
                      "the parameters are fra, til, etter and antall, each "
                      "at most once");
    }
    if ((err = period(apr_table_get(q, "fra"), apr_table_get(q, "til"),
                      bkm_now(r), fra, til))) {
        return refuse(r, HTTP_BAD_REQUEST, "ugyldig-periode", err);
    }
    if ((antall = apr_table_get(q, "antall"))) {
        char *end;
        long v = strtol(antall, &end, 10);
        if (!apr_isdigit(*antall) || *end || v < 1 || v > BKM_AVST_PAGE_MAX) {
            return refuse(r, HTTP_BAD_REQUEST, "ugyldig-foresporsel",
                          apr_psprintf(r->pool, "antall is 1 to %d",
                                       BKM_AVST_PAGE_MAX));
        }
        *limit = (int)v;
    }
    if ((etter = apr_table_get(q, "etter"))) {
        const char *dot = strchr(etter, '.');
        char *end;
        *after_t = dot ? (apr_time_t)apr_strtoi64(etter, &end, 10) : -1;
        if (!dot || end != dot || *after_t < 0 || !apr_isdigit(*etter)
            || !bkm_uuid_valid(dot + 1, 0)) {
            return refuse(r, HTTP_BAD_REQUEST, "ugyldig-foresporsel",
                          "etter is the neste of the page before");
        }
        *after_id = dot + 1;
    }
    return OK;
}

/* One message of the page as JSON.  Ids, hex, times and our type names
 * need no escaping; the case system's record id does.  Its receipt time
 * and meldingId go to *last_t and *last_id (the next page's cursor). */
static void out_message(out_t *o, request_rec *r, bkm_db_t *db,
                        apr_dbd_row_t *row, apr_time_t *last_t,
                        const char **last_id)
{
    const char *hentet = apr_dbd_get_entry(db->drv, row, 6);
    const char *sha = apr_dbd_get_entry(db->drv, row, 4);
    const char *arkiv = apr_dbd_get_entry(db->drv, row, 9);
    apr_int64_t svar_tid;

    svar_tid = apr_atoi64(apr_dbd_get_entry(db->drv, row, 7));
    /* A copy: pgsql frees its result after the last row. */
    *last_id = apr_pstrdup(r->pool, apr_dbd_get_entry(db->drv, row, 0));
    OUT_LIT(o, "{\"meldingId\":\"");
    out_str(o, *last_id);
    OUT_LIT(o, "\",\"bekymringsmeldingId\":\"");
    out_str(o, apr_dbd_get_entry(db->drv, row, 1));
    OUT_LIT(o, "\",\"referanse\":\"");
    out_str(o, apr_dbd_get_entry(db->drv, row, 2));
    OUT_LIT(o, "\",\"meldingType\":\"");
    out_str(o, apr_dbd_get_entry(db->drv, row, 3));
    OUT_LIT(o, "\",\"sha256\":");
    out_json_string(o, sha && *sha ? sha : NULL);
    OUT_LIT(o, ",\"opprettet\":\"");
    out_time(o, apr_atoi64(apr_dbd_get_entry(db->drv, row, 5)));
    OUT_LIT(o, "\",\"hentet\":");
    if (hentet && *hentet) {
        OUT_LIT(o, "\"");
        out_time(o, apr_atoi64(hentet));
        OUT_LIT(o, "\"");
    }
    else {
        OUT_LIT(o, "null");
    }
    OUT_LIT(o, ",\"kvittert\":\"");
    out_time(o, svar_tid);
    OUT_LIT(o, "\",\"kvittering\":\"");
    out_str(o, apr_dbd_get_entry(db->drv, row, 8));
    OUT_LIT(o, "\",\"arkivreferanse\":");
    out_json_string(o, arkiv && *arkiv ? arkiv : NULL);
    OUT_LIT(o, "}");
    *last_t = svar_tid;
}

static int list(request_rec *r, bkm_db_t *db, const bkm_konto_t *k)
{
    apr_time_t fra = 0, til = 0, after_t = -1;
    const char *after_id = "";
    const char *args[6];
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    out_t o;
    int rv, limit = BKM_AVST_PAGE_MAX, n = 0;
    apr_time_t last_t = 0;
    const char *last_id = NULL;

    if ((rv = list_args(r, &fra, &til, &limit, &after_t, &after_id)) != OK) {
        return rv == DONE ? OK : rv;
    }
    args[0] = k->id;
    args[1] = apr_off_t_toa(r->pool, after_t > fra ? after_t : fra);
    args[2] = apr_off_t_toa(r->pool, til);
    args[3] = apr_off_t_toa(r->pool, after_t);
    args[4] = after_id;
    args[5] = apr_itoa(r->pool, limit);
    if (bkm_db_select(db, BKM_SQL_AVST_LISTE, &res, 6, args) != 0) {

        return bad(r, HTTP_SERVICE_UNAVAILABLE, "database",
                   "the database does not answer; try again");
    }
    /* Room for a full page at once: a message is about 420 bytes. */
    bkm_buf_init(&o, r->pool, (apr_size_t)limit * 420 + 256);
    OUT_LIT(&o, "{\"kontoId\":\"");
    out_str(&o, k->id);
    OUT_LIT(&o, "\",\"fra\":\"");
    out_time(&o, fra);
    OUT_LIT(&o, "\",\"til\":\"");
    out_time(&o, til);
    OUT_LIT(&o, "\",\"meldinger\":[");
    while (apr_dbd_get_row(db->drv, r->pool, res, &row, -1) == 0) {
        if (n) {
            OUT_LIT(&o, ",");
        }
        out_message(&o, r, db, row, &last_t, &last_id);
        n++;
    }
    if (n == limit && last_id) {
        OUT_LIT(&o, "],\"neste\":\"");
        out_str(&o, apr_psprintf(r->pool, "%" APR_INT64_T_FMT ".%s",
                                 (apr_int64_t)last_t, last_id));
        OUT_LIT(&o, "\"}");
    }
    else {
        OUT_LIT(&o, "],\"neste\":null}");
    }
    return bkm_reply_json_text(r, HTTP_OK, o.buf, o.len);
}

/* ---- POST: the answer ------------------------------------------------- */

/* A delivered message of the period, as the portal knows it. */
typedef struct {
    const char *id, *melding_id, *referanse, *arkivreferanse;
    int slettet, kontroll;
    const char *holdt; /* the case system's arkivreferanse, "" without
                               one; NULL: not in its answer */
} levert_t;

/* Every delivery of the period, by meldingId; NULL on a database error.
 * *count is how many (stops reading past BKM_AVST_MAX + 1: the answer is
 * refused then anyway). */
static apr_hash_t *delivered(bkm_db_t *db, const bkm_konto_t *k,
                             apr_time_t fra, apr_time_t til, int *count)
{
    const char *args[3] = { k->id, apr_off_t_toa(db->pool, fra),
                            apr_off_t_toa(db->pool, til) };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_hash_t *h = apr_hash_make(db->pool);

    *count = 0;
    if (bkm_db_select(db, BKM_SQL_AVST_SETT, &res, 3, args) != 0) {
        return NULL;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        levert_t *l;
        if (++*count > BKM_AVST_MAX) {
            continue; /* drained, not kept */
        }
        l = apr_pcalloc(db->pool, sizeof(*l));
        l->id = bkm_db_value(db, row, 0);
        l->melding_id = bkm_db_value(db, row, 1);
        l->referanse = bkm_db_value(db, row, 2);
        l->arkivreferanse = bkm_db_value(db, row, 3);
        l->slettet = bkm_db_value(db, row, 4) != NULL;
        l->kontroll = strcmp(bkm_db_value(db, row, 5), "kontroll") == 0;
        apr_hash_set(h, l->id, APR_HASH_KEY_STRING, l);
    }
    return h;
}

/* Check the answer's list against the period's deliveries and mark what
 * it holds.  NULL, or the error to answer (422), with up to
 * BKM_AVST_NAMED offending ids in @p named. */
static const char *match(apr_pool_t *p, json_t *list, apr_hash_t *known,
                         json_t *named, const char **kode)
{
    size_t i;
    json_t *e;

    *kode = "ugyldig-liste";
    if (!json_is_array(list)) {
        return "meldinger must be a list of {meldingId, arkivreferanse}";
    }
    json_array_foreach(list, i, e) {
        json_t *id = json_object_get(e, "meldingId");
        json_t *arkiv = json_object_get(e, "arkivreferanse");
        const char *ids;
        levert_t *l;

        if (!json_is_object(e) || !json_is_string(id)
            || json_object_size(e) != (arkiv ? 2u : 1u)
            || (arkiv && !json_is_string(arkiv) && !json_is_null(arkiv))) {
            return apr_psprintf(p,
                                "meldinger[%lu] must be {\"meldingId\": "
                                "string, \"arkivreferanse\": string}",
                                (unsigned long)i);
        }
        ids = json_string_value(id);
        if (!bkm_uuid_valid(ids, 0)) {
            return apr_psprintf(p,
                                "meldinger[%lu].meldingId is not a "
                                "meldingId",
                                (unsigned long)i);
        }
        if (arkiv && json_is_string(arkiv)
            && (json_string_length(arkiv) == 0
                || json_string_length(arkiv) > BKM_AVST_ARKIV_MAX)) {
            return apr_psprintf(p,
                                "meldinger[%lu].arkivreferanse must be "
                                "1 to %d bytes",
                                (unsigned long)i, BKM_AVST_ARKIV_MAX);
        }
        l = apr_hash_get(known, ids, APR_HASH_KEY_STRING);
        if (!l) {
            if (json_array_size(named) < BKM_AVST_NAMED) {
                json_array_append_new(named, json_string(ids));
            }
            continue;
        }
        if (l->holdt) {
            *kode = "ugyldig-liste";
            return apr_psprintf(p, "meldinger[%lu]: %s is named twice",
                                (unsigned long)i, ids);
        }
        l->holdt = arkiv && json_is_string(arkiv) ? json_string_value(arkiv)
                                                  : "";
    }
    if (json_array_size(named) > 0) {
        *kode = "ukjent-melding";
        return "the list names messages that are not this account's "
               "deliveries in the period (see meldinger)";
    }
    return NULL;
}

/* A delivered message its case system does not hold: back to its queue
 * with a new deadline, or, when retention has deleted its ciphertext
 * already, to a person (nothing is left to deliver again). */
static int requeue(bkm_db_t *db, const bkm_konto_t *k, const levert_t *l,
                   apr_time_t now, const char *aktor, const char **utfall)
{
    const char *t = apr_off_t_toa(db->pool, now);
    const char *lev[2] = { l->id, k->id };
    int rv, n = 0;

    if (l->slettet) {
        const char *args[2] = { t, l->melding_id };
        *utfall = "oppfolging";
        rv = bkm_db_run(db, BKM_SQL_AVST_OPPFOLGING, NULL, 2, args);
        return rv ? rv
                  : bkm_event(db, l->melding_id, now, "AVSTEMMING_MANGLER",
                              "LEVERT", aktor,
                              "Avstemming: fagsystemet har ikke "
                              "meldingen, og chifferteksten er slettet; "
                              "må følges opp manuelt");
    }
    *utfall = "tilbake";
    rv = bkm_db_run(db, BKM_SQL_AVST_TILBAKE_LEVERANSE, &n, 2, lev);
    if (rv == 0 && n == 1) {
        const char *args[3] = {
            apr_off_t_toa(db->pool, l->kontroll
                                        ? BKM_TIME_NEVER
                                        : bkm_cfg_deadline(bkm_db_server(db),
                                                           k->bydel, now)),
            t, l->melding_id
        };
        rv = bkm_db_run(db, BKM_SQL_AVST_TILBAKE_MELDING, &n, 3, args);
    }
    if (rv == 0 && n != 1) {
        return -1; /* changed under us: the answer is refused whole */
    }
    return rv ? rv
              : bkm_event(db, l->melding_id, now, "AVSTEMMING_MANGLER",
                          "AKSEPTERT", aktor,
                          "Avstemming: fagsystemet har ikke meldingen "
                          "som var levert; lagt tilbake i køen med ny "
                          "frist");
}

/* Move how far the account is reconciled (bkm_avstemt.til) to @p til
 * when this period joins what was confirmed before: it starts at or
 * before the old "til", or no delivery lies between.  A period after a
 * gap confirms nothing until the gap is reconciled (its deliveries still
 * count for the alert and keep their ciphertexts).  Then release what
 * retention held and is now covered.  *covered: the account's "til" after
 * (0: none).  Inside the answer's transaction. */
static int confirm(bkm_db_t *db, const bkm_konto_t *k, apr_time_t fra,
                   apr_time_t til, apr_time_t *covered)
{
    const char *konto = k->id;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v, *gap = NULL;
    apr_time_t wm = 0;

    if (bkm_db_select(db, BKM_SQL_AVST_VANNMERKE, &res, 1, &konto) != 0) {
        return -1;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        if ((v = bkm_db_value(db, row, 0))) {
            wm = (apr_time_t)apr_atoi64(v);
        }
    }
    *covered = wm;
    if (til <= wm) {
        return 0;
    }
    if (fra > wm) {
        const char *a[3] = { konto, apr_off_t_toa(db->pool, wm),
                             apr_off_t_toa(db->pool, fra) };
        res = NULL;
        if (bkm_db_select(db, BKM_SQL_AVST_HULL, &res, 3, a) != 0) {
            return -1;
        }
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            gap = bkm_db_value(db, row, 0);
        }
        if (gap) {
            return 0;
        }
    }
    {
        const char *a[2] = { konto, apr_off_t_toa(db->pool, til) };
        if (bkm_db_run(db, BKM_SQL_AVST_BEKREFT, NULL, 2, a) != 0
            || bkm_db_run(db, BKM_SQL_AVST_FRIGI, NULL, 2, a) != 0) {
            return -1;
        }
    }
    *covered = til;
    return 0;
}

/* A difference, stored after the reconciliation's row (its key). */
typedef struct {
    const char *melding_id, *referanse, *type, *utfall;
} diff_t;

/* What an answer found, for its reply and its row. */
typedef struct {
    int held, nmangler, navvik;
    json_t *mangler, *avvik; /* as many as the reply names */
} tally_t;

/* Read the answer: a JSON object {"fra", "til", "meldinger"} with a
 * period that is over.  OK with it in *j, *fra and *til, or DONE after
 * answering (or the status for httpd to answer). */
static int read_answer(request_rec *r, apr_time_t now, json_t **j,
                       apr_time_t *fra, apr_time_t *til)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    json_error_t jerr;
    const char *err, *fra_s, *til_s;
    char *body;
    apr_size_t len;
    int rv;

    if (!ct
        || strcasecmp(ap_getword(r->pool, &ct, ';'), "application/json")
               != 0) {
        return refuse(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "feil-innholdstype",
                      "the answer is application/json");
    }
    if ((rv = bkm_read_body(r, BKM_AVST_BODY_MAX, &body, &len)) != OK) {
        return rv;
    }
    *j = bkm_json_own(r->pool,
                      json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr));
    if (!json_is_object(*j)) {
        return refuse(r, HTTP_BAD_REQUEST, "ugyldig-json",
                      "the body must be one JSON object (no duplicate "
                      "keys)");
    }
    fra_s = json_string_value(json_object_get(*j, "fra"));
    til_s = json_string_value(json_object_get(*j, "til"));
    if (json_object_size(*j) != 3 || !json_object_get(*j, "meldinger")) {
        return refuse(r, HTTP_UNPROCESSABLE_ENTITY, "ugyldig-liste",
                      "the body is {\"fra\", \"til\", \"meldinger\"}");
    }
    if ((err = period(fra_s, til_s, now, fra, til))) {
        return refuse(r, HTTP_UNPROCESSABLE_ENTITY, "ugyldig-periode", err);
    }
    return OK;
}

/* Check the answer's list, whole, against the period's deliveries before
 * anything changes.  OK with them in *known (those the list holds
 * marked) and their number in *count, or DONE after answering. */
static int check_list(request_rec *r, bkm_db_t *db, const bkm_konto_t *k,
                      json_t *j, apr_time_t fra, apr_time_t til,
                      apr_hash_t **known, int *count)
{
    const char *err, *kode;
    json_t *named;
    int rv;

    if (!(*known = delivered(db, k, fra, til, count))) {
        return refuse(r, HTTP_SERVICE_UNAVAILABLE, "database",
                      "the database does not answer; try again");
    }
    if (*count > BKM_AVST_MAX) {
        return refuse(r, HTTP_UNPROCESSABLE_ENTITY, "periode-for-stor",
                      apr_psprintf(r->pool,
                                   "more than %d deliveries in "
                                   "the period: reconcile shorter periods",
                                   BKM_AVST_MAX));
    }
    named = bkm_json_own(r->pool, json_array());
    if ((err = match(r->pool, json_object_get(j, "meldinger"), *known, named,
                     &kode))) {
        json_t *e = json_pack("{s:s, s:s, s:s}", "errorId", kode,
                              "feilmelding", err, "kode", kode);
        if (json_array_size(named)) {
            json_object_set(e, "meldinger", named);
        }
        rv = bkm_reply_json(r, HTTP_UNPROCESSABLE_ENTITY, e);
        return rv == OK ? DONE : rv;
    }
    return OK;
}

/* One delivery of the period against the answer: missing (back to its
 * queue), held under another record id (a difference for a person), or
 * held.  A difference goes to @p diffs once recorded.  Inside the
 * answer's transaction. */
static int compare_one(bkm_db_t *db, const bkm_integrasjon_t *in,
                       const bkm_konto_t *k, const levert_t *l,
                       apr_time_t now, tally_t *t, apr_array_header_t *diffs)
{
    const char *utfall, *type = NULL;
    int rv = 0;

    if (!l->holdt) {
        rv = requeue(db, k, l, now, in->id, &utfall);
        type = "mangler";
        t->nmangler++;
        if (json_array_size(t->mangler) < BKM_AVST_DIFF_MAX) {
            json_array_append_new(t->mangler,
                                  json_pack("{s:s, s:s, s:s, s:s}",
                                            "meldingId", l->id,
                                            "bekymringsmeldingId",
                                            l->melding_id, "referanse",
                                            l->referanse, "utfall", utfall));
        }
    }
    else if (*l->holdt && l->arkivreferanse
             && strcmp(l->holdt, l->arkivreferanse) != 0) {
        /* The record id of its stored-receipt differs: recorded for
         * a person; the message is held, so nothing is sent again. */
        utfall = "registrert";
        type = "arkivreferanse";
        t->navvik++;
        rv = bkm_event(db, l->melding_id, now, "AVSTEMMING_AVVIK", "LEVERT",
                       in->id,
                       "Avstemming: fagsystemet oppgir en annen "
                       "arkivreferanse enn lagringskvitteringen");
        if (json_array_size(t->avvik) < BKM_AVST_DIFF_MAX) {
            json_array_append_new(t->avvik,
                                  json_pack("{s:s, s:s, s:s, s:s, s:s}",
                                            "meldingId", l->id,
                                            "bekymringsmeldingId",
                                            l->melding_id, "referanse",
                                            l->referanse,
                                            "arkivreferanseKvittering",
                                            l->arkivreferanse,
                                            "arkivreferanseAvstemming",
                                            l->holdt));
        }
    }
    else {
        t->held++;
    }
    if (rv == 0 && type) {
        /* Stored after the reconciliation's row (its key). */
        diff_t *d = apr_array_push(diffs);
        d->melding_id = l->melding_id;
        d->referanse = l->referanse;
        d->type = type;
        d->utfall = utfall;
    }
    return rv;
}

/* The reconciliation's row, then its differences (keyed by the row).
 * Inside the answer's transaction. */
static int store_run(request_rec *r, bkm_db_t *db,
                     const bkm_integrasjon_t *in, const bkm_konto_t *k,
                     const char *run_id, apr_time_t now, apr_time_t fra,
                     apr_time_t til, int count, const tally_t *t,
                     const apr_array_header_t *diffs)
{
    const char *a[10] = { run_id,
                          k->id,
                          apr_off_t_toa(r->pool, now),
                          apr_off_t_toa(r->pool, fra),
                          apr_off_t_toa(r->pool, til),
                          in->id,
                          apr_itoa(r->pool, count),
                          apr_itoa(r->pool, t->held + t->navvik),
                          apr_itoa(r->pool, t->nmangler),
                          apr_itoa(r->pool, t->navvik) };
    int rv, i;

    rv = bkm_db_run(db, BKM_SQL_AVST_INSERT, NULL, 10, a);
    for (i = 0; rv == 0 && i < diffs->nelts; i++) {
        const diff_t *d = &APR_ARRAY_IDX(diffs, i, diff_t);
        const char *a5[5] = { run_id, d->melding_id, d->referanse, d->type,
                              d->utfall };
        rv = bkm_db_run(db, BKM_SQL_AVST_AVVIK_INSERT, NULL, 5, a5);
    }
    return rv;
}

/* In one transaction: confirm the period, release what retention held
 * for it, put back what is missing, and store the reconciliation.  0,
 * else nothing changed. */
static int reconcile(request_rec *r, bkm_db_t *db,
                     const bkm_integrasjon_t *in, const bkm_konto_t *k,
                     const char *run_id, apr_time_t now, apr_time_t fra,
                     apr_time_t til, apr_hash_t *known, int count, tally_t *t,
                     apr_time_t *covered)
{
    apr_array_header_t *diffs = apr_array_make(r->pool, 8, sizeof(diff_t));
    apr_hash_index_t *hi;
    int rv;

    rv = confirm(db, k, fra, til, covered);
    for (hi = apr_hash_first(r->pool, known); rv == 0 && hi;
         hi = apr_hash_next(hi)) {
        rv = compare_one(db, in, k, apr_hash_this_val(hi), now, t, diffs);
    }
    if (rv == 0) {
        rv = store_run(r, db, in, k, run_id, now, fra, til, count, t, diffs);
    }
    return rv;
}

static int answer(request_rec *r, bkm_db_t *db, const bkm_integrasjon_t *in,
                  const bkm_konto_t *k)
{
    apr_time_t now = bkm_now(r), fra, til;
    json_t *j;
    apr_hash_t *known;
    const char *run_id = bkm_uuid(r->pool);
    int rv, count = 0;
    apr_time_t covered = 0;
    tally_t t = { 0, 0, 0, NULL, NULL };

    if ((rv = read_answer(r, now, &j, &fra, &til)) != OK
        || (rv = check_list(r, db, k, j, fra, til, &known, &count)) != OK) {
        return rv == DONE ? OK : rv;
    }

    /* Valid: in one transaction, confirm the period, release what
     * retention held for it, and send back what is missing. */
    t.mangler = bkm_json_own(r->pool, json_array());
    t.avvik = bkm_json_own(r->pool, json_array());
    if ((rv = bkm_db_begin(db)) != 0) {
        return bad(r, HTTP_SERVICE_UNAVAILABLE, "database",
                   "the database does not answer; try again");
    }
    rv = reconcile(r, db, in, k, run_id, now, fra, til, known, count, &t,
                   &covered);
    if (bkm_db_end(db, rv) != 0) {
        ap_log_rerror(
            APLOG_MARK, APLOG_ERR, 0, r,
            BKMLOGNO(03201) "account %s: reconciliation not stored: %s",
            k->id, db->error ? db->error : "database error");
        return bad(r, HTTP_SERVICE_UNAVAILABLE, "database",
                   "the reconciliation could not be stored; nothing "
                   "changed: try again");
    }
    if (t.nmangler) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, BKMLOGNO(03202)
                      "ALERT avstemming: account %s does not hold %d of the "
                      "%d reports delivered to it (reconciliation %s); they "
                      "are back in its queue", k->id, t.nmangler, count,
                      run_id);
    }
    return bkm_reply_json(
        r, HTTP_OK,
        json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:O, s:O, s:o}",
                  "avstemmingId", run_id, "kontoId", k->id, "fra",
                  bkm_time_utc(r->pool, fra), "til",
                  bkm_time_utc(r->pool, til), "levert", count, "bekreftet",
                  t.held + t.navvik, "mangler", t.mangler, "avvik", t.avvik,
                  "avstemtTil",
                  covered > 0 ? json_string(bkm_time_utc(r->pool, covered))
                              : json_null()));
}

/* A connection for the account's reconciliation: OK, or DONE after
 * answering 503. */
static int acquire(request_rec *r, bkm_db_t **db)
{
    if (!(*db = bkm_db_acquire(r))) {
        bad(r, HTTP_SERVICE_UNAVAILABLE, "database",
            "the database does not answer; try again");
        return DONE;
    }
    return OK;
}

/* GET .../konto/{kontoId}/avstemming (a case system's account: the
 * route's access rule) */
int bkm_handle_avstemming(request_rec *r, const bkm_req_t *q)
{
    bkm_db_t *db;

    return acquire(r, &db) != OK ? OK : list(r, db, q->konto);
}

/* POST .../konto/{kontoId}/avstemming */
int bkm_handle_avstemming_svar(request_rec *r, const bkm_req_t *q)
{
    bkm_db_t *db;

    return acquire(r, &db) != OK ? OK : answer(r, db, q->in, q->konto);
}

/* ---- the escalation pass --------------------------------------------- */

apr_status_t bkm_avstemming_alerts(bkm_db_t *db, apr_time_t now, int *late)
{
    const bkm_srv_cfg_t *c = bkm_srv_cfg(bkm_db_server(db));
    int days = bkm_cfg_reconcile_within(c), i, j;

    *late = 0;
    if (!days || !c->registry) {
        return APR_SUCCESS;
    }
    for (i = 0; i < c->registry->kommuner->nelts; i++) {
        const bkm_kommune_t *km = APR_ARRAY_IDX(c->registry->kommuner, i,
                                                const bkm_kommune_t *);
        for (j = 0; j < km->bydeler->nelts; j++) {
            const bkm_bydel_t *b = APR_ARRAY_IDX(km->bydeler, j,
                                                 const bkm_bydel_t *);
            apr_dbd_results_t *res = NULL;
            apr_dbd_row_t *row = NULL;
            const char *oldest = NULL;
            const char *two[2] = { b->konto_id, b->konto_id };
            apr_time_t since, due;

            if (b->kanal != BKM_KANAL_FAGSYSTEM || !b->konto_id) {
                continue;
            }
            if (bkm_db_select(db, BKM_SQL_AVST_ELDSTE, &res, 2, two) != 0) {
                return APR_EGENERAL;
            }
            while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
                oldest = bkm_db_value(db, row, 0);
            }
            if (!oldest) {
                continue;
            }
            since = (apr_time_t)apr_atoi64(oldest);
            due = bkm_business_deadline(
                since,
                bkm_business_span(apr_time_from_sec(days * 86400),
                                  &b->kontortid),
                &b->kontortid);
            if (due <= now) {
                (*late)++;
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, bkm_db_server(db),
                             BKMLOGNO(03210)
                             "ALERT avstemming: account %s (%s/%s) has not "
                             "confirmed a delivery of %s in a "
                             "reconciliation within %d business days",
                             b->konto_id, km->nummer, b->nummer,
                             bkm_time_utc(db->pool, since), days);
            }
        }
    }
    return APR_SUCCESS;
}

/* ---- the administration's reconciliation page ------------------------ */

/* Stored microseconds as Oslo time, or NULL. */
static json_t *when(apr_pool_t *p, const char *micros)
{
    char buf[20];

    if (!micros) {
        return json_null();
    }
    bkm_time_oslo_format(buf, (apr_time_t)apr_atoi64(micros));
    return json_string(buf);
}

json_t *bkm_avstemming_accounts(bkm_db_t *db, const bkm_kommune_t *k,
                                const apr_array_header_t *bydeler)
{
    json_t *list = json_array();
    int i, j;

    for (i = 0; i < k->bydeler->nelts; i++) {
        const bkm_bydel_t *b = APR_ARRAY_IDX(k->bydeler, i,
                                             const bkm_bydel_t *);
        const char *konto = b->konto_id, *run = NULL, *oldest = NULL;
        const char *two[2] = { b->konto_id, b->konto_id };
        apr_dbd_results_t *res = NULL;
        apr_dbd_row_t *row = NULL;
        json_t *siste = json_null(), *avvik = json_array(), *o;
        int mine = !bydeler;

        for (j = 0; bydeler && j < bydeler->nelts; j++) {
            mine |= strcmp(APR_ARRAY_IDX(bydeler, j, const char *), b->nummer)
                    == 0;
        }
        if (!mine || b->kanal != BKM_KANAL_FAGSYSTEM || !konto) {
            continue;
        }
        if (bkm_db_select(db, BKM_SQL_AVST_SISTE, &res, 1, &konto) != 0) {
            json_decref(list);
            json_decref(avvik);
            return NULL;
        }
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            run = bkm_db_value(db, row, 0);
            siste = json_pack("{s:o, s:o, s:o, s:i, s:i, s:i, s:i}",
                              "tidspunkt",
                              when(db->pool, bkm_db_value(db, row, 1)), "fra",
                              when(db->pool, bkm_db_value(db, row, 2)), "til",
                              when(db->pool, bkm_db_value(db, row, 3)),
                              "levert", atoi(bkm_db_value(db, row, 4)),
                              "bekreftet", atoi(bkm_db_value(db, row, 5)),
                              "mangler",
                              atoi(bkm_db_value(db, row, 6) ?: "0"), "avvik",
                              atoi(bkm_db_value(db, row, 7) ?: "0"));
        }
        if (run) {
            const char *a[2] = { run, "100" };
            res = NULL;
            if (bkm_db_select(db, BKM_SQL_AVST_AVVIK_LISTE, &res, 2, a)
                != 0) {
                json_decref(list);
                json_decref(avvik);
                json_decref(siste);
                return NULL;
            }
            while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
                json_array_append_new(avvik,
                                      json_pack("{s:s, s:s, s:s, s:s}",
                                                "bekymringsmeldingId",
                                                bkm_db_value(db, row, 0),
                                                "referanse",
                                                bkm_db_value(db, row, 1),
                                                "type",
                                                bkm_db_value(db, row, 2),
                                                "utfall",
                                                bkm_db_value(db, row, 3)));
            }
        }
        res = NULL;
        if (bkm_db_select(db, BKM_SQL_AVST_ELDSTE, &res, 2, two) == 0) {
            while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
                oldest = bkm_db_value(db, row, 0);
            }
        }
        o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "bydelsnummer",
                      b->nummer, "bydelsnavn", b->navn, "kontoId", konto,
                      "sisteAvstemming", siste, "eldsteUavstemt",
                      when(db->pool, oldest), "avvik", avvik);
        json_array_append_new(list, o);
    }
    return list;
}
