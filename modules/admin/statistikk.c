/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Statistics, integration health and reconciliation for a municipality's
 * administrators, and nationally for the operator:
 *   GET /kommune/{nr}/statistikk[?fra=&til=]     reports per week by
 *   GET /kommune/statistikk                      channel and type, a bar
 *                                                chart (server-rendered
 *                                                SVG, no script), the share
 *                                                sent to print against the
 *                                                incumbent's ~6 %, and per
 *                                                account its health
 *   GET /kommune/{nr}/avstemming[.csv|.json]?fra=&til=[&bydel=]
 *        counts by state and channel, and every id delivered: what a
 *        municipality compares with its case system in minutes.
 * Metadata only.  Periods are whole days in Oslo time; the default is the
 * last eight weeks (statistics) or thirty days (reconciliation).
 */
#include "mod_bekymring_private.h"
#include "admin/admin.h"
#include "api/avstemming.h"
#include "pages/pages.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "server/routes.h"
#include "bkm_db.h"
#include "bkm_i18n.h"
#include "bkm_registry.h"
#include "bkm_roles.h"
#include "bkm_time.h"
#include "bkm_format.h"

#include <http_protocol.h>
#include <util_filter.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <stdio.h>
#include <string.h>

/* This file's statements, prepared on every connection (the table is
 * handed to mod_dbd by server/db.c). */
#define BKM_SQL_STAT_PERIODE "bkm_stat_periode"
#define BKM_SQL_STAT_PRINT "bkm_stat_print"
#define BKM_SQL_HELSE_KONTO "bkm_helse_konto"
#define BKM_SQL_HELSE_BYDEL "bkm_helse_bydel"
#define BKM_SQL_AVSTEMMING_ANTALL "bkm_avstemming_antall"
#define BKM_SQL_AVSTEMMING_LEVERT "bkm_avstemming_levert"
#define BKM_SQL_STAT_PERIODE_KOMMUNE "bkm_stat_periode_kommune"
#define BKM_SQL_STAT_PERIODE_BYDEL "bkm_stat_periode_bydel"
#define BKM_SQL_STAT_PRINT_KOMMUNE "bkm_stat_print_kommune"
#define BKM_SQL_STAT_PRINT_BYDEL "bkm_stat_print_bydel"
#define BKM_SQL_AVSTEMMING_ANTALL_BYDEL "bkm_avstemming_antall_bydel"
#define BKM_SQL_AVSTEMMING_LEVERT_BYDEL "bkm_avstemming_levert_bydel"
#define BKM_SQL_HELSE_AVVIK "bkm_helse_avvik"

/* Statistics and reconciliation: one statement per scope -- the whole
 * country (the national operator), a municipality, or one district, with
 * the scope's arguments between the ones before and after
 * (scope_select) -- each reading its index (0008_oversikt.sql).
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
#define STAT_PRINT_REST "m.mottatt >= %lld AND m.mottatt < %lld"
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

const bkm_sql_t bkm_statistikk_sql[] = {
    /* Statistics, integration health and reconciliation of the whole
     * country (the other scopes' statements follow). */
    { BKM_SQL_STAT_PERIODE, STAT_PERIODE_SELECT STAT_PERIODE_REST },
    { BKM_SQL_STAT_PRINT, STAT_PRINT_SELECT STAT_PRINT_REST },
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
    /* Statistics and reconciliation of a municipality and of a district
     * (the whole country's are above). */
    { BKM_SQL_STAT_PERIODE_KOMMUNE,
      STAT_PERIODE_SELECT "kommunenummer = %s AND " STAT_PERIODE_REST },
    { BKM_SQL_STAT_PERIODE_BYDEL, STAT_PERIODE_SELECT
      "kommunenummer = %s AND bydelsnummer = %s AND " STAT_PERIODE_REST },
    { BKM_SQL_STAT_PRINT_KOMMUNE,
      STAT_PRINT_SELECT "m.kommunenummer = %s AND " STAT_PRINT_REST },
    { BKM_SQL_STAT_PRINT_BYDEL, STAT_PRINT_SELECT
      "m.kommunenummer = %s AND m.bydelsnummer = %s AND " STAT_PRINT_REST },
    { BKM_SQL_AVSTEMMING_ANTALL_BYDEL, AVSTEMMING_ANTALL_SELECT
      "AND bydelsnummer = %s " AVSTEMMING_ANTALL_REST },
    { BKM_SQL_AVSTEMMING_LEVERT_BYDEL, AVSTEMMING_LEVERT_SELECT
      "AND bydelsnummer = %s " AVSTEMMING_LEVERT_REST },
    /* Integration health: a district's reports with a failure in the
     * period, from the partial index on avvik ("|| ''" as in
     * HELSE_BYDEL keeps the planners off the district's index). */
    { BKM_SQL_HELSE_AVVIK,
      "SELECT COUNT(*) FROM bkm_melding WHERE avvik IS NOT NULL "
      "AND avvik >= %lld AND avvik < %lld AND kommunenummer || '' = %s "
      "AND bydelsnummer || '' = %s" },
    { NULL, NULL }
};

#define WEEK apr_time_from_sec(7 * 86400)
#define DAY apr_time_from_sec(86400)
#define HOUR apr_time_from_sec(3600)
#define MAX_WEEKS 60
/* The incumbent sent about 6 % of reports as letter post; well above
 * that, something is wrong with an integration. */
#define PRINT_BASELINE 6.0
#define PRINT_ALARM 9.0
#define MAX_IDS 100000

static const char *date_of(apr_pool_t *p, apr_time_t t)
{
    char buf[20];

    bkm_time_oslo_format(buf, t);
    return apr_pstrndup(p, buf, 10);
}

/* The period [from, to) from ?fra= and ?til= (the last day included),
 * else the @p days before tomorrow.  0, or -1 for a bad date. */
static int period_of(request_rec *r, int days, const char *fra,
                     const char *til, apr_time_t *from, apr_time_t *to)
{
    *to = til && *til ? bkm_time_oslo_day(til)
                      : bkm_time_oslo_midnight(bkm_now(r));
    if (*to < 0) {
        return -1;
    }
    *to += DAY;
    /* The default's first day from its midnight, also when the period
     * has a 23- or 25-hour day (summer time): noon is on the right day. */
    *from = fra && *fra ? bkm_time_oslo_day(fra)
                        : bkm_time_oslo_midnight(*to - (apr_time_t)days * DAY
                                                 + DAY / 2);
    return *from < 0 || *from >= *to ? -1 : 0;
}

static int period(request_rec *r, int days, apr_time_t *from, apr_time_t *to)
{
    return period_of(r, days, bkm_page_arg(r, "fra"), bkm_page_arg(r, "til"),
                     from, to);
}

/* For the pages: the period asked for, or, when a date was typed wrong
 * (or the period is empty or longer than @p max), the default period and
 * in *felt the field to fix ("fra" or "til"); the page then shows an
 * error summary (issue 14, item 4: it was a bare 400). */
static void page_period(request_rec *r, int days, apr_interval_time_t max,
                        apr_time_t *from, apr_time_t *to, const char **felt)
{
    const char *til = bkm_page_arg(r, "til");

    *felt = NULL;
    if (period(r, days, from, to) == 0 && (!max || *to - *from < max)) {
        return;
    }
    *felt = til && *til && bkm_time_oslo_day(til) < 0 ? "til" : "fra";
    period_of(r, days, NULL, NULL, from, to);
}

static int refused(request_rec *r, const char *lang)
{
    return bkm_page_message(r, HTTP_BAD_REQUEST, lang,
                            "side.foresporsel.tittel", NULL);
}

/* ---- whose reports ---------------------------------------------------- */

/* Whose reports a figure counts: the whole country's (the national
 * operator: k NULL), a municipality's (bydeler NULL), or those of some of
 * its districts (a district-limited administrator's, or the one chosen).
 * Every query of this file runs through scope_select(), which takes the
 * statement of that shape (server/db.c): a district-limited
 * administrator's figures are the sum of her districts' statements and
 * can never be the municipality's (issue 11: they were, through an
 * argument where '' meant "every district"). */
typedef struct {
    const bkm_kommune_t *k;
    const apr_array_header_t *bydeler;
} scope_t;

/* One figure's statements: the whole country's, a municipality's and a
 * district's. */
typedef struct {
    const char *landet, *kommune, *bydel;
} shapes_t;

static const shapes_t stat_periode = { BKM_SQL_STAT_PERIODE,
                                       BKM_SQL_STAT_PERIODE_KOMMUNE,
                                       BKM_SQL_STAT_PERIODE_BYDEL };
static const shapes_t stat_print = { BKM_SQL_STAT_PRINT,
                                     BKM_SQL_STAT_PRINT_KOMMUNE,
                                     BKM_SQL_STAT_PRINT_BYDEL };
static const shapes_t avstemming_antall = { NULL, BKM_SQL_AVSTEMMING_ANTALL,
                                            BKM_SQL_AVSTEMMING_ANTALL_BYDEL };
static const shapes_t avstemming_levert = { NULL, BKM_SQL_AVSTEMMING_LEVERT,
                                            BKM_SQL_AVSTEMMING_LEVERT_BYDEL };

/* How many statements a figure takes: one per district of a list. */
static int parts(const scope_t *sc)
{
    return sc->k && sc->bydeler ? sc->bydeler->nelts : 1;
}

/* Part @p i of a figure: the statement of the scope's shape, with @p pre,
 * then the municipality and the district as the shape has them, then
 * @p post as its arguments. */
static int scope_select(bkm_db_t *db, const shapes_t *sh, const scope_t *sc,
                        int i, const char *const *pre, int npre,
                        const char *const *post, int npost,
                        apr_dbd_results_t **res)
{
    const char *label = !sc->k         ? sh->landet
                        : !sc->bydeler ? sh->kommune
                                       : sh->bydel;
    const char *args[16];
    int n = 0, j;

    if (!label || npre + npost > 14) {
        return -1;
    }
    for (j = 0; j < npre; j++) {
        args[n++] = pre[j];
    }
    if (sc->k) {
        args[n++] = sc->k->nummer;
    }
    if (sc->k && sc->bydeler) {
        args[n++] = APR_ARRAY_IDX(sc->bydeler, i, const char *);
    }
    for (j = 0; j < npost; j++) {
        args[n++] = post[j];
    }
    return bkm_db_select(db, label, res, n, args);
}

/* Whether district @p b of @p km is the scope's. */
static int in_scope(const scope_t *sc, const bkm_kommune_t *km,
                    const bkm_bydel_t *b)
{
    return (!sc->k || sc->k == km)
           && bkm_roles_covers(sc->bydeler, b->nummer);
}

/* ---- statistics and health ------------------------------------------- */

typedef struct {
    long privat, offentlig, fagsystem, manuell;
} week_t;

/* One account's health, for one district; its assurance failures
 * (bkm_avvik.h) are the district's reports with one in [from, to). */
static json_t *health(request_rec *r, bkm_db_t *db, const char *lang,
                      const bkm_kommune_t *k, const bkm_bydel_t *b,
                      apr_time_t from, apr_time_t to)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const char *args[5] = { b->konto_id, b->konto_id, NULL, NULL, NULL };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *sist = NULL, *eldste = NULL, *venter = NULL;
    const char *print = "0", *avvist = "0", *avvik = "0";
    json_t *v;

    if (bkm_db_select(db, BKM_SQL_HELSE_KONTO, &res, 2, args) == 0) {
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            sist = bkm_db_value(db, row, 0);
            eldste = bkm_db_value(db, row, 1);
            venter = bkm_db_value(db, row, 2);
        }
    }
    args[0] = reg->print_konto.id;
    args[1] = k->nummer;
    args[2] = b->nummer;
    args[3] = k->nummer;
    args[4] = b->nummer;
    res = NULL;
    if (bkm_db_select(db, BKM_SQL_HELSE_BYDEL, &res, 5, args) == 0) {
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            print = bkm_db_value(db, row, 0);
            avvist = bkm_db_value(db, row, 1);
        }
    }
    args[0] = apr_off_t_toa(r->pool, from);
    args[1] = apr_off_t_toa(r->pool, to);
    args[2] = k->nummer;
    args[3] = b->nummer;
    res = NULL;
    if (bkm_db_select(db, BKM_SQL_HELSE_AVVIK, &res, 4, args) == 0) {
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            avvik = bkm_db_value(db, row, 0);
        }
    }
    avvik = avvik ? avvik : "0";
    sist = sist ? bkm_format_datetime(r->pool, lang,
                                      (apr_time_t)apr_atoi64(sist))
                : NULL;
    eldste = eldste ? bkm_format_datetime(r->pool, lang,
                                          (apr_time_t)apr_atoi64(eldste))
                    : NULL;
    v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "kommune",
                  bkm_kommune_navn(k, lang), "bydel", b->navn, "kanal",
                  bkm_i18n_text(pg->i18n, lang,
                                b->kanal == BKM_KANAL_FAGSYSTEM
                                    ? "admin.kanal.fagsystem"
                                    : "admin.kanal.manuell"),
                  "sist",
                  sist ? sist : bkm_i18n_text(pg->i18n, lang, "stat.aldri"),
                  "eldste", eldste ? eldste : "–", "venter",
                  venter ? venter : "0", "print", print ? print : "0",
                  "varsel",
                  (avvist && strcmp(avvist, "0") != 0)
                      || (print && strcmp(print, "0") != 0),
                  "avvist", avvist ? avvist : "0");
    json_object_set_new(v, "avvik", json_string(avvik));
    json_object_set_new(v, "avvikVarsel", json_boolean(strcmp(avvik, "0")));
    return v;
}

/* The ISO 8601 weeks of the period [from, to) (issue 14, item 4: they
 * were seven days from the period's first day): each starts on a Monday
 * at Oslo midnight (a week with a summer-time change has 167 or 169
 * hours), the first and last cut by the period.  Their number. */
static int week_starts(apr_time_t from, apr_time_t to, apr_time_t *start)
{
    int n = 0;
    apr_time_t t = from;

    while (t < to && n < MAX_WEEKS) {
        long long d = bkm_oslo_days(t);
        int wd = bkm_weekday(d); /* 0 Sunday */
        int to_monday = wd == 0 ? 1 : 8 - wd;
        start[n++] = t;
        /* Noon of the next Monday, then its midnight: right across a
         * summer-time change. */
        t = bkm_time_oslo_midnight(bkm_time_oslo_midnight(t + DAY / 2)
                                   + (apr_time_t)to_monday * DAY + DAY / 2);
    }
    start[n] = to;
    return n;
}

/* Add one row of the period's statement (hour, channel, type, count) to
 * its week.  The count, or 0 for an hour outside the weeks. */
static long add_week_row(bkm_db_t *db, apr_dbd_row_t *row, apr_time_t from,
                         const apr_time_t *start, int n, week_t *weeks)
{
    /* Counted by the hour from the first midnight: each hour
     * is in one week, whatever summer time does. */
    apr_time_t t = from
                   + (apr_time_t)apr_atoi64(bkm_db_value(db, row, 0)) * HOUR;
    int w = (int)((t - from) / WEEK);

    if (w > n) {
        w = n;
    }
    const char *kanal = bkm_db_value(db, row, 1);
    const char *type = bkm_db_value(db, row, 2);
    long c = atol(bkm_db_value(db, row, 3));

    while (w > 0 && w <= n && t < start[w]) {
        w--;
    }
    while (w >= 0 && w < n && t >= start[w + 1]) {
        w++;
    }
    if (w < 0 || w >= n) {
        return 0;
    }
    if (strcmp(type, "offentlig") == 0) {
        weeks[w].offentlig += c;
    }
    else {
        weeks[w].privat += c;
    }
    if (strcmp(kanal, "fagsystem") == 0) {
        weeks[w].fagsystem += c;
    }
    else {
        weeks[w].manuell += c;
    }
    return c;
}

/* The scope's reports per week, and how many of them went to print, each
 * part of the scope in turn.  0, or -1 when the database failed. */
static int count_weeks(request_rec *r, bkm_db_t *db, const scope_t *sc,
                       apr_time_t from, apr_time_t to,
                       const apr_time_t *start, int n, week_t *weeks,
                       long *total, long *printed)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int p;

    for (p = 0; p < parts(sc); p++) {
        const char *pre[3] = { apr_off_t_toa(r->pool, from),
                               apr_off_t_toa(r->pool, HOUR),
                               "%.offentlig.%" };
        const char *post[2] = { apr_off_t_toa(r->pool, from),
                                apr_off_t_toa(r->pool, to) };
        res = NULL;
        if (scope_select(db, &stat_periode, sc, p, pre, 3, post, 2, &res)) {
            return -1;
        }
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            *total += add_week_row(db, row, from, start, n, weeks);
        }
        res = NULL;
        if (scope_select(db, &stat_print, sc, p, NULL, 0, post, 2, &res)) {
            return -1;
        }
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            *printed += atol(bkm_db_value(db, row, 0));
        }
    }
    return 0;
}

/* The chart's plot area in its 640 x 272 viewBox (admin-statistikk.html
 * draws the axes at the same places): room above for the y axis's title,
 * on the left for its numbers, below for the weeks and the x axis's
 * title. */
#define PLOT_X 90.0
#define PLOT_W 542.0
#define PLOT_Y 44.0
#define PLOT_H 180.0
/* At most this many week numbers under the bars: every second (third...)
 * week is named when there are more, so that they never overlap. */
#define MAX_LABELS 10

/* The weeks into @p data: the table ("uker") and the chart ("stolper",
 * with each week's number under its bar, and "yakse": the y axis's
 * ticks), labelled "Uke 49" / "Week 49" with the ISO year. */
static void set_weeks(request_rec *r, json_t *data, const char *lang,
                      const week_t *weeks, const apr_time_t *start, int n)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *ukeord = bkm_i18n_text(pg->i18n, lang, "stat.uke.navn");
    json_t *list, *bars, *ticks;
    long max = 1, step;
    int i, every;

    for (i = 0; i < n; i++) {
        long sum = weeks[i].privat + weeks[i].offentlig;
        max = sum > max ? sum : max;
    }
    /* Round the axis up to a whole step: 1, 2 or 5 times a power of ten,
     * four steps or fewer. */
    for (step = 1;; step *= 10) {
        if (step * 4 >= max) {
            break;
        }
        if (step * 2 * 4 >= max) {
            step *= 2;
            break;
        }
        if (step * 5 * 4 >= max) {
            step *= 5;
            break;
        }
    }
    max = ((max + step - 1) / step) * step;
    ticks = json_array();
    for (i = 0; (long)i * step <= max; i++) {
        double y = PLOT_Y + PLOT_H - PLOT_H * (double)(i * step) / max;
        json_array_append_new(
            ticks,
            json_pack("{s:s, s:s, s:s}", "y",
                      apr_psprintf(r->pool, "%.1f", y), "ty",
                      apr_psprintf(r->pool, "%.1f", y + 4), "tekst",
                      bkm_format_count(r->pool, lang, (long long)i * step)));
    }
    list = json_array();
    bars = json_array();
    every = (n + MAX_LABELS - 1) / MAX_LABELS;
    for (i = 0; i < n; i++) {
        long sum = weeks[i].privat + weeks[i].offentlig;
        double bw = PLOT_W / n;
        double hf = PLOT_H * weeks[i].fagsystem / max;
        double hm = PLOT_H * weeks[i].manuell / max;
        int iso_year, week = bkm_iso_week(bkm_oslo_days(start[i]), &iso_year);
        const char *uke = apr_psprintf(r->pool, "%s %d, %d", ukeord, week,
                                       iso_year);
        const char *fra = bkm_format_date(r->pool, lang, start[i]);
        const char *til = bkm_format_date(r->pool, lang,
                                          start[i + 1] - DAY / 2);
        json_array_append_new(
            list,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "uke", uke,
                      "dager",
                      strcmp(fra, til) == 0
                          ? fra
                          : apr_pstrcat(r->pool, fra, " – ", til, NULL),
                      "antall", bkm_format_count(r->pool, lang, sum),
                      "privat",
                      bkm_format_count(r->pool, lang, weeks[i].privat),
                      "offentlig",
                      bkm_format_count(r->pool, lang, weeks[i].offentlig),
                      "fagsystem",
                      bkm_format_count(r->pool, lang, weeks[i].fagsystem),
                      "manuell",
                      bkm_format_count(r->pool, lang, weeks[i].manuell)));
        json_array_append_new(
            bars,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "x",
                      apr_psprintf(r->pool, "%.1f",
                                   PLOT_X + i * bw + bw * 0.15),
                      "w", apr_psprintf(r->pool, "%.1f", bw * 0.7), "yf",
                      apr_psprintf(r->pool, "%.1f", PLOT_Y + PLOT_H - hf),
                      "hf", apr_psprintf(r->pool, "%.1f", hf), "ym",
                      apr_psprintf(r->pool, "%.1f",
                                   PLOT_Y + PLOT_H - hf - hm),
                      "hm", apr_psprintf(r->pool, "%.1f", hm), "tx",
                      apr_psprintf(r->pool, "%.1f", PLOT_X + i * bw + bw / 2),
                      "etikett",
                      (n - 1 - i) % every == 0 ? apr_itoa(r->pool, week) : "",
                      "tittel", apr_psprintf(r->pool, "%s: %ld", uke, sum)));
    }
    json_object_set_new(data, "uker", list);
    json_object_set_new(data, "stolper", bars);
    json_object_set_new(data, "yakse", ticks);
    json_object_set_new(data, "maks", json_integer(max));
}

/* The share sent to print into @p data, against the incumbent's. */
static void set_print_share(request_rec *r, json_t *data, const char *lang,
                            long total, long printed)
{
    double share = total ? 100.0 * printed / total : 0;

    json_object_set_new(data, "printandel",
                        json_string(bkm_format_percent(r->pool, lang,
                                                       share)));
    json_object_set_new(data, "printHoy",
                        json_boolean(total >= 20 && share > PRINT_ALARM));
    json_object_set_new(data, "printAntall", json_integer(printed));
}

/* Integration health, per account (an account is one district's:
 * bkm_registry), of the scope's districts. */
static json_t *health_list(request_rec *r, bkm_db_t *db, const char *lang,
                           const scope_t *sc, apr_time_t from, apr_time_t to)
{
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    json_t *list = json_array();
    int i, j;

    for (i = 0; i < reg->kommuner->nelts; i++) {
        const bkm_kommune_t *km = APR_ARRAY_IDX(reg->kommuner, i,
                                                const bkm_kommune_t *);
        if (!km->aktiv) {
            continue;
        }
        for (j = 0; j < km->bydeler->nelts; j++) {
            const bkm_bydel_t *b = APR_ARRAY_IDX(km->bydeler, j,
                                                 const bkm_bydel_t *);
            if (in_scope(sc, km, b)) {
                json_array_append_new(list,
                                      health(r, db, lang, km, b, from, to));
            }
        }
    }
    return list;
}

int bkm_handle_statistikk(request_rec *r, const bkm_req_t *q)
{
    const char *lang = q->lang;
    const bkm_kommune_t *k = q->kommune;
    const apr_array_header_t *bydeler = q->bydeler;
    const bkm_pages_t *pg = bkm_pages(r);
    /* The operator nationally; else the municipality, or the person's
     * districts of it. */
    scope_t sc = { k, k ? bydeler : NULL };
    apr_time_t from, to;
    week_t weeks[MAX_WEEKS];
    apr_time_t start[MAX_WEEKS + 1];
    json_t *data;
    long total = 0, printed = 0;
    const char *felt;
    bkm_db_t *db;
    int n;

    page_period(r, 56, (apr_interval_time_t)(MAX_WEEKS - 2) * WEEK, &from,
                &to, &felt);
    n = week_starts(from, to, start);
    memset(weeks, 0, sizeof(weeks));
    if (!(db = bkm_db_acquire(r))) {
        return bkm_page_unavailable(r, lang);
    }
    if (count_weeks(r, db, &sc, from, to, start, n, weeks, &total,
                    &printed)) {
        return bkm_page_unavailable(r, lang);
    }
    data = bkm_page_data(r, lang,
                         apr_pstrcat(r->pool,
                                     bkm_i18n_text(pg->i18n, lang,
                                                   "stat.tittel"),
                                     " – ",
                                     k ? bkm_kommune_navn(k, lang)
                                       : bkm_i18n_text(pg->i18n, lang,
                                                       "stat.hele_landet"),
                                     NULL));
    set_weeks(r, data, lang, weeks, start, n);
    json_object_set_new(data, "totalt", json_integer(total));
    json_object_set_new(data, "fra", json_string(date_of(r->pool, from)));
    json_object_set_new(data, "til", json_string(date_of(r->pool, to - DAY)));
    set_print_share(r, data, lang, total, printed);
    json_object_set_new(data, "periodeTekst",
                        json_string(apr_pstrcat(
                            r->pool, bkm_format_date(r->pool, lang, from),
                            " – ", bkm_format_date(r->pool, lang, to - DAY),
                            NULL)));
    json_object_set_new(data, "kontoer",
                        health_list(r, db, lang, &sc, from, to));
    json_object_set_new(data, "action",
                        json_string(k ? apr_pstrcat(r->pool, "/kommune/",
                                                    k->nummer, "/statistikk",
                                                    NULL)
                                      : "/kommune/statistikk"));
    if (felt) {
        bkm_admin_date_error(r, data, lang, felt);
    }
    return bkm_admin_render(r, q, felt ? HTTP_BAD_REQUEST : HTTP_OK,
                            "admin-statistikk", data);
}

/* ---- reconciliation ------------------------------------------------- */

/* A delivered report, for the list. */
typedef struct {
    const char *id, *referanse, *bydel, *levert;
    apr_int64_t mottatt;
} levert_t;

/* The list's order, across districts: received, then id. */
static int by_received(const void *a, const void *b)
{
    const levert_t *x = a, *y = b;

    return x->mottatt < y->mottatt   ? -1
           : x->mottatt > y->mottatt ? 1
                                     : strcmp(x->id, y->id);
}

/* Add @p c reports of a state and channel to the counts (several
 * districts' rows have the same keys). */
static void add_count(json_t *counts, const char *tilstand, const char *kanal,
                      long c)
{
    size_t i;
    json_t *o;

    json_array_foreach(counts, i, o) {
        if (strcmp(json_string_value(json_object_get(o, "tilstand")),
                   tilstand)
                == 0
            && strcmp(json_string_value(json_object_get(o, "kanal")), kanal)
                   == 0) {
            json_object_set_new(
                o, "antall",
                json_integer(json_integer_value(json_object_get(o, "antall"))
                             + c));
            return;
        }
    }
    json_array_append_new(counts,
                          json_pack("{s:s, s:s, s:I}", "tilstand", tilstand,
                                    "kanal", kanal, "antall", (json_int_t)c));
}

/* The scope of ?bydel=: one district of the person's, or all of hers
 * (the municipality, or her districts; *bydel then names her only one,
 * else is "").  Whether the district asked for is hers. */
static int choose_scope(request_rec *r, const bkm_req_t *q, scope_t *sc,
                        const char **bydel)
{
    const apr_array_header_t *bydeler = q->bydeler;

    *bydel = bkm_page_arg(r, "bydel");
    if (*bydel && **bydel) {
        /* One district, of the person's. */
        apr_array_header_t *one = apr_array_make(r->pool, 1,
                                                 sizeof(const char *));
        if (!(bydeler ? bkm_roles_covers(bydeler, *bydel)
                      : bkm_kommune_bydel(q->kommune, *bydel) != NULL)) {
            return 0;
        }
        APR_ARRAY_PUSH(one, const char *) = *bydel;
        sc->bydeler = one;
    }
    else {
        /* All of the person's: the municipality, or her districts. */
        *bydel = bydeler && bydeler->nelts == 1
                     ? APR_ARRAY_IDX(bydeler, 0, const char *)
                     : "";
    }
    return 1;
}

/* The scope's counts by state and channel (and their sum) and its
 * delivered reports, each part of the scope in turn.  0, or -1 when the
 * database failed. */
static int count_delivered(request_rec *r, bkm_db_t *db, const scope_t *sc,
                           apr_time_t from, apr_time_t to, json_t *counts,
                           long *total, apr_array_header_t *levert)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int p;

    for (p = 0; p < parts(sc); p++) {
        const char *post[3] = { apr_off_t_toa(r->pool, from),
                                apr_off_t_toa(r->pool, to),
                                apr_itoa(r->pool, MAX_IDS) };
        res = NULL;
        if (scope_select(db, &avstemming_antall, sc, p, NULL, 0, post, 2,
                         &res)) {
            return -1;
        }
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            long c = atol(bkm_db_value(db, row, 2));
            add_count(counts, bkm_db_value(db, row, 0),
                      bkm_db_value(db, row, 1), c);
            *total += c;
        }
        res = NULL;
        if (scope_select(db, &avstemming_levert, sc, p, NULL, 0, post, 3,
                         &res)) {
            return -1;
        }
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            levert_t *l = apr_array_push(levert);
            l->id = bkm_db_value(db, row, 0);
            l->referanse = bkm_db_value(db, row, 1);
            l->bydel = bkm_db_value(db, row, 2);
            l->levert = bkm_db_value(db, row, 3);
            l->mottatt = apr_atoi64(bkm_db_value(db, row, 4));
        }
    }
    return 0;
}

/* The delivered reports as the list's entries, at most MAX_IDS. */
static json_t *delivered_ids(const scope_t *sc, apr_array_header_t *levert)
{
    json_t *ids = json_array();
    int i;

    /* Each district's list is in order; together they are sorted. */
    if (parts(sc) > 1) {
        qsort(levert->elts, (size_t)levert->nelts, sizeof(levert_t),
              by_received);
    }
    for (i = 0; i < levert->nelts && i < MAX_IDS; i++) {
        const levert_t *l = &APR_ARRAY_IDX(levert, i, levert_t);
        char buf[20];
        bkm_time_oslo_format(buf, (apr_time_t)apr_atoi64(l->levert));
        json_array_append_new(ids, json_pack("{s:s, s:s, s:s, s:s}",
                                             "bekymringsmeldingId", l->id,
                                             "referanse", l->referanse,
                                             "bydelsnummer", l->bydel,
                                             "levert", buf));
    }
    return ids;
}

/* What the page shows, as JSON (avstemming.json). */
static int reply_avstemming_json(request_rec *r, const bkm_kommune_t *k,
                                 const scope_t *sc, const char *bydel,
                                 apr_time_t from, apr_time_t to, long total,
                                 json_t *counts, json_t *ids,
                                 json_t *automatisk)
{
    json_t *list = NULL;
    int i;

    bkm_page_headers(r);
    if (sc->bydeler) {
        /* The districts counted, when not the municipality's all. */
        list = json_array();
        for (i = 0; i < sc->bydeler->nelts; i++) {
            json_array_append_new(list,
                                  json_string(APR_ARRAY_IDX(sc->bydeler, i,
                                                            const char *)));
        }
    }
    return bkm_reply_json(
        r, HTTP_OK,
        json_pack("{s:s, s:s?, s:o*, s:s, s:s, s:I, s:O, s:O, s:O}",
                  "kommunenummer", k->nummer, "bydelsnummer",
                  *bydel ? bydel : NULL, "bydeler", list, "fra",
                  date_of(r->pool, from), "til", date_of(r->pool, to - DAY),
                  "antall", (json_int_t)total, "etterTilstandOgKanal", counts,
                  "levert", ids, "automatisk", automatisk));
}

/* The delivered reports as a spreadsheet (avstemming.csv). */
static int reply_avstemming_csv(request_rec *r, const bkm_kommune_t *k,
                                apr_time_t from, json_t *ids)
{
    apr_bucket_brigade *bb = apr_brigade_create(r->pool,
                                                r->connection->bucket_alloc);
    static const char *const head[4] = { "bekymringsmeldingId", "referanse",
                                         "bydelsnummer", "levert" };
    size_t k2;

    bkm_page_headers(r);
    ap_set_content_type(r, "text/csv; charset=utf-8");
    apr_table_setn(r->headers_out, "Content-Disposition",
                   apr_pstrcat(r->pool, "attachment; filename=\"avstemming-",
                               k->nummer, "-", date_of(r->pool, from),
                               ".csv\"", NULL));
    bkm_page_csv_row(r, bb, head, 4);
    for (k2 = 0; k2 < json_array_size(ids); k2++) {
        json_t *o = json_array_get(ids, k2);
        const char *f[4] = {
            json_string_value(json_object_get(o, "bekymringsmeldingId")),
            json_string_value(json_object_get(o, "referanse")),
            json_string_value(json_object_get(o, "bydelsnummer")),
            json_string_value(json_object_get(o, "levert"))
        };
        bkm_page_csv_row(r, bb, f, 4);
    }
    ap_pass_brigade(r->output_filters, bb);
    return OK;
}

/* Name each count's state and channel in the person's language. */
static void name_counts(request_rec *r, const char *lang, json_t *counts)
{
    const bkm_pages_t *pg = bkm_pages(r);
    size_t k2;
    json_t *c;

    json_array_foreach(counts, k2, c) {
        json_object_set_new(
            c, "tilstandNavn",
            json_string(bkm_i18n_text(
                pg->i18n, lang,
                apr_pstrcat(r->pool, "tilstand.",
                            json_string_value(json_object_get(c, "tilstand")),
                            NULL))));
        json_object_set_new(
            c, "kanalNavn",
            json_string(bkm_i18n_text(
                pg->i18n, lang,
                apr_pstrcat(r->pool, "admin.kanal.",
                            json_string_value(json_object_get(c, "kanal")),
                            NULL))));
    }
}

/* The page's links to the same period as CSV and JSON, and its form's
 * action. */
static void set_avstemming_links(request_rec *r, json_t *data,
                                 const bkm_kommune_t *k, const char *bydel,
                                 apr_time_t from, apr_time_t to)
{
    const char *q = apr_pstrcat(r->pool, "?fra=", date_of(r->pool, from),
                                "&til=", date_of(r->pool, to - DAY),
                                *bydel ? "&bydel=" : "", bydel, NULL);
    const char *base = apr_pstrcat(r->pool, "/kommune/", k->nummer,
                                   "/avstemming", NULL);

    json_object_set_new(data, "csv",
                        json_string(apr_pstrcat(r->pool, base, ".csv", q,
                                                NULL)));
    json_object_set_new(data, "json",
                        json_string(apr_pstrcat(r->pool, base, ".json", q,
                                                NULL)));
    json_object_set_new(data, "action", json_string(base));
}

int bkm_handle_avstemming_side(request_rec *r, const bkm_req_t *q)
{
    const char *lang = q->lang, *format = q->arg;
    const bkm_kommune_t *k = q->kommune;
    const bkm_pages_t *pg = bkm_pages(r);
    const char *bydel;
    apr_time_t from, to;
    json_t *counts = json_array(), *ids, *data, *automatisk;
    apr_array_header_t *levert;
    scope_t sc = { k, q->bydeler };
    const char *felt = NULL;
    bkm_db_t *db;
    long total = 0;

    if (strcmp(format, "json") == 0 || strcmp(format, "csv") == 0) {
        if (period(r, 30, &from, &to) != 0) {
            return refused(r, lang);
        }
    }
    else {
        page_period(r, 30, 0, &from, &to, &felt);
    }
    if (!choose_scope(r, q, &sc, &bydel)) {
        return refused(r, lang);
    }
    if (!(db = bkm_db_acquire(r))) {
        return bkm_page_unavailable(r, lang);
    }
    levert = apr_array_make(r->pool, 64, sizeof(levert_t));
    if (count_delivered(r, db, &sc, from, to, counts, &total, levert)) {
        return bkm_page_unavailable(r, lang);
    }
    ids = delivered_ids(&sc, levert);
    bkm_json_own(r->pool, counts);
    bkm_json_own(r->pool, ids);
    /* Each account's automatic reconciliation (issue 12). */
    if (!(automatisk = bkm_json_own(r->pool,
                                    bkm_avstemming_accounts(db, k,
                                                            sc.bydeler)))) {
        return bkm_page_unavailable(r, lang);
    }
    if (strcmp(format, "json") == 0) {
        return reply_avstemming_json(r, k, &sc, bydel, from, to, total,
                                     counts, ids, automatisk);
    }
    if (strcmp(format, "csv") == 0) {
        return reply_avstemming_csv(r, k, from, ids);
    }
    data = bkm_page_data(r, lang,
                         apr_pstrcat(r->pool,
                                     bkm_i18n_text(pg->i18n, lang,
                                                   "avstemming.tittel"),
                                     " – ", bkm_kommune_navn(k, lang), NULL));
    name_counts(r, lang, counts);
    json_object_set(data, "antall", counts);
    json_object_set(data, "levert", ids);
    json_object_set(data, "automatisk", automatisk);
    json_object_set_new(data, "totalt", json_integer(total));
    json_object_set_new(data, "fra", json_string(date_of(r->pool, from)));
    json_object_set_new(data, "til", json_string(date_of(r->pool, to - DAY)));
    set_avstemming_links(r, data, k, bydel, from, to);
    if (felt) {
        bkm_admin_date_error(r, data, lang, felt);
    }
    return bkm_admin_render(r, q, felt ? HTTP_BAD_REQUEST : HTTP_OK,
                            "admin-avstemming", data);
}
