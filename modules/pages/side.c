/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every page of the reporter's web shares: the templates, catalogues
 * and postal codes (BekymringPages, loaded once httpd has read its
 * configuration, in the check_config hook, which `apache2 -t` runs too: so
 * it finds a broken template or a missing translation), the language, the
 * CSRF cookie, the headers and rendering.
 *
 * CSRF: a random cookie per browser (HttpOnly, SameSite=Lax) and, in a
 * hidden field of each form, a MAC over that cookie and the person logged
 * in, under BekymringSecretKey (bkm_token.h).  Another site can make a
 * browser post, but cannot read the field; and a cookie planted by someone
 * else (over plain http, from a sibling domain) is worth nothing: the
 * field that goes with it needs the key and the victim's own login.
 * Behind TLS (BekymringHttps, or the request's scheme) the cookies are
 * Secure and named __Host-.  No server state: it works on every node of a
 * farm that shares the key, and across a login that runs out while
 * someone writes (then the login evidence, a signed cookie set while the
 * person was logged in, stands for the login).
 */
#include "mod_bekymring_private.h"
#include "pages/pages.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/http.h"
#include "server/person.h"
#include "bkm_i18n.h"
#include "bkm_log.h"
#include "bkm_box.h"
#include "bkm_ids.h"
#include "bkm_skjema.h"
#include "bkm_buf.h"
#include "bkm_html.h"
#include "bkm_static.h"
#include "bkm_time.h"
#include "bkm_token.h"
#include "bkm_utf8.h"
#include "bkm_registry.h"

#include <apr_lib.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_cookies.h>
#include <util_script.h>
#include <util_filter.h>
#include <apr_buckets.h>
#include <apr_file_info.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <string.h>

#define LANG_COOKIE "bkm_sprak"
#define LANG_COOKIE_AGE (365L * 86400)

/* Load a BekymringPages directory: NULL, or a message. */
static const char *pages_load(apr_pool_t *p, const char *dir,
                              const char *static_dir, bkm_pages_t **out)
{
    bkm_pages_t *pg = apr_pcalloc(p, sizeof(*pg));
    const char *tdir = apr_pstrcat(p, dir, "/templates", NULL);
    const char *err, *file;
    apr_dir_t *d;
    apr_finfo_t fi;
    static const char *const langs[BKM_I18N_NLANGS] = BKM_I18N_LANGS;
    apr_hash_t *manifest = NULL;
    int n = 0, type, v, k;

    pg->dir = dir;
    pg->html = bkm_html_set_make(p);
    /* The static files' built names (BekymringStatic, bkm_static.h). */
    if (static_dir
        && (err = bkm_static_load(p,
                                  apr_pstrcat(p, static_dir,
                                              "/" BKM_STATIC_MANIFEST, NULL),
                                  &manifest))) {
        return err;
    }
    if (apr_dir_open(&d, tdir, p) != APR_SUCCESS) {
        return apr_psprintf(p, "cannot read %s", tdir);
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
           == APR_SUCCESS) {
        apr_size_t len = strlen(fi.name);
        char *text;
        apr_file_t *f;
        apr_finfo_t size;
        if (fi.filetype != APR_REG || len < 6
            || strcmp(fi.name + len - 5, ".html") != 0) {
            continue;
        }
        file = apr_pstrcat(p, tdir, "/", fi.name, NULL);
        if (apr_file_open(&f, file, APR_READ, 0, p) != APR_SUCCESS
            || apr_file_info_get(&size, APR_FINFO_SIZE, f) != APR_SUCCESS) {
            apr_dir_close(d);
            return apr_psprintf(p, "cannot read %s", file);
        }
        text = apr_palloc(p, (apr_size_t)size.size + 1);
        len = (apr_size_t)size.size;
        if (apr_file_read_full(f, text, len, NULL) != APR_SUCCESS) {
            apr_file_close(f);
            apr_dir_close(d);
            return apr_psprintf(p, "cannot read %s", file);
        }
        apr_file_close(f);
        if (manifest) {
            const char *built;
            err = bkm_static_rewrite(p, manifest, file, text, len, &built,
                                     &len);
            if (err) {
                apr_dir_close(d);
                return err;
            }
            text = (char *)built;
        }
        err = bkm_html_add(pg->html,
                           apr_pstrndup(p, fi.name, strlen(fi.name) - 5),
                           text, len);
        if (err) {
            apr_dir_close(d);
            return apr_psprintf(p, "%s/%s", tdir, err);
        }
        n++;
    }
    apr_dir_close(d);
    if ((err = bkm_html_link(pg->html))) {
        return err;
    }
    if ((err = bkm_i18n_load(p, apr_pstrcat(p, dir, "/i18n", NULL),
                             &pg->i18n))
        || (err = bkm_i18n_check_keys(pg->i18n, p,
                                      bkm_html_keys(pg->html)))) {
        return err;
    }
    /* The postal-code register compiled in (schema/postnummer), the
     * same the intake checks postcodes against. */
    if ((err = bkm_postnummer_builtin(p, &pg->postnummer))) {
        return err;
    }
    /* The form's language buttons, by the page's language. */
    for (k = 0; k < BKM_I18N_NLANGS; k++) {
        int m;
        pg->sprakknapper[k] = bkm_json_own(p, json_array());
        for (m = 0; m < BKM_I18N_NLANGS; m++) {
            json_array_append_new(
                pg->sprakknapper[k],
                json_pack("{s:s, s:s, s:s, s:o}", "kode", langs[m], "navn",
                          bkm_i18n_text(pg->i18n, langs[m],
                                        apr_pstrcat(p, "sprak.", langs[m],
                                                    NULL)),
                          "handling",
                          apr_pstrcat(p, "sprak:", langs[m], NULL),
                          "gjeldende",
                          m == k ? json_string("true") : json_null()));
        }
    }
    for (type = 0; type < 2; type++) {
        for (v = 0; v < 2; v++) {
            for (k = 0; k < BKM_I18N_NLANGS; k++) {
                bkm_skjema_t *f = bkm_skjema_new(p, (bkm_skjema_type_e)type,
                                                 v + 1);
                pg->tom[type][v][k] =
                    bkm_json_own(p, bkm_skjema_view(f, pg->i18n, langs[k]));
            }
        }
    }
    *out = pg;
    return NULL;
}

int bkm_pages_check_config(apr_pool_t *pconf, server_rec *s)
{
    apr_hash_t *loaded = apr_hash_make(pconf);
    const char *err;

    for (; s; s = s->next) {
        bkm_srv_cfg_t *c = bkm_srv_cfg(s);
        bkm_pages_t *pg;
        const char *key;

        if (!c->pages_dir || !bkm_cfg_portal(s)) {
            continue;
        }
        /* Virtual hosts inherit the main server's directories: one load
         * per pair. */
        key = apr_pstrcat(pconf, c->pages_dir, "\n",
                          c->static_dir ? c->static_dir : "", NULL);
        pg = apr_hash_get(loaded, key, APR_HASH_KEY_STRING);
        if (!pg) {
            if ((err = pages_load(pconf, c->pages_dir, c->static_dir, &pg))) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, NULL,
                             BKMLOGNO(04502) BKM_DIR_PAGES " %s: %s",
                             c->pages_dir, err);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            apr_hash_set(loaded, key, APR_HASH_KEY_STRING, pg);
        }
        c->pages = pg;
        /* Every page names who runs the service (issue 14). */
        if (!c->registry || !c->registry->drift) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, NULL,
                         BKMLOGNO(06200) BKM_DIR_PAGES
                         " %s: the registry (" BKM_DIR_REGISTRY
                         ") must name who runs the service: "
                         "\"driftsansvarlig\": {\"navn\", \"epost\"} "
                         "(schema/registry.schema.json)",
                         c->pages_dir);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

const bkm_pages_t *bkm_pages(request_rec *r)
{
    return bkm_srv_cfg(r->server)->pages;
}

/* The query, parsed once a request: a page asks for several arguments.
 * Kept under a key of this request_rec's own, since an internal redirect
 * makes a new request_rec in the same pool. */
static apr_table_t *page_args(request_rec *r)
{
    const char *key = apr_psprintf(r->pool, "bkm-page-args-%pp", (void *)r);
    apr_table_t *args = NULL;
    void *cached = NULL;

    apr_pool_userdata_get(&cached, key, r->pool);
    if (cached) {
        return cached;
    }
    ap_args_to_table(r, &args);
    if (!args) {
        args = apr_table_make(r->pool, 1);
    }
    apr_pool_userdata_setn(args, key, NULL, r->pool);
    return args;
}

const char *bkm_page_arg(request_rec *r, const char *name)
{
    return apr_table_get(page_args(r), name);
}

/* Cookies of ours are HttpOnly and SameSite=Lax (sent when the login
 * comes back from ID-porten, a top-level navigation), Secure over https. */
static const char *cookie_attrs(request_rec *r, const char *path)
{
    return apr_pstrcat(r->pool, "Path=", path, ";HttpOnly;SameSite=Lax",
                       bkm_cfg_https(r) ? ";Secure" : "", NULL);
}

/* A cookie for the whole site that nobody else may set: over https its
 * name carries the __Host- prefix (Secure, Path=/, no Domain), which
 * browsers refuse to take from plain http or from a sibling domain. */
const char *bkm_page_host_cookie(request_rec *r, const char *name)
{
    return bkm_cfg_https(r) ? apr_pstrcat(r->pool, "__Host-", name, NULL)
                            : name;
}

void bkm_page_cookie(request_rec *r, const char *name, const char *value,
                     const char *path, long max_age)
{
    ap_cookie_write(r, name, value, cookie_attrs(r, path), max_age,
                    r->err_headers_out, NULL);
}

void bkm_page_cookie_remove(request_rec *r, const char *name,
                            const char *path)
{
    ap_cookie_remove(r, name, cookie_attrs(r, path), r->err_headers_out,
                     NULL);
}

/* One Cookie (or Cookie2) header, as ap_cookie_read reads it: pairs
 * separated by ';' or ',', leading white space skipped, the first
 * "name=" and its value up to the next separator; the same name again
 * with another value marks it sent twice. */
typedef struct {
    request_rec *r;
    const char *name;
    apr_size_t len;
    const char *value;
    apr_size_t value_len;
    int twice;
} cookie_find_t;

static int cookie_find(void *arg, const char *key, const char *line)
{
    cookie_find_t *c = arg;
    const char *t = line;

    while (*t) {
        apr_size_t n = strcspn(t, ";,");
        const char *trim = t;

        while (trim < t + n && apr_isspace(*trim)) {
            trim++;
        }
        if ((apr_size_t)(t + n - trim) > c->len
            && strncmp(trim, c->name, c->len) == 0 && trim[c->len] == '=') {
            const char *v = trim + c->len + 1;
            apr_size_t vlen = (apr_size_t)(t + n - v);

            if (c->value
                && (vlen != c->value_len || memcmp(v, c->value, vlen) != 0)) {
                c->twice = 1;
            }
            c->value = v;
            c->value_len = vlen;
        }
        t += n;
        if (*t) {
            t++;
        }
    }
    return 1;
}

/* ap_cookie_read copies the whole header for each cookie asked for, and
 * tokenises it a character at a time: with ID-porten's session cookie
 * (several KB) that was a tenth of the form page's CPU (issue 17, item
 * 7).  This finds the same value without copying anything but it. */
const char *bkm_page_cookie_get(request_rec *r, const char *name)
{
    cookie_find_t c;

    memset(&c, 0, sizeof(c));
    c.r = r;
    c.name = name;
    c.len = strlen(name);
    apr_table_do(cookie_find, &c, r->headers_in, "Cookie", "Cookie2", NULL);
    /* A cookie sent twice is as good as none (as with ap_cookie_read). */
    if (c.twice || !c.value || !c.value_len) {
        return NULL;
    }
    return apr_pstrmemdup(r->pool, c.value, c.value_len);
}

void bkm_page_key_cookie_set(request_rec *r, const char *name, const char *id,
                             const char *keyhex, const char *path,
                             long max_age)
{
    bkm_page_cookie(r, name, apr_pstrcat(r->pool, id, ".", keyhex, NULL),
                    path, max_age);
}

int bkm_page_key_cookie_get(request_rec *r, const char *name, const char *id,
                            unsigned char *key)
{
    const char *cookie = bkm_page_cookie_get(r, name), *dot;

    return bkm_uuid_valid(id, 0) && cookie && (dot = strchr(cookie, '.'))
           && (apr_size_t)(dot - cookie) == strlen(id)
           && strncmp(cookie, id, strlen(id)) == 0
           && bkm_unhex(dot + 1, key, BKM_BOX_KEY) == 0;
}

const char *bkm_page_lang(request_rec *r, const bkm_person_t *person)
{
    const char *chosen = bkm_i18n_lang(bkm_page_arg(r, "sprak"));

    if (chosen) {
        bkm_page_cookie(r, bkm_page_host_cookie(r, LANG_COOKIE), chosen, "/",
                        LANG_COOKIE_AGE);
    }
    else {
        chosen = bkm_page_cookie_get(r, bkm_page_host_cookie(r, LANG_COOKIE));
    }
    return bkm_i18n_pick(chosen, person ? person->locale : NULL,
                         apr_table_get(r->headers_in, "Accept-Language"));
}

void bkm_page_set_lang(request_rec *r, const char *lang)
{
    bkm_page_cookie(r, bkm_page_host_cookie(r, LANG_COOKIE), lang, "/",
                    LANG_COOKIE_AGE);
}

static const bkm_token_keys_t *token_keys(request_rec *r)
{
    return bkm_srv_cfg(r->server)->token_keys;
}

const char *bkm_page_login_tag(request_rec *r)
{
    const char *tag = NULL;
    bkm_person_t p;

    if (apr_pool_userdata_get((void **)&tag, "bkm_login_tag", r->pool)
            == APR_SUCCESS
        && tag) {
        return *tag ? tag : NULL;
    }
    if (!token_keys(r) || !bkm_person_from_login(r, &p)
        || !(tag = bkm_token_person(r->pool, token_keys(r), p.pid))) {
        tag = "";
    }
    apr_pool_userdata_setn(tag, "bkm_login_tag", NULL, r->pool);
    return *tag ? tag : NULL;
}

#define EVIDENCE_COOKIE "bkm_innlogget"

void bkm_page_evidence_set(request_rec *r, long max_age)
{
    const char *tag = bkm_page_login_tag(r), *v;

    if (tag
        && (v = bkm_token_evidence(r->pool, token_keys(r), tag,
                                   bkm_now(r)
                                       + apr_time_from_sec(max_age)))) {
        bkm_page_cookie(r, bkm_page_host_cookie(r, EVIDENCE_COOKIE), v, "/",
                        max_age);
    }
}

const char *bkm_page_evidence_tag(request_rec *r)
{
    if (!token_keys(r)) {
        return NULL;
    }
    return bkm_token_evidence_tag(
        r->pool, token_keys(r),
        bkm_page_cookie_get(r, bkm_page_host_cookie(r, EVIDENCE_COOKIE)),
        bkm_now(r));
}

/* Whom a CSRF token is bound to: the login, else the login evidence (a
 * post whose login ran out), else nobody (""). */
static const char *csrf_binding(request_rec *r)
{
    const char *tag = bkm_page_login_tag(r);

    if (!tag) {
        tag = bkm_page_evidence_tag(r);
    }
    return tag ? tag : "";
}

const char *bkm_page_csrf(request_rec *r)
{
    const char *name = bkm_page_host_cookie(r, "bkm_csrf");
    const char *v = bkm_page_cookie_get(r, name);
    unsigned char raw[32];

    if (!token_keys(r)) {
        return NULL;
    }
    if (!v || bkm_unhex(v, raw, sizeof(raw)) != 0) {
        v = bkm_random_hex(r->pool, sizeof(raw));
        if (!v) {
            return NULL;
        }
        bkm_page_cookie(r, name, v, "/", 0);
    }
    return bkm_token_csrf(r->pool, token_keys(r), v, csrf_binding(r));
}

int bkm_page_csrf_ok(request_rec *r, const char *posted)
{
    const char *v = bkm_page_cookie_get(r,
                                        bkm_page_host_cookie(r, "bkm_csrf"));
    unsigned char raw[32];

    return token_keys(r) && v && bkm_unhex(v, raw, sizeof(raw)) == 0
           && bkm_token_csrf_ok(token_keys(r), v, csrf_binding(r), posted);
}

/* issue 14: where mod_auth_openidc's logout sends the browser back to,
 * absolute (it is handed on to ID-porten as post_logout_redirect_uri, which
 * must be registered as it is): this host, https behind TLS. */
static const char *logged_out_url(request_rec *r)
{
    int https = bkm_cfg_https(r);
    apr_port_t port = ap_get_server_port(r);
    const char *host = ap_get_server_name_for_url(r);

    /* Behind a TLS proxy (BekymringHttps on a plain-http request) the
     * port seen here is not the browser's: the default one is. */
    if (https ? (port == 443 || strcmp(ap_http_scheme(r), "https") != 0)
              : port == 80) {
        return apr_pstrcat(r->pool, https ? "https" : "http", "://", host,
                           "/utlogget", NULL);
    }
    return apr_psprintf(r->pool, "%s://%s:%u/utlogget",
                        https ? "https" : "http", host, (unsigned)port);
}

/* issue 14: who runs the service (the registry's "driftsansvarlig", in
 * every page's footer) and, for a person logged in, the logout link:
 * mod_auth_openidc's logout at its redirect URI (BekymringLogout), which
 * ends this session and ID-porten's. */
static void page_trust(request_rec *r, json_t *data)
{
    const bkm_srv_cfg_t *c = bkm_srv_cfg(r->server);
    const bkm_drift_t *d = c->registry ? c->registry->drift : NULL;
    bkm_person_t p;

    if (d) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "navn", d->navn, "epost",
                              d->epost, "epostHref",
                              apr_pstrcat(r->pool, "mailto:", d->epost,
                                          NULL));
        if (d->telefon) {
            json_object_set_new(o, "telefon", json_string(d->telefon));
            json_object_set_new(o, "telefonHref",
                                json_string(d->telefon_uri));
        }
        if (d->nettside) {
            json_object_set_new(o, "nettside", json_string(d->nettside));
        }
        json_object_set_new(data, "drift", o);
    }
    /* The receipt, the landing page and the pages about the service are
     * not behind the login, yet the person is still logged in there (at
     * the portal and at ID-porten): the signed login evidence says so, and
     * a shared computer's user must be able to log out right after
     * sending (the logout also forgets the receipt and its copy).  Not on
     * the page that says one has logged out (pages/om.c). */
    if (c->logout_uri
        && (bkm_person_from_login(r, &p)
            || (!apr_table_get(r->notes, "bkm_utlogget")
                && bkm_page_evidence_tag(r)))) {
        json_object_set_new(
            data, "loggut",
            json_string(apr_pstrcat(r->pool, c->logout_uri, "?logout=",
                                    ap_escape_urlencoded(r->pool,
                                                         logged_out_url(r)),
                                    NULL)));
    }
}

json_t *bkm_page_data_bare(request_rec *r, const char *lang,
                           const char *tittel)
{
    json_t *data = bkm_json_own(r->pool, json_object());

    json_object_set_new(data, "lang", json_string(lang));
    if (tittel) {
        json_object_set_new(data, "tittel", json_string(tittel));
    }
    page_trust(r, data);
    return data;
}

json_t *bkm_page_data(request_rec *r, const char *lang, const char *tittel)
{
    static const char *const langs[BKM_I18N_NLANGS] = BKM_I18N_LANGS;
    const bkm_pages_t *pg = bkm_pages(r);
    json_t *data = bkm_page_data_bare(r, lang, tittel);
    json_t *valg = json_array();
    apr_table_t *args = NULL;
    const char *q = "";
    int k, i;

    /* The switcher links to this page in the other language, keeping
     * the query (the municipality chosen, a search). */
    if (r->args) {
        const apr_array_header_t *arr;
        args = page_args(r);
        arr = apr_table_elts(args);
        for (i = 0; i < arr->nelts; i++) {
            const apr_table_entry_t *e = &APR_ARRAY_IDX(arr, i,
                                                        apr_table_entry_t);
            if (strcmp(e->key, "sprak") != 0) {
                q = apr_pstrcat(r->pool, q,
                                ap_escape_urlencoded(r->pool, e->key), "=",
                                ap_escape_urlencoded(r->pool, e->val), "&",
                                NULL);
            }
        }
    }
    for (k = 0; k < BKM_I18N_NLANGS; k++) {
        json_array_append_new(
            valg, json_pack("{s:s, s:s, s:s, s:o}", "kode", langs[k], "navn",
                            bkm_i18n_text(pg->i18n, langs[k],
                                          apr_pstrcat(r->pool, "sprak.",
                                                      langs[k], NULL)),
                            "href",
                            apr_pstrcat(r->pool, r->uri, "?", q,
                                        "sprak=", langs[k], NULL),
                            "gjeldende",
                            strcmp(langs[k], lang) == 0 ? json_string("true")
                                                        : json_null()));
    }
    json_object_set_new(data, "sprakvalg", valg);
    return data;
}

/* The page is put together in memory and sent in one write, with its
 * length: thousands of small writes through the output filters cost more
 * than the rendering itself. */
/* The renderer's output, gathered to send with its length. */
static int write_out(void *baton, const char *s, apr_size_t len)
{
    bkm_buf_add(baton, s, len);
    return 0;
}

int bkm_page_render(request_rec *r, int status, const char *tmpl,
                    json_t *data)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *lang = json_string_value(json_object_get(data, "lang"));
    bkm_buf_t out;

    r->status = status;
    bkm_page_headers(r);
    apr_table_setn(r->headers_out, "Content-Language", lang);
    /* Pages differ by cookie and by Accept-Language. */
    apr_table_mergen(r->headers_out, "Vary", "Cookie, Accept-Language");
    ap_set_content_type(r, "text/html; charset=utf-8");
    bkm_buf_init(&out, r->pool, 16384);
    if (bkm_html_render(pg->html, tmpl, data, bkm_i18n_texts(pg->i18n, lang),
                        write_out, &out)
        != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      BKMLOGNO(01301) "page %s could not be rendered", tmpl);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_set_content_length(r, (apr_off_t)out.len);
    if (!r->header_only) {
        ap_rwrite(out.buf, (int)out.len, r);
    }
    return OK;
}

int bkm_page_message(request_rec *r, int status, const char *lang,
                     const char *tittel_key, const char *tekst_key)
{
    const bkm_pages_t *pg = bkm_pages(r);
    json_t *data = bkm_page_data(r, lang,
                                 bkm_i18n_text(pg->i18n, lang, tittel_key));

    if (tekst_key) {
        json_object_set_new(data, "tekst",
                            json_string(bkm_i18n_text(pg->i18n, lang,
                                                      tekst_key)));
    }
    return bkm_page_render(r, status, "melding", data);
}

int bkm_page_form(request_rec *r, apr_size_t limit, apr_table_t **out)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    apr_array_header_t *pairs = NULL;
    int rv, i;

    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0
        || (ct[33] && ct[33] != ';' && ct[33] != ' ')) {
        return HTTP_UNSUPPORTED_MEDIA_TYPE;
    }
    if ((rv = ap_parse_form_data(r, NULL, &pairs, 32, limit)) != OK) {
        return rv == HTTP_REQUEST_ENTITY_TOO_LARGE ? rv : HTTP_BAD_REQUEST;
    }
    *out = apr_table_make(r->pool, pairs->nelts);
    for (i = 0; i < pairs->nelts; i++) {
        ap_form_pair_t *pair = &APR_ARRAY_IDX(pairs, i, ap_form_pair_t);
        apr_size_t len = 0, at = 0;
        char *v = NULL;
        if (apr_brigade_pflatten(pair->value, &v, &len, r->pool)
                != APR_SUCCESS
            || apr_table_get(*out, pair->name)) {
            return HTTP_BAD_REQUEST; /* unreadable, or twice */
        }
        /* Strict UTF-8, no control characters but tab and line breaks. */
        while (at < len) {
            long cp = bkm_utf8_next((const unsigned char *)v, len, &at);
            if (cp < 0
                || (bkm_utf8_is_control(cp) && cp != '\t' && cp != '\n'
                    && cp != '\r')) {
                return HTTP_BAD_REQUEST;
            }
        }
        apr_table_setn(*out, pair->name, apr_pstrmemdup(r->pool, v, len));
    }
    return OK;
}

/* OK: logged in at a level we accept, or no login (person->pid NULL) and
 * none required; DONE: refused, the page is answered. */
int bkm_page_person(request_rec *r, bkm_person_t *person, const char **lang,
                    int required)
{
    int have = bkm_person_from_login(r, person);

    *lang = bkm_page_lang(r, have ? person : NULL);
    if (!have) {
        if (required) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BKMLOGNO(01303)
                          "no pid claim: is %s behind AuthType "
                          "openid-connect?", r->uri);
            bkm_page_message(r, HTTP_INTERNAL_SERVER_ERROR, *lang,
                             "side.feil.tittel", "side.feil.tekst");
            return DONE;
        }
        person->pid = NULL;
        return OK;
    }
    if (person->level < bkm_cfg_min_acr(bkm_dir_cfg(r))) {
        bkm_page_message(r, HTTP_FORBIDDEN, *lang, "side.niva.tittel",
                         "side.niva.tekst");
        return DONE;
    }
    return OK;
}

int bkm_page_unavailable(request_rec *r, const char *lang)
{
    return bkm_page_message(r, HTTP_SERVICE_UNAVAILABLE, lang,
                            "side.feil.tittel", "side.feil.tekst");
}

int bkm_page_not_found(request_rec *r, const char *lang)
{
    return bkm_page_message(r, HTTP_NOT_FOUND, lang,
                            "side.ikke_funnet.tittel", NULL);
}

const char *bkm_page_when(apr_pool_t *p, const char *micros)
{
    char buf[20];

    if (!micros) {
        return NULL;
    }
    bkm_time_oslo_format(buf, (apr_time_t)apr_atoi64(micros));
    buf[10] = ' ';
    return apr_pstrndup(p, buf, 16);
}

void bkm_page_csv_row(request_rec *r, apr_bucket_brigade *bb,
                      const char *const *fields, int n)
{
    ap_filter_t *f = r->output_filters;
    int i;

    /* ap_fputs and friends pass the brigade on whenever its buffer is
     * full; apr_brigade_putc without a flush function would make a bucket
     * a byte once the first buffer is. */
    for (i = 0; i < n; i++) {
        const char *p = fields[i] ? fields[i] : "", *q;
        ap_fputc(f, bb, '"');
        while ((q = strchr(p, '"'))) {
            ap_fwrite(f, bb, p, (apr_size_t)(q - p + 1));
            ap_fputc(f, bb, '"');
            p = q + 1;
        }
        ap_fputs(f, bb, p);
        ap_fputs(f, bb, i + 1 < n ? "\"," : "\"\r\n");
    }
}

int bkm_pages_missing(request_rec *r)
{
    ap_log_rerror(
        APLOG_MARK, APLOG_ERR, 0, r,
        BKMLOGNO(01302) "%s is a page, but %s is not set for this server",
        r->uri, BKM_DIR_PAGES);
    return HTTP_NOT_FOUND;
}
