/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reporter's forms:
 *   GET  /{privat,offentlig}/skjema?kommune=..&bydel=..   behind the login
 *   POST /{privat,offentlig}/send                         see below
 * The post goes through the same path as the form-submission API
 * (bkm_skjema_submit: validate, render, seal, store).
 *
 * Nothing typed is lost:
 * - Every button but "send" (add or remove a child or guardian, change
 *   language, Enter in a field) shows the form again with all values.
 * - Validation errors show the form again with every value, the errors
 *   listed at the top and next to their fields, in the page's language.
 * - /send is not behind a hard login (OIDCUnAuthAction pass): when the
 *   login has run out while someone wrote, the post is sealed under a
 *   fresh key that only their browser gets (a cookie) and kept as a draft;
 *   the browser goes to the form's address, mod_auth_openidc logs them in
 *   again and brings them back, and the form is shown with everything
 *   they typed.  The database holds only the sealed draft.  Only a browser
 *   with login evidence (a signed cookie set while it was logged in) may
 *   leave a draft, at most DRAFTS_PER_PERSON of them per person,
 *   DRAFTS_MAX in all, each at most DRAFT_MAX_BODY: anyone else's post
 *   costs no storage (429 beyond the limits).
 * - The form's one-time token (hidden field "skjema") names the report: a
 *   double click or a reload sends once, and both answers lead to the same
 *   receipt.  The server issues it bound to the person (bkm_token.h); the
 *   report's duplicate key and the receipt's key are derived from the
 *   person and the token, so someone else who posts the same token is
 *   refused and can never reach the first report or its copy.
 * - A refused post (CSRF, a token not the person's) is answered with a
 *   message only: nothing posted is shown again, or it could be another
 *   site's text passed off to the person as their own.
 */
#include "mod_bekymring_private.h"
#include "api/skjema.h"
#include "pages/pages.h"
#include "report/mottak.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "server/person.h"
#include "server/routes.h"
#include "bkm_db.h"
#include "bkm_i18n.h"
#include "bkm_log.h"
#include "bkm_registry.h"
#include "bkm_lagring.h"
#include "bkm_box.h"
#include "bkm_digest.h"
#include "bkm_skjema.h"
#include "bkm_ids.h"
#include "bkm_token.h"

#include <http_protocol.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

/* This file's statements, prepared on every connection (the table is
 * handed to mod_dbd by server/db.c). */
#define BKM_SQL_UTKAST_INSERT "bkm_utkast_insert"
#define BKM_SQL_UTKAST_GET "bkm_utkast_get"
#define BKM_SQL_UTKAST_COUNT "bkm_utkast_count"
#define BKM_SQL_UTKAST_DELETE "bkm_utkast_delete"
#define BKM_SQL_UTKAST_DELETE_OWN "bkm_utkast_delete_own"

const bkm_sql_t bkm_skjema_side_sql[] = {
    { BKM_SQL_UTKAST_INSERT,
      "INSERT INTO bkm_utkast (id, innhold, utloper, eier) "
      "VALUES (%s, %pDb, %lld, %s)" },
    { BKM_SQL_UTKAST_GET,
      "SELECT utloper, innhold, eier FROM bkm_utkast WHERE id = %s" },
    { BKM_SQL_UTKAST_COUNT,
      "SELECT COUNT(*), COUNT(CASE WHEN eier = %s THEN 1 END) "
      "FROM bkm_utkast WHERE utloper > %lld" },
    { BKM_SQL_UTKAST_DELETE, "DELETE FROM bkm_utkast WHERE id = %s" },
    { BKM_SQL_UTKAST_DELETE_OWN,
      "DELETE FROM bkm_utkast WHERE id = %s AND eier = %s" },
    { NULL, NULL }
};

#define BKM_WEBFORM_MAX_BODY (1024 * 1024)
#define UTKAST_COOKIE "bkm_utkast"
/* A draft lasts through a login round-trip; the receipt and its copy are
 * for the moment after sending (a shared computer is then the risk). */
#define UTKAST_TTL 3600
#define KOPI_TTL 3600
/* Drafts: a whole report typed into the form is far below 256 KB (the
 * post itself may be 1 MB: the form shows what is too long as an error);
 * a person has a form or two open; a thousand drafts in an hour is far
 * beyond a night's expired logins in the whole country. */
#define DRAFT_MAX_BODY (256 * 1024)
#define DRAFTS_PER_PERSON 3
#define DRAFTS_MAX 1000
/* The login evidence outlives a login (ID-porten's lasts an hour or two)
 * by enough to write a long report. */
#define EVIDENCE_TTL (12 * 3600)

typedef struct {
    int utkast;        /* shown from a draft after a new login */
    int lagringsfeil;  /* not stored: shown again */
    int bytt;          /* shown from a draft after "change municipality" */
    int byttfeil;      /* "change municipality" could not keep the text */
    json_t *utenfor;   /* typed in fields this district's form lacks */
    const char *fokus; /* the field to focus (a change link, a new block) */
} notices_t;

static bkm_skjema_type_e form_type(const char *type)
{
    return strcmp(type, "offentlig") == 0 ? BKM_SKJEMA_OFFENTLIG
                                          : BKM_SKJEMA_PRIVAT;
}

static int redirect(request_rec *r, const char *location)
{
    apr_table_setn(r->headers_out, "Location", location);
    bkm_page_headers(r);
    return HTTP_SEE_OTHER;
}

/* "Oslo, Gamle Oslo" or "Bergen". */
static const char *mottaker(request_rec *r, const bkm_bydel_t *b,
                            const char *lang)
{
    const char *k = bkm_kommune_navn(b->kommune, lang);

    return strcmp(b->nummer, "00") == 0
               ? k
               : apr_pstrcat(r->pool, k, ", ", b->navn, NULL);
}

/* Button values besides "send", "legg-til:" and "fjern:". */
#define SE_OVER "se-over"   /* the form: check the answers */
#define ENDRE "endre:"      /* the check page: change one answer */
#define BYTT "bytt-kommune" /* the form: another municipality */

/* The page's language is kept in its cookie once a form has shown it, so
 * that every page after the form (the check page, the receipt, the status
 * page) speaks it, also when it came from the login's locale (pages
 * without a login know no locale). */
static void keep_lang(request_rec *r, const char *lang)
{
    const char *had = bkm_page_cookie_get(r,
                                          bkm_page_host_cookie(r,
                                                               "bkm_sprak"));

    if (!had || strcmp(had, lang) != 0) {
        bkm_page_set_lang(r, lang);
    }
}

/* The language buttons with @p suffix on their value (":feil" on a form
 * that shows errors, ":se-over" on the check page). */
static json_t *lang_buttons(request_rec *r, const char *lang,
                            const char *suffix)
{
    static const char *const langs[BKM_I18N_NLANGS] = BKM_I18N_LANGS;
    const bkm_pages_t *pg = bkm_pages(r);
    json_t *list = bkm_json_own(r->pool, json_array());
    int m;

    for (m = 0; m < BKM_I18N_NLANGS; m++) {
        json_array_append_new(
            list,
            json_pack("{s:s, s:s, s:s, s:o}", "kode", langs[m], "navn",
                      bkm_i18n_text(pg->i18n, langs[m],
                                    apr_pstrcat(r->pool, "sprak.", langs[m],
                                                NULL)),
                      "handling",
                      apr_pstrcat(r->pool, "sprak:", langs[m], suffix, NULL),
                      "gjeldende",
                      strcmp(langs[m], lang) == 0 ? json_string("true")
                                                  : json_null()));
    }
    return list;
}

/* Mark field @p name of the view's "felt" to be focused on load. */
static void set_focus(request_rec *r, json_t *felt, const char *name)
{
    char *copy = apr_pstrdup(r->pool, name), *seg, *last;
    json_t *at = felt;

    for (seg = apr_strtok(copy, ".", &last); seg && at;
         seg = apr_strtok(NULL, ".", &last)) {
        at = apr_isdigit(*seg) ? json_array_get(at, (size_t)atoi(seg))
                               : json_object_get(at, seg);
    }
    if (!json_is_object(at)) {
        return;
    }
    if (json_is_true(json_object_get(at, "janei"))) {
        /* The answer chosen, or the first of the pair. */
        json_object_set_new(at,
                            json_is_true(json_object_get(at, "nei"))
                                ? "fokusnei"
                                : "fokusja",
                            json_true());
    }
    else {
        json_object_set_new(at, "fokus", json_true());
    }
}

/* The address a block's "add" button posts to: the form's, with the new
 * block's first field as fragment. */
static void add_block_action(request_rec *r, json_t *data,
                             const bkm_skjema_t *f, const char *type,
                             const char *key, const char *array, int count)
{
    const char *id = bkm_skjema_dom_id(r->pool, f,
                                       apr_psprintf(r->pool,
                                                    "%s.%d.personnavn", array,
                                                    count));

    if (json_object_get(data, key)) {
        json_object_set_new(data, apr_pstrcat(r->pool, key, "Action", NULL),
                            json_string(apr_pstrcat(r->pool, "/", type,
                                                    "/send", id ? "#" : "",
                                                    id ? id : "", NULL)));
    }
}

/* What the form page and the check page both carry: the CSRF token, the
 * form's one-time token, the district, and the name from the login. */
static void form_ids(request_rec *r, json_t *data, const bkm_skjema_t *f,
                     const bkm_bydel_t *b, const bkm_person_t *person)
{
    json_object_set_new(data, "csrf", json_string(bkm_page_csrf(r)));
    json_object_set_new(data, "skjemaId", json_string(f->skjema_id));
    json_object_set_new(data, "kommunenummer",
                        json_string(b->kommune->nummer));
    json_object_set_new(data, "bydelsnummer", json_string(b->nummer));
    if (person && person->name) {
        json_object_set_new(data, "navnFraInnlogging",
                            json_string(person->name));
    }
}

static int render_form(request_rec *r, int status, bkm_skjema_t *f,
                       const bkm_bydel_t *b, const bkm_person_t *person,
                       const char *lang, const notices_t *n)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *type = bkm_skjema_type_name(f->type);
    const char *tag = bkm_page_login_tag(r);
    json_t *data, *view;
    int k;

    /* The person's own token: kept while it is theirs (a double click
     * must send once), else a new one (a draft another person wrote on
     * this browser).  The login evidence is renewed with every form. */
    if (tag) {
        if (!bkm_token_form_ok(bkm_srv_cfg(r->server)->token_keys, tag,
                               f->skjema_id)) {
            f->skjema_id =
                bkm_token_form_new(r->pool,
                                   bkm_srv_cfg(r->server)->token_keys, tag);
        }
        bkm_page_evidence_set(r, EVIDENCE_TTL);
    }
    if (!f->skjema_id) {
        return bkm_page_unavailable(r, lang);
    }
    k = bkm_i18n_index(lang);
    keep_lang(r, lang);
    data = bkm_page_data_bare(r, lang,
                              bkm_i18n_text(pg->i18n, lang,
                                            apr_pstrcat(r->pool,
                                                        "skjema.tittel.",
                                                        type, NULL)));
    /* Changing language is a button of the form: it keeps what is typed,
     * and errors shown stay shown (in the new language). */
    if (json_array_size(f->oppsummering) > 0) {
        json_object_set_new(data, "sprakknapper",
                            lang_buttons(r, lang, ":feil"));
    }
    else {
        json_object_set(data, "sprakknapper", pg->sprakknapper[k]);
    }
    json_object_set_new(data, "action",
                        json_string(apr_pstrcat(r->pool, "/", type, "/send",
                                                NULL)));
    json_object_set_new(data, "byttHandling", json_string(BYTT));
    json_object_set_new(data, "mottaker", json_string(mottaker(r, b, lang)));
    json_object_set_new(data, "bytt",
                        json_string(apr_pstrcat(r->pool, "/", type,
                                                "?kommune=",
                                                b->kommune->nummer, NULL)));
    form_ids(r, data, f, b, person);
    json_object_set_new(data, "utkast", json_boolean(n && n->utkast));
    json_object_set_new(data, "lagringsfeil",
                        json_boolean(n && n->lagringsfeil));
    json_object_set_new(data, "byttet", json_boolean(n && n->bytt));
    json_object_set_new(data, "byttfeil", json_boolean(n && n->byttfeil));
    if (n && json_array_size(n->utenfor) > 0) {
        json_object_set(data, "utenfor", n->utenfor);
    }
    if (json_object_size(f->verdier) == 0 && f->barn == 1 && f->foresatte <= 1
        && json_array_size(f->oppsummering) == 0 && f->versjon >= 1
        && f->versjon <= 2 && !(n && n->fokus)) {
        view = pg->tom[f->type][f->versjon - 1][k];
    }
    else {
        view = bkm_json_own(r->pool, bkm_skjema_view(f, pg->i18n, lang));
        if (n && n->fokus) {
            set_focus(r, json_object_get(view, "felt"), n->fokus);
        }
    }
    json_object_update(data, view);
    /* "Add a child" lands on the new child's first field: the answer's
     * address has its id as fragment, and the field is autofocused. */
    add_block_action(r, data, f, type, "leggTilBarn",
                     f->type == BKM_SKJEMA_OFFENTLIG ? "offentligBarn"
                                                     : "privatBarn",
                     f->barn);
    add_block_action(r, data, f, type, "leggTilForesatt", "foresatte",
                     f->foresatte);
    json_object_set_new(data, type, json_true());
    return bkm_page_render(r, status, "skjema", data);
}

/* ---- drafts across a login that ran out ------------------------------- */

/* Whether one more draft of @p owner may be kept (inside the transaction
 * that keeps it: on SQLite the one writer makes the count exact, on
 * PostgreSQL parallel posts may pass it by one each, which still bounds
 * it).  0: yes, 1: no, -1: database. */
static int draft_refused(bkm_db_t *db, const char *owner, apr_time_t now)
{
    const char *args[2];
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_int64_t all = -1, mine = -1;

    args[0] = owner;
    args[1] = apr_psprintf(db->pool, "%" APR_INT64_T_FMT, (apr_int64_t)now);
    if (bkm_db_select(db, BKM_SQL_UTKAST_COUNT, &res, 2, args)) {
        return -1;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        const char *a = bkm_db_value(db, row, 0),
                   *m = bkm_db_value(db, row, 1);
        all = a ? apr_atoi64(a) : 0;
        mine = m ? apr_atoi64(m) : 0;
    }
    if (all < 0) {
        return -1;
    }
    return all >= DRAFTS_MAX || mine >= DRAFTS_PER_PERSON;
}

static int too_many_drafts(request_rec *r, const char *lang)
{
    apr_table_setn(r->err_headers_out, "Retry-After", "3600");
    return bkm_page_message(r, HTTP_TOO_MANY_REQUESTS, lang,
                            "skjema.utkast_fullt.tittel",
                            "skjema.utkast_fullt.tekst");
}

/* The id of the draft this browser's cookie names, or NULL. */
static const char *previous_draft(request_rec *r)
{
    const char *c = bkm_page_cookie_get(r,
                                        bkm_page_host_cookie(r,
                                                             UTKAST_COOKIE));
    const char *id = c ? apr_pstrndup(r->pool, c, strcspn(c, ".")) : NULL;

    return id && bkm_uuid_valid(id, 0) ? id : NULL;
}

/* Keep the post of a person whose login ran out (tag from the login
 * evidence) as a sealed draft, and send the browser to log in again. */
static int save_draft(request_rec *r, const char *type, const char *body,
                      apr_size_t len, const bkm_bydel_t *b, const char *tag,
                      const char *lang, int bytt)
{
    const bkm_token_keys_t *keys = bkm_srv_cfg(r->server)->token_keys;
    unsigned char key[BKM_BOX_KEY];
    const char *id = bkm_uuid(r->pool),
               *keyhex = bkm_random_hex(r->pool, BKM_BOX_KEY);
    const char *owner = bkm_token_owner(r->pool, keys, tag);
    apr_int64_t utloper = bkm_now(r) + apr_time_from_sec(UTKAST_TTL);
    unsigned char *box;
    apr_size_t box_len;
    const void *args[7];
    const char *earlier = bytt ? previous_draft(r) : NULL;
    bkm_db_t *db;
    int rv, refused = 0;

    if (len > DRAFT_MAX_BODY) {
        ap_log_rerror(
            APLOG_MARK, APLOG_INFO, 0, r,
            BKMLOGNO(01408) "login ran out while "
                            "writing: a post of %" APR_SIZE_T_FMT
                       " bytes is too large to keep (413)",
            len);
        return bkm_page_message(r, HTTP_REQUEST_ENTITY_TOO_LARGE, lang,
                                "skjema.utkast_stort.tittel",
                                "skjema.utkast_stort.tekst");
    }
    rv = !id || !keyhex || !owner || bkm_unhex(keyhex, key, sizeof(key))
         || bkm_box_seal(r->pool, key, body, len, &box, &box_len);
    memset(key, 0, sizeof(key));
    if (rv || !(db = bkm_db_acquire(r))) {
        return -1;
    }
    args[0] = id;
    args[1] = box;
    args[2] = &box_len;
    args[3] = "bkm_utkast";
    args[4] = "innhold";
    args[5] = &utloper;
    args[6] = owner;
    rv = bkm_db_begin(db);
    if (rv == 0 && earlier) {
        /* "Change municipality" again: the cookie is about to name the
         * new draft, and the one it named could never be opened again.
         * (A login that runs out keeps each post: DRAFTS_PER_PERSON.) */
        const char *del[2];
        del[0] = earlier;
        del[1] = owner;
        if (bkm_db_run(db, BKM_SQL_UTKAST_DELETE_OWN, NULL, 2, del)) {
            bkm_db_end(db, -1);
            rv = -1;
        }
    }
    if (rv == 0) {
        refused = draft_refused(db, owner, bkm_now(r));
        rv = bkm_db_end(db, refused
                                ? -1
                                : bkm_db_run_binary(db, BKM_SQL_UTKAST_INSERT,
                                                    args));
    }
    if (refused == 1 && bytt) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, BKMLOGNO(06102)
                      "change of municipality: too many drafts (of this "
                      "person, or %d in all), the form is shown again",
                      DRAFTS_MAX);
        return -2;
    }
    if (refused == 1) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, BKMLOGNO(01409)
                      "login ran out while writing: too many drafts (of "
                      "this person, or %d in all), not kept (429)",
                      DRAFTS_MAX);
        return too_many_drafts(r, lang);
    }
    if (rv) {
        return -1;
    }
    if (bytt) {
        /* "Change municipality": the text waits, sealed, while the
         * reporter chooses; the choice page carries the draft's id to
         * the new municipality's form. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(06100)
                      "change of municipality: form kept as sealed draft "
                      "%s",
                      id);
        bkm_page_key_cookie_set(r, bkm_page_host_cookie(r, UTKAST_COOKIE), id,
                                keyhex, "/", UTKAST_TTL);
        return redirect(r, apr_pstrcat(r->pool, "/", type, "?utkast=", id,
                                       NULL));
    }
    ap_log_rerror(
        APLOG_MARK, APLOG_INFO, 0, r,
        BKMLOGNO(01401) "login ran out while "
                        "writing: form kept as sealed draft %s",
        id);
    bkm_page_key_cookie_set(r, bkm_page_host_cookie(r, UTKAST_COOKIE), id,
                            keyhex, "/", UTKAST_TTL);
    return redirect(r, apr_pstrcat(r->pool, "/", type, "/skjema?kommune=",
                                   b->kommune->nummer, "&bydel=", b->nummer,
                                   "&utkast=", id, NULL));
}

/* The draft @p id, if this browser has its key and the person logged in
 * wrote it.  A draft kept by a login that ran out is deleted once read; a
 * draft kept by "change municipality" stays (sealed, with its key only in
 * this browser's cookie) until the report is sent, another change
 * replaces it, or its hour is up: the reporter who goes back from the new
 * municipality's form to choose again, or reloads that form on a phone,
 * finds the text again instead of an empty form (issue 14, "nothing
 * typed is lost"). */
static bkm_skjema_t *load_draft(request_rec *r, bkm_skjema_type_e type,
                                const char *id, const char *tag)
{
    const char *owner = bkm_token_owner(r->pool,
                                        bkm_srv_cfg(r->server)->token_keys,
                                        tag),
               *eier = NULL;
    unsigned char key[BKM_BOX_KEY], *plain = NULL;
    apr_size_t plain_len = 0;
    bkm_db_rows_t *rows = NULL;
    const char *box = NULL;
    apr_size_t box_len = 0;
    apr_time_t utloper = 0;
    bkm_skjema_t *f = NULL;
    bkm_db_t *db;

    if (!bkm_page_key_cookie_get(r, bkm_page_host_cookie(r, UTKAST_COOKIE),
                                 id, key)
        || !(db = bkm_db_acquire(r))
        || bkm_db_select_rows(db, BKM_SQL_UTKAST_GET, 1, &id, &rows)) {
        return NULL;
    }
    /* Read as stored: on PostgreSQL the box comes in binary (issue 17). */
    while (bkm_db_rows_next(rows)) {
        const char *t = bkm_db_rows_value(rows, 0);
        utloper = t ? apr_atoi64(t) : 0;
        if (bkm_db_rows_blob(rows, 1, &box, &box_len)) {
            box = NULL;
        }
        eier = bkm_db_rows_value(rows, 2);
    }
    if (!box || utloper <= bkm_now(r) || !owner || !eier
        || strcmp(owner, eier) != 0
        || bkm_box_open(r->pool, key, box, box_len, &plain, &plain_len)
        || bkm_skjema_parse(r->pool, type, BKM_SKJEMA_ALL_VERSIONS,
                            (const char *)plain, plain_len, &f)) {
        f = NULL;
    }
    if (plain) {
        memset(plain, 0, plain_len);
    }
    memset(key, 0, sizeof(key));
    if (f && f->handling && strcmp(f->handling, BYTT) == 0) {
        return f;
    }
    if (box && bkm_db_begin(db) == 0) {
        bkm_db_end(db, bkm_db_run(db, BKM_SQL_UTKAST_DELETE, NULL, 1, &id));
    }
    bkm_page_cookie_remove(r, bkm_page_host_cookie(r, UTKAST_COOKIE), "/");
    return f;
}

/* Sent: the draft "change municipality" kept for this browser is not
 * needed any more (a page from history could otherwise bring the text
 * back as a form to send again). */
static void forget_draft(request_rec *r)
{
    const char *args[2], *tag = bkm_page_login_tag(r);
    bkm_db_t *db;

    args[0] = previous_draft(r);
    args[1] = tag ? bkm_token_owner(r->pool,
                                    bkm_srv_cfg(r->server)->token_keys, tag)
                  : NULL;
    if (!args[0] || !args[1] || !(db = bkm_db_acquire(r))) {
        return;
    }
    if (bkm_db_begin(db) == 0) {
        bkm_db_end(db,
                   bkm_db_run(db, BKM_SQL_UTKAST_DELETE_OWN, NULL, 2, args));
    }
    bkm_page_cookie_remove(r, bkm_page_host_cookie(r, UTKAST_COOKIE), "/");
}

/* ---- GET /{type}/skjema ------------------------------------------------ */

/* The type: q->arg; the person logged in: the route's access rule. */
int bkm_handle_skjema_side(request_rec *r, const bkm_req_t *q)
{
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const char *type = q->arg, *lang = q->lang;
    const char *knr = bkm_page_arg(r, "kommune");
    const char *utkast = bkm_page_arg(r, "utkast"), *tag;
    const bkm_bydel_t *b;
    bkm_mottaker_e why;
    bkm_skjema_t *f = NULL;
    notices_t n;

    why = bkm_skjema_route(reg, knr, bkm_page_arg(r, "bydel"), &b);
    if (!b) {
        /* Unknown or not in the portal: the choice page says so. */
        int known = knr && why != BKM_MOTTAKER_UKJENT_KOMMUNE;
        return redirect(r,
                        apr_pstrcat(r->pool, "/", type,
                                    known ? "?kommune=" : "",
                                    known ? ap_escape_urlencoded(r->pool, knr)
                                          : "",
                                    NULL));
    }
    tag = bkm_page_login_tag(r);
    memset(&n, 0, sizeof(n));
    if (utkast && tag && (f = load_draft(r, form_type(type), utkast, tag))) {
        /* Another municipality may be on another protocol version: what
         * it does not take is shown apart, never dropped unseen. */
        n.utenfor =
            bkm_json_own(r->pool,
                         bkm_skjema_set_version_keeping(f, b->versjon,
                                                        bkm_pages(r)->i18n,
                                                        lang));
        if (f->handling && strcmp(f->handling, BYTT) == 0) {
            n.bytt = 1;
        }
        else {
            n.utkast = 1;
        }
    }
    else {
        f = bkm_skjema_new(r->pool, form_type(type), b->versjon);
    }
    return render_form(r, HTTP_OK, f, b, q->person, lang, &n);
}

/* ---- POST /{type}/send -------------------------------------------------- */

/* The SHA-256 of what the person asks to send (type, district and every
 * value, keys sorted), before the server adds its own fields; NULL on
 * failure.  The text is wiped: it is the report. */
static const char *report_fingerprint(request_rec *r, const char *type,
                                      const bkm_bydel_t *b,
                                      const json_t *report)
{
    char *text = json_dumps(report, JSON_COMPACT | JSON_SORT_KEYS);
    const char *sum = NULL;

    if (text) {
        const char *all = apr_pstrcat(r->pool, type, "\n", b->kommune->nummer,
                                      "\n", b->nummer, "\n", text, NULL);
        sum = bkm_sha256_hex(r->pool, all, strlen(all));
        memset((char *)all, 0, strlen(all));
        memset(text, 0, strlen(text));
        free(text);
    }
    return sum;
}

static int send_report(request_rec *r, bkm_skjema_t *f, const bkm_bydel_t *b,
                       const bkm_person_t *person, const char *lang)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *type = bkm_skjema_type_name(f->type);
    unsigned char key[BKM_TOKEN_KEY];
    const char *fingerprint;
    bkm_mottak_result_t res;
    bkm_melding_t m;
    notices_t n;
    json_t *report;

    /* What the person's one-time token and the report decide: the
     * report's duplicate key, and the key of the receipt's cookie (never
     * stored; its hash is).  form_post has checked that the token is the
     * person's.  The report's own content is in both, so that a double
     * click finds the first report while a different report sent under
     * the same token (a duplicated tab, a page from history) is stored as
     * the report it is, never answered with the first one's receipt. */
    memset(&m, 0, sizeof(m));
    m.bydel = b;
    report = bkm_json_own(r->pool, bkm_skjema_report(f, pg->postnummer));
    if (!(fingerprint = report_fingerprint(r, type, b, report))
        || bkm_token_form_keys(r->pool, bkm_srv_cfg(r->server)->token_keys,
                               bkm_page_login_tag(r), f->skjema_id,
                               fingerprint, &m.idempotensnokkel, key)) {
        return bkm_page_unavailable(r, lang);
    }
    m.kopi_nokkel = key;
    /* issue 14: a copy for private reporters too (it was public only) */
    m.kopi_pdf = 1;
    m.kopi_utloper = bkm_now(r) + apr_time_from_sec(KOPI_TTL);
    memset(&n, 0, sizeof(n));
    switch (bkm_skjema_submit(r, type, report, person, &m, &res)) {
    case BKM_MOTTAK_INVALID:
        bkm_skjema_set_errors(f, res.errors, pg->i18n, lang);
        ap_log_rerror(
            APLOG_MARK, APLOG_INFO, 0, r,
            BKMLOGNO(01403) "form shown again with %d validation errors",
            res.errors->nelts);
        return render_form(r, HTTP_UNPROCESSABLE_ENTITY, f, b, person, lang,
                           NULL);
    case BKM_MOTTAK_DATABASE:
    case BKM_MOTTAK_INTERNAL:
        n.lagringsfeil = 1;
        return render_form(r, HTTP_SERVICE_UNAVAILABLE, f, b, person, lang,
                           &n);
    default:
        break;
    }
    if (res.repeated) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(01404)
                      "form sent again (double click or reload): report %s "
                      "was stored once", m.id);
    }
    forget_draft(r);
    /* The receipt speaks the form's language (it has no login to ask). */
    keep_lang(r, lang);
    bkm_page_key_cookie_set(r, BKM_COOKIE_SENDT, m.id,
                            bkm_hex(r->pool, key, sizeof(key)), "/sendt",
                            KOPI_TTL);
    memset(key, 0, sizeof(key));
    return redirect(r, apr_pstrcat(r->pool, "/sendt/", m.id, NULL));
}

/* The answers are valid as they stand (nothing stored): 1; else the errors
 * are on @p f: 0; -1 when they could not be checked. */
static int answers_ok(request_rec *r, bkm_skjema_t *f, const bkm_bydel_t *b,
                      const bkm_person_t *person, const char *lang)
{
    const bkm_pages_t *pg = bkm_pages(r);
    json_t *report = bkm_json_own(r->pool,
                                  bkm_skjema_report(f, pg->postnummer));
    bkm_mottak_result_t res;

    switch (bkm_skjema_check(r, bkm_skjema_type_name(f->type), report, person,
                             b, &res)) {
    case BKM_MOTTAK_OK:
        return 1;
    case BKM_MOTTAK_INVALID:
        bkm_skjema_set_errors(f, res.errors, pg->i18n, lang);
        return 0;
    default:
        return -1;
    }
}

/* Whether the report these answers make was sent already under this
 * form's one-time token (the same duplicate key send_report stores it
 * under): 1 yes, 0 no or not known. */
static int already_sent(request_rec *r, bkm_skjema_t *f, const bkm_bydel_t *b)
{
    const bkm_pages_t *pg = bkm_pages(r);
    json_t *report = bkm_json_own(r->pool,
                                  bkm_skjema_report(f, pg->postnummer));
    unsigned char key[BKM_TOKEN_KEY];
    const char *fingerprint, *dupkey = NULL;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    bkm_db_t *db;
    int found = 0, rv;

    fingerprint = report_fingerprint(r, bkm_skjema_type_name(f->type), b,
                                     report);
    rv = !fingerprint
         || bkm_token_form_keys(r->pool, bkm_srv_cfg(r->server)->token_keys,
                                bkm_page_login_tag(r), f->skjema_id,
                                fingerprint, &dupkey, key);
    memset(key, 0, sizeof(key));
    if (rv || !dupkey || !(db = bkm_db_acquire(r))
        || bkm_db_select(db, BKM_SQL_MELDING_BY_SKJEMA, &res, 1, &dupkey)) {
        return 0;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        found = 1;
    }
    return found;
}

/* The check page: every answer, each with a button that goes back to its
 * field, and "send".  Everything posted rides along as hidden fields: the
 * server keeps nothing of it between the two pages. */
static int render_check(request_rec *r, bkm_skjema_t *f, const bkm_bydel_t *b,
                        const bkm_person_t *person, const char *lang)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *type = bkm_skjema_type_name(f->type);
    const char *action = apr_pstrcat(r->pool, "/", type, "/send", NULL);
    json_t *data, *deler, *del, *rad;
    size_t i, j;

    bkm_page_evidence_set(r, EVIDENCE_TTL);
    keep_lang(r, lang);
    data = bkm_page_data_bare(r, lang,
                              bkm_i18n_text(pg->i18n, lang,
                                            "se_over.tittel"));
    json_object_set_new(data, "sprakknapper",
                        lang_buttons(r, lang, ":" SE_OVER));
    json_object_set_new(data, "action", json_string(action));
    json_object_set_new(
        data, "skjematittel",
        json_string(bkm_i18n_text(pg->i18n, lang,
                                  apr_pstrcat(r->pool, "skjema.tittel.", type,
                                              NULL))));
    json_object_set_new(data, "mottaker", json_string(mottaker(r, b, lang)));
    form_ids(r, data, f, b, person);
    deler = bkm_json_own(r->pool, bkm_skjema_summary(f, pg->postnummer,
                                                     pg->i18n, lang));
    json_array_foreach(deler, i, del) {
        json_array_foreach(json_object_get(del, "rader"), j, rad) {
            const char *navn = json_string_value(json_object_get(rad,
                                                                 "navn"));
            const char *id = json_string_value(json_object_get(rad, "id"));
            json_object_set_new(rad, "endre",
                                json_string(apr_pstrcat(r->pool, ENDRE, navn,
                                                        NULL)));
            json_object_set_new(
                rad, "endreNavn",
                json_string(apr_pstrcat(
                    r->pool,
                    json_string_value(json_object_get(rad, "etikett")), ", ",
                    json_string_value(json_object_get(del, "tittel")),
                    NULL)));
            json_object_set_new(rad, "endreAction",
                                json_string(apr_pstrcat(r->pool, action, "#",
                                                        id, NULL)));
        }
    }
    json_object_set(data, "deler", deler);
    json_object_set_new(data, "skjulte", bkm_skjema_hidden(f));
    return bkm_page_render(r, HTTP_OK, "se-over", data);
}

/* Every button of the form and the check page but "change municipality",
 * for the person logged in. */
static int form_button(request_rec *r, bkm_skjema_t *f, const bkm_bydel_t *b,
                       const bkm_person_t *person, const char *lang)
{
    const char *h = f->handling ? f->handling : "", *then = "";
    notices_t n;
    int ok;

    memset(&n, 0, sizeof(n));
    /* "sprak:nn", "sprak:nn:feil" (errors were shown: show them again),
     * "sprak:nn:se-over" (the check page in the new language). */
    if (strncmp(h, "sprak:", 6) == 0) {
        const char *code = apr_pstrndup(r->pool, h + 6, strcspn(h + 6, ":"));
        if (bkm_i18n_lang(code) && strcmp(bkm_i18n_lang(code), code) == 0) {
            lang = bkm_i18n_lang(code);
            bkm_page_set_lang(r, lang);
        }
        then = h + 6 + strlen(code);
        then = *then == ':' ? then + 1 : then;
        if (strcmp(then, "feil") == 0) {
            if (answers_ok(r, f, b, person, lang) < 0) {
                return bkm_page_unavailable(r, lang);
            }
            return render_form(r, HTTP_OK, f, b, person, lang, NULL);
        }
        if (strcmp(then, SE_OVER) != 0) {
            return render_form(r, HTTP_OK, f, b, person, lang, NULL);
        }
        h = SE_OVER;
    }
    if (strcmp(h, "send") == 0) {
        return send_report(r, f, b, person, lang);
    }
    if (strcmp(h, SE_OVER) == 0) {
        ok = answers_ok(r, f, b, person, lang);
        if (ok < 0) {
            return bkm_page_unavailable(r, lang);
        }
        if (!ok) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(06101)
                          "check page asked for: form shown again with "
                          "validation errors");
            return render_form(r, HTTP_UNPROCESSABLE_ENTITY, f, b, person,
                               lang, NULL);
        }
        if (already_sent(r, f, b)) {
            /* Back from the receipt and a reload: the check page said
             * "nothing is sent until you press Send" about a report that
             * was sent -- the receipt answers instead (issue 14, outside
             * attack). */
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(07101)
                          "check page asked for a report already sent: "
                          "the receipt instead");
            return send_report(r, f, b, person, lang);
        }
        return render_check(r, f, b, person, lang);
    }
    if (strncmp(h, ENDRE, strlen(ENDRE)) == 0
        && bkm_skjema_dom_id(r->pool, f, h + strlen(ENDRE))) {
        n.fokus = h + strlen(ENDRE);
        return render_form(r, HTTP_OK, f, b, person, lang, &n);
    }
    if (strncmp(h, "legg-til:", 9) == 0) {
        int before = f->barn + f->foresatte;
        bkm_skjema_apply(f, h);
        if (f->barn + f->foresatte > before) {
            n.fokus = apr_psprintf(r->pool, "%s.%d.personnavn", h + 9,
                                   strcmp(h + 9, "foresatte") == 0
                                       ? f->foresatte - 1
                                       : f->barn - 1);
        }
        return render_form(r, HTTP_OK, f, b, person, lang, &n);
    }
    if (strncmp(h, "fjern:", 6) == 0) {
        /* "Remove this child": focus lands on the block that took its
         * place (the one before, when the last went), not at the top of
         * a reloaded page with nothing said (issue 14, outside attack:
         * a screen reader user was left at the page's start). */
        const char *array = apr_pstrndup(r->pool, h + 6, strcspn(h + 6, ":"));
        const char *at = h + 6 + strlen(array);
        int before = f->barn + f->foresatte, left, i;
        bkm_skjema_apply(f, h);
        left = strcmp(array, "foresatte") == 0 ? f->foresatte : f->barn;
        if (*at == ':' && f->barn + f->foresatte < before && left > 0) {
            i = atoi(at + 1);
            n.fokus = apr_psprintf(r->pool, "%s.%d.personnavn", array,
                                   i < left ? i : left - 1);
        }
        return render_form(r, HTTP_OK, f, b, person, lang, &n);
    }
    bkm_skjema_apply(f, h);
    return render_form(r, HTTP_OK, f, b, person, lang, NULL);
}

/* A refused post: a message only, never what was posted (it could be
 * another site's text passed off to the person as their own). */
static int refused(request_rec *r, char *body, apr_size_t len,
                   const char *lang)
{
    memset(body, 0, len);
    return bkm_page_message(r, HTTP_FORBIDDEN, lang, "skjema.avvist.tittel",
                            "skjema.avvist.tekst");
}

/* The type: q->arg; the person: q->person, NULL when the login ran out
 * (the route's access rule is LOGIN_OR_DRAFT). */
int bkm_handle_skjema_side_post(request_rec *r, const bkm_req_t *q)
{
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    const char *type = q->arg, *lang = q->lang, *err, *tag;
    const bkm_bydel_t *b = NULL;
    bkm_mottaker_e why;
    bkm_skjema_t *f;
    notices_t n;
    char *body;
    apr_size_t len;
    int rv, logged_in = q->person != NULL;

    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0
        || (ct[33] && ct[33] != ';' && ct[33] != ' ')) {
        return bkm_page_message(r, HTTP_UNSUPPORTED_MEDIA_TYPE, lang,
                                "side.foresporsel.tittel", NULL);
    }
    rv = bkm_read_body_status(r, BKM_WEBFORM_MAX_BODY, &body, &len);
    if (rv != OK) {
        return bkm_page_message(r, rv, lang, "side.foresporsel.tittel", NULL);
    }
    err = bkm_skjema_parse(r->pool, form_type(type), BKM_SKJEMA_ALL_VERSIONS,
                           body, len, &f);
    if (!err && (why = bkm_skjema_route(reg, f->kommune, f->bydel, &b))) {
        err = apr_pstrcat(r->pool, "no district to send to (",
                          bkm_mottaker_name(why), ")", NULL);
    }
    if (!err) {
        err = bkm_skjema_set_version(f, b->versjon);
    }
    if (!err
        && (!f->skjema_id
            || bkm_unhex(f->skjema_id, (unsigned char[32]){ 0 }, 32))) {
        err = "no one-time form token";
    }
    if (err) {
        /* The reason names our fields only, never a value or a name
         * the sender made up (bkm_skjema_parse). */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      BKMLOGNO(01405) "form refused (400): %s", err);
        memset(body, 0, len);
        return bkm_page_message(r, HTTP_BAD_REQUEST, lang,
                                "side.foresporsel.tittel", NULL);
    }
    if (!bkm_page_csrf_ok(r, f->csrf)) {
        /* Another site's post, a cookie planted by someone else, another
         * person's form, or a form older than the browser's cookie:
         * nothing is done and nothing posted is shown again. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(01406)
                      "form post without this browser's and person's CSRF "
                      "token: refused (403)");
        return refused(r, body, len, lang);
    }
    /* The CSRF token held, so the browser is the person's (logged in, or
     * with their login evidence); the form token must be theirs too. */
    tag = logged_in ? bkm_page_login_tag(r) : bkm_page_evidence_tag(r);
    if (!tag
        || !bkm_token_form_ok(bkm_srv_cfg(r->server)->token_keys, tag,
                              f->skjema_id)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, BKMLOGNO(01407)
                      "form post with a one-time token issued to someone "
                      "else: refused (403)");
        return refused(r, body, len, lang);
    }
    memset(&n, 0, sizeof(n));
    if (!logged_in) {
        rv = save_draft(r, type, body, len, b, tag, lang,
                        f->handling && strcmp(f->handling, BYTT) == 0);
        memset(body, 0, len);
        if (rv < 0) {
            n.lagringsfeil = 1;
            return render_form(r, HTTP_SERVICE_UNAVAILABLE, f, b, NULL, lang,
                               &n);
        }
        return rv;
    }
    if (f->handling && strcmp(f->handling, BYTT) == 0) {
        /* The text is kept, sealed, while another municipality is
         * chosen (a refusal shows the form again with everything). */
        rv = save_draft(r, type, body, len, b, tag, lang, 1);
        memset(body, 0, len);
        if (rv == -2) {
            n.byttfeil = 1;
            return render_form(r, HTTP_TOO_MANY_REQUESTS, f, b, q->person,
                               lang, &n);
        }
        if (rv < 0) {
            n.lagringsfeil = 1;
            return render_form(r, HTTP_SERVICE_UNAVAILABLE, f, b, q->person,
                               lang, &n);
        }
        return rv;
    }
    memset(body, 0, len);
    return form_button(r, f, b, q->person, lang);
}
