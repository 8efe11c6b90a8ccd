/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The database, httpd side: the schema is migrated before the children
 * start, our statements are handed to mod_dbd, and requests borrow pooled
 * connections.
 *
 * Which database?  The one the administrator gave mod_dbd (DBDriver,
 * DBDParams) in the same server or virtual host as BekymringRegistry: there
 * is one place to configure it.  mod_dbd keeps its configuration private, so
 * post_config reads those two directives from the configuration tree, finding
 * a virtual host's section by its file and line.  Only servers that use
 * mod_bekymring are touched: a farm's other virtual hosts may use mod_dbd
 * with databases that are none of our business.
 *
 * A database that cannot be reached or migrated at start-up does not stop
 * httpd (in a farm that would take every other site down with it): the
 * error is logged as critical, and /helse answers 503 until a restart
 * succeeds.
 */
#include "mod_bekymring_private.h"
#include "bkm_migrate.h"

#include <http_core.h>
#include <unixd.h>
#include <apr_strings.h>
#include <apr_buckets.h>
#include <apr_dbd.h>
#include <apr_global_mutex.h>
#include <util_mutex.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *bkm_dbd_prepare;
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *bkm_dbd_acquire;
static APR_OPTIONAL_FN_TYPE(ap_dbd_open) *bkm_dbd_open;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) *bkm_dbd_close;

/* The overview's statements: the columns, and the filters after the
 * municipality and the one the statement is for (admin.c, select_rows). */
#define OVERSIKT_SELECT \
    "SELECT m.id, m.referanse, m.meldingstype, m.bydelsnummer, m.kanal, " \
    "m.tilstand, m.mottatt, m.frist, m.levert, m.oppfolging, l.hentet, " \
    "l.svar, m.avvik FROM bkm_melding m LEFT JOIN bkm_leveranse l " \
    "ON l.melding_id = m.id AND l.mottaker = m.kanal " \
    "WHERE m.kommunenummer = %s AND m.kilde <> 'kontroll' "
#define OVERSIKT_REST \
    "AND (%s = '' OR m.meldingstype LIKE %s) AND m.mottatt >= %lld " \
    "AND (m.mottatt, m.id) < (%lld, %s) " \
    "ORDER BY m.mottatt DESC, m.id DESC LIMIT %d"

/* Statistics and reconciliation (stats.c): one statement per scope --
 * the whole country (the national operator), a municipality, or one
 * district, with the scope's arguments between the ones before and after
 * (stats.c, scope_select) -- each reading its index (0008_oversikt.sql).
 * No "%s = '' OR ..." here: with it an empty argument meant "every
 * district", which is how a district-limited administrator came to see
 * her municipality's figures (issue 11), and it reads no index.  A
 * person limited to some districts gets the sum of her districts'. */
#define STAT_PERIODE_SELECT \
    "SELECT (mottatt - %lld) / %lld, kanal, CASE WHEN meldingstype LIKE %s " \
    "THEN 'offentlig' ELSE 'privat' END, COUNT(*) FROM bkm_melding WHERE "
#define STAT_PERIODE_REST \
    "mottatt >= %lld AND mottatt < %lld AND kilde <> 'kontroll' " \
    "GROUP BY 1, 2, 3"
#define STAT_PRINT_SELECT \
    "SELECT COUNT(*) FROM bkm_melding m JOIN bkm_leveranse l " \
    "ON l.melding_id = m.id AND l.mottaker = 'print' WHERE "
#define STAT_PRINT_REST \
    "m.mottatt >= %lld AND m.mottatt < %lld"
#define AVSTEMMING_ANTALL_SELECT \
    "SELECT tilstand, kanal, COUNT(*) FROM bkm_melding " \
    "WHERE kommunenummer = %s "
#define AVSTEMMING_ANTALL_REST \
    "AND mottatt >= %lld AND mottatt < %lld AND kilde <> 'kontroll' " \
    "GROUP BY tilstand, kanal"
#define AVSTEMMING_LEVERT_SELECT \
    "SELECT id, referanse, bydelsnummer, levert, mottatt FROM bkm_melding " \
    "WHERE kommunenummer = %s "
#define AVSTEMMING_LEVERT_REST \
    "AND mottatt >= %lld AND mottatt < %lld AND levert IS NOT NULL " \
    "AND kilde <> 'kontroll' " \
    "ORDER BY mottatt, id LIMIT %d"

/* The glue's statements (the core's are beside the core file that runs
 * them: bkm_core_sql), prepared by mod_dbd on every connection it opens. */
static const bkm_sql_t bkm_statements[] = {
    { BKM_SQL_HENDELSER_FOR_INTEGRASJON,
      "SELECT h.tidspunkt, h.tilstand, h.hendelse, h.beskrivelse "
      "FROM bkm_hendelse h JOIN bkm_melding m ON m.id = h.melding_id "
      "WHERE m.id = %s AND m.integrasjon_id = %s AND m.fra_org = %s "
      "ORDER BY h.nr" },
    { BKM_SQL_LEVERANSER_VENTER,
      "SELECT l.id, l.melding_id, l.meldingstype, l.opprettet, "
      "m.kommunenummer, m.bydelsnummer, c.storrelse, c.sha256, l.hentet "
      "FROM bkm_leveranse l JOIN bkm_melding m ON m.id = l.melding_id "
      "JOIN bkm_chiffer c ON c.melding_id = l.melding_id "
      "AND c.mottaker = l.mottaker WHERE l.konto_id = %s AND l.svar IS NULL "
      "ORDER BY l.opprettet, l.id LIMIT %d" },
    { BKM_SQL_KOPI_GET,
      "SELECT k.nokkel_sha256, k.utloper, m.referanse, m.kommunenummer, "
      "m.bydelsnummer, m.meldingstype, k.innhold FROM bkm_kopi k "
      "JOIN bkm_melding m ON m.id = k.melding_id WHERE k.melding_id = %s" },
    { BKM_SQL_UTKAST_INSERT,
      "INSERT INTO bkm_utkast (id, innhold, utloper, eier) "
      "VALUES (%s, %pDb, %lld, %s)" },
    { BKM_SQL_UTKAST_GET,
      "SELECT utloper, innhold, eier FROM bkm_utkast WHERE id = %s" },
    { BKM_SQL_UTKAST_COUNT,
      "SELECT COUNT(*), COUNT(CASE WHEN eier = %s THEN 1 END) "
      "FROM bkm_utkast WHERE utloper > %lld" },
    { BKM_SQL_UTKAST_DELETE,
      "DELETE FROM bkm_utkast WHERE id = %s" },
    /* The municipal administration.  The overview pages by keyset
     * (mottatt, id) from the newest, reading an index in that order
     * (0008_oversikt.sql) and stopping after LIMIT rows: one statement per
     * shape of filter, so that each has its index on both engines (a
     * filter written "%s = '' OR col = %s" can use none, and PostgreSQL's
     * generic plan for it joins and sorts every report of the
     * municipality).  The keyset's upper bound is the cursor or the end of
     * the period, whichever is earlier; an empty filter argument means
     * "any". */
    { BKM_SQL_OVERSIKT,
      OVERSIKT_SELECT OVERSIKT_REST },
    { BKM_SQL_OVERSIKT_BYDEL,
      OVERSIKT_SELECT "AND m.bydelsnummer = %s " OVERSIKT_REST },
    { BKM_SQL_OVERSIKT_TILSTAND,
      OVERSIKT_SELECT "AND m.tilstand = %s "
      "AND (%s = '' OR m.bydelsnummer = %s) " OVERSIKT_REST },
    { BKM_SQL_MELDING_FINN,
      "SELECT id, bydelsnummer FROM bkm_melding WHERE kommunenummer = %s "
      "AND (referanse = %s OR id = %s) AND kilde <> 'kontroll'" },
    { BKM_SQL_MELDING_META,
      "SELECT id, referanse, meldingstype, kommunenummer, bydelsnummer, "
      "kanal, tilstand, mottatt, frist, levert, slettet, oppfolging "
      "FROM bkm_melding WHERE id = %s" },
    { BKM_SQL_HENDELSER,
      "SELECT nr, tidspunkt, tilstand, hendelse, aktor, beskrivelse "
      "FROM bkm_hendelse WHERE melding_id = %s ORDER BY nr" },
    { BKM_SQL_LEVERANSER_FOR_MELDING,
      "SELECT id, mottaker, konto_id, opprettet, hentet, hentet_av, svar, "
      "svar_tid, arkivreferanse FROM bkm_leveranse WHERE melding_id = %s "
      "ORDER BY opprettet" },
    /* A receiver's waiting reports (manual download). */
    { BKM_SQL_MOTTAK_VENTER,
      "SELECT l.id, l.melding_id, m.referanse, m.meldingstype, l.opprettet, "
      "l.hentet, m.bydelsnummer, c.storrelse FROM bkm_leveranse l "
      "JOIN bkm_melding m ON m.id = l.melding_id JOIN bkm_chiffer c "
      "ON c.melding_id = l.melding_id AND c.mottaker = l.mottaker "
      "WHERE l.konto_id = %s AND l.svar IS NULL ORDER BY l.opprettet, l.id "
      "LIMIT %d" },
    /* Statistics, integration health and reconciliation (the statements
     * of the other scopes are at the end of this table). */
    { BKM_SQL_STAT_PERIODE,
      STAT_PERIODE_SELECT STAT_PERIODE_REST },
    { BKM_SQL_STAT_PRINT,
      STAT_PRINT_SELECT STAT_PRINT_REST },
    /* An account's health from its indexes, not from all the messages
     * it ever had: its last fetch from (konto_id, hentet), what waits
     * from the partial index of what waits (0003_levering.sql; the
     * always true "opprettet >= 0" makes SQLite's planner take it, as
     * PostgreSQL's does). */
    { BKM_SQL_HELSE_KONTO,
      "SELECT (SELECT MAX(hentet) FROM bkm_leveranse WHERE konto_id = %s), "
      "MIN(opprettet), COUNT(*) FROM bkm_leveranse WHERE konto_id = %s "
      "AND svar IS NULL AND opprettet >= 0" },
    /* A district's print jobs waiting (on the print provider's account,
     * from the same partial index), and its reports to follow up, few,
     * from their partial index (0003_levering.sql): "|| ''" keeps both
     * planners off the district's index, which would read every report
     * the district ever had. */
    { BKM_SQL_HELSE_BYDEL,
      "SELECT (SELECT COUNT(*) FROM bkm_leveranse l JOIN bkm_melding m "
      "ON m.id = l.melding_id WHERE l.konto_id = %s AND l.svar IS NULL "
      "AND l.opprettet >= 0 AND m.kommunenummer = %s "
      "AND m.bydelsnummer = %s), "
      "(SELECT COUNT(*) FROM bkm_melding WHERE oppfolging = 1 "
      "AND mottatt >= 0 AND kommunenummer || '' = %s "
      "AND bydelsnummer || '' = %s)" },
    { BKM_SQL_AVSTEMMING_ANTALL,
      AVSTEMMING_ANTALL_SELECT AVSTEMMING_ANTALL_REST },
    { BKM_SQL_AVSTEMMING_LEVERT,
      AVSTEMMING_LEVERT_SELECT AVSTEMMING_LEVERT_REST },
    /* Roles granted in the pages. */
    { BKM_SQL_ROLLER_FOR,
      "SELECT rolle, kommunenummer, bydeler, navn FROM bkm_rolle "
      "WHERE person = %s" },
    { BKM_SQL_ROLLER_ALLE,
      "SELECT id, navn, rolle, kommunenummer, bydeler, opprettet "
      "FROM bkm_rolle ORDER BY kommunenummer, navn, id" },
    { BKM_SQL_ROLLE_INSERT,
      "INSERT INTO bkm_rolle (id, person, navn, rolle, kommunenummer, "
      "bydeler, opprettet) VALUES (%s, %s, %s, %s, %s, %s, %lld)" },
    { BKM_SQL_ROLLE_GET,
      "SELECT navn, rolle, kommunenummer, bydeler FROM bkm_rolle "
      "WHERE id = %s" },
    { BKM_SQL_ROLLE_DELETE,
      "DELETE FROM bkm_rolle WHERE id = %s" },
    /* Statistics and reconciliation of a municipality and of a district
     * (the whole country's are above). */
    { BKM_SQL_STAT_PERIODE_KOMMUNE,
      STAT_PERIODE_SELECT "kommunenummer = %s AND " STAT_PERIODE_REST },
    { BKM_SQL_STAT_PERIODE_BYDEL,
      STAT_PERIODE_SELECT "kommunenummer = %s AND bydelsnummer = %s AND "
      STAT_PERIODE_REST },
    { BKM_SQL_STAT_PRINT_KOMMUNE,
      STAT_PRINT_SELECT "m.kommunenummer = %s AND " STAT_PRINT_REST },
    { BKM_SQL_STAT_PRINT_BYDEL,
      STAT_PRINT_SELECT "m.kommunenummer = %s AND m.bydelsnummer = %s AND "
      STAT_PRINT_REST },
    { BKM_SQL_AVSTEMMING_ANTALL_BYDEL,
      AVSTEMMING_ANTALL_SELECT "AND bydelsnummer = %s "
      AVSTEMMING_ANTALL_REST },
    { BKM_SQL_AVSTEMMING_LEVERT_BYDEL,
      AVSTEMMING_LEVERT_SELECT "AND bydelsnummer = %s "
      AVSTEMMING_LEVERT_REST },
    /* Proof of possession and post-delivery challenges (issue 12, items
     * 4 and 6: mod_bekymring_kontroll.c, 0011_besittelse.sql). */
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
    /* Automatic reconciliation (mod_bekymring_avstemming.c): an
     * account's delivered messages in a period of receipt times, read
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
    /* Control messages (mod_bekymring_kontrollmelding.c). */
    { BKM_SQL_KONTROLLMELDING_ALLE,
      "SELECT kommunenummer, bydelsnummer, neste FROM bkm_kontrollmelding_plan" },
    { BKM_SQL_KONTROLLMELDING_NY,
      "INSERT INTO bkm_kontrollmelding_plan (kommunenummer, bydelsnummer, neste) "
      "VALUES (%s, %s, %lld) ON CONFLICT DO NOTHING" },
    { BKM_SQL_KONTROLLMELDING_TA,
      "UPDATE bkm_kontrollmelding_plan SET neste = %lld WHERE kommunenummer = %s "
      "AND bydelsnummer = %s AND neste <= %lld" },
    { BKM_SQL_KONTROLLMELDING_MELDING_INSERT,
      "INSERT INTO bkm_kontrollmelding (melding_id, kommunenummer, "
      "bydelsnummer, opprettet, frist) VALUES (%s, %s, %s, %lld, %lld)" },
    { BKM_SQL_KONTROLLMELDING_DUE,
      "SELECT k.melding_id, k.kommunenummer, k.bydelsnummer, l.svar, "
      "l.svar_tid, k.frist FROM bkm_kontrollmelding k LEFT JOIN "
      "bkm_leveranse l ON l.melding_id = k.melding_id "
      "AND l.mottaker = 'fagsystem' WHERE k.utfall IS NULL "
      "AND k.frist <= %lld ORDER BY k.frist LIMIT %d" },
    { BKM_SQL_KONTROLLMELDING_AVGJOR,
      "UPDATE bkm_kontrollmelding SET utfall = %s, avgjort = %lld "
      "WHERE melding_id = %s AND utfall IS NULL" },
    { BKM_SQL_AVST_VANNMERKE,
      "SELECT til FROM bkm_avstemt WHERE konto_id = %s" },
    /* Whether a delivery lies in [from, to): a gap a reconciliation
     * left. */
    { BKM_SQL_AVST_HULL,
      "SELECT MIN(svar_tid) FROM bkm_leveranse WHERE konto_id = %s "
      "AND svar IN ('mottatt', 'lagret') AND svar_tid >= %lld "
      "AND svar_tid < %lld" },
    /* The overview's "avvik" filter reads the partial index of reports
     * with a failure, in its order; district and state, if chosen, are
     * checked on those few rows. */
    { BKM_SQL_OVERSIKT_AVVIK,
      OVERSIKT_SELECT "AND m.avvik IS NOT NULL "
      "AND (%s = '' OR m.bydelsnummer = %s) "
      "AND (%s = '' OR m.tilstand = %s) " OVERSIKT_REST },
    /* Integration health: a district's reports with a failure in the
     * period, from the partial index on avvik ("|| ''" as in
     * HELSE_BYDEL keeps the planners off the district's index). */
    { BKM_SQL_HELSE_AVVIK,
      "SELECT COUNT(*) FROM bkm_melding WHERE avvik IS NOT NULL "
      "AND avvik >= %lld AND avvik < %lld AND kommunenummer || '' = %s "
      "AND bydelsnummer || '' = %s" },
    /* The reporter's status page: the report by its reference number
     * (UNIQUE), and when the print provider posted it, if it did. */
    { BKM_SQL_STATUS,
      "SELECT m.id, m.mottatt, m.levert, (SELECT MIN(l.svar_tid) "
      "FROM bkm_leveranse l WHERE l.melding_id = m.id "
      "AND l.mottaker = 'print' AND l.svar IN ('mottatt', 'lagret')) "
      "FROM bkm_melding m WHERE m.referanse = %s" },
    { NULL, NULL }
};

/* SQLite has one writer at a time.  Writers of every httpd process and
 * thread queue for it on this global mutex (httpd's Mutex directive names
 * it "bekymring-sqlite"), blocked, instead of polling SQLite's lock in
 * bkm_dbtx_begin: polling starved some writers under load (p99 of 300 to
 * 800 ms in make bench).  Other nodes of a farm use PostgreSQL, where this
 * lock is not taken. */
#define BKM_SQLITE_MUTEX "bekymring-sqlite"
static apr_global_mutex_t *bkm_sqlite_writer;

static void log_print(const char *file, int line, int level,
                      apr_status_t rv, void *baton, const char *msg);

int bkm_db_pre_config(apr_pool_t *pconf)
{
    /* The core logs through the glue (bkm_log.h). */
    bkm_log_set(log_print);
    return ap_mutex_register(pconf, BKM_SQLITE_MUTEX, NULL, APR_LOCK_DEFAULT,
                             0) == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

void bkm_db_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    if (!bkm_sqlite_writer) {
        return;
    }
    rv = apr_global_mutex_child_init(
        &bkm_sqlite_writer, apr_global_mutex_lockfile(bkm_sqlite_writer), p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, BKMLOGNO(00113)
                     "cannot attach to the %s mutex", BKM_SQLITE_MUTEX);
        bkm_sqlite_writer = NULL;
    }
}

/* Every statement a connection has: the core's tables, then the glue's
 * (filled in post_config, before the children are made). */
static const bkm_sql_t *all_sql[64];

static void collect_sql(void)
{
    int i, n = 0;

    for (i = 0; bkm_core_sql[i]; i++) {
        all_sql[n++] = bkm_core_sql[i];
    }
    all_sql[n++] = bkm_statements;
    all_sql[n] = NULL;
}

/* The core's log lines (bkm_log.h), with the baton of the handle that
 * logs: in the request's context when there is one. */
typedef struct {
    server_rec *s;
    request_rec *r;
    ap_dbd_t *dbd;
    int opened;         /* from bkm_db_open: bkm_db_close returns it */
} bkm_dbctx_t;

static void log_print(const char *file, int line, int level,
                      apr_status_t rv, void *baton, const char *msg)
{
    const bkm_dbctx_t *c = baton;

    if (c && c->r) {
        ap_log_rerror(file, line, APLOG_MODULE_INDEX, level, rv, c->r, "%s",
                      msg);
    }
    else {
        ap_log_error(file, line, APLOG_MODULE_INDEX, level, rv,
                     c ? c->s : NULL, "%s", msg);
    }
}

void *bkm_log_baton(apr_pool_t *p, server_rec *s, request_rec *r)
{
    bkm_dbctx_t *c = apr_pcalloc(p, sizeof(*c));

    c->s = s;
    c->r = r;
    return c;
}

server_rec *bkm_db_server(const bkm_db_t *db)
{
    return ((const bkm_dbctx_t *)db->log)->s;
}

request_rec *bkm_db_request(const bkm_db_t *db)
{
    return ((const bkm_dbctx_t *)db->log)->r;
}

void bkm_db_set_request(bkm_db_t *db, request_rec *r)
{
    ((bkm_dbctx_t *)db->log)->r = r;
    db->log_request = r != NULL;
}

static bkm_db_t *wrap(apr_pool_t *p, server_rec *s, request_rec *r,
                      ap_dbd_t *dbd)
{
    bkm_dbctx_t *c;
    bkm_db_t *db;

    if (!dbd) {
        return NULL;
    }
    c = bkm_log_baton(p, s, r);
    c->dbd = dbd;
    db = bkm_db_make(p, dbd->driver, dbd->handle, dbd->prepared, dbd->pool,
                     all_sql, c);
    db->writer = bkm_sqlite_writer;
    db->log_request = r != NULL;
    return db;
}

bkm_db_t *bkm_db_acquire(request_rec *r)
{
    bkm_db_t *db = ap_get_module_config(r->request_config, &bekymring_module);

    /* mod_dbd keeps one connection per request; so do we, one wrapper. */
    if (!db && bkm_dbd_acquire) {
        db = wrap(r->pool, r->server, r, bkm_dbd_acquire(r));
        ap_set_module_config(r->request_config, &bekymring_module, db);
    }
    return db;
}

bkm_db_t *bkm_db_open(server_rec *s, apr_pool_t *p)
{
    bkm_db_t *db = bkm_dbd_open ? wrap(p, s, NULL, bkm_dbd_open(p, s))
                                : NULL;
    if (db) {
        ((bkm_dbctx_t *)db->log)->opened = 1;
    }
    return db;
}

void bkm_db_close(bkm_db_t *db)
{
    bkm_dbctx_t *c = db ? db->log : NULL;

    if (c && c->opened && bkm_dbd_close) {
        bkm_dbd_close(c->s, c->dbd);
        c->opened = 0;
    }
}

typedef struct {
    const char *driver;
    const char *params;
} bkm_dbconf_t;

/* DBDriver/DBDParams directly inside one section of the tree (IfDefine,
 * IfModule and Include are already inlined when post_config runs). */
static void dbconf_of(apr_pool_t *p, const ap_directive_t *d,
                      bkm_dbconf_t *out)
{
    for (; d; d = d->next) {
        const char *args = d->args;
        if (strcasecmp(d->directive, "DBDriver") == 0) {
            out->driver = ap_getword_conf(p, &args);
        }
        else if (strcasecmp(d->directive, "DBDParams") == 0) {
            out->params = ap_getword_conf(p, &args);
        }
    }
}

static void dbconf_of_server(apr_pool_t *p, server_rec *s, bkm_dbconf_t *out)
{
    const ap_directive_t *d;

    memset(out, 0, sizeof(*out));
    dbconf_of(p, ap_conftree, out);
    if (!s->is_virtual) {
        return;
    }
    for (d = ap_conftree; d; d = d->next) {
        if (strcasecmp(d->directive, "<VirtualHost") == 0
            && d->line_num == (int)s->defn_line_number && s->defn_name
            && strcmp(d->filename, s->defn_name) == 0) {
            bkm_dbconf_t v = { NULL, NULL };
            dbconf_of(p, d->first_child, &v);
            if (v.driver) {
                out->driver = v.driver;
            }
            if (v.params) {
                out->params = v.params;
            }
            return;
        }
    }
}

/* SQLite keeps its journal beside the file, so httpd's User needs the
 * directory, not only the file (RECIPES pitfall 1): as root, hand the files
 * we made to the User, and say so plainly when the directory is not theirs.
 * The files hold ciphertext and metadata that are nobody else's business:
 * never readable by every user (SQLite gives the -wal and -shm files the
 * database file's mode). */
static void sqlite_ownership(apr_pool_t *p, server_rec *s, const char *file)
{
    static const char *const suffixes[] = { "", "-wal", "-shm", NULL };
    char *dir = apr_pstrdup(p, file), *slash = strrchr(dir, '/');
    struct stat st;
    int i;

    for (i = 0; suffixes[i]; i++) {
        const char *f = apr_pstrcat(p, file, suffixes[i], NULL);
        if (stat(f, &st) == 0 && (st.st_mode & (S_IRWXO | S_IWGRP))
            && chmod(f, st.st_mode & 0740) != 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, BKMLOGNO(00114)
                         "cannot make %s unreadable to other users", f);
        }
    }
    if (geteuid() != 0) {
        return;
    }
    for (i = 0; suffixes[i]; i++) {
        const char *f = apr_pstrcat(p, file, suffixes[i], NULL);
        if (stat(f, &st) == 0
            && chown(f, ap_unixd_config.user_id,
                     ap_unixd_config.group_id) != 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, BKMLOGNO(00101)
                         "cannot give %s to httpd's User", f);
        }
    }
    if (slash) {
        *slash = '\0';
        if (stat(*dir ? dir : "/", &st) == 0
            && st.st_uid != ap_unixd_config.user_id
            && !(st.st_mode & S_IWOTH)
            && !(st.st_gid == ap_unixd_config.group_id
                 && (st.st_mode & S_IWGRP))) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BKMLOGNO(00102)
                         "the directory %s of the SQLite database is not "
                         "writable by httpd's User %s: writes will fail "
                         "(SQLite keeps its journal beside the file)",
                         dir, ap_unixd_config.user_name);
        }
    }
}

static void migrate_one(apr_pool_t *ptemp, server_rec *s,
                        const bkm_dbconf_t *dc)
{
    const apr_dbd_driver_t *drv = NULL;
    apr_dbd_t *db = NULL;
    const char *err = NULL;
    int rv, version = 0, nrows;
    int sqlite = strcmp(dc->driver, "sqlite3") == 0;

    if ((rv = apr_dbd_get_driver(ptemp, dc->driver, &drv)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, BKMLOGNO(00103)
                     "no APR DBD driver %s: schema not migrated", dc->driver);
        return;
    }
    if (sqlite && dc->params[0] != '/') {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BKMLOGNO(00104)
                     "DBDParams %s is not an absolute path: SQLite resolves "
                     "it from httpd's working directory, /", dc->params);
    }
    rv = apr_dbd_open_ex(drv, ptemp, dc->params, &db, &err);
    if (rv != APR_SUCCESS) {
        /* err may repeat the connection string (with a password): log the
         * driver name only. */
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, BKMLOGNO(00105)
                     "cannot open the %s database to migrate its schema; "
                     "/helse will answer 503 until a restart succeeds",
                     dc->driver);
        return;
    }
    if (sqlite) {
        /* WAL once, here: it is persistent in the file, and as DBDInitSQL
         * the children race for it at start-up (RECIPES pitfall 4). */
        apr_dbd_query(drv, db, &nrows, "PRAGMA journal_mode=WAL");
    }
    err = bkm_migrate(ptemp, drv, db, bkm_migrations, &version);
    apr_dbd_close(drv, db);
    if (sqlite) {
        sqlite_ownership(ptemp, s, dc->params);
    }
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, BKMLOGNO(00106)
                     "%s database: %s; /helse will answer 503", dc->driver,
                     err);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, BKMLOGNO(00107)
                 "%s database at schema version %d", dc->driver, version);
}

int bkm_db_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *done = apr_hash_make(ptemp);
    apr_status_t rv;
    server_rec *sp;
    int i;

    /* mod_dbd registers these when it is loaded; the optional_fn_retrieve
     * hook would run too late for post_config. */
    bkm_dbd_prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    bkm_dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    bkm_dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    bkm_dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    collect_sql();

    for (sp = s; sp; sp = sp->next) {
        bkm_dbconf_t dc;
        const char *key;

        if (!bkm_srv_cfg(sp)->registry) {
            continue;
        }
        if (!bkm_dbd_prepare) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sp, BKMLOGNO(00108)
                         "mod_dbd is not loaded: mod_bekymring needs it");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        for (i = 0; all_sql[i]; i++) {
            const bkm_sql_t *t = all_sql[i];
            int j;
            for (j = 0; t[j].label; j++) {
                bkm_dbd_prepare(sp, t[j].sql, t[j].label);
            }
        }
        dbconf_of_server(ptemp, sp, &dc);
        if (!dc.driver || !dc.params) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sp, BKMLOGNO(00109)
                         "%s is set but DBDriver/DBDParams are not: "
                         "mod_bekymring has no database", BKM_DIR_REGISTRY);
            continue;
        }
        bkm_srv_cfg(sp)->db_driver = apr_pstrdup(pconf, dc.driver);
        key = apr_pstrcat(ptemp, dc.driver, "\n", dc.params, NULL);
        if (!apr_hash_get(done, key, APR_HASH_KEY_STRING)) {
            apr_hash_set(done, key, APR_HASH_KEY_STRING, key);
            migrate_one(ptemp, sp, &dc);
        }
    }
    rv = ap_global_mutex_create(&bkm_sqlite_writer, NULL, BKM_SQLITE_MUTEX,
                                NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, BKMLOGNO(00112)
                     "cannot create the %s mutex", BKM_SQLITE_MUTEX);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}
