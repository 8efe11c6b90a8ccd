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
 *   they typed.  The database holds only the sealed draft.
 * - The form's one-time token (hidden field "skjema") names the report: a
 *   double click or a reload sends once, and both answers lead to the same
 *   receipt.  The receipt's key is derived from the token, so whichever
 *   answer the browser keeps can open it.
 */
#include "mod_bekymring_private.h"
#include "bkm_box.h"
#include "bkm_digest.h"
#include "bkm_form.h"
#include "bkm_ids.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <openssl/sha.h>
#include <string.h>

#define BKM_WEBFORM_MAX_BODY (1024 * 1024)
#define UTKAST_COOKIE "bkm_utkast"
/* A draft lasts through a login round-trip; the receipt and its copy are
 * for the moment after sending (a shared computer is then the risk). */
#define UTKAST_TTL 3600
#define KOPI_TTL 3600

typedef struct {
    int utkast;             /* shown from a draft after a new login */
    int utlopt;             /* the CSRF check failed: shown again */
    int lagringsfeil;       /* not stored: shown again */
} notices_t;

static bkm_form_type_e form_type(const char *type)
{
    return strcmp(type, "offentlig") == 0 ? BKM_FORM_OFFENTLIG
                                          : BKM_FORM_PRIVAT;
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

    return strcmp(b->nummer, "00") == 0 ? k
        : apr_pstrcat(r->pool, k, ", ", b->navn, NULL);
}

static int render_form(request_rec *r, int status, bkm_form_t *f,
                       const bkm_bydel_t *b, const bkm_person_t *person,
                       const char *lang, const notices_t *n)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *type = bkm_form_type_name(f->type);
    json_t *data, *view;
    int k;

    k = bkm_i18n_index(lang);
    data = bkm_page_data_bare(r, lang, bkm_i18n_text(
        pg->i18n, lang, apr_pstrcat(r->pool, "skjema.tittel.", type, NULL)));
    /* Changing language is a button of the form: it keeps what is typed. */
    json_object_set(data, "sprakknapper", pg->sprakknapper[k]);
    json_object_set_new(data, "action", json_string(apr_pstrcat(
        r->pool, "/", type, "/send", NULL)));
    json_object_set_new(data, "mottaker", json_string(mottaker(r, b, lang)));
    json_object_set_new(data, "bytt", json_string(apr_pstrcat(
        r->pool, "/", type, "?kommune=", b->kommune->nummer, NULL)));
    json_object_set_new(data, "csrf", json_string(bkm_page_csrf(r)));
    json_object_set_new(data, "skjemaId", json_string(f->skjema_id));
    json_object_set_new(data, "kommunenummer",
                        json_string(b->kommune->nummer));
    json_object_set_new(data, "bydelsnummer", json_string(b->nummer));
    if (person && person->name) {
        json_object_set_new(data, "navnFraInnlogging",
                            json_string(person->name));
    }
    json_object_set_new(data, "utkast", json_boolean(n && n->utkast));
    json_object_set_new(data, "utlopt", json_boolean(n && n->utlopt));
    json_object_set_new(data, "lagringsfeil",
                        json_boolean(n && n->lagringsfeil));
    if (json_object_size(f->verdier) == 0 && f->barn == 1
        && f->foresatte <= 1 && json_array_size(f->oppsummering) == 0
        && f->versjon >= 1 && f->versjon <= 2) {
        view = pg->tom[f->type][f->versjon - 1][k];
    }
    else {
        view = bkm_json_own(r->pool, bkm_form_view(f, pg->i18n, lang));
    }
    json_object_update(data, view);
    json_object_set_new(data, type, json_true());
    return bkm_page_render(r, status, "skjema", data);
}

/* ---- drafts across a login that ran out ------------------------------- */

static int save_draft(request_rec *r, const char *type, const char *body,
                      apr_size_t len, const bkm_bydel_t *b)
{
    unsigned char key[BKM_BOX_KEY];
    const char *id = bkm_uuid(r->pool), *keyhex = bkm_random_hex(r->pool,
                                                                 BKM_BOX_KEY);
    apr_int64_t utloper = bkm_now(r) + apr_time_from_sec(UTKAST_TTL);
    unsigned char *box;
    apr_size_t box_len;
    const void *args[6];
    bkm_db_t *db;
    int rv;

    rv = !id || !keyhex || bkm_unhex(keyhex, key, sizeof(key))
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
    rv = bkm_db_begin(db);
    if (rv == 0) {
        rv = bkm_db_end(db, bkm_db_run_binary(db, BKM_SQL_UTKAST_INSERT,
                                              args));
    }
    if (rv) {
        return -1;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(01401)
                  "login ran out while writing: form kept as sealed draft %s",
                  id);
    bkm_page_key_cookie_set(r, UTKAST_COOKIE, id, keyhex, "/", UTKAST_TTL);
    return redirect(r, apr_pstrcat(r->pool, "/", type, "/skjema?kommune=",
                                   b->kommune->nummer, "&bydel=", b->nummer,
                                   "&utkast=", id, NULL));
}

/* The draft @p id, if this browser has its key; deleted once read. */
static bkm_form_t *load_draft(request_rec *r, bkm_form_type_e type,
                              const char *id)
{
    unsigned char key[BKM_BOX_KEY], *plain = NULL;
    apr_size_t plain_len = 0;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *box = NULL;
    apr_size_t box_len = 0;
    apr_time_t utloper = 0;
    bkm_form_t *f = NULL;
    bkm_db_t *db;

    if (!bkm_page_key_cookie_get(r, UTKAST_COOKIE, id, key)
        || !(db = bkm_db_acquire(r))
        || bkm_db_select(db, BKM_SQL_UTKAST_GET, &res, 1, &id)) {
        return NULL;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        const char *t = bkm_db_value(db, row, 0);
        utloper = t ? apr_atoi64(t) : 0;
        if (bkm_db_blob(db, row, 1, &box, &box_len)) {
            box = NULL;
        }
    }
    if (!box || utloper <= bkm_now(r)
        || bkm_box_open(r->pool, key, box, box_len, &plain, &plain_len)
        || bkm_form_parse(r->pool, type, BKM_FORM_ALL_VERSIONS,
                          (const char *)plain, plain_len, &f)) {
        f = NULL;
    }
    if (plain) {
        memset(plain, 0, plain_len);
    }
    memset(key, 0, sizeof(key));
    if (box && bkm_db_begin(db) == 0) {
        bkm_db_end(db, bkm_db_run(db, BKM_SQL_UTKAST_DELETE, NULL, 1, &id));
    }
    bkm_page_cookie_remove(r, UTKAST_COOKIE, "/");
    return f;
}

/* ---- GET /{type}/skjema ------------------------------------------------ */

static int form_get(request_rec *r, const char *type)
{
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const char *lang, *why, *knr = bkm_page_arg(r, "kommune");
    const char *utkast = bkm_page_arg(r, "utkast");
    const bkm_bydel_t *b;
    bkm_person_t person;
    bkm_form_t *f = NULL;
    notices_t n;

    if (bkm_method_refused(r, "GET HEAD")) {
        return OK;
    }
    if (bkm_page_person(r, &person, &lang, 1) != OK) {
        return OK;              /* answered */
    }
    b = bkm_skjema_route(reg, knr, bkm_page_arg(r, "bydel"), &why);
    if (!b) {
        /* Unknown or not in the portal: the choice page says so. */
        return redirect(r, apr_pstrcat(r->pool, "/", type,
                                       knr && strcmp(why, "kommune") != 0
                                       ? "?kommune=" : "",
                                       knr && strcmp(why, "kommune") != 0
                                       ? ap_escape_urlencoded(r->pool, knr)
                                       : "", NULL));
    }
    memset(&n, 0, sizeof(n));
    if (utkast && (f = load_draft(r, form_type(type), utkast))
        && !bkm_form_set_version(f, b->versjon)) {
        n.utkast = 1;
    }
    else {
        f = bkm_form_new(r->pool, form_type(type), b->versjon);
    }
    if (!f->skjema_id || bkm_unhex(f->skjema_id, (unsigned char[32]){0}, 32)) {
        f->skjema_id = bkm_random_hex(r->pool, 32);
    }
    return render_form(r, HTTP_OK, f, b, &person, lang, &n);
}

/* ---- POST /{type}/send -------------------------------------------------- */

static int send_report(request_rec *r, bkm_form_t *f, const bkm_bydel_t *b,
                       const bkm_person_t *person, const char *lang)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *type = bkm_form_type_name(f->type);
    unsigned char key[SHA256_DIGEST_LENGTH];
    bkm_intake_result_t res;
    bkm_melding_t m;
    notices_t n;
    json_t *report;

    /* What the one-time token decides: the report's idempotency key, and
     * the key of the receipt's cookie (never stored; its hash is). */
    memset(&m, 0, sizeof(m));
    m.bydel = b;
    m.idempotensnokkel = bkm_sha256_hex(r->pool, apr_pstrcat(
        r->pool, "bkm-skjema:", f->skjema_id, NULL), 11 + 64);
    SHA256((const unsigned char *)apr_pstrcat(r->pool, "bkm-kopi:",
                                              f->skjema_id, NULL), 9 + 64,
           key);
    m.kopi_nokkel = key;
    m.kopi_pdf = f->type == BKM_FORM_OFFENTLIG;
    m.kopi_utloper = bkm_now(r) + apr_time_from_sec(KOPI_TTL);
    report = bkm_json_own(r->pool, bkm_form_report(f, pg->postnummer));
    memset(&n, 0, sizeof(n));
    switch (bkm_skjema_submit(r, type, report, person, &m, &res)) {
    case BKM_INTAKE_INVALID:
        bkm_form_set_errors(f, res.errors, pg->i18n, lang);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(01403)
                      "form shown again with %d validation errors",
                      res.errors->nelts);
        return render_form(r, HTTP_UNPROCESSABLE_ENTITY, f, b, person, lang,
                           NULL);
    case BKM_INTAKE_DATABASE:
    case BKM_INTAKE_INTERNAL:
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
    bkm_page_key_cookie_set(r, BKM_COOKIE_SENDT, m.id,
                            bkm_hex(r->pool, key, sizeof(key)), "/sendt",
                            KOPI_TTL);
    memset(key, 0, sizeof(key));
    return redirect(r, apr_pstrcat(r->pool, "/sendt/", m.id, NULL));
}

static int form_post(request_rec *r, const char *type)
{
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    const char *lang, *why, *err;
    const bkm_bydel_t *b;
    bkm_person_t person;
    bkm_form_t *f;
    notices_t n;
    char *body;
    apr_size_t len;
    int rv, logged_in;

    if (bkm_method_refused(r, "POST")) {
        return OK;
    }
    logged_in = bkm_page_person(r, &person, &lang, 0);
    if (logged_in == DONE) {
        return OK;              /* answered */
    }
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0
        || (ct[33] && ct[33] != ';' && ct[33] != ' ')) {
        return bkm_page_message(r, HTTP_UNSUPPORTED_MEDIA_TYPE, lang,
                                "side.foresporsel.tittel", NULL);
    }
    rv = bkm_read_body_status(r, BKM_WEBFORM_MAX_BODY, &body, &len);
    if (rv != OK) {
        return bkm_page_message(r, rv, lang, "side.foresporsel.tittel",
                                NULL);
    }
    err = bkm_form_parse(r->pool, form_type(type), BKM_FORM_ALL_VERSIONS,
                         body, len, &f);
    b = err ? NULL : bkm_skjema_route(reg, f->kommune, f->bydel, &why);
    if (!err && !b) {
        err = apr_pstrcat(r->pool, "no district to send to (", why, ")",
                          NULL);
    }
    if (!err) {
        err = bkm_form_set_version(f, b->versjon);
    }
    if (!err && (!f->skjema_id || bkm_unhex(f->skjema_id,
                                            (unsigned char[32]){0}, 32))) {
        err = "no one-time form token";
    }
    if (err) {
        /* The reason names fields, never values. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(01405)
                      "form refused (400): %s", err);
        memset(body, 0, len);
        return bkm_page_message(r, HTTP_BAD_REQUEST, lang,
                                "side.foresporsel.tittel", NULL);
    }
    memset(&n, 0, sizeof(n));
    if (!bkm_page_csrf_ok(r, f->csrf)) {
        /* Another site's post, or a form older than the browser's
         * cookie: nothing is done, but what was typed is shown again
         * (to this browser only) with a fresh token. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(01406)
                      "form post without a matching CSRF token: refused");
        n.utlopt = 1;
        memset(body, 0, len);
        return render_form(r, HTTP_FORBIDDEN, f, b,
                           logged_in == OK ? &person : NULL, lang, &n);
    }
    if (logged_in != OK) {
        rv = save_draft(r, type, body, len, b);
        memset(body, 0, len);
        if (rv < 0) {
            n.lagringsfeil = 1;
            return render_form(r, HTTP_SERVICE_UNAVAILABLE, f, b, NULL,
                               lang, &n);
        }
        return rv;
    }
    memset(body, 0, len);
    if (f->handling && strncmp(f->handling, "sprak:", 6) == 0
        && bkm_i18n_lang(f->handling + 6)) {
        lang = bkm_i18n_lang(f->handling + 6);
        bkm_page_set_lang(r, lang);
    }
    if (f->handling && strcmp(f->handling, "send") == 0) {
        return send_report(r, f, b, &person, lang);
    }
    bkm_form_apply(f, f->handling);
    return render_form(r, HTTP_OK, f, b, &person, lang, NULL);
}

int bkm_handle_webform(request_rec *r, const char *type, const char *rest)
{
    if (!bkm_pages(r)) {
        return bkm_pages_missing(r);
    }
    if (!*rest) {
        return bkm_handle_velg(r, type);
    }
    if (strcmp(rest, "/skjema") == 0) {
        return form_get(r, type);
    }
    if (strcmp(rest, "/send") == 0) {
        return form_post(r, type);
    }
    return bkm_page_message(r, HTTP_NOT_FOUND, bkm_page_lang(r, NULL),
                            "side.ikke_funnet.tittel", NULL);
}
