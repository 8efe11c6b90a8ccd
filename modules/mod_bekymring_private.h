/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mod_bekymring_private.h
 * @brief What the httpd glue files of mod_bekymring share: the module
 * record, configuration records, and the request handlers.
 */
#ifndef MOD_BEKYMRING_PRIVATE_H
#define MOD_BEKYMRING_PRIVATE_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <apr_dbd.h>
#include <mod_dbd.h>
#include <jansson.h>

#include "bkm_log.h"
#include "bkm_db.h"
#include "bkm_store.h"
#include "bkm_leveranse.h"
#include "bkm_escalation.h"
#include "bkm_registry.h"
#include "bkm_seal.h"
#include "bkm_jsonschema.h"
#include "bkm_html.h"
#include "bkm_i18n.h"
#include "bkm_roles.h"
#include "mod_bekymring_core.h"

extern module AP_MODULE_DECLARE_DATA bekymring_module;
APLOG_USE_MODULE(bekymring);

/** Unset sentinel for numbers and durations in configuration records. */
#define BKM_UNSET (-1)

/* Directive names, spelt once (a misspelt name fails to compile). */
#define BKM_DIR_REGISTRY         "BekymringRegistry"
#define BKM_DIR_PORTAL_CERT      "BekymringPortalCertificate"
#define BKM_DIR_RECEIPT_DEADLINE "BekymringReceiptDeadline"
#define BKM_DIR_MANUAL_DEADLINE  "BekymringManualDeadline"
#define BKM_DIR_RETENTION        "BekymringRetention"
#define BKM_DIR_MIN_ACR          "BekymringMinAcr"
#define BKM_DIR_ESCALATION_INTERVAL "BekymringEscalationInterval"
#define BKM_DIR_PAGES            "BekymringPages"
#define BKM_DIR_LOGIN_ORIGIN     "BekymringLoginOrigin"
#define BKM_DIR_ROLES            "BekymringRoles"
#define BKM_DIR_ROLE_KEY         "BekymringRoleKey"
#define BKM_DIR_SECRET_KEY       "BekymringSecretKey"
#define BKM_DIR_HTTPS            "BekymringHttps"
#define BKM_DIR_MASKINPORTEN     "BekymringMaskinportenToken"
#define BKM_DIR_POST_CHECK_RATE  "BekymringPostCheckRate"
#define BKM_DIR_RECONCILE_WITHIN "BekymringReconcileWithin"
#define BKM_DIR_CONTROL_INTERVAL "BekymringControlInterval"

/** ID-porten's login pages (a form post that needs a login goes there). */
#define BKM_DEFAULT_LOGIN_ORIGIN "https://login.idporten.no"

/** Defaults (ARCHITECTURE §2: 40 business hours for case systems, two
 *  business days for manual download, 30 days after delivery). */
#define BKM_DEFAULT_RECEIPT_DEADLINE apr_time_from_sec(40 * 3600)
#define BKM_DEFAULT_MANUAL_DEADLINE  apr_time_from_sec(2 * 86400)
#define BKM_DEFAULT_RETENTION        apr_time_from_sec(30 * 86400)
#define BKM_DEFAULT_ESCALATION_INTERVAL apr_time_from_sec(5 * 60)
/** Post-delivery challenges per account and business day (issue 12). */
#define BKM_DEFAULT_POST_CHECK_RATE 1
#define BKM_MAX_POST_CHECK_RATE 100
/** Business days a case system has to confirm a delivery in a
 *  reconciliation before the pass raises an alert (issue 12). */
#define BKM_DEFAULT_RECONCILE_WITHIN 5

typedef enum {
    BKM_ACR_SUBSTANTIAL = 1,    /**< idporten-loa-substantial (default) */
    BKM_ACR_HIGH = 2            /**< idporten-loa-high */
} bkm_acr_e;

/** The reporter's web: templates, catalogues, postal codes (read-only
 *  after start-up, shared by all threads). */
typedef struct {
    const char *dir;
    bkm_html_set_t *html;
    bkm_i18n_t *i18n;
    json_t *postnummer;         /**< "0001" -> "OSLO" */
    /** The view of each empty form, by type, protocol version (1, 2) and
     *  language, made once: the form most often asked for costs no
     *  building per request.  Read-only (jansson's reference counts are
     *  atomic, so threads may share them). */
    json_t *tom[2][2][BKM_I18N_NLANGS];
    /** The form's language buttons, by the page's language. */
    json_t *sprakknapper[BKM_I18N_NLANGS];
} bkm_pages_t;

/** Per-server configuration. */
typedef struct {
    const char *registry_path;
    const bkm_registry_t *registry;
    const char *portal_cert_path;
    const char *portal_key_path;
    const bkm_cert_t *portal_cert;
    apr_interval_time_t receipt_deadline;   /**< BKM_UNSET or a duration */
    apr_interval_time_t manual_deadline;
    apr_interval_time_t retention;
    apr_interval_time_t escalation_interval;    /**< 0: off */
    const char *db_driver;      /**< found in post_config, for /helse */
    const char *pages_dir;      /**< BekymringPages: the directory */
    const bkm_pages_t *pages;   /**< loaded from it (check_config hook);
                                     NULL: no pages */
    const char *login_origin;   /**< BekymringLoginOrigin, or NULL */
    const bkm_roles_t *roles;   /**< BekymringRoles, loaded; NULL: none */
    const unsigned char *role_key;  /**< BekymringRoleKey's bytes, or NULL */
    apr_size_t role_key_len;
    const bkm_signer_t *signer; /**< loaded in post_config */
    /** Keys derived from BekymringSecretKey (bkm_token.h), or NULL. */
    const struct bkm_token_keys_s *token_keys;
    int https;                  /**< BekymringHttps: BKM_UNSET, 0 or 1 */
    int post_check_rate;        /**< BekymringPostCheckRate: BKM_UNSET or
                                     challenges per account and business
                                     day, 0 off */
    /** BekymringReconcileWithin: BKM_UNSET, 0 (off) or business days */
    int reconcile_within;
    /** BekymringControlInterval: BKM_UNSET, 0 (off, the default) or how
     *  often each district gets a control message */
    apr_interval_time_t control_interval;
} bkm_srv_cfg_t;

/** Per-directory configuration. */
typedef struct {
    int min_acr;                /**< BKM_UNSET or a bkm_acr_e */
    /** BekymringMaskinportenToken: the exact iss and aud of machine
     *  clients' tokens; NULL unset (then every machine call is refused) */
    const char *token_issuer;
    const char *token_audience;
} bkm_dir_cfg_t;

/* mod_bekymring_config.c */
extern const command_rec bkm_cmds[];
void *bkm_create_srv_cfg(apr_pool_t *p, server_rec *s);
void *bkm_merge_srv_cfg(apr_pool_t *p, void *base, void *add);
void *bkm_create_dir_cfg(apr_pool_t *p, char *dir);
void *bkm_merge_dir_cfg(apr_pool_t *p, void *base, void *add);
bkm_srv_cfg_t *bkm_srv_cfg(server_rec *s);
bkm_dir_cfg_t *bkm_dir_cfg(request_rec *r);
apr_interval_time_t bkm_cfg_receipt_deadline(const bkm_srv_cfg_t *c);
apr_interval_time_t bkm_cfg_manual_deadline(const bkm_srv_cfg_t *c);
apr_interval_time_t bkm_cfg_retention(const bkm_srv_cfg_t *c);
apr_interval_time_t bkm_cfg_escalation_interval(const bkm_srv_cfg_t *c);
int bkm_cfg_post_check_rate(const bkm_srv_cfg_t *c);
int bkm_cfg_min_acr(const bkm_dir_cfg_t *c);
/** Business days to reconcile a delivery in (0: no alert). */
int bkm_cfg_reconcile_within(const bkm_srv_cfg_t *c);
/** How often a district gets a control message (0: never). */
apr_interval_time_t bkm_cfg_control_interval(const bkm_srv_cfg_t *c);
const char *bkm_cfg_login_origin(const bkm_srv_cfg_t *c);
/** Whether the portal is served over https (BekymringHttps, else the
 *  request's scheme). */
int bkm_cfg_https(request_rec *r);
/** What must hold once all directives are read (e.g. pages need the
 *  secret key).  @return NULL or a message. */
const char *bkm_cfg_check(server_rec *s);

/* mod_bekymring_db.c: schema at start-up, connections per request */
int bkm_db_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *s);
int bkm_db_pre_config(apr_pool_t *pconf);
void bkm_db_child_init(apr_pool_t *p, server_rec *s);
/** The request's pooled connection, or NULL (then answer 503). */
bkm_db_t *bkm_db_acquire(request_rec *r);
/** A connection outside requests (the watchdog); give it back with
 *  bkm_db_close.  NULL when the database does not answer. */
bkm_db_t *bkm_db_open(server_rec *s, apr_pool_t *p);
void bkm_db_close(bkm_db_t *db);

/* mod_bekymring_konto.c: what an account's resources share (the
 * handlers of every address: mod_bekymring_routes.h) */
/** Load message @p id of account @p k for a request: OK, or DONE after
 *  answering (404 for any id not the account's, 503). */
int bkm_message_load(request_rec *r, bkm_db_t **db, const bkm_konto_t *k,
                     const char *id, int with_content, bkm_leveranse_t *l);

/* mod_bekymring_avstemming.c: automatic reconciliation (issue 12) */
/** The pass's alert: *late counts the case-system accounts with a
 *  delivery not confirmed within BekymringReconcileWithin business days
 *  (each logged as an ALERT).  @return 0 or -1 database error */
int bkm_reconcile_alerts(bkm_db_t *db, apr_time_t now, int *late);
/** The administration's view: per case-system account of @p k (limited
 *  to @p bydeler unless NULL), its last automatic reconciliation with its
 *  differences, and its oldest delivery not yet confirmed.  NULL on a
 *  database error. */
json_t *bkm_reconcile_accounts(bkm_db_t *db, const bkm_kommune_t *k,
                               const apr_array_header_t *bydeler);

/* mod_bekymring_kontrollmelding.c: control messages (issue 12) */
/** The message type of control messages (schema/kontrollmelding). */
#define BKM_TYPE_KONTROLL "no.ks.fiks.bekymringsmelding.kontroll.v1"
/** The pass's part: make the control messages that are due (claimed, so
 *  two nodes never make two), and judge those whose deadline passed.
 *  @return 0 or -1 database error */
int bkm_control_pass(bkm_db_t *db, apr_time_t now, int *laget,
                     int *feilet);

/* mod_bekymring_escalation.c: the pass, in the watchdog and on demand */
int bkm_escalation_pass(bkm_db_t *db, apr_time_t now, bkm_pass_t *out);
int bkm_escalation_post_config(apr_pool_t *pconf, server_rec *s);

/* mod_bekymring_clock.c */
/** The request's time.  Test builds only (make test compiles this file
 *  with BKM_TEST_CLOCK) honour a "Bkm-Test-Klokke" header; the module that
 *  make builds has no such code at all. */
apr_time_t bkm_now(request_rec *r);
/** Whether this build honours the test clock. */
extern const int bkm_test_clock;

/* mod_bekymring_http.c: replies */
int bkm_reply_json(request_rec *r, int status, json_t *body);
/** The same for JSON a handler wrote as text (a long list is cheaper
 *  written than built as jansson objects). */
int bkm_reply_json_text(request_rec *r, int status, const char *text,
                        apr_size_t len);
int bkm_reply_error(request_rec *r, int status, const char *kode,
                    const char *melding);
/**
 * Read the request body, at most @p limit bytes.
 * @return OK with the body in *buf and *len (NUL-terminated), or DONE
 *         after answering (413 too large, 400 unreadable): return it.
 */
int bkm_read_body(request_rec *r, apr_size_t limit, char **buf,
                  apr_size_t *len);
/** The same without answering: OK, HTTP_REQUEST_ENTITY_TOO_LARGE or
 *  HTTP_BAD_REQUEST (for pages, which answer in the person's language). */
int bkm_read_body_status(request_rec *r, apr_size_t limit, char **buf,
                         apr_size_t *len);
/** Send @p len bytes of the body and flush them to the client.
 *  @return 1 when every byte went out (then, and only then, may a
 *  download be recorded), 0 when not: *rv has the filters' status. */
int bkm_send_all(request_rec *r, const char *data, apr_size_t len,
                 apr_status_t *rv);
/** Tie a jansson value to a pool: decref'ed when the pool is cleared
 *  (as mod_md does with its md_json_t). */
json_t *bkm_json_own(apr_pool_t *p, json_t *j);
/** Sets the headers of a page (no-store, strict CSP, no framing). */
void bkm_page_headers(request_rec *r);

/* The request handlers, one concern a file, and the table of the
 * addresses they answer: mod_bekymring_routes.h. */

/* mod_bekymring_pages.c: what every page shares */
struct bkm_person_s;
/** Load every server's BekymringPages directory (each directory once),
 *  in the check_config hook, which `apache2 -t` runs too: a broken
 *  template or a missing translation stops httpd there.  @return OK, or
 *  HTTP_INTERNAL_SERVER_ERROR after logging why. */
int bkm_pages_check_config(apr_pool_t *pconf, server_rec *s);
/** This server's pages, or NULL when BekymringPages is not set. */
const bkm_pages_t *bkm_pages(request_rec *r);
/** Log that a page was asked for without BekymringPages; 404. */
int bkm_pages_missing(request_rec *r);
/** A query argument, decoded, or NULL. */
const char *bkm_page_arg(request_rec *r, const char *name);
/** Our cookies: HttpOnly, SameSite=Lax, Secure over https (max_age 0:
 *  until the browser closes). */
void bkm_page_cookie(request_rec *r, const char *name, const char *value,
                     const char *path, long max_age);
void bkm_page_cookie_remove(request_rec *r, const char *name,
                            const char *path);
const char *bkm_page_cookie_get(request_rec *r, const char *name);
/** The name of a cookie for the whole site (Path=/): behind TLS with the
 *  __Host- prefix, which browsers take neither from plain http nor from a
 *  sibling domain. */
const char *bkm_page_host_cookie(request_rec *r, const char *name);
/** The receipt's cookie: set by the form (_webform.c), read by the
 *  receipt (_sent.c). */
#define BKM_COOKIE_SENDT "bkm_sendt"
/** A cookie "<id>.<key in hex>" that gives this browser what the server
 *  keeps sealed for it (the receipt's copy, a draft): set it, and read it
 *  back for @p id (1 when it names @p id and holds a BKM_BOX_KEY key). */
void bkm_page_key_cookie_set(request_rec *r, const char *name,
                             const char *id, const char *keyhex,
                             const char *path, long max_age);
int bkm_page_key_cookie_get(request_rec *r, const char *name, const char *id,
                            unsigned char *key);
/** The page's language (bkm_i18n_pick); ?sprak= also remembers it. */
const char *bkm_page_lang(request_rec *r, const struct bkm_person_s *person);
void bkm_page_set_lang(request_rec *r, const char *lang);
/** This browser's CSRF token for the person logged in (the browser's
 *  random cookie is set when new; bkm_token.h binds the two).  NULL
 *  without BekymringSecretKey. */
const char *bkm_page_csrf(request_rec *r);
/** Whether a posted token is this browser's for this person. */
int bkm_page_csrf_ok(request_rec *r, const char *posted);
/** The tag of the person logged in (bkm_token_person), or NULL. */
const char *bkm_page_login_tag(request_rec *r);
/** Set the login evidence for the person logged in, valid @p max_age
 *  seconds: the signed cookie that lets a post whose login ran out be
 *  kept as a draft. */
void bkm_page_evidence_set(request_rec *r, long max_age);
/** The tag of this browser's valid login evidence, or NULL. */
const char *bkm_page_evidence_tag(request_rec *r);
/** A page's data with what every page has: lang, tittel, the language
 *  switcher. */
json_t *bkm_page_data(request_rec *r, const char *lang, const char *tittel);
/** The same without the switcher's links (the form has buttons). */
json_t *bkm_page_data_bare(request_rec *r, const char *lang,
                          const char *tittel);
/** Render a template with @p data (which has "lang") as the answer. */
int bkm_page_render(request_rec *r, int status, const char *tmpl,
                    json_t *data);
/** A small url-encoded form (the administration's posts): at most 32
 *  fields, each once, strict UTF-8.  @return OK, or the status to answer
 *  (415, 413, 400). */
int bkm_page_form(request_rec *r, apr_size_t limit, apr_table_t **out);
/** The person of a page, logged in at a level we accept, and the page's
 *  language: OK (person->pid is NULL when there is no login and
 *  @p required is 0), or DONE after answering a refusal (500 for a
 *  location without the login, 403 for a level too low). */
int bkm_page_person(request_rec *r, struct bkm_person_s *person,
                    const char **lang, int required);
/** 503 as a page: the database does not answer; try again. */
int bkm_page_unavailable(request_rec *r, const char *lang);
/** 404 as a page: what is not the person's is as unknown as what does
 *  not exist. */
int bkm_page_not_found(request_rec *r, const char *lang);
/** A stored time (microseconds, as text) as "YYYY-MM-DD HH:MM" in Oslo;
 *  NULL for NULL. */
const char *bkm_page_when(apr_pool_t *p, const char *micros);
/** One CSV line (RFC 4180: every field quoted, quotes doubled, CR LF)
 *  written to the output filters through @p bb. */
void bkm_page_csv_row(request_rec *r, apr_bucket_brigade *bb,
                      const char *const *fields, int n);
/** A page that only says something (catalogue keys; tekst may be NULL). */
int bkm_page_message(request_rec *r, int status, const char *lang,
                     const char *tittel_key, const char *tekst_key);

/* mod_bekymring_admin.c: the municipal administration */
/** The person's roles: BekymringRoles' and those granted in the pages. */
const bkm_roles_t *bkm_admin_roles(request_rec *r, const char *pid);

/* mod_bekymring_person.c: people logged in through mod_auth_openidc */
typedef struct bkm_person_s {
    const char *pid;        /**< national id number: never log or store it */
    const char *name;       /**< NULL when the provider gives none */
    const char *acr;
    int level;              /**< 0 unknown/low, else a bkm_acr_e */
    const char *locale;
} bkm_person_t;
/** The person from the login's claims; 0 when there is no valid pid (the
 *  location is not behind AuthType openid-connect). */
int bkm_person_from_login(request_rec *r, bkm_person_t *p);

/* mod_bekymring_intake.c: validate, render, seal, store */
int bkm_intake_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                           server_rec *s);
void bkm_intake_child_init(void);
/** Answer 422 with the list of {pointer, regel, melding}, at most
 *  BKM_JSONSCHEMA_MAX_ERRORS of them, and "flere": whether the validator
 *  found more than it listed (@p more). */
int bkm_reply_invalid(request_rec *r, const apr_array_header_t *errors,
                      int more);
typedef enum {
    BKM_INTAKE_OK = 0,      /**< stored, or the first report of its key */
    BKM_INTAKE_INVALID,     /**< the schema refused it: res->errors */
    BKM_INTAKE_DATABASE,    /**< not stored (503): nothing kept */
    BKM_INTAKE_INTERNAL     /**< not sealed (500): nothing kept */
} bkm_intake_e;
typedef struct {
    apr_array_header_t *errors; /**< bkm_jsonschema_error_t, at most
                                     BKM_JSONSCHEMA_MAX_ERRORS */
    int more_errors;        /**< the validator stopped: there were more */
    int repeated;           /**< the key was used: m is the first report */
} bkm_intake_result_t;
/**
 * Take a report in: validate it against its message type's schema, render
 * its PDF, seal it for the district's recipients and store it (nothing is
 * kept when anything fails).  @p m must have id, meldingstype, versjon,
 * kilde, bydel, mottatt, aktor; m->kopi_* asks for the reporter's sealed
 * copy (the web form).
 */
bkm_intake_e bkm_intake_take(request_rec *r, json_t *report,
                             const char *meldingstype, bkm_melding_t *m,
                             const bkm_signer_t *signer,
                             bkm_intake_result_t *res);
/** The API's answer to an intake: 201 {uuid, referanse, ...}, 422 with
 *  the errors, 503 or 500. */
int bkm_intake_reply(request_rec *r, bkm_intake_e rc,
                     const bkm_intake_result_t *res, const bkm_melding_t *m);

/* mod_bekymring_skjema.c: what the form API and the web form share */
/** Where a report can go (bkm_skjema_route). */
typedef enum {
    BKM_MOTTAKER_FUNNET = 0,    /**< *out is the district */
    BKM_MOTTAKER_UKJENT_KOMMUNE,/**< no such municipality (or none named) */
    BKM_MOTTAKER_INAKTIV,       /**< the municipality is not in the portal */
    BKM_MOTTAKER_UKJENT_BYDEL   /**< no such district, or no default one */
} bkm_mottaker_e;
/** The district a report goes to: @p bnr, or the municipality's default
 *  district when NULL (*out; NULL unless found). */
bkm_mottaker_e bkm_skjema_route(const bkm_registry_t *reg, const char *knr,
                                const char *bnr, const bkm_bydel_t **out);
/** Its name in log lines: "kommune", "inaktiv", "bydel" (NULL if found). */
const char *bkm_mottaker_name(bkm_mottaker_e e);
/** Add what only the server knows (names, time sent, channel, the
 *  reporter's name from the login) and take the report in for m->bydel,
 *  type "privat" or "offentlig". */
bkm_intake_e bkm_skjema_submit(request_rec *r, const char *type,
                               json_t *report, const bkm_person_t *person,
                               bkm_melding_t *m, bkm_intake_result_t *res);


/* mod_bekymring_throttle.c: failed machine logins, counted per node in
 * shared memory (the file's comment says why there) */
/** Failures per client address, and per IntegrasjonId, in a window. */
#define BKM_THROTTLE_LIMIT 10
#define BKM_THROTTLE_WINDOW apr_time_from_sec(300)
int bkm_throttle_pre_config(apr_pool_t *pconf);
int bkm_throttle_post_config(apr_pool_t *pconf, server_rec *s);
void bkm_throttle_child_init(apr_pool_t *p, server_rec *s);
/** 0 when this client may log in as @p id; else the seconds until it may
 *  (answer 429 with Retry-After).  @p check: the password needs bcrypt
 *  (then call bkm_throttle_end with the outcome); 0 when it is one this
 *  process accepted lately (no guess: nothing is counted). */
int bkm_throttle_begin(request_rec *r, const char *id, int check);
/** The outcome of the check: @p failed for a wrong password or an unknown
 *  id (counted against the client and the id). */
void bkm_throttle_end(request_rec *r, const char *id, int failed);
/** Count a request of @p kind (e.g. "status") from this client address in
 *  the same table and windows (BKM_THROTTLE_WINDOW, per node): 0 while
 *  the address has made fewer than @p limit in its window (this one is
 *  counted), else the seconds until the window ends (answer 429 with
 *  Retry-After; a refused request is not counted). */
int bkm_throttle_hit(request_rec *r, const char *kind, int limit);

/* mod_bekymring_integration.c: machine clients */
/** The integration making this request (bearer token checked by
 *  mod_auth_openidc, then IntegrasjonId/IntegrasjonPassord and the token's
 *  consumer organisation checked here): OK with it in *out, or DONE after
 *  answering 401 (429 while the client's logins are throttled). */
int bkm_integration_authenticate(request_rec *r,
                                 const bkm_integrasjon_t **out);
/** The per-process memory of accepted passwords (child_init). */
void bkm_integration_child_init(apr_pool_t *p);

/* mod_bekymring_kontroll.c: proof of possession (issue 12, items 4, 6) */
/** Whether a verified stored-receipt proves possession as the district
 *  requires (v2's besittelsesbevis; v1 where the district still takes
 *  it).  @return APR_SUCCESS if so; APR_EINVAL when it does not, *kode
 *  and *why then the API's error code and text; anything else when the
 *  database failed. */
apr_status_t bkm_receipt_possession(bkm_db_t *db, const bkm_leveranse_t *l,
                                    const void *lk, const bkm_bydel_t *b,
                                    const char **kode, const char **why);
/** The pass's step: overdue challenges fail (their reports requeued),
 *  then accounts whose time has come are sampled.  0 or -1. */
int bkm_kontroll_pass(bkm_db_t *db, apr_time_t now, int *issued,
                      int *failed);

#endif
