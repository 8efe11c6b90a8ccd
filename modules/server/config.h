/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file server/config.h
 * @brief Configuration: directives, their records and defaults.
 */
#ifndef BKM_SERVER_CONFIG_H
#define BKM_SERVER_CONFIG_H

#include "mod_bekymring_private.h"
#include "bkm_cms.h"
#include "bkm_levering.h"
#include "bkm_registry.h"
#include "bkm_roles.h"
#include "bkm_token.h"

/** Unset sentinel for numbers and durations in configuration records. */
#define BKM_UNSET (-1)

/* Directive names, spelt once (a misspelt name fails to compile). */
#define BKM_DIR_REGISTRY "BekymringRegistry"
#define BKM_DIR_PORTAL_CERT "BekymringPortalCertificate"
#define BKM_DIR_RECEIPT_DEADLINE "BekymringReceiptDeadline"
#define BKM_DIR_MANUAL_DEADLINE "BekymringManualDeadline"
#define BKM_DIR_RETENTION "BekymringRetention"
#define BKM_DIR_MIN_ACR "BekymringMinAcr"
#define BKM_DIR_ESCALATION_INTERVAL "BekymringEscalationInterval"
#define BKM_DIR_PAGES "BekymringPages"
#define BKM_DIR_STATIC "BekymringStatic"
#define BKM_DIR_LOGIN_ORIGIN "BekymringLoginOrigin"
#define BKM_DIR_ROLES "BekymringRoles"
#define BKM_DIR_ROLE_KEY "BekymringRoleKey"
#define BKM_DIR_SECRET_KEY "BekymringSecretKey"
#define BKM_DIR_HTTPS "BekymringHttps"
#define BKM_DIR_MASKINPORTEN "BekymringMaskinportenToken"
#define BKM_DIR_POST_CHECK_RATE "BekymringPostCheckRate"
#define BKM_DIR_RECONCILE_WITHIN "BekymringReconcileWithin"
#define BKM_DIR_CONTROL_INTERVAL "BekymringControlInterval"
#define BKM_DIR_CERT_WARNING "BekymringCertificateWarning"
#define BKM_DIR_REMINDER_AT "BekymringReminderAt"
#define BKM_DIR_SENDMAIL "BekymringSendmail"
/* The portal's switch in a server or virtual host (issue 15, item 1). */
#define BKM_DIR_ENGINE "Bekymring"
#define BKM_DIR_MIGRATE "BekymringMigrate"
/* issue 14: the logout link (mod_auth_openidc's logout at its redirect URI) */
#define BKM_DIR_LOGOUT "BekymringLogout"
/* Where logout goes when BekymringLogout is not set (the administration
 * always offers one; the citizen pages only when it is set). */
#define BKM_DEFAULT_LOGOUT "/oidc/redirect"
/* Long-polls (issue 15, item 6; server/vent.c) */
#define BKM_DIR_LONGPOLL_LIMIT "BekymringLongPollLimit"
#define BKM_DIR_LONGPOLL_SHARE "BekymringLongPollShare"

/** ID-porten's login pages (a form post that needs a login goes there). */
#define BKM_DEFAULT_LOGIN_ORIGIN "https://login.idporten.no"

/** Defaults (ARCHITECTURE §2: 40 business hours for case systems, two
 *  business days for manual download, 30 days after delivery). */
#define BKM_DEFAULT_RECEIPT_DEADLINE apr_time_from_sec(40 * 3600)
#define BKM_DEFAULT_MANUAL_DEADLINE apr_time_from_sec(2 * 86400)
#define BKM_DEFAULT_RETENTION apr_time_from_sec(30 * 86400)
#define BKM_DEFAULT_ESCALATION_INTERVAL apr_time_from_sec(5 * 60)
/** Post-delivery challenges per account and business day (issue 12). */
#define BKM_DEFAULT_POST_CHECK_RATE 1
#define BKM_MAX_POST_CHECK_RATE 100
/** Business days a case system has to confirm a delivery in a
 *  reconciliation before the pass raises an alert (issue 12). */
#define BKM_DEFAULT_RECONCILE_WITHIN 5
/** How long before a registry certificate expires the pass alerts. */
#define BKM_DEFAULT_CERT_WARNING apr_time_from_sec(30 * 86400)
/** Reminders before letter post (issue 16, item 6): at this share of a
 *  report's deadline, through the system's sendmail interface (as other
 *  Apache modules and cron mail). */
#define BKM_DEFAULT_REMINDER_AT 75
#define BKM_DEFAULT_SENDMAIL "/usr/sbin/sendmail -t -i"

typedef enum {
    BKM_ACR_SUBSTANTIAL = 1, /**< idporten-loa-substantial (default) */
    BKM_ACR_HIGH = 2         /**< idporten-loa-high */
} bkm_acr_e;

/** Per-server configuration. */
typedef struct {
    const char *registry_path;
    const bkm_registry_t *registry;
    const char *portal_cert_path;
    const char *portal_key_path;
    const bkm_cert_t *portal_cert;
    apr_interval_time_t receipt_deadline; /**< BKM_UNSET or a duration */
    apr_interval_time_t manual_deadline;
    apr_interval_time_t retention;
    apr_interval_time_t escalation_interval; /**< 0: off */
    const char *db_driver;           /**< found in post_config, for /helse */
    const char *pages_dir;           /**< BekymringPages: the directory */
    const struct bkm_pages_s *pages; /**< loaded from it (check_config hook);
                                     NULL: no pages */
    /** BekymringStatic: the build's folder of static files (its
     *  manifest.json names them in the templates, bkm_static.h), or NULL:
     *  the templates' references as written. */
    const char *static_dir;
    const char *login_origin;      /**< BekymringLoginOrigin, or NULL */
    const bkm_roles_t *roles;      /**< BekymringRoles, loaded; NULL: none */
    const unsigned char *role_key; /**< BekymringRoleKey's bytes, or NULL */
    apr_size_t role_key_len;
    const bkm_signer_t *signer; /**< loaded in post_config */
    /** Keys derived from BekymringSecretKey (bkm_token.h), or NULL. */
    const struct bkm_token_keys_s *token_keys;
    int https;           /**< BekymringHttps: BKM_UNSET, 0 or 1 */
    int post_check_rate; /**< BekymringPostCheckRate: BKM_UNSET or
                                     challenges per account and business
                                     day, 0 off */
    /** BekymringReconcileWithin: BKM_UNSET, 0 (off) or business days */
    int reconcile_within;
    /** BekymringControlInterval: BKM_UNSET, 0 (off, the default) or how
     *  often each district gets a control message */
    apr_interval_time_t control_interval;
    /** BekymringCertificateWarning: BKM_UNSET, 0 (off) or how long before
     *  a registry certificate expires the pass alerts */
    apr_interval_time_t cert_warning;
    /** BekymringReminderAt: BKM_UNSET, 0 (off) or 1-99 per cent of a
     *  report's deadline */
    int reminder_at;
    /** BekymringSendmail: the program and its arguments, split at
     *  configuration time (run without a shell), NULL-ended; NULL unset */
    const char *const *sendmail;
    /** Bekymring: BKM_UNSET (off), 0 or 1.  Only a server where it is On
     *  (said there, or inherited from the main server) is a portal: every
     *  hook leaves the others alone (issue 15, item 1). */
    int enabled;
    /** When the escalation pass last logged this portal's trail head
     *  (run time, in the process that runs the pass; not configuration). */
    apr_time_t anchor_logged;
    /** BekymringRoles' file and where it was set ("PATH (set at
     *  file:line)"), for start-up errors. */
    const char *roles_where;
    /** BekymringMigrate: BKM_UNSET (on), 1 or 0 (the schema is migrated
     *  as a separate step, bekymring-migrate; README "Upgrades") */
    int migrate;
    /** BekymringLogout: mod_auth_openidc's OIDCRedirectURI (a path or an
     *  absolute URL), where the pages' "Logg ut" sends the browser with
     *  ?logout=; NULL unset (no logout link). */
    const char *logout_uri;
    /* ---- long-polls (issue 15, item 6; server/vent.c) ---- */
    /** BekymringLongPollLimit: 0 unset, else waits per integration */
    int longpoll_limit;
    /** BekymringLongPollShare: 0 unset, else per cent of MaxRequestWorkers */
    int longpoll_share;
    /** The portal's table of waits (post_config; not merged) */
    struct bkm_vent_s *vent;
} bkm_srv_cfg_t;

/** Per-directory configuration. */
typedef struct {
    int min_acr; /**< BKM_UNSET or a bkm_acr_e */
    /** BekymringMaskinportenToken: the exact iss and aud of machine
     *  clients' tokens; NULL unset (then every machine call is refused) */
    const char *token_issuer;
    const char *token_audience;
} bkm_dir_cfg_t;

/* server/config.c */
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
/** How long before a certificate expires the pass alerts (0: never). */
apr_interval_time_t bkm_cfg_cert_warning(const bkm_srv_cfg_t *c);
/** Per cent of a deadline at which reminders go (0: never). */
int bkm_cfg_reminder_at(const bkm_srv_cfg_t *c);
/** The sendmail command: program and arguments, NULL-ended. */
const char *const *bkm_cfg_sendmail(apr_pool_t *p, const bkm_srv_cfg_t *c);
const char *bkm_cfg_login_origin(const bkm_srv_cfg_t *c);
/** The href that logs out through mod_auth_openidc (its OIDCRedirectURI
 *  with ?logout=, back to @p back: ID-porten's single logout). */
const char *bkm_cfg_logout_href(apr_pool_t *p, const bkm_srv_cfg_t *c,
                                const char *back);
/** Whether the portal is served over https (BekymringHttps, else the
 *  request's scheme). */
int bkm_cfg_https(request_rec *r);
/** Whether the portal runs in this server (Bekymring On). */
int bkm_cfg_portal(server_rec *s);
/** Whether any server of the configuration is a portal. */
int bkm_cfg_any_portal(server_rec *s);
/** What must hold once all directives are read, in every portal server
 *  (a registry; pages need the secret key; roles name municipalities of
 *  the registry), run in check_config so that `apache2ctl configtest`
 *  says it.  @return NULL or a message. */
const char *bkm_cfg_check(server_rec *s);

/** The delivery rules the server's configuration sets (deadlines, the
 *  print provider's account), for the core's functions that take them
 *  (server/config.c). */
void bkm_cfg_delivery(server_rec *s, bkm_levering_policy_t *out);
/** bkm_levering_deadline() with the server's policy. */
apr_time_t bkm_cfg_deadline(server_rec *s, const bkm_bydel_t *b,
                            apr_time_t from);

#endif
