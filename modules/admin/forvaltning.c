/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The municipal administration (issue 6), behind the ID-porten login;
 * who may see what is ours (BekymringRoles, bkm_roles.h):
 *   GET /kommune                          the municipalities of my roles
 *   GET /kommune/{nr}                     the overview: one row a report,
 *                                         filters, search, pages
 *   GET /kommune/{nr}/meldinger.csv       the same list as CSV
 *   GET /kommune/{nr}/melding/{id}        one report's timeline
 *   POST /kommune/{nr}/melding/{id}/handling  an action on it, audited
 *   .../kommune/{nr}/mottak...            manual download (admin/nedlasting.c)
 * and the roles of the person logged in (bkm_forvaltning_roles), which the
 * routes' access rules (ADMIN, OPERATOR, KOMMUNE, MOTTAK) look at before
 * any of these handlers runs.
 * Administrators see metadata and timelines, never content (the server
 * cannot decrypt anyway).  A municipality, district or report that is not
 * the person's answers 404, the same as one that does not exist.
 */
#include "mod_bekymring_private.h"
#include "admin/admin.h"
#include "api/skjema.h"
#include "pages/pages.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "server/person.h"
#include "server/routes.h"
#include "bkm_db.h"
#include "bkm_levering.h"
#include "bkm_i18n.h"
#include "bkm_leveranse.h"
#include "bkm_log.h"
#include "bkm_registry.h"
#include "bkm_roles.h"
#include "bkm_route.h"
#include "bkm_digest.h"
#include "bkm_ids.h"
#include "bkm_time.h"
#include "bkm_format.h"
#include "bkm_calendar.h"

#include <http_protocol.h>
#include <util_filter.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>

/* This file's statements, prepared on every connection (the table is
 * handed to mod_dbd by server/db.c). */
#define BKM_SQL_OVERSIKT "bkm_oversikt"
#define BKM_SQL_OVERSIKT_BYDEL "bkm_oversikt_bydel"
#define BKM_SQL_OVERSIKT_TILSTAND "bkm_oversikt_tilstand"
#define BKM_SQL_MELDING_FINN "bkm_melding_finn"
#define BKM_SQL_MELDING_META "bkm_melding_meta"
#define BKM_SQL_HENDELSER "bkm_hendelser"
#define BKM_SQL_ROLLER_FOR "bkm_roller_for"
#define BKM_SQL_OVERSIKT_AVVIK "bkm_oversikt_avvik"
#define BKM_SQL_MELDING_APNET "bkm_melding_apnet"

/* The overview's statements: the columns, and the filters after the
 * municipality and the one the statement is for (select_rows). */
#define OVERSIKT_SELECT \
    "SELECT m.id, m.referanse, m.meldingstype, m.bydelsnummer, m.kanal, " \
    "m.tilstand, m.mottatt, m.frist, m.levert, m.oppfolging, l.hentet, " \
    "l.svar, m.avvik, " \
    "CASE WHEN m.paminnelse = m.frist THEN m.paminnelse_sendt END " \
    "FROM bkm_melding m LEFT JOIN bkm_leveranse l " \
    "ON l.melding_id = m.id AND l.mottaker = m.kanal " \
    "WHERE m.kommunenummer = %s AND m.kilde <> 'kontroll' "
#define OVERSIKT_REST \
    "AND (%s = '' OR m.meldingstype LIKE %s) AND m.mottatt >= %lld " \
    "AND (m.mottatt, m.id) < (%lld, %s) " \
    "ORDER BY m.mottatt DESC, m.id DESC LIMIT %d"

const bkm_sql_t bkm_forvaltning_sql[] = {
    /* The municipal administration.  The overview pages by keyset
     * (mottatt, id) from the newest, reading an index in that order
     * (0008_oversikt.sql) and stopping after LIMIT rows: one statement per
     * shape of filter, so that each has its index on both engines (a
     * filter written "%s = '' OR col = %s" can use none, and PostgreSQL's
     * generic plan for it joins and sorts every report of the
     * municipality).  The keyset's upper bound is the cursor or the end of
     * the period, whichever is earlier; an empty filter argument means
     * "any". */
    { BKM_SQL_OVERSIKT, OVERSIKT_SELECT OVERSIKT_REST },
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
    /* A person's roles granted in the pages (admin/roller.c grants them). */
    { BKM_SQL_ROLLER_FOR,
      "SELECT rolle, kommunenummer, bydeler, navn FROM bkm_rolle "
      "WHERE person = %s" },
    /* The overview's "avvik" filter reads the partial index of reports
     * with a failure, in its order; district and state, if chosen, are
     * checked on those few rows. */
    { BKM_SQL_OVERSIKT_AVVIK,
      OVERSIKT_SELECT "AND m.avvik IS NOT NULL "
                      "AND (%s = '' OR m.bydelsnummer = %s) "
                      "AND (%s = '' OR m.tilstand = %s) " OVERSIKT_REST },
    /* Whether anyone ever had the report: a recipient (case system,
     * receiver or print provider) fetched it in full, as its timeline
     * says (a re-queue resets the delivery, not the history).  Marking a report handled
     * stops letter post, so nobody may do it before (issue 14, item 4). */
    { BKM_SQL_MELDING_APNET,
      "SELECT COUNT(*) FROM bkm_hendelse WHERE melding_id = %s "
      "AND hendelse IN ('HENTET', 'SENDT_FAGSYSTEM', 'HENTET_PRINT')" },
    { NULL, NULL }
};

#define PAGE_ROWS 50
#define CSV_MAX_ROWS 200000

/* States a report can be in, for the filter (the incumbent's values). */
static const char *const states[] = {
    "AKSEPTERT",   "SENDT_FAGSYSTEM", "AVVIST_FAGSYSTEM",
    "SENDT_PRINT", "AVVIST_PRINT",    "LEVERT",
    NULL
};

/* What the route's access rule found (server/routes.h). */
typedef struct {
    const bkm_req_t *q; /* for the administration's header */
    const bkm_person_t *person;
    const char *lang;
    const bkm_roles_t *roles; /* this person's */
    const char *navn;         /* the role binding's name: the actor */
    const bkm_kommune_t *k;
    const apr_array_header_t *bydeler; /* allowed, or NULL: all */
} who_t;

static int allowed_bydel(const who_t *w, const char *bnr)
{
    return bkm_roles_covers(w->bydeler, bnr);
}
/* ---- the list ---------------------------------------------------------- */

typedef struct {
    const char *fra, *til, *bydel, *type, *tilstand, *etter;
    const char *avvik; /* "1": only reports with an assurance
                                   failure (bkm_avvik.h) */
    apr_time_t t_fra, t_til;
    const char *etter_t, *etter_id;
    const char *datofeil; /* "fra" or "til": a date typed wrong; the page
                             shows its error summary, unfiltered by date */
} filter_t;

/* Read the filters strictly: anything else is a 400. */
static const char *read_filter(request_rec *r, const who_t *w, filter_t *f)
{
    const char *dot;
    int i;

    memset(f, 0, sizeof(*f));
    f->fra = bkm_page_arg(r, "fra");
    f->til = bkm_page_arg(r, "til");
    f->bydel = bkm_page_arg(r, "bydel");
    f->type = bkm_page_arg(r, "type");
    f->tilstand = bkm_page_arg(r, "tilstand");
    f->etter = bkm_page_arg(r, "etter");
    f->avvik = bkm_page_arg(r, "avvik");
    f->t_fra = f->fra && *f->fra ? bkm_time_oslo_day(f->fra) : 0;
    f->t_til = f->til && *f->til ? bkm_time_oslo_day(f->til) : -2;
    if (f->t_fra < 0 || f->t_til == -1) {
        /* Typed in the page's form: the page says so (overview()). */
        f->datofeil = f->t_fra < 0 ? "fra" : "til";
        f->t_fra = 0;
        f->t_til = -2;
    }
    /* "til" is the last day included. */
    f->t_til = f->t_til == -2 ? APR_INT64_MAX
                              : f->t_til + apr_time_from_sec(86400);
    if (f->bydel && *f->bydel
        && (!bkm_kommune_bydel(w->k, f->bydel)
            || !allowed_bydel(w, f->bydel))) {
        return "not a district of this municipality";
    }
    if (f->type && *f->type && strcmp(f->type, "privat")
        && strcmp(f->type, "offentlig")) {
        return "type must be privat or offentlig";
    }
    for (i = 0; f->tilstand && *f->tilstand && states[i]; i++) {
        if (strcmp(states[i], f->tilstand) == 0) {
            break;
        }
    }
    if (f->tilstand && *f->tilstand && !states[i]) {
        return "unknown state";
    }
    if (f->avvik && *f->avvik && strcmp(f->avvik, "1") != 0) {
        return "avvik must be 1 or empty";
    }
    if (f->etter) {
        dot = strchr(f->etter, '.');
        if (!dot || dot == f->etter
            || strspn(f->etter, "0123456789") != (apr_size_t)(dot - f->etter)
            || dot - f->etter > 18 || !bkm_uuid_valid(dot + 1, 0)) {
            return "a broken page cursor";
        }
        f->etter_t = apr_pstrndup(r->pool, f->etter,
                                  (apr_size_t)(dot - f->etter));
        f->etter_id = dot + 1;
    }
    /* A district-limited administrator always sees one district. */
    if (w->bydeler && (!f->bydel || !*f->bydel)) {
        f->bydel = APR_ARRAY_IDX(w->bydeler, 0, const char *);
    }
    return NULL;
}

/* One page of rows (or, for the CSV, the next batch): newest first,
 * before the cursor (etter_t, etter_id), or before the end of the period
 * when that is earlier.  A state filter reads the index of the state, else
 * a district filter that of the district, else the municipality's. */
static int select_rows(request_rec *r, bkm_db_t *db, const who_t *w,
                       const filter_t *f, const char *etter_t,
                       const char *etter_id, int limit,
                       apr_dbd_results_t **res)
{
    const char *type = f->type && *f->type
                           ? apr_pstrcat(r->pool, "%.", f->type, ".%", NULL)
                           : "";
    const char *args[11];
    int n = 0;

    if (apr_atoi64(etter_t) >= f->t_til) {
        etter_t = apr_off_t_toa(r->pool, f->t_til);
        etter_id = "";
    }
    args[n++] = w->k->nummer;
    if (f->avvik && *f->avvik) {
        /* Reports with a failure: few, read from their own index; the
         * district and state, if chosen, are checked on those. */
        args[n++] = f->bydel ? f->bydel : "";
        args[n++] = f->bydel ? f->bydel : "";
        args[n++] = f->tilstand ? f->tilstand : "";
        args[n++] = f->tilstand ? f->tilstand : "";
    }
    else if (f->tilstand && *f->tilstand) {
        args[n++] = f->tilstand;
        args[n++] = f->bydel ? f->bydel : "";
        args[n++] = f->bydel ? f->bydel : "";
    }
    else if (f->bydel && *f->bydel) {
        args[n++] = f->bydel;
    }
    args[n++] = type;
    args[n++] = type;
    args[n++] = apr_off_t_toa(r->pool, f->t_fra);
    args[n++] = etter_t;
    args[n++] = etter_id;
    args[n++] = apr_itoa(r->pool, limit);
    return bkm_db_select(db,
                         f->avvik && *f->avvik ? BKM_SQL_OVERSIKT_AVVIK
                         : f->tilstand && *f->tilstand
                             ? BKM_SQL_OVERSIKT_TILSTAND
                         : f->bydel && *f->bydel ? BKM_SQL_OVERSIKT_BYDEL
                                                 : BKM_SQL_OVERSIKT,
                         res, n, args);
}

/* The warnings of a row, as catalogue keys. */
static json_t *warnings(request_rec *r, const char *lang, apr_time_t now,
                        const char *tilstand, const char *frist,
                        const char *levert, const char *oppfolging,
                        const char *hentet, const char *svar,
                        const char *avvik, const char *paminnelse)
{
    const bkm_pages_t *pg = bkm_pages(r);
    json_t *list = json_array();
    const char *keys[8];
    int n = 0, i;

    if (avvik) {
        keys[n++] = "admin.varsel.avvik";
    }
    if (oppfolging && strcmp(oppfolging, "1") == 0) {
        keys[n++] = "admin.varsel.oppfolging";
    }
    if (!levert && frist && apr_atoi64(frist) < now) {
        keys[n++] = "admin.varsel.forfalt";
    }
    if (!levert && hentet && !svar) {
        keys[n++] = "admin.varsel.hentet_ikke_kvittert";
    }
    if (!levert && svar && strcmp(svar, "mottatt") == 0) {
        keys[n++] = "admin.varsel.ikke_verifisert";
    }
    if (strcmp(tilstand, "SENDT_PRINT") == 0) {
        keys[n++] = "admin.varsel.print";
    }
    /* Reminded before letter post for its deadline (issue 16, item 6). */
    if (!levert && frist && paminnelse) {
        keys[n++] = "admin.varsel.paminnelse";
    }
    for (i = 0; i < n; i++) {
        json_array_append_new(list, json_string(bkm_i18n_text(pg->i18n, lang,
                                                              keys[i])));
    }
    return list;
}

static const char *type_of(const char *meldingstype)
{
    return strstr(meldingstype, ".offentlig.") ? "offentlig" : "privat";
}

static const char *query_of(request_rec *r, const filter_t *f)
{
    const char *q = "";
    const char *names[6] = { "fra",  "til",      "bydel",
                             "type", "tilstand", "avvik" };
    const char *vals[6] = { f->fra,  f->til,      f->bydel,
                            f->type, f->tilstand, f->avvik };
    int i;

    for (i = 0; i < 6; i++) {
        if (vals[i] && *vals[i]) {
            q = apr_pstrcat(r->pool, q, *q ? "&" : "", names[i], "=",
                            ap_escape_urlencoded(r->pool, vals[i]), NULL);
        }
    }
    return q;
}

/* A choice of a filter's <select>, chosen when it is what was asked
 * for ("" is "all"). */
static void option(json_t *list, const char *verdi, const char *navn,
                   const char *chosen)
{
    json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "verdi", verdi,
                                          "navn", navn, "valgt",
                                          strcmp(chosen ? chosen : "", verdi)
                                              == 0));
}

/* Search by reference number or id: the report's id when it is one of
 * this administrator's, else NULL. */
static const char *find_report(bkm_db_t *db, const who_t *w, const char *sok)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *args[3] = { w->k->nummer, sok, sok };
    const char *id = NULL, *bnr = NULL;

    if (bkm_db_select(db, BKM_SQL_MELDING_FINN, &res, 3, args) == 0) {
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            id = bkm_db_value(db, row, 0);
            bnr = bkm_db_value(db, row, 1);
        }
    }
    return id && bnr && allowed_bydel(w, bnr) ? id : NULL;
}

static const char *district_name(const who_t *w, const char *bnr);

/* One report of the overview (a row of select_rows()) as the page shows
 * it, in the person's language. */
static json_t *overview_row(request_rec *r, bkm_db_t *db, const who_t *w,
                            apr_dbd_row_t *row, apr_time_t now)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *id = bkm_db_value(db, row, 0);
    const char *tilstand = bkm_db_value(db, row, 5);

    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", id, "href",
        apr_pstrcat(r->pool, "/kommune/", w->k->nummer, "/melding/", id,
                    NULL),
        "referanse", bkm_db_value(db, row, 1), "mottatt",
        bkm_page_when(r->pool, bkm_db_value(db, row, 6)), "type",
        bkm_i18n_text(pg->i18n, w->lang,
                      apr_pstrcat(r->pool, "admin.type.",
                                  type_of(bkm_db_value(db, row, 2)), NULL)),
        "bydel", district_name(w, bkm_db_value(db, row, 3)), "kanal",
        bkm_i18n_text(pg->i18n, w->lang,
                      apr_pstrcat(r->pool, "admin.kanal.",
                                  bkm_db_value(db, row, 4), NULL)),
        "tilstand",
        bkm_i18n_text(pg->i18n, w->lang,
                      apr_pstrcat(r->pool, "tilstand.", tilstand, NULL)),
        "varsler",
        warnings(r, w->lang, now, tilstand, bkm_db_value(db, row, 7),
                 bkm_db_value(db, row, 8), bkm_db_value(db, row, 9),
                 bkm_db_value(db, row, 10), bkm_db_value(db, row, 11),
                 bkm_db_value(db, row, 12), bkm_db_value(db, row, 13)));
}

/* The page of the overview the filter asks for, into @p rows; one row more
 * is read to know whether a next page exists.  How many rows were read
 * (the last shown's time and id in *last_t and *last_id), or -1 when the
 * database failed. */
static int overview_rows(request_rec *r, bkm_db_t *db, const who_t *w,
                         const filter_t *f, json_t *rows, const char **last_t,
                         const char **last_id)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_time_t now = bkm_now(r);
    int n = 0;

    if (select_rows(r, db, w, f,
                    f->etter_t ? f->etter_t : "9223372036854775807",
                    f->etter_id ? f->etter_id : "", PAGE_ROWS + 1, &res)) {
        return -1;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        if (++n > PAGE_ROWS) {
            continue; /* read to the end: pgsql frees then */
        }
        *last_t = bkm_db_value(db, row, 6);
        *last_id = bkm_db_value(db, row, 0);
        json_array_append_new(rows, overview_row(r, db, w, row, now));
    }
    return n;
}

/* The overview's links: the next page (when there is one), the same
 * filter as CSV, the form's action, statistics and reconciliation. */
static void set_overview_links(request_rec *r, json_t *data, const who_t *w,
                               const filter_t *f, int more,
                               const char *last_t, const char *last_id)
{
    const char *q = query_of(r, f);

    if (more) {
        json_object_set_new(data, "neste",
                            json_string(apr_pstrcat(r->pool, "/kommune/",
                                                    w->k->nummer, "?", q,
                                                    *q ? "&" : "",
                                                    "etter=", last_t, ".",
                                                    last_id, NULL)));
    }
    json_object_set_new(data, "csv",
                        json_string(apr_pstrcat(r->pool, "/kommune/",
                                                w->k->nummer,
                                                "/meldinger.csv",
                                                *q ? "?" : "", q, NULL)));
    json_object_set_new(data, "action",
                        json_string(apr_pstrcat(r->pool, "/kommune/",
                                                w->k->nummer, NULL)));
    json_object_set_new(data, "statistikk",
                        json_string(apr_pstrcat(r->pool, "/kommune/",
                                                w->k->nummer, "/statistikk",
                                                NULL)));
    json_object_set_new(data, "avstemming",
                        json_string(apr_pstrcat(r->pool, "/kommune/",
                                                w->k->nummer, "/avstemming",
                                                NULL)));
}

/* The filter's choices, with what is chosen. */
static void set_filter_choices(request_rec *r, json_t *data, const who_t *w,
                               const filter_t *f)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *alle = bkm_i18n_text(pg->i18n, w->lang, "admin.alle");
    json_t *valg;
    int i;

    json_object_set_new(data, "fra", json_string(f->fra ? f->fra : ""));
    json_object_set_new(data, "til", json_string(f->til ? f->til : ""));
    valg = json_array();
    if (!w->bydeler) {
        option(valg, "", alle, f->bydel);
    }
    for (i = 0; i < w->k->bydeler->nelts; i++) {
        const bkm_bydel_t *b = APR_ARRAY_IDX(w->k->bydeler, i,
                                             const bkm_bydel_t *);
        if (allowed_bydel(w, b->nummer)) {
            option(valg, b->nummer, b->navn, f->bydel);
        }
    }
    json_object_set_new(data, "bydeler", valg);
    valg = json_array();
    option(valg, "", alle, f->tilstand);
    for (i = 0; states[i]; i++) {
        option(valg, states[i],
               bkm_i18n_text(pg->i18n, w->lang,
                             apr_pstrcat(r->pool, "tilstand.", states[i],
                                         NULL)),
               f->tilstand);
    }
    json_object_set_new(data, "tilstander", valg);
    valg = json_array();
    option(valg, "", alle, f->avvik);
    option(valg, "1", bkm_i18n_text(pg->i18n, w->lang, "admin.avvik.bare"),
           f->avvik);
    json_object_set_new(data, "avvikvalg", valg);
    valg = json_array();
    option(valg, "", alle, f->type);
    option(valg, "privat",
           bkm_i18n_text(pg->i18n, w->lang, "admin.type.privat"), f->type);
    option(valg, "offentlig",
           bkm_i18n_text(pg->i18n, w->lang, "admin.type.offentlig"), f->type);
    json_object_set_new(data, "typer", valg);
}

static int overview(request_rec *r, who_t *w)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *err, *sok = bkm_page_arg(r, "sok"), *last_t = NULL;
    const char *last_id = NULL;
    json_t *data, *rows = json_array();
    filter_t f;
    bkm_db_t *db;
    int n;

    if ((err = read_filter(r, w, &f))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      BKMLOGNO(01502) "overview refused (400): %s", err);
        return bkm_page_message(r, HTTP_BAD_REQUEST, w->lang,
                                "side.foresporsel.tittel", NULL);
    }
    if (!(db = bkm_db_acquire(r))) {
        return bkm_page_unavailable(r, w->lang);
    }
    data = bkm_page_data(r, w->lang,
                         apr_pstrcat(r->pool,
                                     bkm_i18n_text(pg->i18n, w->lang,
                                                   "admin.oversikt.tittel"),
                                     " – ", bkm_kommune_navn(w->k, w->lang),
                                     NULL));
    if (sok && *sok) {
        /* Search by reference number or id: straight to its timeline. */
        const char *id = find_report(db, w, sok);
        if (id) {
            apr_table_setn(r->headers_out, "Location",
                           apr_pstrcat(r->pool, "/kommune/", w->k->nummer,
                                       "/melding/", id, NULL));
            bkm_page_headers(r);
            return HTTP_SEE_OTHER;
        }
        json_object_set_new(data, "ikkeFunnet", json_string(sok));
    }
    if ((n = overview_rows(r, db, w, &f, rows, &last_t, &last_id)) < 0) {
        return bkm_page_unavailable(r, w->lang);
    }
    if (f.datofeil) {
        bkm_admin_date_error(r, data, w->lang, f.datofeil);
    }
    json_object_set_new(data, "rader", rows);
    json_object_set_new(data, "ingen", json_boolean(n == 0));
    set_overview_links(r, data, w, &f, n > PAGE_ROWS, last_t, last_id);
    set_filter_choices(r, data, w, &f);
    return bkm_admin_render(r, w->q, f.datofeil ? HTTP_BAD_REQUEST : HTTP_OK,
                            "admin-oversikt", data);
}

static int export_csv(request_rec *r, who_t *w)
{
    const char *err, *etter_t = "9223372036854775807", *etter_id = "";
    apr_bucket_brigade *bb;
    apr_time_t now = bkm_now(r);
    filter_t f;
    bkm_db_t *db;
    int total = 0, got;

    if ((err = read_filter(r, w, &f)) || f.datofeil) {
        return bkm_page_message(r, HTTP_BAD_REQUEST, w->lang,
                                "side.foresporsel.tittel", NULL);
    }
    if (!(db = bkm_db_acquire(r))) {
        return bkm_page_unavailable(r, w->lang);
    }
    bkm_page_headers(r);
    ap_set_content_type(r, "text/csv; charset=utf-8");
    apr_table_setn(r->headers_out, "Content-Disposition",
                   apr_pstrcat(r->pool,
                               "attachment; filename=\"bekymringsmeldinger-",
                               w->k->nummer, ".csv\"", NULL));
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    /* The columns' names are the API's, so a script reads them the same
     * whatever the page's language. */
    {
        static const char *const head[9] = { "bekymringsmeldingId",
                                             "referanse",
                                             "mottatt",
                                             "type",
                                             "bydelsnummer",
                                             "kanal",
                                             "tilstand",
                                             "levert",
                                             "varsler" };
        bkm_page_csv_row(r, bb, head, 9);
    }
    do {
        apr_dbd_results_t *res = NULL;
        apr_dbd_row_t *row = NULL;
        apr_pool_t *batch;
        got = 0;
        apr_pool_create(&batch, r->pool);
        db->pool = batch;
        if (select_rows(r, db, w, &f, etter_t, etter_id, 1000, &res)) {
            break;
        }
        while (apr_dbd_get_row(db->drv, batch, res, &row, -1) == 0) {
            const char *levert = bkm_db_value(db, row, 8);
            json_t *v = warnings(r, "nb", now, bkm_db_value(db, row, 5),
                                 bkm_db_value(db, row, 7), levert,
                                 bkm_db_value(db, row, 9),
                                 bkm_db_value(db, row, 10),
                                 bkm_db_value(db, row, 11),
                                 bkm_db_value(db, row, 12),
                                 bkm_db_value(db, row, 13));
            const char *vs = "";
            size_t i;
            for (i = 0; i < json_array_size(v); i++) {
                vs = apr_pstrcat(batch, vs, i ? "; " : "",
                                 json_string_value(json_array_get(v, i)),
                                 NULL);
            }
            json_decref(v);
            const char *fields[9] = { bkm_db_value(db, row, 0),
                                      bkm_db_value(db, row, 1),
                                      bkm_page_when(batch,
                                                    bkm_db_value(db, row, 6)),
                                      type_of(bkm_db_value(db, row, 2)),
                                      bkm_db_value(db, row, 3),
                                      bkm_db_value(db, row, 4),
                                      bkm_db_value(db, row, 5),
                                      bkm_page_when(batch, levert),
                                      vs };
            bkm_page_csv_row(r, bb, fields, 9);
            etter_t = apr_pstrdup(r->pool, bkm_db_value(db, row, 6));
            etter_id = apr_pstrdup(r->pool, bkm_db_value(db, row, 0));
            got++;
        }
        total += got;
        if (ap_pass_brigade(r->output_filters, bb) != APR_SUCCESS) {
            apr_pool_destroy(batch);
            return OK; /* the client went away */
        }
        apr_brigade_cleanup(bb);
        apr_pool_destroy(batch);
        db->pool = r->pool;
    } while (got == 1000 && total < CSV_MAX_ROWS);
    db->pool = r->pool;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  BKMLOGNO(01503) "CSV of %s: %d reports", w->k->nummer,
                  total);
    return OK;
}

/* ---- one report's timeline ----------------------------------------- */

/* A report as its timeline shows it, and what decides what can be done
 * with it. */
typedef struct {
    const char *knr, *bnr, *tilstand, *kanal;
    int levert, frist;
    int apnet;    /* a recipient fetched it in full */
    json_t *meta; /* NULL: no such report */
} report_t;

/* The district's name ("Gamle Oslo"), or the municipality's for one
 * without districts ("00"), rather than its number (issue 14). */
static const char *district_name(const who_t *w, const char *bnr)
{
    const bkm_bydel_t *b = bnr ? bkm_kommune_bydel(w->k, bnr) : NULL;

    if (!b || strcmp(bnr, "00") == 0) {
        return b ? bkm_kommune_navn(w->k, w->lang) : (bnr ? bnr : "");
    }
    return b->navn;
}

/* A time of the database (microseconds) as the page's language writes
 * it: "3. desember 2026 kl. 10:15". */
static const char *when(request_rec *r, const who_t *w, const char *micros)
{
    return micros ? bkm_format_datetime(r->pool, w->lang,
                                        (apr_time_t)apr_atoi64(micros))
                  : NULL;
}

/* Read report @p id's metadata into @p m.  0, or -1 when the database
 * failed. */
static int load_report(request_rec *r, bkm_db_t *db, const who_t *w,
                       const char *id, report_t *m)
{
    const bkm_pages_t *pg = bkm_pages(r);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;

    memset(m, 0, sizeof(*m));
    if (bkm_db_select(db, BKM_SQL_MELDING_META, &res, 1, &id)) {
        return -1;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        m->tilstand = bkm_db_value(db, row, 6);
        m->kanal = bkm_db_value(db, row, 5);
        m->frist = bkm_db_value(db, row, 8) != NULL;
        m->levert = bkm_db_value(db, row, 9) != NULL;
        m->knr = bkm_db_value(db, row, 3);
        m->bnr = bkm_db_value(db, row, 4);
        m->meta = bkm_json_own(
            r->pool,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:b}",
                      "id", bkm_db_value(db, row, 0), "referanse",
                      bkm_db_value(db, row, 1), "type",
                      bkm_i18n_text(pg->i18n, w->lang,
                                    apr_pstrcat(r->pool, "admin.type.",
                                                type_of(bkm_db_value(db, row,
                                                                     2)),
                                                NULL)),
                      "bydel", district_name(w, m->bnr), "kanal",
                      bkm_i18n_text(pg->i18n, w->lang,
                                    apr_pstrcat(r->pool, "admin.kanal.",
                                                bkm_db_value(db, row, 5),
                                                NULL)),
                      "tilstand",
                      bkm_i18n_text(pg->i18n, w->lang,
                                    apr_pstrcat(r->pool, "tilstand.",
                                                m->tilstand, NULL)),
                      "mottatt", when(r, w, bkm_db_value(db, row, 7)),
                      "frist", when(r, w, bkm_db_value(db, row, 8)), "levert",
                      when(r, w, bkm_db_value(db, row, 9)), "oppfolging",
                      bkm_db_value(db, row, 11)
                          && strcmp(bkm_db_value(db, row, 11), "1") == 0));
    }
    if (m->meta) {
        const char *n = NULL;
        res = NULL;
        if (bkm_db_select(db, BKM_SQL_MELDING_APNET, &res, 1, &id)) {
            return -1;
        }
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            n = bkm_db_value(db, row, 0);
        }
        m->apnet = n && strcmp(n, "0") != 0;
    }
    return 0;
}

/* Who did it, in words (issue 14: the timeline showed integrations' ids):
 * a person by name and role, an integration as "fagsystemet NAME" or
 * "printleverandøren NAME", the portal's own steps as "systemet". */
static const char *actor_name(request_rec *r, const who_t *w,
                              const char *aktor)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const bkm_integrasjon_t *in;
    static const char *const people[][2] = {
        { "administrator: ", "forvaltning.aktor.administrator" },
        { "mottaker: ", "forvaltning.aktor.mottaker" },
        { "operator: ", "forvaltning.aktor.operator" },
    };
    int i;

    if (!aktor || !*aktor) {
        return NULL;
    }
    for (i = 0; i < 3; i++) {
        size_t n = strlen(people[i][0]);
        if (strncmp(aktor, people[i][0], n) == 0) {
            return apr_pstrcat(r->pool, aktor + n, " (",
                               bkm_i18n_text(pg->i18n, w->lang, people[i][1]),
                               ")", NULL);
        }
    }
    in = apr_hash_get(bkm_srv_cfg(r->server)->registry->integrasjon_by_id,
                      aktor, APR_HASH_KEY_STRING);
    if (in) {
        int print = 0;
        for (i = 0; in->kontoer && i < in->kontoer->nelts; i++) {
            const bkm_konto_t *k = APR_ARRAY_IDX(in->kontoer, i,
                                                 const bkm_konto_t *);
            print |= strcmp(k->type, "print") == 0;
        }
        return apr_pstrcat(r->pool,
                           bkm_i18n_text(pg->i18n, w->lang,
                                         print
                                             ? "forvaltning.aktor.print"
                                             : "forvaltning.aktor.fagsystem"),
                           " ", in->navn, NULL);
    }
    /* The portal itself: the form, the escalation pass, retention, checks,
     * or an integration no longer in the registry. */
    return bkm_i18n_text(pg->i18n, w->lang, "forvaltning.aktor.systemet");
}

/* Whether @p text only repeats the event's name in one of the languages
 * (the stored description is often the Norwegian name itself). */
static int repeats(request_rec *r, const char *key, const char *text)
{
    static const char *const langs[BKM_I18N_NLANGS] = BKM_I18N_LANGS;
    const bkm_pages_t *pg = bkm_pages(r);
    int k;

    for (k = 0; text && k < BKM_I18N_NLANGS; k++) {
        if (strcasecmp(bkm_i18n_text(pg->i18n, langs[k], key), text) == 0) {
            return 1;
        }
    }
    return 0;
}

/* What the timeline's events tell beyond their list: when letter post was
 * last ordered. */
typedef struct {
    apr_time_t print_bestilt; /* 0: never */
    apr_time_t print_hentet;  /* 0: not fetched by the print provider */
} story_t;

/* The report's events, oldest first, in the person's language (an event
 * without a text by its name); an event that says again what the one
 * before it said, by the same actor, is left out. */
static json_t *events(request_rec *r, bkm_db_t *db, const who_t *w,
                      const char *id, story_t *st)
{
    const bkm_pages_t *pg = bkm_pages(r);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    json_t *list = json_array();
    const char *last_text = "", *last_actor = "";

    memset(st, 0, sizeof(*st));
    if (bkm_db_select(db, BKM_SQL_HENDELSER, &res, 1, &id) == 0) {
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            const char *hendelse = bkm_db_value(db, row, 3);
            const char *key = apr_pstrcat(r->pool, "hendelse.",
                                          hendelse ? hendelse : "", NULL);
            const char *tid = bkm_db_value(db, row, 1);
            const char *aktor = actor_name(r, w, bkm_db_value(db, row, 4));
            const char *beskrivelse = bkm_db_value(db, row, 5);
            const char *text = json_object_get(bkm_i18n_texts(pg->i18n,
                                                              w->lang),
                                               key)
                                   ? bkm_i18n_text(pg->i18n, w->lang, key)
                                   : (hendelse ? hendelse : "");
            if (hendelse
                && (strcmp(hendelse, "SENDT_PRINT") == 0
                    || strcmp(hendelse, "PRINT_PA_NYTT") == 0)) {
                st->print_bestilt = (apr_time_t)apr_atoi64(tid);
                st->print_hentet = 0;
            }
            if (hendelse && strcmp(hendelse, "HENTET_PRINT") == 0) {
                st->print_hentet = (apr_time_t)apr_atoi64(tid);
            }
            if (strcmp(text, last_text) == 0
                && strcmp(aktor ? aktor : "", last_actor) == 0) {
                continue;
            }
            last_text = text;
            last_actor = aktor ? aktor : "";
            if (repeats(r, key, beskrivelse)) {
                beskrivelse = NULL;
            }
            json_array_append_new(list,
                                  json_pack("{s:s, s:s, s:s?, s:s?}", "tid",
                                            when(r, w, tid), "hendelse", text,
                                            "aktor", aktor, "beskrivelse",
                                            beskrivelse));
        }
    }
    return list;
}

/* The working day @p n working days after @p t's (Oslo). */
static apr_time_t working_days_after(apr_time_t t, int n)
{
    long long d = bkm_oslo_days(t);

    while (n > 0) {
        long long y, mo, da, z = ++d + 719468, era, doe, yoe, doy, mp;
        /* civil from days (the inverse of bkm_days_from_civil) */
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = z - era * 146097;
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        y = yoe + era * 400;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        da = doy - (153 * mp + 2) / 5 + 1;
        mo = mp < 10 ? mp + 3 : mp - 9;
        y += mo <= 2;
        if (bkm_is_working_day((int)y, (int)mo, (int)da)) {
            n--;
        }
    }
    return apr_time_from_sec(d * 86400 + 12 * 3600);
}

/* Letter post expected within this many working days of the order: the
 * print provider prints the next working day, and Posten delivers
 * ordinary letters within a few working days. */
#define BREVPOST_VIRKEDAGER 5

/* The state in plain words and the next step, and for letter post where
 * the letter goes, when it was ordered and when it should arrive. */
static void explain(request_rec *r, const who_t *w, const report_t *m,
                    const story_t *st, json_t *data)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *variant = m->tilstand;
    const bkm_bydel_t *b = bkm_kommune_bydel(w->k, m->bnr);

    if (strcmp(m->tilstand, "AKSEPTERT") == 0
        || strcmp(m->tilstand, "SENDT_FAGSYSTEM") == 0) {
        variant = apr_pstrcat(r->pool, m->tilstand, ".",
                              strcmp(m->kanal, "manuell") == 0 ? "manuell"
                                                               : "fagsystem",
                              NULL);
    }
    json_object_set_new(data, "forklaring",
                        json_string(bkm_i18n_text(
                            pg->i18n, w->lang,
                            apr_pstrcat(r->pool, "forvaltning.tilstand.",
                                        variant, NULL))));
    json_object_set_new(
        data, "nesteSteg",
        json_string(bkm_i18n_text(pg->i18n, w->lang,
                                  apr_pstrcat(r->pool, "forvaltning.neste.",
                                              variant, NULL))));
    if (st->print_bestilt && !m->levert
        && (strcmp(m->tilstand, "SENDT_PRINT") == 0
            || strcmp(m->tilstand, "AVVIST_PRINT") == 0)) {
        json_t *adr = json_array();
        int i;
        if (b) {
            if (b->adresse.mottaker) {
                json_array_append_new(adr, json_string(b->adresse.mottaker));
            }
            for (i = 0; b->adresse.adresselinjer
                        && i < b->adresse.adresselinjer->nelts;
                 i++) {
                json_array_append_new(
                    adr, json_string(APR_ARRAY_IDX(b->adresse.adresselinjer,
                                                   i, const char *)));
            }
            if (b->adresse.postnummer) {
                json_array_append_new(
                    adr, json_string(apr_pstrcat(r->pool,
                                                 b->adresse.postnummer, " ",
                                                 b->adresse.poststed
                                                     ? b->adresse.poststed
                                                     : "",
                                                 NULL)));
            }
        }
        json_object_set_new(
            data, "brevpost",
            json_pack("{s:o, s:s, s:s?, s:s?}", "adresse", adr, "bestilt",
                      bkm_format_datetime(r->pool, w->lang,
                                          st->print_bestilt),
                      "hentet",
                      st->print_hentet ? bkm_format_datetime(r->pool, w->lang,
                                                             st->print_hentet)
                                       : NULL,
                      /* A failed print will not arrive: no date. */
                      "fram",
                      strcmp(m->tilstand, "AVVIST_PRINT") == 0
                          ? NULL
                          : bkm_format_date(
                              r->pool, w->lang,
                              working_days_after(st->print_bestilt,
                                                 BREVPOST_VIRKEDAGER))));
    }
}

/* What an administrator can do now with the report, audited with a
 * reason: mark it handled (until delivered, and only once a recipient
 * has it), send it back to its case system's queue (while it waits
 * there), send it to print again (after the print provider refused it). */
static json_t *actions(request_rec *r, const who_t *w, const report_t *m,
                       const char *valgt)
{
    const bkm_pages_t *pg = bkm_pages(r);
    json_t *list = json_array();
    const char *ids[3] = { NULL, NULL, NULL };
    int n = 0, i;

    if (!m->levert && m->apnet) {
        ids[n++] = "handtert";
    }
    if (!m->levert && m->frist && strcmp(m->kanal, "fagsystem") == 0
        && ((strcmp(m->tilstand, "AKSEPTERT") == 0 && m->apnet)
            || strcmp(m->tilstand, "SENDT_FAGSYSTEM") == 0)) {
        ids[n++] = "tilbake";
    }
    if (strcmp(m->tilstand, "AVVIST_PRINT") == 0) {
        ids[n++] = "print";
    }
    for (i = 0; i < n; i++) {
        int chosen = valgt ? strcmp(valgt, ids[i]) == 0 : i == 0;
        json_array_append_new(
            list,
            json_pack("{s:s, s:s, s:b, s:s, s:s, s:s}", "id",
                      apr_pstrcat(r->pool, "h-", ids[i], NULL), "hjelpId",
                      apr_pstrcat(r->pool, "h-", ids[i], "-hjelp", NULL),
                      "forste", chosen, "verdi", ids[i], "navn",
                      bkm_i18n_text(pg->i18n, w->lang,
                                    apr_pstrcat(r->pool, "admin.handling.",
                                                ids[i], NULL)),
                      "hjelp",
                      bkm_i18n_text(pg->i18n, w->lang,
                                    apr_pstrcat(r->pool,
                                                "forvaltning.handling.",
                                                ids[i], NULL))));
    }
    return list;
}

/* The timeline page; @p feil a catalogue key for the error summary (the
 * reason's field), @p form what was posted (kept). */
static int timeline(request_rec *r, who_t *w, const char *id, int status,
                    const char *feil, apr_table_t *form)
{
    const bkm_pages_t *pg = bkm_pages(r);
    json_t *data;
    report_t m;
    story_t st;
    bkm_db_t *db;

    if (!bkm_uuid_valid(id, 0)) {
        return bkm_page_not_found(r, w->lang);
    }
    if (!(db = bkm_db_acquire(r)) || load_report(r, db, w, id, &m)) {
        return bkm_page_unavailable(r, w->lang);
    }
    /* Another municipality's or district's report is as unknown as one
     * that does not exist. */
    if (!m.meta || strcmp(m.knr, w->k->nummer) != 0
        || !allowed_bydel(w, m.bnr)) {
        return bkm_page_not_found(r, w->lang);
    }
    data = bkm_page_data(
        r, w->lang,
        apr_pstrcat(r->pool,
                    bkm_i18n_text(pg->i18n, w->lang,
                                  "admin.historikk.tittel"),
                    " ",
                    json_string_value(json_object_get(m.meta, "referanse")),
                    NULL));
    json_object_set(data, "melding", m.meta);
    json_object_set_new(data, "tilbake",
                        json_string(apr_pstrcat(r->pool, "/kommune/",
                                                w->k->nummer, NULL)));
    json_object_set_new(data, "hendelser", events(r, db, w, id, &st));
    explain(r, w, &m, &st, data);
    json_object_set_new(data, "handlinger",
                        actions(r, w, &m,
                                form ? apr_table_get(form, "handling")
                                     : NULL));
    json_object_set_new(data, "ikkeApnet",
                        json_boolean(!m.levert && !m.apnet));
    json_object_set_new(data, "handlingAction",
                        json_string(apr_pstrcat(r->pool, "/kommune/",
                                                w->k->nummer, "/melding/", id,
                                                "/handling", NULL)));
    json_object_set_new(data, "csrf", json_string(bkm_page_csrf(r)));
    json_object_set_new(data, "utfort",
                        json_boolean(bkm_page_arg(r, "utfort") != NULL));
    if (form && apr_table_get(form, "begrunnelse")) {
        json_object_set_new(data, "begrunnelse",
                            json_string(apr_table_get(form, "begrunnelse")));
    }
    if (feil) {
        const char *tekst = bkm_i18n_text(pg->i18n, w->lang, feil);
        json_object_set_new(data, "feiloppsummering",
                            json_pack("[{s:s, s:s}]", "href",
                                      strcmp(feil, "admin.begrunnelse.feil")
                                              == 0
                                          ? "#begrunnelse"
                                          : "#handling",
                                      "tekst", tekst));
        if (strcmp(feil, "admin.begrunnelse.feil") == 0) {
            json_object_set_new(data, "begrunnelseFeil", json_string(tekst));
            json_object_set_new(data, "begrunnelseUgyldig",
                                json_string("true"));
        }
    }
    return bkm_admin_render(r, w->q, status, "admin-melding", data);
}

/* The confirmation before marking a report handled (it stops letter
 * post, and cannot be undone): what will happen, the reason given, and
 * a button that posts again with bekreftet=1.  No script needed. */
static int confirm_page(request_rec *r, who_t *w, const char *id,
                        apr_table_t *form)
{
    const bkm_pages_t *pg = bkm_pages(r);
    json_t *data;
    report_t m;
    bkm_db_t *db;

    if (!(db = bkm_db_acquire(r)) || load_report(r, db, w, id, &m)
        || !m.meta) {
        return bkm_page_unavailable(r, w->lang);
    }
    data = bkm_page_data(r, w->lang,
                         bkm_i18n_text(pg->i18n, w->lang,
                                       "forvaltning.bekreft.tittel"));
    json_object_set(data, "melding", m.meta);
    json_object_set_new(data, "handlingAction",
                        json_string(apr_pstrcat(r->pool, "/kommune/",
                                                w->k->nummer, "/melding/", id,
                                                "/handling", NULL)));
    json_object_set_new(data, "avbryt",
                        json_string(apr_pstrcat(r->pool, "/kommune/",
                                                w->k->nummer, "/melding/", id,
                                                NULL)));
    json_object_set_new(data, "csrf", json_string(bkm_page_csrf(r)));
    json_object_set_new(data, "begrunnelse",
                        json_string(apr_table_get(form, "begrunnelse")));
    json_object_set_new(data, "brevpost",
                        json_boolean(strcmp(m.tilstand, "SENDT_PRINT") == 0));
    return bkm_admin_render(r, w->q, HTTP_OK, "admin-bekreft", data);
}

/* POST /kommune/{nr}/melding/{id}/handling: handling, begrunnelse, csrf
 * (and bekreftet=1 once "handtert" is confirmed). */
static int action(request_rec *r, who_t *w, const char *id)
{
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const bkm_bydel_t *b;
    bkm_handling_t h;
    bkm_levering_policy_t pol;
    apr_table_t *form;
    report_t m;
    bkm_db_t *db;
    int rv;

    if ((rv = bkm_page_form(r, 8192, &form)) != OK) {
        return bkm_page_message(r, rv, w->lang, "side.foresporsel.tittel",
                                NULL);
    }
    /* The report must be this administrator's, as for the timeline. */
    if (!bkm_uuid_valid(id, 0) || !(db = bkm_db_acquire(r))
        || load_report(r, db, w, id, &m)) {
        return bkm_page_not_found(r, w->lang);
    }
    if (!m.meta || strcmp(m.knr, w->k->nummer) != 0
        || !allowed_bydel(w, m.bnr)) {
        return bkm_page_not_found(r, w->lang);
    }
    if (!bkm_page_csrf_ok(r, apr_table_get(form, "csrf"))) {
        ap_log_rerror(
            APLOG_MARK, APLOG_INFO, 0, r,
            BKMLOGNO(01504) "action without a matching CSRF token: refused");
        return bkm_page_message(r, HTTP_FORBIDDEN, w->lang,
                                "side.foresporsel.tittel", NULL);
    }
    memset(&h, 0, sizeof(h));
    h.handling = apr_table_get(form, "handling");
    h.begrunnelse = apr_table_get(form, "begrunnelse");
    h.melding_id = id;
    h.kommunenummer = m.knr;
    h.aktor = apr_pstrcat(r->pool, "administrator: ", w->navn, NULL);
    if (!h.handling
        || (strcmp(h.handling, "handtert") && strcmp(h.handling, "tilbake")
            && strcmp(h.handling, "print"))) {
        return bkm_page_message(r, HTTP_BAD_REQUEST, w->lang,
                                "side.foresporsel.tittel", NULL);
    }
    if (!h.begrunnelse
        || strspn(h.begrunnelse, " \t\r\n") == strlen(h.begrunnelse)
        || strlen(h.begrunnelse) > 2000) {
        return timeline(r, w, id, HTTP_UNPROCESSABLE_ENTITY,
                        "admin.begrunnelse.feil", form);
    }
    if (strcmp(h.handling, "handtert") == 0 && !m.levert && !m.apnet) {
        /* Nobody has it: marking it handled would stop the letter post
         * that is the report's only way left to its recipient. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(06300)
                      "report %s: handled refused (409), nobody has "
                      "fetched it", id);
        return timeline(r, w, id, HTTP_CONFLICT,
                        "forvaltning.handling.ikke_apnet", form);
    }
    if (strcmp(h.handling, "tilbake") == 0 && !m.levert && !m.apnet) {
        /* Nobody fetched it: it waits in the queue already, and putting
         * it "back" would only start the deadline again -- an
         * administrator could hold off the letter post of a report no
         * one reads, again and again (issue 14, outside attack). */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(07100)
                      "report %s: back to the queue refused (409), nobody "
                      "has fetched it",
                      id);
        return timeline(r, w, id, HTTP_CONFLICT,
                        "forvaltning.handling.tilbake_ikke_hentet", form);
    }
    if (strcmp(h.handling, "handtert") == 0 && !m.levert) {
        const char *ok = apr_table_get(form, "bekreftet");
        if (!ok || strcmp(ok, "1") != 0) {
            return confirm_page(r, w, id, form);
        }
    }
    bkm_skjema_route(reg, m.knr, m.bnr, &b);
    if (!b && strcmp(h.handling, "tilbake") == 0) {
        /* No longer a district in the portal: nowhere to queue it. */
        return timeline(r, w, id, HTTP_CONFLICT, "admin.handling.ikke_mulig",
                        form);
    }
    bkm_cfg_delivery(r->server, &pol);
    rv = bkm_levering_action(db, &pol, &h, bkm_now(r), b);
    if (rv == APR_EINVAL) {
        return timeline(r, w, id, HTTP_CONFLICT, "admin.handling.ikke_mulig",
                        form);
    }
    if (rv != APR_SUCCESS) {
        return bkm_page_unavailable(r, w->lang);
    }
    /* Who did it is in the audit table; logs name no person. */
    ap_log_rerror(
        APLOG_MARK, APLOG_INFO, 0, r,
        BKMLOGNO(01505) "report %s: %s by an administrator (audited)", id,
        h.handling);
    apr_table_setn(r->headers_out, "Location",
                   apr_pstrcat(r->pool, "/kommune/", m.knr, "/melding/", id,
                               "?utfort=1", NULL));
    bkm_page_headers(r);
    return HTTP_SEE_OTHER;
}

/* ---- /kommune ------------------------------------------------------- */

const bkm_roles_t *bkm_forvaltning_roles(request_rec *r, const char *pid)
{
    const bkm_srv_cfg_t *c = bkm_srv_cfg(r->server);
    bkm_roles_t *mine = bkm_roles_of(r->pool, c->roles, pid);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *person;
    bkm_db_t *db;

    /* Roles granted in the pages are found by the key's HMAC of the
     * national id; the number itself is nowhere in the database. */
    if (!c->role_key || !pid
        || !(person = bkm_hmac_sha256_hex(r->pool, c->role_key,
                                          c->role_key_len, pid, strlen(pid)))
        || !(db = bkm_db_acquire(r))
        || bkm_db_select(db, BKM_SQL_ROLLER_FOR, &res, 1, &person)) {
        return mine;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        bkm_binding_t b;
        const char *bydeler = bkm_db_value(db, row, 2);
        if (!bkm_binding_check(r->pool, pid, bkm_db_value(db, row, 3),
                               bkm_db_value(db, row, 0),
                               bkm_db_value(db, row, 1),
                               bydeler ? bydeler : "", &b)) {
            *(bkm_binding_t *)apr_array_push(mine->bindings) = b;
        }
    }
    return mine;
}

static int my_municipalities(request_rec *r, who_t *w)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const bkm_srv_cfg_t *c = bkm_srv_cfg(r->server);
    apr_array_header_t *mine;
    json_t *data, *list = json_array();
    int all, any, i;

    mine = bkm_roles_kommuner(r->pool, w->roles, w->person->pid, &all, &any);
    for (i = 0; i < c->registry->kommuner->nelts; i++) {
        const bkm_kommune_t *k = APR_ARRAY_IDX(c->registry->kommuner, i,
                                               const bkm_kommune_t *);
        int j, mine_k = all;
        for (j = 0; !mine_k && j < mine->nelts; j++) {
            mine_k = strcmp(APR_ARRAY_IDX(mine, j, const char *), k->nummer)
                     == 0;
        }
        if (!mine_k) {
            continue;
        }
        json_array_append_new(
            list,
            json_pack("{s:s, s:s, s:s?, s:s?}", "navn",
                      bkm_kommune_navn(k, w->lang), "nummer", k->nummer,
                      "oversikt",
                      bkm_roles_allow(w->roles, w->person->pid,
                                      BKM_TILGANG_SE, k->nummer, NULL, NULL)
                          ? apr_pstrcat(r->pool, "/kommune/", k->nummer, NULL)
                          : NULL,
                      "mottak",
                      bkm_roles_allow(w->roles, w->person->pid,
                                      BKM_TILGANG_MOTTA, k->nummer, NULL,
                                      NULL)
                          ? apr_pstrcat(r->pool, "/kommune/", k->nummer,
                                        "/mottak", NULL)
                          : NULL));
    }
    data = bkm_page_data(r, w->lang,
                         bkm_i18n_text(pg->i18n, w->lang,
                                       "admin.kommuner.tittel"));
    json_object_set_new(data, "kommuner", list);
    json_object_set_new(data, "ingen", json_boolean(!any));
    json_object_set_new(data, "roller", json_boolean(all));
    return bkm_admin_render(r, w->q, any ? HTTP_OK : HTTP_FORBIDDEN,
                            "admin-kommuner", data);
}

/* What the access rule found, in this file's shape. */
static who_t *who(request_rec *r, const bkm_req_t *q)
{
    who_t *w = apr_pcalloc(r->pool, sizeof(*w));

    w->q = q;
    w->person = q->person;
    w->lang = q->lang;
    w->roles = q->roles;
    w->navn = q->navn;
    w->k = q->kommune;
    w->bydeler = q->bydeler;
    return w;
}

/* GET /kommune */
int bkm_handle_forvaltning_kommuner(request_rec *r, const bkm_req_t *q)
{
    return my_municipalities(r, who(r, q));
}

/* GET /kommune/{kommunenummer} */
int bkm_handle_forvaltning_oversikt(request_rec *r, const bkm_req_t *q)
{
    return overview(r, who(r, q));
}

/* GET /kommune/{kommunenummer}/meldinger.csv */
int bkm_handle_forvaltning_csv(request_rec *r, const bkm_req_t *q)
{
    return export_csv(r, who(r, q));
}

/* GET /kommune/{kommunenummer}/melding/{meldingId} */
int bkm_handle_forvaltning_melding(request_rec *r, const bkm_req_t *q)
{
    return timeline(r, who(r, q), bkm_route_param(q->match, "meldingId"),
                    HTTP_OK, NULL, NULL);
}

/* POST /kommune/{kommunenummer}/melding/{meldingId}/handling */
int bkm_handle_forvaltning_handling(request_rec *r, const bkm_req_t *q)
{
    return action(r, who(r, q), bkm_route_param(q->match, "meldingId"));
}
