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

/** Defaults (ARCHITECTURE §2: 40 business hours for case systems, two
 *  business days for manual download, 30 days after delivery). */
#define BKM_DEFAULT_RECEIPT_DEADLINE apr_time_from_sec(40 * 3600)
#define BKM_DEFAULT_MANUAL_DEADLINE  apr_time_from_sec(2 * 86400)
#define BKM_DEFAULT_RETENTION        apr_time_from_sec(30 * 86400)

typedef enum {
    BKM_ACR_SUBSTANTIAL = 1,    /**< idporten-loa-substantial (default) */
    BKM_ACR_HIGH = 2            /**< idporten-loa-high */
} bkm_acr_e;

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
    const char *db_driver;      /**< found in post_config, for /helse */
    const bkm_signer_t *signer; /**< loaded in post_config */
} bkm_srv_cfg_t;

/** Per-directory configuration. */
typedef struct {
    int min_acr;                /**< BKM_UNSET or a bkm_acr_e */
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
int bkm_cfg_min_acr(const bkm_dir_cfg_t *c);

/* mod_bekymring_db.c: schema at start-up, connections per request */
int bkm_db_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *s);
/** The request's pooled connection, or NULL (then answer 503). */
ap_dbd_t *bkm_db_acquire(request_rec *r);
/**
 * Run one of our prepared SELECTs (by label) on the request's connection.
 * Survives a database restart: on failure the statements are prepared
 * again on the connection and the query is tried once more.  Logs the
 * failure (label and driver error, never the arguments).
 * @return 0 on success, else the driver's error code
 */
int bkm_db_select(request_rec *r, ap_dbd_t *dbd, const char *label,
                  apr_dbd_results_t **res, int nargs, const char **args);
/** Prepare our statements again on this connection (after a database
 *  restart the server has forgotten them; see mod_bekymring_db.c). */
void bkm_db_reprepare(request_rec *r, ap_dbd_t *dbd);
/** Labels of our prepared statements (registered in post_config). */
#define BKM_SQL_SCHEMA_VERSION "bkm_schema_version"
#define BKM_SQL_MELDING_INSERT "bkm_melding_insert"
#define BKM_SQL_CHIFFER_INSERT "bkm_chiffer_insert"
#define BKM_SQL_HENDELSE_INSERT "bkm_hendelse_insert"
#define BKM_SQL_MELDING_BY_KEY "bkm_melding_by_key"
#define BKM_SQL_HENDELSER_FOR_INTEGRASJON "bkm_hendelser_integrasjon"

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
} bkm_melding_t;

/** Set-up of the store's SQLite writer queue, a global mutex. */
int bkm_store_pre_config(apr_pool_t *pconf);
int bkm_store_post_config(apr_pool_t *pconf, server_rec *s);
void bkm_store_child_init(apr_pool_t *p, server_rec *s);

/**
 * Store a report, its ciphertexts and its first timeline event (AKSEPTERT)
 * in one transaction.
 * @return APR_SUCCESS; APR_EEXIST when the integration already used this
 *         idempotency key (then m->id and m->referanse are the first
 *         report's); anything else is a database error (logged, nothing
 *         stored).
 */
apr_status_t bkm_store_melding(request_rec *r, ap_dbd_t *dbd,
                               bkm_melding_t *m, const bkm_sealed_t *c,
                               int nc);

/* mod_bekymring_http.c: replies */
int bkm_reply_json(request_rec *r, int status, json_t *body);
int bkm_reply_error(request_rec *r, int status, const char *kode,
                    const char *melding);
/** 0 when r->method is in the blank-separated @p allowed; otherwise
 *  answers 405 with an Allow header and returns 1. */
int bkm_method_refused(request_rec *r, const char *allowed);
/**
 * Read the request body, at most @p limit bytes.
 * @return OK with the body in *buf and *len (NUL-terminated), or DONE
 *         after answering (413 too large, 400 unreadable): return it.
 */
int bkm_read_body(request_rec *r, apr_size_t limit, char **buf,
                  apr_size_t *len);
/** Tie a jansson value to a pool: decref'ed when the pool is cleared
 *  (as mod_md does with its md_json_t). */
json_t *bkm_json_own(apr_pool_t *p, json_t *j);
/** Sets the headers of a page with personal data (no-store, strict CSP). */
void bkm_page_headers(request_rec *r);

/* Request handlers, one concern a file; each returns an HTTP status. */
int bkm_handle_health(request_rec *r);          /* mod_bekymring_health.c */
int bkm_handle_kommuner(request_rec *r, const char *rest); /* _kommuner.c */
int bkm_handle_person(request_rec *r);          /* mod_bekymring_person.c */
int bkm_handle_konto(request_rec *r, const char *rest);   /* _konto.c */
int bkm_handle_skjema(request_rec *r, const char *rest);  /* _skjema.c */
int bkm_handle_mottak(request_rec *r, const char *rest);  /* _mottak.c */

/* mod_bekymring_person.c: people logged in through mod_auth_openidc */
typedef struct {
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
/** Answer 422 with the list of {pointer, regel, melding}. */
int bkm_reply_invalid(request_rec *r, const apr_array_header_t *errors);
/**
 * Take a report in: validate it against its message type's schema (422 with
 * the errors), render its PDF, seal it for the district's recipients, store
 * it (503 when the database fails: nothing is kept), and answer 201 with
 * {uuid, referanse, kommunenummer, kommunenavn, bydelsnummer, bydelsnavn}.
 * @p m must have id, meldingstype, versjon, kilde, bydel, mottatt, aktor.
 */
int bkm_intake_accept(request_rec *r, json_t *report,
                      const char *meldingstype, bkm_melding_t *m,
                      const bkm_signer_t *signer);

/* mod_bekymring_integration.c: machine clients */
/** The integration making this request (bearer token checked by
 *  mod_auth_openidc, then IntegrasjonId/IntegrasjonPassord and the token's
 *  consumer organisation checked here), or NULL after answering 401. */
const bkm_integrasjon_t *bkm_integration_authenticate(request_rec *r);

#endif
