/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Directives: parsing, checking, defaults and merge rules.
 *
 * Every value is checked while httpd reads its configuration, so a bad
 * duration, an unreadable certificate or an unknown municipality number stops
 * `apache2 -t` with a message instead of surfacing at run time.  Unset values
 * carry BKM_UNSET / NULL; the getters below hold the defaults, and merges take
 * the more specific value when it is set (httpd's usual rule).
 */
#include "mod_bekymring_private.h"
#include "server/config.h"
#include "bkm_levering.h"
#include "bkm_registry.h"
#include "bkm_roles.h"
#include "bkm_route.h"
#include "bkm_duration.h"
#include "bkm_token.h"

#include <http_core.h>
#include <http_protocol.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_uri.h>
#include <apr_lib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/evp.h>

bkm_srv_cfg_t *bkm_srv_cfg(server_rec *s)
{
    return ap_get_module_config(s->module_config, &bekymring_module);
}

bkm_dir_cfg_t *bkm_dir_cfg(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &bekymring_module);
}

void *bkm_create_srv_cfg(apr_pool_t *p, server_rec *s)
{
    bkm_srv_cfg_t *c = apr_pcalloc(p, sizeof(*c));

    c->receipt_deadline = BKM_UNSET;
    c->manual_deadline = BKM_UNSET;
    c->retention = BKM_UNSET;
    c->escalation_interval = BKM_UNSET;
    c->https = BKM_UNSET;
    c->post_check_rate = BKM_UNSET;
    c->reconcile_within = BKM_UNSET;
    c->control_interval = BKM_UNSET;
    c->cert_warning = BKM_UNSET;
    c->reminder_at = BKM_UNSET;
    c->enabled = BKM_UNSET;
    c->migrate = BKM_UNSET;
    return c;
}

#define BKM_MERGE_PTR(f) (add->f ? add->f : base->f)
#define BKM_MERGE_NUM(f) (add->f != BKM_UNSET ? add->f : base->f)

void *bkm_merge_srv_cfg(apr_pool_t *p, void *basev, void *addv)
{
    bkm_srv_cfg_t *base = basev, *add = addv;
    bkm_srv_cfg_t *c = apr_pcalloc(p, sizeof(*c));

    /* The registry and the portal certificate come as pairs of path and
     * loaded value: merge them together so they cannot disagree. */
    if (add->registry) {
        c->registry_path = add->registry_path;
        c->registry = add->registry;
    }
    else {
        c->registry_path = base->registry_path;
        c->registry = base->registry;
    }
    if (add->portal_cert) {
        c->portal_cert_path = add->portal_cert_path;
        c->portal_key_path = add->portal_key_path;
        c->portal_cert = add->portal_cert;
    }
    else {
        c->portal_cert_path = base->portal_cert_path;
        c->portal_key_path = base->portal_key_path;
        c->portal_cert = base->portal_cert;
    }
    c->receipt_deadline = BKM_MERGE_NUM(receipt_deadline);
    c->manual_deadline = BKM_MERGE_NUM(manual_deadline);
    c->retention = BKM_MERGE_NUM(retention);
    c->escalation_interval = BKM_MERGE_NUM(escalation_interval);
    c->pages_dir = BKM_MERGE_PTR(pages_dir);
    c->pages = BKM_MERGE_PTR(pages);
    c->static_dir = BKM_MERGE_PTR(static_dir);
    c->login_origin = BKM_MERGE_PTR(login_origin);
    c->logout_uri = BKM_MERGE_PTR(logout_uri);
    c->roles = BKM_MERGE_PTR(roles);
    c->roles_where = add->roles ? add->roles_where : base->roles_where;
    c->enabled = BKM_MERGE_NUM(enabled);
    c->token_keys = BKM_MERGE_PTR(token_keys);
    c->https = BKM_MERGE_NUM(https);
    c->post_check_rate = BKM_MERGE_NUM(post_check_rate);
    c->reconcile_within = BKM_MERGE_NUM(reconcile_within);
    c->control_interval = BKM_MERGE_NUM(control_interval);
    c->cert_warning = BKM_MERGE_NUM(cert_warning);
    c->reminder_at = BKM_MERGE_NUM(reminder_at);
    c->sendmail = BKM_MERGE_PTR(sendmail);
    c->migrate = BKM_MERGE_NUM(migrate);
    /* Long-polls (issue 15, item 6): 0 is unset. */
    c->longpoll_limit = add->longpoll_limit ? add->longpoll_limit
                                            : base->longpoll_limit;
    c->longpoll_share = add->longpoll_share ? add->longpoll_share
                                            : base->longpoll_share;
    if (add->role_key) {
        c->role_key = add->role_key;
        c->role_key_len = add->role_key_len;
    }
    else {
        c->role_key = base->role_key;
        c->role_key_len = base->role_key_len;
    }
    return c;
}

void *bkm_create_dir_cfg(apr_pool_t *p, char *dir)
{
    bkm_dir_cfg_t *c = apr_pcalloc(p, sizeof(*c));

    c->min_acr = BKM_UNSET;
    return c;
}

void *bkm_merge_dir_cfg(apr_pool_t *p, void *basev, void *addv)
{
    bkm_dir_cfg_t *base = basev, *add = addv;
    bkm_dir_cfg_t *c = apr_pcalloc(p, sizeof(*c));

    c->min_acr = BKM_MERGE_NUM(min_acr);
    /* The pair is set together: take both from the same level. */
    c->token_issuer = add->token_issuer ? add->token_issuer
                                        : base->token_issuer;
    c->token_audience = add->token_issuer ? add->token_audience
                                          : base->token_audience;
    return c;
}

apr_interval_time_t bkm_cfg_receipt_deadline(const bkm_srv_cfg_t *c)
{
    return c->receipt_deadline != BKM_UNSET ? c->receipt_deadline
                                            : BKM_DEFAULT_RECEIPT_DEADLINE;
}

apr_interval_time_t bkm_cfg_manual_deadline(const bkm_srv_cfg_t *c)
{
    return c->manual_deadline != BKM_UNSET ? c->manual_deadline
                                           : BKM_DEFAULT_MANUAL_DEADLINE;
}

apr_interval_time_t bkm_cfg_retention(const bkm_srv_cfg_t *c)
{
    return c->retention != BKM_UNSET ? c->retention : BKM_DEFAULT_RETENTION;
}

apr_interval_time_t bkm_cfg_escalation_interval(const bkm_srv_cfg_t *c)
{
    return c->escalation_interval != BKM_UNSET
               ? c->escalation_interval
               : BKM_DEFAULT_ESCALATION_INTERVAL;
}

apr_interval_time_t bkm_cfg_cert_warning(const bkm_srv_cfg_t *c)
{
    return c->cert_warning != BKM_UNSET ? c->cert_warning
                                        : BKM_DEFAULT_CERT_WARNING;
}

void bkm_cfg_delivery(server_rec *s, bkm_levering_policy_t *out)
{
    const bkm_srv_cfg_t *c = bkm_srv_cfg(s);

    out->receipt_deadline = bkm_cfg_receipt_deadline(c);
    out->manual_deadline = bkm_cfg_manual_deadline(c);
    out->print_konto_id = c->registry ? c->registry->print_konto.id : NULL;
}

apr_time_t bkm_cfg_deadline(server_rec *s, const bkm_bydel_t *b,
                            apr_time_t from)
{
    bkm_levering_policy_t pol;

    bkm_cfg_delivery(s, &pol);
    return bkm_levering_deadline(&pol, b, from);
}

int bkm_cfg_post_check_rate(const bkm_srv_cfg_t *c)
{
    return c->post_check_rate != BKM_UNSET ? c->post_check_rate
                                           : BKM_DEFAULT_POST_CHECK_RATE;
}

int bkm_cfg_reconcile_within(const bkm_srv_cfg_t *c)
{
    return c->reconcile_within != BKM_UNSET ? c->reconcile_within
                                            : BKM_DEFAULT_RECONCILE_WITHIN;
}

apr_interval_time_t bkm_cfg_control_interval(const bkm_srv_cfg_t *c)
{
    /* Off unless asked for: a control message is a report the district's
     * case system must handle, which its vendor must know about first. */
    return c->control_interval != BKM_UNSET ? c->control_interval : 0;
}

int bkm_cfg_reminder_at(const bkm_srv_cfg_t *c)
{
    return c->reminder_at != BKM_UNSET ? c->reminder_at
                                       : BKM_DEFAULT_REMINDER_AT;
}

const char *const *bkm_cfg_sendmail(apr_pool_t *p, const bkm_srv_cfg_t *c)
{
    char **argv = NULL;

    if (c->sendmail) {
        return c->sendmail;
    }
    apr_tokenize_to_argv(BKM_DEFAULT_SENDMAIL, &argv, p);
    return (const char *const *)argv;
}

int bkm_cfg_https(request_rec *r)
{
    const bkm_srv_cfg_t *c = bkm_srv_cfg(r->server);

    return c->https != BKM_UNSET ? c->https
                                 : strcmp(ap_http_scheme(r), "https") == 0;
}

const char *bkm_cfg_login_origin(const bkm_srv_cfg_t *c)
{
    return c->login_origin ? c->login_origin : BKM_DEFAULT_LOGIN_ORIGIN;
}

/* mod_auth_openidc logs out at its redirect URI with ?logout=URL: it
 * ends its own session, then sends the browser to the provider's
 * end_session_endpoint (ID-porten's single logout), which returns to URL. */
const char *bkm_cfg_logout_href(apr_pool_t *p, const bkm_srv_cfg_t *c,
                                const char *back)
{
    return apr_pstrcat(p, c->logout_uri ? c->logout_uri : BKM_DEFAULT_LOGOUT,
                       "?logout=", ap_escape_urlencoded(p, back), NULL);
}

int bkm_cfg_min_acr(const bkm_dir_cfg_t *c)
{
    return c->min_acr != BKM_UNSET ? c->min_acr : BKM_ACR_SUBSTANTIAL;
}

int bkm_cfg_portal(server_rec *s)
{
    return bkm_srv_cfg(s)->enabled == 1;
}

int bkm_cfg_any_portal(server_rec *s)
{
    for (; s; s = s->next) {
        if (bkm_cfg_portal(s)) {
            return 1;
        }
    }
    return 0;
}

static const char *where(apr_pool_t *p, const server_rec *s)
{
    return s->is_virtual && s->defn_name
               ? apr_psprintf(p, "the virtual host at %s:%u", s->defn_name,
                              s->defn_line_number)
               : "the main server";
}

/* One portal server's settings, together (virtual hosts that set none of
 * the module's directives share the main server's record). */
static const char *check_portal(apr_pool_t *p, server_rec *s)
{
    const bkm_srv_cfg_t *c = bkm_srv_cfg(s);
    const char *err;

    if (!c->registry) {
        return apr_psprintf(p,
                            "%s: " BKM_DIR_ENGINE
                            " On needs " BKM_DIR_REGISTRY
                            " (in that virtual host or the main server)",
                            where(p, s));
    }
    if (c->pages && !c->token_keys) {
        return apr_psprintf(p,
                            "%s: " BKM_DIR_PAGES " needs " BKM_DIR_SECRET_KEY
                            " (the pages' tokens are bound to the "
                            "person under it)",
                            where(p, s));
    }
    if (c->roles
        && (err = bkm_roles_check_registry(p, c->roles, c->registry))) {
        return apr_psprintf(p, BKM_DIR_ROLES " %s, for %s: %s",
                            c->roles_where ? c->roles_where : "?",
                            where(p, s), err);
    }
    return NULL;
}

const char *bkm_cfg_check(server_rec *s)
{
    apr_pool_t *p = s->process->pconf;
    apr_hash_t *used = apr_hash_make(p), *seen = apr_hash_make(p);
    server_rec *sp;
    const char *err, *key;

    for (sp = s; sp; sp = sp->next) {
        const bkm_srv_cfg_t *c = bkm_srv_cfg(sp);
        if (!bkm_cfg_portal(sp)) {
            continue;
        }
        if (c->registry) {
            apr_hash_set(used, &c->registry, sizeof(c->registry), c);
        }
        key = apr_psprintf(p, "%pp", (const void *)c);
        if (apr_hash_get(seen, key, APR_HASH_KEY_STRING)) {
            continue;
        }
        apr_hash_set(seen, key, APR_HASH_KEY_STRING, c);
        if ((err = check_portal(p, sp))) {
            return err;
        }
    }
    /* A registry where the portal is off: the configuration of an older
     * release (the module's conf turned every server into the portal), or
     * a forgotten line.  Said, not refused: nothing runs there. */
    for (sp = s; sp; sp = sp->next) {
        const bkm_srv_cfg_t *c = bkm_srv_cfg(sp);
        if (c->registry
            && !apr_hash_get(used, &c->registry, sizeof(c->registry))) {
            apr_hash_set(used, &c->registry, sizeof(c->registry), c);
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, NULL,
                         BKMLOGNO(06500) BKM_DIR_REGISTRY
                         " %s is set (in %s) but no server uses it: the "
                         "portal runs only where \"" BKM_DIR_ENGINE
                         " On\" "
                         "is said (in its VirtualHost; README)",
                         c->registry_path, where(p, sp));
        }
    }
    return NULL;
}

/* ---- directive handlers: NULL or an error message ---- */

/* A file that holds a secret (a key, national id numbers, a private key)
 * must not be readable by every local user: with the role key and the
 * database anyone on the machine could try all national id numbers
 * against the roles' hashes.  Group-readable is fine (root:www-data 0640,
 * as the README's steps make them). */
static const char *check_private(cmd_parms *cmd, const char *directive,
                                 const char *arg, const char *path)
{
    apr_finfo_t fi;

    if (!path) {
        return apr_psprintf(cmd->pool, "%s %s: not a valid path", directive,
                            arg);
    }
    /* A file that is not there is for the reader to say so. */
    if (apr_stat(&fi, path, APR_FINFO_PROT, cmd->pool) == APR_SUCCESS
        && (fi.protection & APR_WREAD)) {
        return apr_psprintf(cmd->pool,
                            "%s %s: readable by every user of "
                            "the machine; it holds secrets (chmod 640 it, "
                            "owned by root and group www-data)",
                            directive, arg);
    }
    return NULL;
}

/* A file of 32 to 4096 secret bytes, the same on every node of a farm.
 * Read here, as root; the file may be unreadable later. */
static const char *read_key_file(cmd_parms *cmd, const char *directive,
                                 const char *arg, const unsigned char **key,
                                 apr_size_t *len)
{
    const char *path = ap_server_root_relative(cmd->pool, arg), *err;
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    apr_size_t n;

    if ((err = check_private(cmd, directive, arg, path))) {
        return err;
    }
    if (apr_file_open(&f, path, APR_READ, 0, cmd->pool)
        || apr_file_info_get(&fi, APR_FINFO_SIZE, f)) {
        return apr_psprintf(cmd->pool, "%s %s: cannot read it", directive,
                            arg);
    }
    if (fi.size < 32 || fi.size > 4096) {
        apr_file_close(f);
        return apr_psprintf(cmd->pool,
                            "%s %s: must hold 32 to 4096 bytes "
                            "(e.g. openssl rand -out FILE 32)",
                            directive, arg);
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(cmd->pool, n);
    if (apr_file_read_full(f, buf, n, NULL)) {
        apr_file_close(f);
        return apr_psprintf(cmd->pool, "%s %s: cannot read it", directive,
                            arg);
    }
    apr_file_close(f);
    *key = (const unsigned char *)buf;
    *len = n;
    return NULL;
}

static const char *set_registry(cmd_parms *cmd, void *dummy, const char *arg)
{
    bkm_srv_cfg_t *c = bkm_srv_cfg(cmd->server);
    const char *path = ap_server_root_relative(cmd->pool, arg), *err;
    bkm_registry_t *reg;

    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) {
        return err;
    }
    if (!path) {
        return apr_pstrcat(cmd->pool, BKM_DIR_REGISTRY, ": bad path ", arg,
                           NULL);
    }
    if ((err = bkm_registry_load(&reg, cmd->pool, path))) {
        return apr_pstrcat(cmd->pool, BKM_DIR_REGISTRY, ": ", err, NULL);
    }
    c->registry_path = path;
    c->registry = reg;
    return NULL;
}

/* The portal's own signing identity (for the ASiC-E signature): the key
 * must be readable and belong to the certificate. */
static const char *set_portal_cert(cmd_parms *cmd, void *dummy,
                                   const char *certarg, const char *keyarg)
{
    bkm_srv_cfg_t *c = bkm_srv_cfg(cmd->server);
    const char *cert_path = ap_server_root_relative(cmd->pool, certarg);
    const char *key_path = ap_server_root_relative(cmd->pool, keyarg);
    const bkm_cert_t *cert;
    const char *err;
    EVP_PKEY *key;
    X509 *x;
    BIO *bio;
    int match;

    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) {
        return err;
    }
    if (!cert_path || !key_path) {
        return BKM_DIR_PORTAL_CERT ": bad path";
    }
    if ((err = check_private(cmd, BKM_DIR_PORTAL_CERT, keyarg, key_path))) {
        return err;
    }
    if ((err = bkm_cert_load(&cert, cmd->pool, cert_path))) {
        return apr_pstrcat(cmd->pool, BKM_DIR_PORTAL_CERT ": ", err, NULL);
    }
    bio = BIO_new_file(key_path, "r");
    key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key) {
        return apr_pstrcat(cmd->pool,
                           BKM_DIR_PORTAL_CERT
                           ": cannot read a "
                           "PEM private key (unencrypted) from ",
                           key_path, NULL);
    }
    bio = BIO_new_mem_buf(cert->pem, -1);
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    match = x && X509_check_private_key(x, key) == 1;
    X509_free(x);
    EVP_PKEY_free(key);
    if (!match) {
        return apr_pstrcat(cmd->pool, BKM_DIR_PORTAL_CERT ": the key ",
                           key_path, " does not belong to the certificate ",
                           cert_path, NULL);
    }
    c->portal_cert_path = cert_path;
    c->portal_key_path = key_path;
    c->portal_cert = cert;
    return NULL;
}

static const char *set_duration(cmd_parms *cmd, void *dummy, const char *arg)
{
    bkm_srv_cfg_t *c = bkm_srv_cfg(cmd->server);
    apr_interval_time_t *slot =
        (apr_interval_time_t *)((char *)c + (apr_size_t)cmd->info);
    const char *err;

    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) {
        return err;
    }
    if ((err = bkm_duration_parse(slot, arg, 0))) {
        return apr_psprintf(cmd->pool, "%s %s: %s", cmd->cmd->name, arg, err);
    }
    return NULL;
}

/* A duration, or "off" (stored as 0). */
static const char *set_interval(cmd_parms *cmd, void *dummy, const char *arg)
{
    bkm_srv_cfg_t *c = bkm_srv_cfg(cmd->server);

    if (strcasecmp(arg, "off") == 0) {
        const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
        c->escalation_interval = 0;
        return err;
    }
    return set_duration(cmd, dummy, arg);
}

/* BekymringCertificateWarning: a duration, or "off" (stored as 0). */
static const char *set_cert_warning(cmd_parms *cmd, void *dummy,
                                    const char *arg)
{
    bkm_srv_cfg_t *c = bkm_srv_cfg(cmd->server);
    const char *err;

    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) {
        return err;
    }
    if (strcasecmp(arg, "off") == 0) {
        c->cert_warning = 0;
        return NULL;
    }
    if ((err = bkm_duration_parse(&c->cert_warning, arg, 0))) {
        return apr_psprintf(cmd->pool, "%s %s: %s", cmd->cmd->name, arg, err);
    }
    return NULL;
}

/* Business days, 1 to 60, or "off" (stored as 0). */
static const char *set_reconcile_within(cmd_parms *cmd, void *dummy,
                                        const char *arg)
{
    bkm_srv_cfg_t *c = bkm_srv_cfg(cmd->server);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    char *end;
    long n;

    if (err) {
        return err;
    }
    if (strcasecmp(arg, "off") == 0) {
        c->reconcile_within = 0;
        return NULL;
    }
    n = strtol(arg, &end, 10);
    if (!apr_isdigit(*arg) || *end || n < 1 || n > 60) {
        return apr_psprintf(cmd->pool,
                            "%s %s: a number of business days, "
                            "1 to 60, or off",
                            cmd->cmd->name, arg);
    }
    c->reconcile_within = (int)n;
    return NULL;
}

/* A duration, or "off" (stored as 0). */
static const char *set_control_interval(cmd_parms *cmd, void *dummy,
                                        const char *arg)
{
    bkm_srv_cfg_t *c = bkm_srv_cfg(cmd->server);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);

    if (err) {
        return err;
    }
    if (strcasecmp(arg, "off") == 0) {
        c->control_interval = 0;
        return NULL;
    }
    if ((err = bkm_duration_parse(&c->control_interval, arg, 0))) {
        return apr_psprintf(cmd->pool, "%s %s: %s", cmd->cmd->name, arg, err);
    }
    return NULL;
}

static const char *set_min_acr(cmd_parms *cmd, void *dirv, const char *arg)
{
    bkm_dir_cfg_t *d = dirv;

    if (strcasecmp(arg, "substantial") == 0
        || strcmp(arg, "idporten-loa-substantial") == 0) {
        d->min_acr = BKM_ACR_SUBSTANTIAL;
    }
    else if (strcasecmp(arg, "high") == 0
             || strcmp(arg, "idporten-loa-high") == 0) {
        d->min_acr = BKM_ACR_HIGH;
    }
    else {
        return apr_psprintf(cmd->pool,
                            BKM_DIR_MIN_ACR
                            " %s: must be "
                            "substantial or high (ID-porten's low level is "
                            "never enough)",
                            arg);
    }
    return NULL;
}

static const char *set_maskinporten(cmd_parms *cmd, void *dirv,
                                    const char *iss, const char *aud)
{
    bkm_dir_cfg_t *d = dirv;

    /* Compared byte for byte with the token's claims: a stray blank here
     * would refuse every client, so say so now. */
    if (!*iss || !*aud || strpbrk(iss, " \t") || strpbrk(aud, " \t")) {
        return BKM_DIR_MASKINPORTEN
            ": the issuer and the audience must be "
            "non-empty and without blanks";
    }
    d->token_issuer = iss;
    d->token_audience = aud;
    return NULL;
}

/* Only the directory: its templates and catalogues are read and checked
 * by the pages (bkm_pages_check_config) once every directive is read, in
 * the check_config hook, which `apache2 -t` runs too.  (Configuration is
 * the layer below the pages: it stores what it reads.) */
static const char *set_pages(cmd_parms *cmd, void *dc, const char *arg)
{
    bkm_srv_cfg_t *c = bkm_srv_cfg(cmd->server);
    const char *dir = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t fi;

    if (!dir) {
        return apr_psprintf(cmd->pool, BKM_DIR_PAGES " %s: not a valid path",
                            arg);
    }
    if (apr_stat(&fi, dir, APR_FINFO_TYPE, cmd->pool) != APR_SUCCESS
        || fi.filetype != APR_DIR) {
        return apr_psprintf(cmd->pool, BKM_DIR_PAGES " %s: not a directory",
                            arg);
    }
    c->pages_dir = dir;
    return NULL;
}

/* The build's folder of the pages' static files (build/assets/static):
 * only the directory here; its manifest is read with the templates
 * (bkm_pages_check_config). */
static const char *set_static(cmd_parms *cmd, void *dc, const char *arg)
{
    bkm_srv_cfg_t *c = bkm_srv_cfg(cmd->server);
    const char *dir = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t fi;

    if (!dir || apr_stat(&fi, dir, APR_FINFO_TYPE, cmd->pool) != APR_SUCCESS
        || fi.filetype != APR_DIR) {
        return apr_psprintf(cmd->pool,
                            BKM_DIR_STATIC
                            " %s: not a directory (run make: "
                            "build/assets/static makes build/out/static)",
                            arg);
    }
    c->static_dir = dir;
    return NULL;
}

/* The key under which the database holds national id numbers of roles
 * granted in the pages (HMAC-SHA256). */
static const char *set_role_key(cmd_parms *cmd, void *dc, const char *arg)
{
    bkm_srv_cfg_t *c = bkm_srv_cfg(cmd->server);

    return read_key_file(cmd, BKM_DIR_ROLE_KEY, arg, &c->role_key,
                         &c->role_key_len);
}

/* The key of the tokens the pages give a person's browser (bkm_token.h):
 * only the keys derived from it are kept. */
static const char *set_secret_key(cmd_parms *cmd, void *dc, const char *arg)
{
    bkm_srv_cfg_t *c = bkm_srv_cfg(cmd->server);
    bkm_token_keys_t *keys = apr_palloc(cmd->pool, sizeof(*keys));
    const unsigned char *secret;
    apr_size_t len;
    const char *err;

    if ((err = read_key_file(cmd, BKM_DIR_SECRET_KEY, arg, &secret, &len))) {
        return err;
    }
    if (bkm_token_keys(secret, len, keys)) {
        return BKM_DIR_SECRET_KEY ": cannot derive keys (OpenSSL)";
    }
    memset((void *)secret, 0, len);
    c->token_keys = keys;
    return NULL;
}

static const char *set_post_check_rate(cmd_parms *cmd, void *dc,
                                       const char *arg)
{
    char *end;
    long n;

    if (strcasecmp(arg, "off") == 0) {
        bkm_srv_cfg(cmd->server)->post_check_rate = 0;
        return NULL;
    }
    n = strtol(arg, &end, 10);
    if (!apr_isdigit(*arg) || *end || n < 0 || n > BKM_MAX_POST_CHECK_RATE) {
        return apr_psprintf(cmd->pool,
                            BKM_DIR_POST_CHECK_RATE
                            " %s: must "
                            "be off or a whole number from 0 to %d "
                            "(challenges per account and business day)",
                            arg, BKM_MAX_POST_CHECK_RATE);
    }
    bkm_srv_cfg(cmd->server)->post_check_rate = (int)n;
    return NULL;
}

/* "75%" (1 to 99 per cent of a report's deadline) or off. */
static const char *set_reminder_at(cmd_parms *cmd, void *dc, const char *arg)
{
    char *end;
    long n;

    if (strcasecmp(arg, "off") == 0) {
        bkm_srv_cfg(cmd->server)->reminder_at = 0;
        return NULL;
    }
    n = strtol(arg, &end, 10);
    if (!apr_isdigit(*arg) || strcmp(end, "%") != 0 || n < 1 || n > 99) {
        return apr_psprintf(cmd->pool,
                            BKM_DIR_REMINDER_AT
                            " %s: must be "
                            "off or a share of the deadline from 1%% to "
                            "99%% (e.g. 75%%)",
                            arg);
    }
    bkm_srv_cfg(cmd->server)->reminder_at = (int)n;
    return NULL;
}

/* The command is split here, once, into a program and its arguments: it
 * runs without a shell, and the mail goes to its standard input. */
static const char *set_sendmail(cmd_parms *cmd, void *dc, const char *args)
{
    char **argv = NULL;

    if (apr_tokenize_to_argv(args, &argv, cmd->pool) != APR_SUCCESS || !argv
        || !argv[0] || argv[0][0] != '/') {
        return apr_psprintf(cmd->pool,
                            BKM_DIR_SENDMAIL
                            " %s: must be the "
                            "absolute path of a sendmail-compatible program "
                            "and its arguments (e.g. " BKM_DEFAULT_SENDMAIL
                            ")",
                            args);
    }
    bkm_srv_cfg(cmd->server)->sendmail = (const char *const *)argv;
    return NULL;
}

/* The portal's switch: only servers where it is On answer, prepare
 * statements, migrate, or run passes (issue 15, item 1). */
static const char *set_engine(cmd_parms *cmd, void *dc, int on)
{
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);

    if (err) {
        return err;
    }
    bkm_srv_cfg(cmd->server)->enabled = on;
    return NULL;
}

static const char *set_migrate(cmd_parms *cmd, void *dc, int on)
{
    bkm_srv_cfg(cmd->server)->migrate = on;
    return NULL;
}

static const char *set_https(cmd_parms *cmd, void *dc, int on)
{
    bkm_srv_cfg(cmd->server)->https = on;
    return NULL;
}

static const char *set_roles(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *path = ap_server_root_relative(cmd->pool, arg);
    bkm_roles_t *roles;
    const char *err;

    if ((err = check_private(cmd, BKM_DIR_ROLES, arg, path))) {
        return err;
    }
    if ((err = bkm_roles_load(cmd->pool, path, &roles))) {
        return apr_psprintf(cmd->pool, BKM_DIR_ROLES " %s: %s", arg, err);
    }
    bkm_srv_cfg(cmd->server)->roles = roles;
    bkm_srv_cfg(cmd->server)->roles_where =
        cmd->directive
            ? apr_psprintf(cmd->pool, "%s (set at %s:%d)", path,
                           cmd->directive->filename, cmd->directive->line_num)
            : path;
    return NULL;
}

/* An origin is scheme://host[:port], nothing else: it goes into the
 * Content-Security-Policy header as it is. */
static const char *set_login_origin(cmd_parms *cmd, void *dc, const char *arg)
{
    apr_uri_t u;

    if (apr_uri_parse(cmd->pool, arg, &u) != APR_SUCCESS || !u.scheme
        || (strcmp(u.scheme, "https") != 0 && strcmp(u.scheme, "http") != 0)
        || !u.hostname || (u.path && *u.path) || u.query || u.fragment
        || u.user || strpbrk(arg, " ;,'\"")) {
        return apr_psprintf(cmd->pool,
                            BKM_DIR_LOGIN_ORIGIN
                            " %s: must be an "
                            "origin such as https://login.idporten.no",
                            arg);
    }
    bkm_srv_cfg(cmd->server)->login_origin = arg;
    return NULL;
}

/* BekymringLogout: the OIDCRedirectURI, as a path ("/oidc/redirect") or
 * an http(s) URL without query or fragment (the pages add ?logout=). */
static const char *set_logout(cmd_parms *cmd, void *dc, const char *arg)
{
    apr_uri_t u;

    if (apr_uri_parse(cmd->pool, arg, &u) != APR_SUCCESS || !u.path
        || u.path[0] != '/' || u.query || u.fragment || u.user
        || (u.scheme && strcmp(u.scheme, "https") != 0
            && strcmp(u.scheme, "http") != 0)
        || (u.scheme && !u.hostname) || (!u.scheme && arg[0] != '/')
        || strpbrk(arg, " \"'<>\\")) {
        return apr_psprintf(cmd->pool,
                            BKM_DIR_LOGOUT
                            " %s: must be the OIDCRedirectURI, a path such "
                            "as /oidc/redirect or an https:// URL",
                            arg);
    }
    bkm_srv_cfg(cmd->server)->logout_uri = arg;
    return NULL;
}

/* Long-polls (issue 15, item 6; server/vent.c): BekymringLongPollLimit
 * N (1-1000 waits per integration) and BekymringLongPollShare P% (1-100
 * per cent of MaxRequestWorkers). */
static const char *set_longpoll(cmd_parms *cmd, void *dc, const char *arg)
{
    int share = cmd->info != NULL;
    char *end;
    long n = strtol(arg, &end, 10);

    if (!apr_isdigit(*arg) || strcmp(end, share ? "%" : "") != 0 || n < 1
        || n > (share ? 100 : 1000)) {
        return share ? apr_psprintf(cmd->pool,
                                    BKM_DIR_LONGPOLL_SHARE
                                    " %s: must be a share of "
                                    "MaxRequestWorkers from 1%% to 100%% "
                                    "(e.g. 25%%)",
                                    arg)
                     : apr_psprintf(cmd->pool,
                                    BKM_DIR_LONGPOLL_LIMIT
                                    " %s: must be a whole number from 1 "
                                    "to 1000 (waiting requests per "
                                    "integration)",
                                    arg);
    }
    if (share) {
        bkm_srv_cfg(cmd->server)->longpoll_share = (int)n;
    }
    else {
        bkm_srv_cfg(cmd->server)->longpoll_limit = (int)n;
    }
    return NULL;
}

const command_rec bkm_cmds[] = {
    AP_INIT_FLAG(BKM_DIR_ENGINE, set_engine, NULL, RSRC_CONF,
                 "On: this server or virtual host is the portal (its "
                 "handler, database, escalation pass); default Off, so "
                 "loading the module changes no site.  Virtual hosts "
                 "inherit the main server's setting"),
    AP_INIT_TAKE1(BKM_DIR_REGISTRY, set_registry, NULL, RSRC_CONF,
                  "the tenant registry file (JSON, see "
                  "schema/registry.schema.json): municipalities, districts, "
                  "channels, certificates, accounts, integrations"),
    AP_INIT_TAKE2(BKM_DIR_PORTAL_CERT, set_portal_cert, NULL, RSRC_CONF,
                  "the portal's own certificate and private key (PEM), "
                  "used to sign ASiC-E containers"),
    AP_INIT_TAKE1(BKM_DIR_RECEIPT_DEADLINE, set_duration,
                  (void *)APR_OFFSETOF(bkm_srv_cfg_t, receipt_deadline),
                  RSRC_CONF,
                  "business time a case system has to receipt a report "
                  "before it goes to letter post (default 40h; units s, m, "
                  "h, d)"),
    AP_INIT_TAKE1(BKM_DIR_MANUAL_DEADLINE, set_duration,
                  (void *)APR_OFFSETOF(bkm_srv_cfg_t, manual_deadline),
                  RSRC_CONF,
                  "business time staff have to confirm a manually "
                  "downloaded report before it goes to letter post "
                  "(default 2d)"),
    AP_INIT_TAKE1(BKM_DIR_RETENTION, set_duration,
                  (void *)APR_OFFSETOF(bkm_srv_cfg_t, retention), RSRC_CONF,
                  "how long ciphertext is kept after confirmed delivery "
                  "(default 30d)"),
    AP_INIT_TAKE1(BKM_DIR_ESCALATION_INTERVAL, set_interval,
                  (void *)APR_OFFSETOF(bkm_srv_cfg_t, escalation_interval),
                  RSRC_CONF,
                  "how often the escalation pass (letter post after the "
                  "deadline, retention, alerts) runs in httpd's watchdog: "
                  "a duration (default 5m) or off (then run passes through "
                  "/bekymring-drift/eskalering)"),
    AP_INIT_TAKE1(BKM_DIR_CERT_WARNING, set_cert_warning, NULL, RSRC_CONF,
                  "how long before a registry certificate expires the "
                  "escalation pass logs an ALERT every pass, saying "
                  "whether a next certificate is in place: a duration "
                  "(default 30d) or off"),
    AP_INIT_TAKE1(BKM_DIR_PAGES, set_pages, NULL, RSRC_CONF,
                  "the directory of the reporter's web pages: templates/, "
                  "i18n/ (bokmål, nynorsk, English) and static/ with its "
                  "built vendor/ (make); unset, the server has no pages"),
    AP_INIT_TAKE1(BKM_DIR_STATIC, set_static, NULL, RSRC_CONF,
                  "the build's folder of the pages' static files "
                  "(build/out/static: manifest.json and public/, which "
                  "/static serves): the templates name the built, "
                  "fingerprinted files; unset, the names as written"),
    AP_INIT_TAKE1(
        BKM_DIR_LOGIN_ORIGIN, set_login_origin, NULL, RSRC_CONF,
        "the identity provider's login origin, allowed as a form "
        "target in the pages' Content-Security-Policy (default " BKM_DEFAULT_LOGIN_ORIGIN
        ")"),
    AP_INIT_TAKE1(BKM_DIR_ROLES, set_roles, NULL, RSRC_CONF,
                  "the municipal administration's roles (JSON): "
                  "administrators, receivers and national operators bound "
                  "to national id numbers; unset, nobody has a role"),
    AP_INIT_TAKE1(
        BKM_DIR_ROLE_KEY, set_role_key, NULL, RSRC_CONF,
        "a file of 32+ secret bytes: the key under which the "
        "database holds the national id numbers of roles the "
        "operator grants in the pages; unset, roles come from " BKM_DIR_ROLES
        " only"),
    AP_INIT_TAKE1(
        BKM_DIR_SECRET_KEY, set_secret_key, NULL, RSRC_CONF,
        "a file of 32+ secret bytes, the same on every node: the "
        "key of the tokens the pages give a person's browser "
        "(form, CSRF, login evidence); required with " BKM_DIR_PAGES),
    AP_INIT_FLAG(BKM_DIR_HTTPS, set_https, NULL, RSRC_CONF,
                 "On: the portal is served over https, also where a proxy "
                 "in front ends TLS (cookies __Host- and Secure, HSTS); "
                 "default: as the request's scheme says"),
    AP_INIT_TAKE1(BKM_DIR_POST_CHECK_RATE, set_post_check_rate, NULL,
                  RSRC_CONF,
                  "post-delivery challenges per case-system account and "
                  "business day, each on a delivered report the account "
                  "must still hold (default 1; 0 or off: none)"),
    AP_INIT_TAKE1(BKM_DIR_RECONCILE_WITHIN, set_reconcile_within, NULL,
                  RSRC_CONF,
                  "business days within which a case system must confirm "
                  "each delivery in an automatic reconciliation before the "
                  "escalation pass raises an alert: 1 to 60 (default 5) "
                  "or off"),
    AP_INIT_TAKE1(BKM_DIR_CONTROL_INTERVAL, set_control_interval, NULL,
                  RSRC_CONF,
                  "how often the escalation pass sends each case-system "
                  "district a control message that must come back with a "
                  "verified stored-receipt: a duration (e.g. 1d) or off "
                  "(the default)"),
    AP_INIT_TAKE1(BKM_DIR_REMINDER_AT, set_reminder_at, NULL, RSRC_CONF,
                  "share of a report's deadline at which the escalation "
                  "pass mails its district's contact (kontaktEpost) a "
                  "reminder, once, unless it is confirmed: 1% to 99% "
                  "(default 75%) or off"),
    AP_INIT_RAW_ARGS(BKM_DIR_SENDMAIL, set_sendmail, NULL, RSRC_CONF,
                     "the program that takes reminder mails on its standard "
                     "input, with its arguments, run without a shell "
                     "(default " BKM_DEFAULT_SENDMAIL ")"),
    AP_INIT_FLAG(BKM_DIR_MIGRATE, set_migrate, NULL, RSRC_CONF,
                 "On (default): the module migrates the database's schema "
                 "at start-up; Off: it only reads the version, and the "
                 "schema is migrated as a separate step (bekymring-migrate, "
                 "for rolling upgrades)"),
    AP_INIT_TAKE1(BKM_DIR_LOGOUT, set_logout, NULL, RSRC_CONF,
                  "mod_auth_openidc's OIDCRedirectURI: the pages' and the "
                  "administration's logout links go there with ?logout= "
                  "(ID-porten's single logout); unset, the pages show none "
                  "and the administration's goes to " BKM_DEFAULT_LOGOUT),
    AP_INIT_TAKE1(BKM_DIR_MIN_ACR, set_min_acr, NULL, OR_AUTHCFG,
                  "lowest ID-porten level accepted for a person: "
                  "substantial (default) or high"),
    AP_INIT_TAKE2(BKM_DIR_MASKINPORTEN, set_maskinporten, NULL, OR_AUTHCFG,
                  "the exact issuer (iss) and audience (aud) of machine "
                  "clients' Maskinporten tokens; unset, machine clients "
                  "are refused"),
    /* Long-polls (issue 15, item 6) */
    AP_INIT_TAKE1(BKM_DIR_LONGPOLL_LIMIT, set_longpoll, NULL, RSRC_CONF,
                  "requests with ?vent that one integration may have "
                  "waiting at once on a node; more get 429 (default 4)"),
    AP_INIT_TAKE1(BKM_DIR_LONGPOLL_SHARE, set_longpoll, (void *)"share",
                  RSRC_CONF,
                  "share of MaxRequestWorkers that requests with ?vent may "
                  "hold on a node, all integrations together; more get "
                  "429 (default 25%)"),
    { NULL }
};
