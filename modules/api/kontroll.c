/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Proof of possession (issue 12, items 4 and 6).
 *
 * Every report for a case system is sealed with a random secret
 * (bkm_besittelse.h, 0011_besittelse.sql).  Two checks use it:
 *
 *   - the stored-receipt v2 (schema/lagringskvittering/v2.md) carries
 *     HMAC(secret, meldingId, sha256, arkivreferanse): a receipt proves
 *     that its sender decrypted this very message, not that it read a
 *     hash the portal publishes.  bkm_kontroll_besittelse() decides, for
 *     api/kvittering.c.
 *   - after delivery, the escalation pass challenges a sample of each
 *     account's delivered reports (BekymringPostCheckRate a business day):
 *
 *       GET  .../konto/{kontoId}/kontroller               open challenges
 *       POST .../konto/{kontoId}/kontroller/{kontrollId}  {"svar": hex}
 *
 *     answered with HMAC(secret, kontrollId, meldingId, nonce) within one
 *     business day of the district.  No answer or a wrong one: the report
 *     goes back to its queue with a new deadline (then letter post, as
 *     any), the timeline says why, and an ALERT line is logged.
 *
 * A producer's container is sealed by the producer, so its secret comes
 * as a CMS message of its own: GET .../meldinger/{meldingId}/besittelse.
 *
 * Every background step claims its row with a conditional UPDATE (an
 * account's next sampling time, a challenge's utfall IS NULL), so two
 * nodes running the pass at once never both act on one row.
 */
#include "mod_bekymring_private.h"
#include "api/konto.h"
#include "api/kontroll.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "server/routes.h"
#include "bkm_calendar.h"
#include "bkm_db.h"
#include "bkm_leveranse.h"
#include "bkm_log.h"
#include "bkm_registry.h"
#include "bkm_route.h"
#include "bkm_besittelse.h"
#include "bkm_lagringskvittering.h"
#include "bkm_ids.h"
#include "bkm_digest.h"
#include "bkm_time.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <apr_base64.h>
#include <openssl/rand.h>

/* This file's statements, prepared on every connection (the table is
 * handed to mod_dbd by server/db.c). */
#define BKM_SQL_BESITTELSE_GET "bkm_besittelse_get"
#define BKM_SQL_KONTROLL_KONTO_SEED "bkm_kontroll_konto_seed"
#define BKM_SQL_KONTROLL_KONTO_DUE "bkm_kontroll_konto_due"
#define BKM_SQL_KONTROLL_KONTO_CLAIM "bkm_kontroll_konto_claim"
#define BKM_SQL_KONTROLL_KANDIDATER "bkm_kontroll_kandidater"
#define BKM_SQL_KONTROLL_INSERT "bkm_kontroll_insert"
#define BKM_SQL_KONTROLL_DUE "bkm_kontroll_due"
#define BKM_SQL_KONTROLL_SETT "bkm_kontroll_sett"
#define BKM_SQL_KONTROLL_APNE "bkm_kontroll_apne"
#define BKM_SQL_KONTROLL_GET "bkm_kontroll_get"
#define BKM_SQL_MELDING_IKKE_LEVERT "bkm_melding_ikke_levert"

const bkm_sql_t bkm_kontroll_sql[] = {
    /* Proof of possession and post-delivery challenges (issue 12, items
     * 4 and 6: api/kontroll.c, 0011_besittelse.sql). */
    { BKM_SQL_BESITTELSE_GET,
      "SELECT hemmelighet, utfordring FROM bkm_besittelse "
      "WHERE melding_id = %s" },
    { BKM_SQL_KONTROLL_KONTO_SEED,
      "INSERT INTO bkm_kontroll_konto (konto_id, neste) VALUES (%s, %lld) "
      "ON CONFLICT (konto_id) DO NOTHING" },
    { BKM_SQL_KONTROLL_KONTO_DUE,
      "SELECT konto_id, neste FROM bkm_kontroll_konto WHERE neste <= %lld "
      "ORDER BY neste LIMIT %d" },
    { BKM_SQL_KONTROLL_KONTO_CLAIM,
      "UPDATE bkm_kontroll_konto SET neste = %lld WHERE konto_id = %s "
      "AND neste = %lld" },
    /* The account's newest answered messages first, read in index order
     * (bkm_leveranse_levert) and cut at 256 before any join: otherwise
     * PostgreSQL planned a hash join over every delivered report (250 ms
     * at 70,000 of them, make bench). */
    { BKM_SQL_KONTROLL_KANDIDATER,
      "SELECT l.id, l.melding_id FROM (SELECT id, melding_id, svar_tid "
      "FROM bkm_leveranse WHERE konto_id = %s AND svar IS NOT NULL "
      "AND svar_tid >= %lld AND mottaker = 'fagsystem' "
      "AND svar IN ('mottatt', 'lagret') ORDER BY svar_tid DESC LIMIT 256) "
      "l JOIN bkm_melding m ON m.id = l.melding_id "
      "JOIN bkm_besittelse b ON b.melding_id = l.melding_id "
      "WHERE m.levert IS NOT NULL AND m.slettet IS NULL AND NOT EXISTS "
      "(SELECT 1 FROM bkm_kontroll k WHERE k.melding_id = l.melding_id "
      "AND k.utfall IS NULL) ORDER BY l.svar_tid DESC LIMIT %d" },
    { BKM_SQL_KONTROLL_INSERT,
      "INSERT INTO bkm_kontroll (id, melding_id, leveranse_id, konto_id, "
      "nonce, opprettet, frist) VALUES (%s, %s, %s, %s, %s, %lld, %lld)" },
    { BKM_SQL_KONTROLL_DUE,
      "SELECT id, melding_id, konto_id FROM bkm_kontroll "
      "WHERE utfall IS NULL AND frist <= %lld ORDER BY frist, id LIMIT %d" },
    { BKM_SQL_KONTROLL_SETT,
      "UPDATE bkm_kontroll SET utfall = %s, besvart = %lld WHERE id = %s "
      "AND utfall IS NULL" },
    { BKM_SQL_KONTROLL_APNE,
      "SELECT id, leveranse_id, melding_id, nonce, opprettet, frist "
      "FROM bkm_kontroll WHERE konto_id = %s AND utfall IS NULL "
      "ORDER BY opprettet, id LIMIT %d" },
    { BKM_SQL_KONTROLL_GET,
      "SELECT k.melding_id, k.leveranse_id, k.nonce, k.utfall, k.frist, "
      "b.hemmelighet FROM bkm_kontroll k LEFT JOIN bkm_besittelse b "
      "ON b.melding_id = k.melding_id WHERE k.id = %s AND k.konto_id = %s" },
    { BKM_SQL_MELDING_IKKE_LEVERT,
      "UPDATE bkm_melding SET tilstand = 'AKSEPTERT', levert = NULL, "
      "frist = %lld, endret = %lld WHERE id = %s AND levert IS NOT NULL "
      "AND slettet IS NULL" },
    { NULL, NULL }
};

#define BKM_KONTROLL_MAX_BODY 1024
#define BKM_KONTROLL_LIST 100
#define BKM_KONTROLL_SELECT 200
/* Reports delivered this long ago or less are sampled: a case system must
 * still hold them, and the portal still has their ciphertext to send
 * again (retention is 30 days by default). */
#define BKM_KONTROLL_WINDOW apr_time_from_sec(28 * 86400)
#define BKM_KONTROLL_CANDIDATES 64
#define BKM_ONE_DAY apr_time_from_sec(86400)

/* ---- item 4: the stored-receipt's proof ------------------------------ */

/* The report's secret and, for a producer's container, its CMS message
 * (base64); both NULL when it has none (kanal manuell, or a report from
 * before 0011).  -1 on a database error. */
static int secret_of(bkm_db_t *db, const char *melding_id,
                     const char **secret, const char **cms)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;

    *secret = *cms = NULL;
    if (bkm_db_select(db, BKM_SQL_BESITTELSE_GET, &res, 1, &melding_id)) {
        return -1;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        *secret = bkm_db_value(db, row, 0);
        *cms = bkm_db_value(db, row, 1);
    }
    return 0;
}

apr_status_t bkm_kontroll_besittelse(bkm_db_t *db, const bkm_leveranse_t *l,
                                     const void *receipt,
                                     const bkm_bydel_t *b, const char **kode,
                                     const char **why)
{
    const bkm_lagringskvittering_t *lk = receipt;
    const char *secret, *cms, *want;

    if (secret_of(db, l->melding_id, &secret, &cms) != 0) {
        return APR_EGENERAL;
    }
    if (lk->versjon < 2) {
        /* A report sealed without a secret cannot be proven otherwise. */
        if (b && b->avvis_lagringskvittering_v1 && secret) {
            *kode = "lagringskvittering-v1-avvist";
            *why =
                "this district accepts only stored-receipts of versjon "
                "2, with besittelsesbevis";
            return APR_EINVAL;
        }
        return APR_SUCCESS;
    }
    if (!secret) {
        *kode = "besittelse-mangler";
        *why =
            "this message was sealed without a secret: send a "
            "stored-receipt of versjon 1";
        return APR_EINVAL;
    }
    want = bkm_besittelse_bevis(db->pool, secret, l->id, lk->sha256,
                                lk->arkivreferanse);
    if (!bkm_besittelse_equal(want, lk->besittelsesbevis)) {
        *kode = "feil-besittelsesbevis";
        *why =
            "besittelsesbevis is not the proof for this message, its "
            "sha256 and arkivreferanse";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* ---- GET .../meldinger/{meldingId}/besittelse ------------------------ */

int bkm_handle_besittelse(request_rec *r, const bkm_req_t *q)
{
    const bkm_konto_t *k = q->konto;
    const char *id = bkm_route_param(q->match, "meldingId");
    const char *secret, *cms;
    bkm_leveranse_t l;
    bkm_db_t *db;
    char *der;
    int len;

    if (bkm_konto_leveranse(r, &db, k, id, 0, &l) != OK) {
        return OK; /* answered */
    }
    if (strcmp(l.mottaker, "fagsystem") != 0) {
        return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-adresse",
                               "only a case system's messages have a "
                               "secret");
    }
    if (secret_of(db, l.melding_id, &secret, &cms) != 0) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the database does not answer; try again");
    }
    if (!secret) {
        return bkm_reply_error(r, HTTP_NOT_FOUND, "besittelse-mangler",
                               "this message was sealed without a secret");
    }
    if (!cms) {
        return bkm_reply_error(r, HTTP_NOT_FOUND, "besittelse-i-beholderen",
                               "the secret of this message is inside its "
                               "container, in " BKM_BESITTELSE_FILE);
    }
    der = apr_palloc(r->pool, apr_base64_decode_len(cms));
    len = apr_base64_decode(der, cms);
    ap_set_content_type(r, "application/pkcs7-mime");
    apr_table_setn(r->headers_out, "Innholdstype", BKM_BESITTELSE_MEDIA_TYPE);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, len);
    if (!r->header_only) {
        ap_rwrite(der, len, r);
    }
    return OK;
}

/* ---- item 6: challenges ----------------------------------------------- */

static const bkm_bydel_t *konto_bydel(server_rec *s, const char *konto_id)
{
    const bkm_registry_t *reg = bkm_srv_cfg(s)->registry;
    const bkm_konto_t *k = reg ? apr_hash_get(reg->konto_by_id, konto_id,
                                              APR_HASH_KEY_STRING)
                               : NULL;

    return k ? k->bydel : NULL;
}

/* One business day of the district from @p now: a challenge's time. */
static apr_time_t one_business_day(const bkm_bydel_t *b, apr_time_t now)
{
    return bkm_business_deadline(now,
                                 bkm_business_span(BKM_ONE_DAY,
                                                   &b->kontortid),
                                 &b->kontortid);
}

static unsigned int random_below(unsigned int n)
{
    unsigned int v = 0;

    if (n <= 1 || RAND_bytes((unsigned char *)&v, sizeof(v)) != 1) {
        return 0;
    }
    return v % n;
}

/* When the account is sampled next: about @p rate times a business day,
 * at a random moment (half to one and a half of the mean interval), so
 * that a case system cannot tell when the next challenge comes. */
static apr_time_t next_sample(const bkm_bydel_t *b, apr_time_t now, int rate)
{
    apr_interval_time_t mean = bkm_business_span(BKM_ONE_DAY, &b->kontortid)
                               / rate;
    apr_interval_time_t span = mean / 2
                               + (apr_interval_time_t)random_below(1000)
                                     * mean / 1000;

    return bkm_business_deadline(now, span > 0 ? span : 1, &b->kontortid);
}

/* A challenge on one of the account's recently delivered reports, inside
 * the caller's transaction.  1 issued, 0 nothing to challenge, -1 error. */
static int challenge(bkm_db_t *db, const char *konto_id, const bkm_bydel_t *b,
                     apr_time_t now, const char **kontroll_id)
{
    const char *args[3] = {
        konto_id, apr_off_t_toa(db->pool, now - BKM_KONTROLL_WINDOW),
        apr_itoa(db->pool, BKM_KONTROLL_CANDIDATES)
    };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *lev, *mel;
    const char *ins[7], *nonce;
    int i;

    if (bkm_db_select(db, BKM_SQL_KONTROLL_KANDIDATER, &res, 3, args)) {
        return -1;
    }
    lev = apr_array_make(db->pool, 16, sizeof(const char *));
    mel = apr_array_make(db->pool, 16, sizeof(const char *));
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        APR_ARRAY_PUSH(lev, const char *) = bkm_db_value(db, row, 0);
        APR_ARRAY_PUSH(mel, const char *) = bkm_db_value(db, row, 1);
    }
    if (lev->nelts == 0) {
        return 0;
    }
    i = (int)random_below((unsigned int)lev->nelts);
    /* The nonce only has to be fresh; a secret's worth of randomness
     * does that. */
    if (!(nonce = bkm_besittelse_new(db->pool))) {
        return -1;
    }
    *kontroll_id = bkm_uuid(db->pool);
    ins[0] = *kontroll_id;
    ins[1] = APR_ARRAY_IDX(mel, i, const char *);
    ins[2] = APR_ARRAY_IDX(lev, i, const char *);
    ins[3] = konto_id;
    ins[4] = nonce;
    ins[5] = apr_off_t_toa(db->pool, now);
    ins[6] = apr_off_t_toa(db->pool, one_business_day(b, now));
    if (bkm_db_run(db, BKM_SQL_MELDING_LOCK, NULL, 2,
                   (const char *[]){ ins[5], ins[1] })
        || bkm_db_run(db, BKM_SQL_KONTROLL_INSERT, NULL, 7, ins)
        || bkm_event(db, ins[1], now, "KONTROLL_SENDT", "LEVERT", "kontroll",
                     "Kontroll etter levering sendt: "
                     "fagsystemet må vise at det fortsatt har meldingen")) {
        return -1;
    }
    return 1;
}

/* Sample one account whose time has come: claim it by moving its next
 * time from the value read (@p neste_was), then challenge.  1 issued. */
static int sample_account(bkm_db_t *db, const char *konto_id,
                          const char *neste_was, apr_time_t now, int rate,
                          const char **kontroll_id)
{
    const bkm_bydel_t *b = konto_bydel(bkm_db_server(db), konto_id);
    const char *claim[3];
    int rv, n = 0, issued = 0;

    if (!b || b->kanal != BKM_KANAL_FAGSYSTEM) {
        return 0; /* gone from the registry: its row stays idle */
    }
    claim[0] = apr_off_t_toa(db->pool, next_sample(b, now, rate));
    claim[1] = konto_id;
    claim[2] = neste_was;
    if ((rv = bkm_db_begin(db)) != 0) {
        return -1;
    }
    rv = bkm_db_run(db, BKM_SQL_KONTROLL_KONTO_CLAIM, &n, 3, claim);
    if (rv == 0 && n == 1) {
        issued = challenge(db, konto_id, b, now, kontroll_id);
        rv = issued < 0 ? -1 : 0;
    }
    return bkm_db_end(db, rv) == 0 ? issued : -1;
}

/* Every case-system account of the registry gets a row the first time a
 * process passes (the rows outlive processes; of two nodes inserting one,
 * ON CONFLICT keeps the first).  Once per process and registry: the pass
 * stays at two index reads when nothing is due.  Two threads of a process
 * that pass at once may both seed: ON CONFLICT makes that harmless, so
 * the pointer needs no lock. */
static const void *seeded_registry;

static int seed_accounts(bkm_db_t *db, apr_time_t now, int rate)
{
    const bkm_registry_t *reg = bkm_srv_cfg(bkm_db_server(db))->registry;
    apr_hash_index_t *hi;
    int rv = 0;

    if (!reg || seeded_registry == reg) {
        return 0;
    }
    if (bkm_db_begin(db) != 0) {
        return -1;
    }
    for (hi = apr_hash_first(db->pool, reg->konto_by_id); hi && rv == 0;
         hi = apr_hash_next(hi)) {
        const bkm_konto_t *k = apr_hash_this_val(hi);
        const char *args[2];

        if (!k->bydel || k->bydel->kanal != BKM_KANAL_FAGSYSTEM) {
            continue;
        }
        args[0] = k->id;
        args[1] = apr_off_t_toa(db->pool, next_sample(k->bydel, now, rate));
        rv = bkm_db_run(db, BKM_SQL_KONTROLL_KONTO_SEED, NULL, 2, args);
    }
    if ((rv = bkm_db_end(db, rv)) == 0) {
        seeded_registry = reg;
    }
    return rv;
}

static int sample_due(bkm_db_t *db, apr_time_t now, int rate, int *issued)
{
    const char *args[2] = { apr_off_t_toa(db->pool, now),
                            apr_itoa(db->pool, BKM_KONTROLL_SELECT) };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *due;
    const char *id;
    int i, k;

    if (seed_accounts(db, now, rate) != 0
        || bkm_db_select(db, BKM_SQL_KONTROLL_KONTO_DUE, &res, 2, args)) {
        return -1;
    }
    due = apr_array_make(db->pool, 8, 2 * sizeof(const char *));
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        const char **e = apr_array_push(due);
        e[0] = bkm_db_value(db, row, 0);
        e[1] = bkm_db_value(db, row, 1);
    }
    for (i = 0; i < due->nelts; i++) {
        const char **e = (const char **)(due->elts + i * due->elt_size);
        if ((k = sample_account(db, e[0], e[1], now, rate, &id)) < 0) {
            return -1;
        }
        *issued += k;
    }
    return 0;
}

/* The challenge failed (@p utfall FEIL or UTLOPT): claim it, and if ours,
 * put the report back in its queue, inside the caller's transaction.
 * 1 done, 0 another node (or an answer) settled it first, -1 error. */
static int fail_challenge(bkm_db_t *db, const char *kontroll_id,
                          const char *melding_id, const char *konto_id,
                          const char *utfall, apr_time_t now)
{
    const char *t = apr_off_t_toa(db->pool, now);
    const char *sett[3] = { utfall, t, kontroll_id };
    const char *lock[2] = { t, melding_id };
    const char *nullstill[2] = { melding_id, "fagsystem" };
    const bkm_bydel_t *b = konto_bydel(bkm_db_server(db), konto_id);
    const char *tekst;
    int n = 0, back = 0;

    if (bkm_db_run(db, BKM_SQL_MELDING_LOCK, NULL, 2, lock)
        || bkm_db_run(db, BKM_SQL_KONTROLL_SETT, &n, 3, sett)) {
        return -1;
    }
    if (n != 1) {
        return 0;
    }
    if (b) {
        const char *upd[3] = {
            apr_off_t_toa(db->pool,
                          bkm_cfg_deadline(bkm_db_server(db), b, now)),
            t, melding_id
        };
        if (bkm_db_run(db, BKM_SQL_MELDING_IKKE_LEVERT, &back, 3, upd)) {
            return -1;
        }
    }
    if (back == 1
        && bkm_db_run(db, BKM_SQL_LEVERANSE_NULLSTILL, NULL, 2, nullstill)) {
        return -1;
    }
    tekst = strcmp(utfall, "FEIL") == 0
                ? "Kontroll etter levering besvart feil"
                : "Kontroll etter "
                  "levering ikke besvart innen én virkedag";
    tekst = apr_pstrcat(db->pool, tekst,
                        back == 1
                            ? "; lagt tilbake til fagsystemet med ny frist, "
                              "deretter brevpost"
                            : "; ikke lagt tilbake: meldingen er allerede "
                              "ulevert, chifferteksten er slettet, eller "
                              "bydelen finnes ikke lenger",
                        NULL);
    if (bkm_event(db, melding_id, now, "KONTROLL_FEILET",
                  back == 1 ? "AKSEPTERT" : "LEVERT", "kontroll", tekst)) {
        return -1;
    }
    return 1;
}

static void alert(server_rec *s, const char *kontroll_id,
                  const char *melding_id, const char *konto_id,
                  const char *utfall)
{
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BKMLOGNO(03110)
                 "ALERT kontroll-feilet: challenge %s of report %s "
                 "(account %s) %s; the report is back in its queue",
                 kontroll_id, melding_id, konto_id,
                 strcmp(utfall, "FEIL") == 0 ? "answered wrongly"
                                             : "not answered in time");
}

static int overdue(bkm_db_t *db, apr_time_t now, int *failed)
{
    const char *args[2] = { apr_off_t_toa(db->pool, now),
                            apr_itoa(db->pool, BKM_KONTROLL_SELECT) };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *due;
    int i, k, rv;

    do {
        if (bkm_db_select(db, BKM_SQL_KONTROLL_DUE, &res, 2, args)) {
            return -1;
        }
        due = apr_array_make(db->pool, 8, 3 * sizeof(const char *));
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            const char **e = apr_array_push(due);
            e[0] = bkm_db_value(db, row, 0);
            e[1] = bkm_db_value(db, row, 1);
            e[2] = bkm_db_value(db, row, 2);
        }
        for (i = 0; i < due->nelts; i++) {
            const char **e = (const char **)(due->elts + i * due->elt_size);
            const char *konto = e[2];

            if ((rv = bkm_db_begin(db)) != 0) {
                return -1;
            }
            k = fail_challenge(db, e[0], e[1], konto, "UTLOPT", now);
            if (bkm_db_end(db, k < 0 ? -1 : 0) != 0) {
                return -1;
            }
            if (k > 0) {
                alert(bkm_db_server(db), e[0], e[1], konto, "UTLOPT");
                *failed += 1;
            }
        }
    } while (due->nelts == BKM_KONTROLL_SELECT);
    return 0;
}

apr_status_t bkm_kontroll_pass(bkm_db_t *db, apr_time_t now, int *issued,
                               int *failed)
{
    int rate = bkm_cfg_post_check_rate(bkm_srv_cfg(bkm_db_server(db)));

    *issued = *failed = 0;
    if (overdue(db, now, failed) != 0) {
        return APR_EGENERAL;
    }
    return rate > 0 && sample_due(db, now, rate, issued) != 0 ? APR_EGENERAL
                                                              : APR_SUCCESS;
}

/* ---- POST /bekymring-drift/kontroll?konto=ID: a challenge now --------- */

int bkm_handle_kontroll_drift(request_rec *r, const bkm_req_t *q)
{
    const char *konto = r->args, *id = NULL;
    const bkm_bydel_t *b;
    bkm_db_t *db;
    int rv, k;

    if (!konto || strncmp(konto, "konto=", 6) != 0
        || !bkm_uuid_valid(konto + 6, 0)) {
        return bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-foresporsel",
                               "name the account: ?konto={kontoId}");
    }
    konto += 6;
    b = konto_bydel(r->server, konto);
    if (!b || b->kanal != BKM_KANAL_FAGSYSTEM) {
        return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-konto",
                               "no case-system account with this id");
    }
    if (!(db = bkm_db_acquire(r))) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the database does not answer");
    }
    if ((rv = bkm_db_begin(db)) != 0) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the database does not answer");
    }
    k = challenge(db, konto, b, bkm_now(r), &id);
    if (bkm_db_end(db, k < 0 ? -1 : 0) != 0 || k < 0) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the challenge could not be stored");
    }
    if (k == 0) {
        return bkm_reply_error(r, HTTP_CONFLICT, "ingen-kandidat",
                               "the account has no recently delivered "
                               "report with a secret to challenge");
    }
    return bkm_reply_json(r, HTTP_CREATED,
                          json_pack("{s:s}", "kontrollId", id));
}

/* ---- the machine API -------------------------------------------------- */

static int list(request_rec *r, const bkm_konto_t *k)
{
    const char *args[2];
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    json_t *arr;
    bkm_db_t *db;

    if (r->args && *r->args) {
        return bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-foresporsel",
                               "this list takes no parameters");
    }
    if (!(db = bkm_db_acquire(r))) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the database does not answer; try again");
    }
    args[0] = k->id;
    args[1] = apr_itoa(r->pool, BKM_KONTROLL_LIST);
    if (bkm_db_select(db, BKM_SQL_KONTROLL_APNE, &res, 2, args)) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the database does not answer; try again");
    }
    arr = json_array();
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        apr_off_t opprettet = 0, frist = 0;
        apr_strtoff(&opprettet, bkm_db_value(db, row, 4), NULL, 10);
        apr_strtoff(&frist, bkm_db_value(db, row, 5), NULL, 10);
        json_array_append_new(
            arr,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kontrollId",
                      bkm_db_value(db, row, 0), "meldingId",
                      bkm_db_value(db, row, 1), "bekymringsmeldingId",
                      bkm_db_value(db, row, 2), "nonce",
                      bkm_db_value(db, row, 3), "opprettet",
                      bkm_time_utc(r->pool, (apr_time_t)opprettet), "frist",
                      bkm_time_utc(r->pool, (apr_time_t)frist)));
    }
    return bkm_reply_json(r, HTTP_OK, json_pack("{s:o}", "kontroller", arr));
}

/* {"svar": "<64 lower-case hex>"} and nothing else. */
static const char *answer_body(request_rec *r, const char *body,
                               apr_size_t len, const char **svar)
{
    json_error_t jerr;
    json_t *j, *v;

    j = bkm_json_own(r->pool,
                     json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr));
    if (!json_is_object(j)) {
        return "the body must be a JSON object {\"svar\": \"...\"}";
    }
    v = json_object_get(j, "svar");
    if (!v || json_object_size(j) != 1 || !json_is_string(v)
        || !bkm_sha256_hex_valid(json_string_value(v),
                                 json_string_length(v))) {
        return "the body must hold only \"svar\": 64 lower-case hex digits";
    }
    *svar = json_string_value(v);
    return NULL;
}

/* A challenge as stored. */
typedef struct {
    const char *melding_id, *leveranse_id, *nonce;
    const char *utfall; /* NULL while open */
    const char *secret;
    apr_off_t frist;
} challenge_t;

/* Read challenge @p kontroll_id of account @p konto.  1 found, 0 no such
 * challenge of the account, -1 when the database failed. */
static int load_challenge(bkm_db_t *db, const char *kontroll_id,
                          const char *konto, challenge_t *c)
{
    const char *args[2] = { kontroll_id, konto };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int found = 0;

    memset(c, 0, sizeof(*c));
    if (bkm_db_select(db, BKM_SQL_KONTROLL_GET, &res, 2, args)) {
        return -1;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        c->melding_id = bkm_db_value(db, row, 0);
        c->leveranse_id = bkm_db_value(db, row, 1);
        c->nonce = bkm_db_value(db, row, 2);
        c->utfall = bkm_db_value(db, row, 3);
        apr_strtoff(&c->frist, bkm_db_value(db, row, 4), NULL, 10);
        c->secret = bkm_db_value(db, row, 5);
        found = 1;
    }
    return found;
}

/* A right answer in time: the challenge passed, on the report's timeline,
 * under the report's lock.  1, 0 when the challenge was closed meanwhile,
 * -1 when the database failed.  Inside the answer's transaction. */
static int pass_challenge(bkm_db_t *db, const bkm_integrasjon_t *in,
                          const char *kontroll_id, const challenge_t *c,
                          apr_time_t now)
{
    const char *t = apr_off_t_toa(db->pool, now);
    const char *lock[2] = { t, c->melding_id };
    const char *sett[3] = { "BESTATT", t, kontroll_id };
    int n = 0, rv;

    rv = bkm_db_run(db, BKM_SQL_MELDING_LOCK, NULL, 2, lock);
    if (rv == 0) {
        rv = bkm_db_run(db, BKM_SQL_KONTROLL_SETT, &n, 3, sett);
    }
    if (rv == 0 && n == 1) {
        rv = bkm_event(db, c->melding_id, now, "KONTROLL_BESTATT", "LEVERT",
                       in->id, "Kontroll etter levering besvart riktig");
    }
    return rv == 0 ? (n == 1 ? 1 : 0) : -1;
}

/* The answer to a wrong answer (FEIL) or a late one (UTLOPT), once
 * recorded: an alert, and the report is back in the account's queue. */
static int reply_failed(request_rec *r, const bkm_konto_t *k,
                        const char *kontroll_id, const challenge_t *c,
                        const char *u)
{
    alert(r->server, kontroll_id, c->melding_id, k->id, u);
    return strcmp(u, "FEIL") == 0
               ? bkm_reply_error(r, HTTP_UNPROCESSABLE_ENTITY,
                                 "feil-kontrollsvar",
                                 "wrong answer: the report is back in the "
                                 "account's queue; fetch and receipt it "
                                 "again")
               : bkm_reply_error(r, HTTP_CONFLICT, "kontroll-utlopt",
                                 "the challenge's time had run out: the "
                                 "report is back in the account's queue");
}

static int answer(request_rec *r, const bkm_integrasjon_t *in,
                  const bkm_konto_t *k, const char *kontroll_id)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    const char *svar, *err, *want;
    challenge_t c;
    apr_time_t now = bkm_now(r);
    apr_size_t len;
    bkm_db_t *db;
    char *body;
    int st, found, ok, rv;

    if (!bkm_uuid_valid(kontroll_id, 0)) {
        return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-kontroll",
                               "no such challenge for this account");
    }
    if (!ct || strncasecmp(ct, "application/json", 16) != 0
        || (ct[16] && ct[16] != ';')) {
        return bkm_reply_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                               "feil-innholdstype",
                               "the answer must be application/json");
    }
    if ((st = bkm_read_body(r, BKM_KONTROLL_MAX_BODY, &body, &len)) != OK) {
        return st;
    }
    if ((err = answer_body(r, body, len, &svar))) {
        return bkm_reply_error(r, HTTP_BAD_REQUEST, "ugyldig-json", err);
    }
    if (!(db = bkm_db_acquire(r))
        || (found = load_challenge(db, kontroll_id, k->id, &c)) < 0) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the database does not answer; try again");
    }
    if (!found) {
        return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-kontroll",
                               "no such challenge for this account");
    }
    if (c.utfall) {
        return bkm_reply_error(r, HTTP_CONFLICT, "kontroll-avsluttet",
                               apr_pstrcat(r->pool,
                                           "this challenge is "
                                           "closed: ",
                                           c.utfall, NULL));
    }
    want = bkm_besittelse_svar(r->pool, c.secret, kontroll_id, c.leveranse_id,
                               c.nonce);
    ok = now <= (apr_time_t)c.frist && bkm_besittelse_equal(want, svar);
    if ((rv = bkm_db_begin(db)) != 0) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the database does not answer; try again");
    }
    st = ok ? pass_challenge(db, in, kontroll_id, &c, now)
            : fail_challenge(db, kontroll_id, c.melding_id, k->id,
                             now <= (apr_time_t)c.frist ? "FEIL" : "UTLOPT",
                             now);
    if (bkm_db_end(db, st < 0 ? -1 : 0) != 0 || st < 0) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the answer could not be recorded; send it "
                               "again");
    }
    if (st == 0) {
        return bkm_reply_error(r, HTTP_CONFLICT, "kontroll-avsluttet",
                               "this challenge was closed meanwhile");
    }
    if (!ok) {
        return reply_failed(r, k, kontroll_id, &c,
                            now <= (apr_time_t)c.frist ? "FEIL" : "UTLOPT");
    }
    ap_log_rerror(
        APLOG_MARK, APLOG_INFO, 0, r,
        BKMLOGNO(03111) "challenge %s of report %s "
                        "answered by integration %s",
        kontroll_id, c.melding_id, in->id);
    return bkm_reply_json(r, HTTP_OK,
                          json_pack("{s:s, s:s, s:s}", "kontrollId",
                                    kontroll_id, "meldingId", c.leveranse_id,
                                    "utfall", "BESTATT"));
}

/* GET .../konto/{kontoId}/kontroller (a case system's account: the
 * route's access rule) */
int bkm_handle_kontroller(request_rec *r, const bkm_req_t *q)
{
    return list(r, q->konto);
}

/* POST .../konto/{kontoId}/kontroller/{kontrollId} */
int bkm_handle_kontroll_svar(request_rec *r, const bkm_req_t *q)
{
    return answer(r, q->in, q->konto,
                  bkm_route_param(q->match, "kontrollId"));
}
