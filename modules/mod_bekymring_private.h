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
#include "bkm_registry.h"
#include "bkm_seal.h"
#include "bkm_jsonschema.h"
#include "bkm_html.h"
#include "bkm_i18n.h"
#include "bkm_roles.h"

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
/** A borrowed connection and what using it needs, in a request or in the
 *  watchdog (no request). */
typedef struct {
    ap_dbd_t *dbd;
    const apr_dbd_driver_t *drv;
    apr_pool_t *pool;       /**< results and arguments live here */
    server_rec *s;
    request_rec *r;         /**< NULL outside a request */
    int sqlite;             /**< 1 on SQLite (one writer at a time) */
    int in_tx, locked;
    int opened;             /**< from bkm_db_open: bkm_db_close returns it */
    const char *error;      /**< the driver's message after a failed
                                 transaction (names no values) */
} bkm_db_t;
int bkm_db_pre_config(apr_pool_t *pconf);
void bkm_db_child_init(apr_pool_t *p, server_rec *s);
/** The request's pooled connection, or NULL (then answer 503). */
bkm_db_t *bkm_db_acquire(request_rec *r);
/** A connection outside requests (the watchdog); give it back with
 *  bkm_db_close.  NULL when the database does not answer. */
bkm_db_t *bkm_db_open(server_rec *s, apr_pool_t *p);
void bkm_db_close(bkm_db_t *db);
/**
 * Run one of our prepared SELECTs (by label).  Outside a transaction it
 * survives a database restart: on failure the statements are prepared
 * again on the connection and the query is tried once more.  Logs the
 * failure (label and driver error, never the arguments).
 * @return 0 on success, else the driver's error code
 */
int bkm_db_select(bkm_db_t *db, const char *label, apr_dbd_results_t **res,
                  int nargs, const char **args);
/** Column @p col of a row, copied into db->pool; NULL for SQL NULL (and
 *  for "", which pgsql returns for NULL: our columns never hold ""). */
const char *bkm_db_value(bkm_db_t *db, apr_dbd_row_t *row, int col);
/** A binary column (BYTEA / blob) of the current row, copied into
 *  db->pool.  @return 0, or -1 when it is NULL or unreadable. */
int bkm_db_blob(bkm_db_t *db, apr_dbd_row_t *row, int col,
                const char **data, apr_size_t *len);
/** Run one of our prepared INSERT/UPDATE/DELETEs; *nrows (if given) gets
 *  the number of rows changed.  @return 0 or the driver's error */
int bkm_db_run(bkm_db_t *db, const char *label, int *nrows, int nargs,
               const char **args);
/** The same with binary arguments (apr_dbd_pbquery's values). */
int bkm_db_run_binary(bkm_db_t *db, const char *label, const void **values);
/** Start a transaction (BEGIN; on SQLite after queueing for the one
 *  writer).  @return 0, or the driver's error (then nothing is open) */
int bkm_db_begin(bkm_db_t *db);
/** End it: COMMIT when @p rv is 0, else ROLLBACK.  @return 0 when
 *  committed, else the error (db->error has the driver's message) */
int bkm_db_end(bkm_db_t *db, int rv);
/** Prepare our statements again on this connection (after a database
 *  restart the server has forgotten them; see mod_bekymring_db.c). */
void bkm_db_reprepare(bkm_db_t *db);
/** Labels of our prepared statements (SQL in mod_bekymring_db.c). */
#define BKM_SQL_SCHEMA_VERSION "bkm_schema_version"
#define BKM_SQL_MELDING_INSERT "bkm_melding_insert"
#define BKM_SQL_CHIFFER_INSERT "bkm_chiffer_insert"
#define BKM_SQL_HENDELSE_INSERT "bkm_hendelse_insert"
#define BKM_SQL_MELDING_BY_KEY "bkm_melding_by_key"
#define BKM_SQL_HENDELSER_FOR_INTEGRASJON "bkm_hendelser_integrasjon"
#define BKM_SQL_LEVERANSE_INSERT "bkm_leveranse_insert"
#define BKM_SQL_LEVERANSE_PRINT "bkm_leveranse_print"
#define BKM_SQL_LEVERANSE_GET "bkm_leveranse_get"
#define BKM_SQL_LEVERANSE_FETCH "bkm_leveranse_fetch"
#define BKM_SQL_LEVERANSE_HENTET "bkm_leveranse_hentet"
#define BKM_SQL_LEVERANSE_SVAR "bkm_leveranse_svar"
#define BKM_SQL_LEVERANSER_VENTER "bkm_leveranser_venter"
#define BKM_SQL_MELDING_LOCK "bkm_melding_lock"
#define BKM_SQL_MELDING_STATE "bkm_melding_state"
#define BKM_SQL_MELDING_SET "bkm_melding_set"
#define BKM_SQL_MELDING_TO_PRINT "bkm_melding_to_print"
#define BKM_SQL_FRIST_DUE "bkm_frist_due"
#define BKM_SQL_SLETTING_DUE "bkm_sletting_due"
#define BKM_SQL_CHIFFER_DELETE "bkm_chiffer_delete"
#define BKM_SQL_MELDING_SLETTET "bkm_melding_slettet"
#define BKM_SQL_VARSLER "bkm_varsler"
#define BKM_SQL_MELDING_BY_SKJEMA "bkm_melding_by_skjema"
#define BKM_SQL_KOPI_INSERT "bkm_kopi_insert"
#define BKM_SQL_KOPI_INSERT_TOM "bkm_kopi_insert_tom"
#define BKM_SQL_KOPI_GET "bkm_kopi_get"
#define BKM_SQL_KOPI_EXPIRED "bkm_kopi_expired"
#define BKM_SQL_UTKAST_INSERT "bkm_utkast_insert"
#define BKM_SQL_UTKAST_GET "bkm_utkast_get"
#define BKM_SQL_UTKAST_COUNT "bkm_utkast_count"
#define BKM_SQL_UTKAST_DELETE "bkm_utkast_delete"
#define BKM_SQL_UTKAST_EXPIRED "bkm_utkast_expired"
#define BKM_SQL_OVERSIKT "bkm_oversikt"
#define BKM_SQL_OVERSIKT_BYDEL "bkm_oversikt_bydel"
#define BKM_SQL_OVERSIKT_TILSTAND "bkm_oversikt_tilstand"
#define BKM_SQL_MELDING_FINN "bkm_melding_finn"
#define BKM_SQL_MELDING_META "bkm_melding_meta"
#define BKM_SQL_HENDELSER "bkm_hendelser"
#define BKM_SQL_LEVERANSER_FOR_MELDING "bkm_leveranser_for_melding"
#define BKM_SQL_MOTTAK_VENTER "bkm_mottak_venter"
#define BKM_SQL_LEVERANSE_NULLSTILL "bkm_leveranse_nullstill"
#define BKM_SQL_MELDING_TILBAKE "bkm_melding_tilbake"
#define BKM_SQL_REVISJON_INSERT "bkm_revisjon_insert"
#define BKM_SQL_STAT_PERIODE "bkm_stat_periode"
#define BKM_SQL_STAT_PRINT "bkm_stat_print"
#define BKM_SQL_HELSE_KONTO "bkm_helse_konto"
#define BKM_SQL_HELSE_BYDEL "bkm_helse_bydel"
#define BKM_SQL_AVSTEMMING_ANTALL "bkm_avstemming_antall"
#define BKM_SQL_AVSTEMMING_LEVERT "bkm_avstemming_levert"
#define BKM_SQL_ROLLER_FOR "bkm_roller_for"
#define BKM_SQL_ROLLER_ALLE "bkm_roller_alle"
#define BKM_SQL_ROLLE_INSERT "bkm_rolle_insert"
#define BKM_SQL_ROLLE_GET "bkm_rolle_get"
#define BKM_SQL_ROLLE_DELETE "bkm_rolle_delete"
#define BKM_SQL_LEVERANSE_SVAR_GET "bkm_leveranse_svar_get"
#define BKM_SQL_HENDELSE_SISTE "bkm_hendelse_siste"
#define BKM_SQL_STAT_PERIODE_KOMMUNE "bkm_stat_periode_kommune"
#define BKM_SQL_STAT_PERIODE_BYDEL "bkm_stat_periode_bydel"
#define BKM_SQL_STAT_PRINT_KOMMUNE "bkm_stat_print_kommune"
#define BKM_SQL_STAT_PRINT_BYDEL "bkm_stat_print_bydel"
#define BKM_SQL_AVSTEMMING_ANTALL_BYDEL "bkm_avstemming_antall_bydel"
#define BKM_SQL_AVSTEMMING_LEVERT_BYDEL "bkm_avstemming_levert_bydel"
#define BKM_SQL_LEVERANSE_DEKKET_GET "bkm_leveranse_dekket_get"
#define BKM_SQL_LEVERANSE_DEKKET_SET "bkm_leveranse_dekket_set"
#define BKM_SQL_MELDING_BY_KEY_FP "bkm_melding_by_key_fp"
#define BKM_SQL_MELDING_IDEMPOTENS_SET "bkm_melding_idempotens_set"
#define BKM_SQL_IDEMPOTENS_UTLOPT "bkm_idempotens_utlopt"
/* Proof of possession and post-delivery challenges (issue 12: 4, 6) */
#define BKM_SQL_BESITTELSE_INSERT "bkm_besittelse_insert"
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
/* Automatic reconciliation and control messages (issue 12; _avstemming.c,
 * _kontrollmelding.c) */
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
#define BKM_SQL_AVST_HOLD "bkm_avst_hold"
#define BKM_SQL_AVST_SISTE "bkm_avst_siste"
#define BKM_SQL_AVST_AVVIK_LISTE "bkm_avst_avvik_liste"
#define BKM_SQL_KONTROLLMELDING_ALLE "bkm_kontrollmelding_alle"
#define BKM_SQL_KONTROLLMELDING_NY "bkm_kontrollmelding_ny"
#define BKM_SQL_KONTROLLMELDING_TA "bkm_kontrollmelding_ta"
#define BKM_SQL_KONTROLLMELDING_MELDING_INSERT "bkm_kontrollmelding_melding_insert"
#define BKM_SQL_KONTROLLMELDING_DUE "bkm_kontrollmelding_due"
#define BKM_SQL_KONTROLLMELDING_AVGJOR "bkm_kontrollmelding_avgjor"
#define BKM_SQL_AVST_VANNMERKE "bkm_avst_vannmerke"
#define BKM_SQL_AVST_HULL "bkm_avst_hull"
#define BKM_SQL_MELDING_AVVIK "bkm_melding_avvik"
#define BKM_SQL_OVERSIKT_AVVIK "bkm_oversikt_avvik"
#define BKM_SQL_HELSE_AVVIK "bkm_helse_avvik"
#define BKM_SQL_STATUS "bkm_status"

/* mod_bekymring_store.c: reports into the database */

/** A report's metadata (nothing readable about the child or the reporter). */
typedef struct {
    const char *id;                 /**< UUID */
    const char *referanse;          /**< drawn by the caller (bkm_reference) */
    const char *meldingstype;       /**< e.g. no.ks.fiks.bekymringsmelding.privat.v2 */
    int versjon;
    const char *kilde;              /**< "skjema" or "produsent" */
    const char *integrasjon_id;     /**< producer's integration, or NULL */
    const char *fra_org;            /**< producer's fraFiksOrgId, or NULL */
    const char *idempotensnokkel;   /**< Idempotency-Key, or NULL */
    const bkm_bydel_t *bydel;
    apr_time_t mottatt;
    const char *aktor;              /**< who caused the first event */
    /* The reporter's receipt (web form only): the SHA-256 (hex) of the key
     * in their browser, and for public reports the PDF sealed under that
     * key (bkm_box), stored with the report until kopi_utloper. */
    const unsigned char *kopi_nokkel;   /**< BKM_BOX_KEY bytes, or NULL */
    int kopi_pdf;                   /**< 1: keep the sealed PDF as well */
    apr_time_t kopi_utloper;
    const unsigned char *kopi;      /**< set by intake: the sealed PDF */
    apr_size_t kopi_len;
    /** The producer API: SHA-256 (hex) of the request the idempotency key
     *  came with (bkm_idempotency_fingerprint); NULL elsewhere. */
    const char *idempotens_fingeravtrykk;
    /* Proof of possession (bkm_besittelse.h), case-system reports only:
     * the secret sealed with the report, and for a producer's container
     * the secret's own CMS message (base64), NULL when inside the ASiC-E. */
    const char *besittelse;
    const char *besittelse_cms;
} bkm_melding_t;

/** How long an integration's Idempotency-Key is remembered (issue 12):
 *  a retry within it gets the first answer; afterwards the key is
 *  forgotten (escalation pass) and may name a new report. */
#define BKM_IDEMPOTENCY_TTL apr_time_from_sec(24 * 3600)
/** The fingerprint of a request: SHA-256 (hex) over its method, path and
 *  @p body_sha256 (hex, the caller's digest of what the body says), each
 *  ended by a newline. */
const char *bkm_idempotency_fingerprint(apr_pool_t *p, const char *method,
                                        const char *path,
                                        const char *body_sha256);

/**
 * Store a report, its ciphertexts and its first timeline event (AKSEPTERT)
 * in one transaction.
 * @return APR_SUCCESS; APR_EEXIST when the integration already used this
 *         idempotency key with the same request (then m->id and
 *         m->referanse are the first report's); APR_EMISMATCH when it used
 *         the key for another request (nothing stored); anything else is
 *         a database error (logged, nothing stored).
 */
apr_status_t bkm_store_melding(bkm_db_t *db, bkm_melding_t *m,
                               const bkm_sealed_t *c, int nc);

/* mod_bekymring_delivery.c: the delivery state machine */

/** Message type of a print job on the print provider's account (ours:
 *  the incumbent printed internally; schema/print). */
#define BKM_TYPE_UTSKRIFT "no.ks.fiks.bekymringsmelding.utskrift.v1"
#define BKM_TYPE_MOTTATT "no.ks.fiks.bekymringsmelding.mottatt.v1"
#define BKM_TYPE_FEILET "no.ks.fiks.bekymringsmelding.feilet.v1"

/** One message for one account (a row of bkm_leveranse with its
 *  report's and ciphertext's metadata). */
typedef struct {
    const char *id;             /**< meldingId */
    const char *konto_id;
    const char *melding_id;     /**< bekymringsmeldingId */
    const char *mottaker;       /**< fagsystem, manuell or print */
    const char *meldingstype;
    int hentet;                 /**< fetched at least once */
    const char *svar;           /**< NULL, mottatt, lagret or feilet */
    const char *arkivreferanse;
    const char *kommunenummer, *bydelsnummer, *referanse;
    const char *innholdstype;   /**< NULL once retention deleted it */
    const char *sha256;
    apr_off_t storrelse;
    const char *tilstand;       /**< the report's state */
    int levert;
    apr_time_t opprettet;
    const char *arsak;          /**< print jobs: "frist" or "feilet" */
    const char *innhold;        /**< the ciphertext, when asked for */
    apr_size_t innhold_len;
} bkm_leveranse_t;

typedef enum {
    BKM_SVAR_MOTTATT = 1,       /**< mottatt.v1 without proof */
    BKM_SVAR_LAGRET,            /**< mottatt.v1 with a verified stored-receipt */
    BKM_SVAR_FEILET             /**< feilet.v1 */
} bkm_svar_e;

/** A receipt that passed its checks. */
typedef struct {
    bkm_svar_e svar;
    int print;                  /**< from the print provider */
    int krev_lagring;           /**< the district requires stored-receipts */
    const char *aktor;          /**< the integration */
    const char *arkivreferanse; /**< from a stored-receipt, else NULL */
    const char *melding;        /**< feilet's text (shortened), or NULL */
} bkm_receipt_in_t;

const char *bkm_kanal_name(bkm_kanal_e kanal);
/** When a report accepted at @p from escalates to letter post unless its
 *  recipient confirms it (district's svarfrist and office hours, else
 *  the server's deadline for its channel, in business time). */
apr_time_t bkm_delivery_deadline(server_rec *s, const bkm_bydel_t *b,
                                 apr_time_t from);
/** Add an event to a report's timeline (inside a transaction). */
int bkm_event(bkm_db_t *db, const char *melding_id, apr_time_t tid,
              const char *hendelse, const char *tilstand, const char *aktor,
              const char *beskrivelse);
/** Order letter post if the report's deadline is at or before @p due_by
 *  and nothing settled it yet (inside a transaction).
 *  @return 1 ordered, 0 nothing to do, -1 database error */
int bkm_order_print(bkm_db_t *db, const char *melding_id, apr_time_t now,
                    apr_time_t due_by, const char *arsak, const char *aktor,
                    const char *beskrivelse);
/** The message @p id of account @p konto_id.  @return NULL, "unknown"
 *  (answer 404) or "database" (503). */
const char *bkm_leveranse_load(bkm_db_t *db, const char *konto_id,
                               const char *id, int with_content,
                               bkm_leveranse_t *l);
/** Record the first download (SENDT_FAGSYSTEM on the timeline). */
int bkm_delivery_fetched(bkm_db_t *db, const bkm_leveranse_t *l,
                         const char *aktor, apr_time_t now);
/** Bytes [@p start, @p end] of message @p l went out completely (a Range
 *  answer, or 0 to size - 1 for the whole): added to the ranges sent so
 *  far; once they cover the message, its fetch is recorded as
 *  bkm_delivery_fetched() does.  @p complete is set when the message
 *  counts as fetched.  @return 0, or -1 on a database error. */
int bkm_delivery_fetched_range(bkm_db_t *db, const bkm_leveranse_t *l,
                               const char *aktor, apr_time_t now,
                               apr_off_t start, apr_off_t end,
                               int *complete);
/** What a receipt came to (bkm_delivery_answer). */
typedef enum {
    BKM_KVITTERING_NY = 0,      /**< applied: its event is on the timeline */
    BKM_KVITTERING_GJENTATT,    /**< the answer already given: no change */
    BKM_KVITTERING_MOTSTRIDENDE,/**< contradicts the answer already given:
                                     refused, KVITTERING_AVVIST recorded */
    BKM_KVITTERING_IKKE_HENTET  /**< mottatt or a stored-receipt for a
                                     message not completely fetched:
                                     refused (409 ikke-hentet) and
                                     recorded; the deadline keeps running */
} bkm_kvittering_e;
typedef struct {
    bkm_kvittering_e utfall;
    const char *hendelse;       /**< NY: the event recorded */
    const char *svar;           /**< the message's answer now: "mottatt",
                                     "lagret" or "feilet" */
    const char *hvorfor;        /**< MOTSTRIDENDE: why, in English, naming
                                     no content */
} bkm_kvittering_t;
/**
 * Take a receipt in one transaction that holds the report's row: read the
 * message's answer so far, then apply the receipt, or find it a repeat
 * (the same answer, a feilet with the same text, a plain mottatt after a
 * stored-receipt), or a contradiction (any other answer after one: feilet
 * after mottatt, another record id, feilet with another text), which is
 * refused and recorded.  A stored-receipt may follow a plain mottatt.  Of
 * two contradicting receipts sent at once, exactly one is applied.
 * @return 0 (see out->utfall) or -1 database error (nothing changed)
 */
int bkm_delivery_answer(bkm_db_t *db, const bkm_leveranse_t *l,
                        const bkm_receipt_in_t *in, apr_time_t now,
                        bkm_kvittering_t *out);
/** bkm_delivery_answer() for callers that need only the event recorded
 *  (*hendelse; "GJENTATT" for a repeat).  @return 0 applied or a repeat,
 *  1 a contradiction (refused and recorded), -1 database error */
int bkm_delivery_receipt(bkm_db_t *db, const bkm_leveranse_t *l,
                         const bkm_receipt_in_t *in, apr_time_t now,
                         const char **hendelse);
/** An administrator's action on a report (audited, with a reason). */
typedef struct {
    const char *handling;       /**< handtert, tilbake or print */
    const char *melding_id;
    const char *kommunenummer;
    const char *aktor;          /**< the role binding's name */
    const char *begrunnelse;    /**< the reason given */
    const char *hendelse, *beskrivelse;     /**< set by the action */
} bkm_handling_t;
/**
 * Do an action in one transaction with its event and its audit line:
 * "handtert" (handled outside the portal: delivered, escalation stops),
 * "tilbake" (a case-system report waits again as new, with a new
 * deadline) or "print" (a rejected print job is ordered again).
 * @return 0 done, 1 the report's state does not allow it, -1 database
 */
int bkm_delivery_action(bkm_db_t *db, bkm_handling_t *h, apr_time_t now,
                        const bkm_bydel_t *b);
/** The audit line of an action (bkm_revisjon; inside the transaction
 *  that does it): who, what, on what, and the reason. */
int bkm_audit(bkm_db_t *db, apr_time_t now, const bkm_handling_t *h);
/** Record a refused receipt (contradiction, bad stored-receipt). */
int bkm_delivery_refused(bkm_db_t *db, const bkm_leveranse_t *l,
                         const char *aktor, apr_time_t now, const char *why);

/* mod_bekymring_konto.c: what an account's resources share (the
 * handlers of every address: mod_bekymring_routes.h) */
/** Load message @p id of account @p k for a request: OK, or DONE after
 *  answering (404 for any id not the account's, 503). */
int bkm_message_load(request_rec *r, bkm_db_t **db, const bkm_konto_t *k,
                     const char *id, int with_content, bkm_leveranse_t *l);

/* mod_bekymring_avstemming.c: automatic reconciliation (issue 12) */
/** Retention found @p melding_id due: keep its ciphertexts while its case
 *  system has not confirmed it in a reconciliation (inside the pass's
 *  transaction).  @return 1 held, 0 free to delete, -1 database error */
int bkm_reconcile_hold(bkm_db_t *db, const char *melding_id);
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
typedef struct {
    int eskalert;       /**< sent to letter post by this pass */
    int slettet;        /**< ciphertexts deleted after retention */
    int oppfolging;     /**< reports flagged for manual follow-up */
    int uavklart;       /**< undelivered after the retention period */
    int utlopt;         /**< expired receipt copies and drafts deleted */
    int kontroller;     /**< post-delivery challenges issued */
    int kontroll_feilet; /**< challenges unanswered in time: requeued */
    int uavstemt;       /**< accounts late to reconcile (alerted) */
    int kontrollmelding_laget;  /**< control messages made by this pass */
    int kontrollmelding_feilet; /**< control messages without a verified
                                 stored-receipt by their deadline */
} bkm_pass_t;
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

/* mod_bekymring_avvik.c: assurance failures (the list: bkm_avvik.h) */
/** After an event is inserted (inside its transaction): when @p hendelse
 *  is an assurance failure, mark the report (bkm_melding.avvik), log an
 *  ALERT line and count it.  @return 0, or the driver's error. */
int bkm_avvik_note(bkm_db_t *db, const char *melding_id, const char *tid,
                   const char *hendelse);
/** This process's ALERT counts since it started, by kind (the order of
 *  BKM_AVVIK_HENDELSER): @p out gets min(n, BKM_AVVIK_N) of them.
 *  @return BKM_AVVIK_N.  For metrics to export. */
int bkm_avvik_counts(apr_uint32_t *out, int n);

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
