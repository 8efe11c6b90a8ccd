/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mod_bekymring_routes.h
 * @brief Every address the module answers, in one table
 * (mod_bekymring_routes.c): method, path pattern, access rule, handler;
 * and what a handler gets.
 *
 * The layers of the glue.  A file calls files of its own layer or of the
 * layers below, never above, and never so that a call comes back to it
 * through others (build/check-layers, in `make checks`, fails the build
 * on such a circle between files):
 *
 *   1. the httpd-free core, bkm_*.c
 *   2. configuration (_config): directives and records; it stores what
 *      it reads, and loads nothing of the layers above (the pages'
 *      templates are loaded by _pages in the check_config hook)
 *   3. what requests share below the answer: the clock, the database and
 *      what is stored (_clock, _db, _store, _avvik, _delivery, _throttle)
 *   4. replies (_http): JSON bodies, errors, headers, reading a body
 *   5. who is asking: the person of a login (_person), machine clients
 *      (_integration)
 *   6. what every page shares (_pages)
 *   7. what several handlers share: an account's messages (_konto),
 *      intake (_intake, _skjema), proof of possession (_kontroll), the
 *      escalation pass's steps (_avstemming, _kontrollmelding, _kontroll)
 *      and the pass (_escalation), a person's roles (_admin)
 *   8. the handlers, one concern a file
 *   9. this table and its dispatcher (_routes), called by the module's
 *      handler hook
 *  10. the module record and hooks (mod_bekymring.c)
 *
 * One error convention in the glue:
 *  - A handler (bkm_handler_fn) returns an HTTP status, as httpd's
 *    handler hook does: OK when it has answered (r->status says how); DONE
 *    when nothing more is to be sent (a helper answered, or the client
 *    went away); or a status for httpd to answer (HTTP_NOT_FOUND,
 *    HTTP_SEE_OTHER with Location set...).  So does a helper that answers
 *    on the handler's behalf or says what to answer: OK to go on (what
 *    it found in its arguments), DONE once it has answered
 *    (bkm_integration_authenticate, bkm_page_person, bkm_message_load,
 *    bkm_read_body), or the status to answer (bkm_read_body_status,
 *    bkm_page_form).
 *  - A helper of one of httpd's hooks (bkm_db_post_config,
 *    bkm_pages_check_config...) returns what its hook does: OK, or an
 *    HTTP error status after logging why.
 *  - Every other function of the glue returns apr_status_t (APR_SUCCESS,
 *    else why not) or an enum documented where it is declared
 *    (bkm_intake_e, bkm_kvittering_e...), and gives what it found through
 *    its arguments.  Predicates (bkm_*_ok, "whether") return 1 or 0.
 *  Older helpers below the handlers (the database's, delivery's) still
 *  return 0/-1 or a reason as a string; each says so where it is
 *  declared.
 */
#ifndef MOD_BEKYMRING_ROUTES_H
#define MOD_BEKYMRING_ROUTES_H

#include "mod_bekymring_private.h"
#include "bkm_route.h"

/**
 * Who may use an address: the access rule of a row of the table.  The
 * dispatcher applies it, so a handler starts with what it found (the
 * person, the integration, the account, the roles).  A rule that guards
 * a whole area of addresses (machine clients, the administration) is
 * checked before anything else there, even before a 404 or a 405, as the
 * incumbent's API and the administration always did: a client without
 * its credentials learns nothing, not even which addresses exist.  The
 * reporter's login is checked after the method, as those pages did.
 * Which answers are pages (and need BekymringPages) and which JSON
 * follows from the rule.
 */
typedef enum {
    /** Anyone; JSON answers (the municipality API, /helse). */
    BKM_ACCESS_PUBLIC = 0,
    /** Anyone; a page (the landing page, the choice of municipality, the
     *  status page, the receipt: which only the browser with the
     *  receipt's cookie can open, the handler's check). */
    BKM_ACCESS_PAGE,
    /** A page for a person logged in with ID-porten (mod_auth_openidc
     *  in front) at BekymringMinAcr or above: without the login's pid
     *  claim the location is misconfigured (500 page, logged), below the
     *  level 403 (a page that says how to log in higher). */
    BKM_ACCESS_LOGIN,
    /** The same, or no login at all: a form post whose login ran out is
     *  kept as a draft (the handler checks the browser's login evidence);
     *  q->person is NULL then. */
    BKM_ACCESS_LOGIN_OR_DRAFT,
    /** /meg: a person logged in, checked by the handler itself, since
     *  showing what the module sees of the login (and logging why it
     *  refuses one) is what the page is for. */
    BKM_ACCESS_LOGIN_SHOWN,
    /** The form-submission API: a person logged in at BekymringMinAcr;
     *  401 ikke-innlogget without the login's claims (logged), 403
     *  sikkerhetsniva below the level, in JSON. */
    BKM_ACCESS_API_LOGIN,
    /** A machine client: a Maskinporten token (checked by
     *  mod_auth_openidc and BekymringMaskinportenToken), IntegrasjonId and
     *  IntegrasjonPassord of the token's organisation
     *  (bkm_integration_authenticate): else 401, or 429 while throttled. */
    BKM_ACCESS_INTEGRATION,
    /** INTEGRATION, and {kontoId} is one of the integration's accounts:
     *  any other is 404 ukjent-konto, never 403, so other tenants' ids
     *  stay unseen. */
    BKM_ACCESS_KONTO,
    /** KONTO, and the account is a case system's: other accounts get 404
     *  ukjent-adresse with the row's arg as the reason. */
    BKM_ACCESS_KONTO_FAGSYSTEM,
    /** INTEGRATION, and the integration is marked produsent in the
     *  registry: else 403 ikke-produsent. */
    BKM_ACCESS_PRODUCER,
    /** The administration: a person logged in as for LOGIN, with their
     *  roles (BekymringRoles and those granted in the pages). */
    BKM_ACCESS_ADMIN,
    /** ADMIN, as the national operator; anyone else gets the 404 page. */
    BKM_ACCESS_OPERATOR,
    /** ADMIN, and may see {kommunenummer}: its administrator (of all its
     *  districts, or of some: q->bydeler) or the operator.  Anyone else,
     *  and any municipality not in the registry, gets the 404 page: what
     *  is not the person's is as unknown as what does not exist. */
    BKM_ACCESS_KOMMUNE,
    /** ADMIN, and receives for {kommunenummer} (manual download; all its
     *  districts or some: q->bydeler); else the 404 page. */
    BKM_ACCESS_MOTTAK,
    /** Operations (/bekymring-drift): whoever httpd lets through (Require
     *  local in conf/bekymring-locations.conf); nothing more here. */
    BKM_ACCESS_OPERATIONS,
    /** httpd's own internal redirect (the API's ErrorDocument): any
     *  method; the handler answers 404 when asked directly. */
    BKM_ACCESS_INTERNAL
} bkm_access_e;

/** What a handler gets: what the row says, what the path held, and what
 *  the access rule found (each field says for which rules). */
typedef struct {
    /** The row's constant: the form's type ("privat", "offentlig"), a
     *  format ("csv"), the reason KONTO_FAGSYSTEM gives others. */
    const char *arg;
    /** The {parameters} of the path: bkm_route_param(q->match, name). */
    const bkm_route_match_t *match;
    /** Pages: the page's language (chosen once: ?sprak= sets a cookie). */
    const char *lang;
    /** LOGIN, LOGIN_OR_DRAFT (NULL: no login), API_LOGIN, ADMIN...: the
     *  person */
    const bkm_person_t *person;
    /** ADMIN, OPERATOR, KOMMUNE, MOTTAK: the person's roles */
    const bkm_roles_t *roles;
    /** OPERATOR, KOMMUNE, MOTTAK: the role binding's name (the actor in
     *  the audit) */
    const char *navn;
    /** KOMMUNE, MOTTAK: the municipality */
    const bkm_kommune_t *kommune;
    /** KOMMUNE, MOTTAK: the districts the person's role covers, NULL for
     *  all of them */
    const apr_array_header_t *bydeler;
    /** INTEGRATION, KONTO, KONTO_FAGSYSTEM, PRODUCER: the integration */
    const bkm_integrasjon_t *in;
    /** KONTO, KONTO_FAGSYSTEM: the account */
    const bkm_konto_t *konto;
} bkm_req_t;

/** A handler: answers the request the table gave it (see the error
 *  convention above). */
typedef int (*bkm_handler_fn)(request_rec *r, const bkm_req_t *q);

/** A row of the table. */
typedef struct {
    bkm_route_t route;          /**< methods and pattern (bkm_route.h) */
    bkm_access_e access;
    bkm_handler_fn handle;
    const char *arg;            /**< handed on as q->arg */
} bkm_route_row_t;

/** Answer a request for the "bekymring" handler: match it against the
 *  table, apply the row's access rule and call its handler; an unknown
 *  path is 404 and a method no row of the path takes 405 with Allow,
 *  answered here (JSON under the API, the page's 404 under the pages). */
int bkm_routes_handle(request_rec *r);
/** Whether the table is well made (post_config).  @return NULL or a
 *  message */
const char *bkm_routes_check(apr_pool_t *p);

/* The handlers, by the file that has them. */
/* _landing.c, _webform.c, _sent.c, _status.c, _meg.c: the reporter's */
int bkm_handle_forside(request_rec *r, const bkm_req_t *q);
int bkm_handle_velg(request_rec *r, const bkm_req_t *q);
int bkm_handle_form(request_rec *r, const bkm_req_t *q);
int bkm_handle_form_post(request_rec *r, const bkm_req_t *q);
int bkm_handle_sendt(request_rec *r, const bkm_req_t *q);
int bkm_handle_sendt_kopi(request_rec *r, const bkm_req_t *q);
int bkm_handle_status(request_rec *r, const bkm_req_t *q);
int bkm_handle_meg(request_rec *r, const bkm_req_t *q);
/* _admin.c, _stats.c, _bindings.c, _receiver.c: the administration */
int bkm_handle_admin_kommuner(request_rec *r, const bkm_req_t *q);
int bkm_handle_admin_oversikt(request_rec *r, const bkm_req_t *q);
int bkm_handle_admin_csv(request_rec *r, const bkm_req_t *q);
int bkm_handle_admin_melding(request_rec *r, const bkm_req_t *q);
int bkm_handle_admin_handling(request_rec *r, const bkm_req_t *q);
/** Statistics for q->kommune, or nationally when it is NULL. */
int bkm_handle_statistics(request_rec *r, const bkm_req_t *q);
/** Reconciliation for q->kommune as q->arg: "html", "csv" or "json". */
int bkm_handle_reconciliation(request_rec *r, const bkm_req_t *q);
int bkm_handle_roller(request_rec *r, const bkm_req_t *q);
int bkm_handle_rolle_ny(request_rec *r, const bkm_req_t *q);
int bkm_handle_rolle_slett(request_rec *r, const bkm_req_t *q);
int bkm_handle_receiver_list(request_rec *r, const bkm_req_t *q);
int bkm_handle_receiver_one(request_rec *r, const bkm_req_t *q);
int bkm_handle_receiver_download(request_rec *r, const bkm_req_t *q);
int bkm_handle_receiver_confirm(request_rec *r, const bkm_req_t *q);
/* Operations, health and the API's ErrorDocument */
int bkm_handle_escalation(request_rec *r, const bkm_req_t *q);
int bkm_handle_kontroll_drift(request_rec *r, const bkm_req_t *q);
int bkm_handle_health(request_rec *r, const bkm_req_t *q);
int bkm_handle_error(request_rec *r, const bkm_req_t *q);
/* _kommuner.c: the municipality API */
int bkm_handle_kommuner(request_rec *r, const bkm_req_t *q);
int bkm_handle_kommune(request_rec *r, const bkm_req_t *q);
int bkm_handle_bydeler(request_rec *r, const bkm_req_t *q);
int bkm_handle_bydel(request_rec *r, const bkm_req_t *q);
/* _konto.c, _meldinger.c, _svar.c, _kontroll.c, _avstemming.c: machine
 * clients' accounts and the consumer API */
int bkm_handle_kontoer(request_rec *r, const bkm_req_t *q);
int bkm_handle_konto(request_rec *r, const bkm_req_t *q);
int bkm_handle_meldinger(request_rec *r, const bkm_req_t *q);
int bkm_handle_melding(request_rec *r, const bkm_req_t *q);
int bkm_handle_manifest(request_rec *r, const bkm_req_t *q);
int bkm_handle_svar(request_rec *r, const bkm_req_t *q);
int bkm_handle_besittelse(request_rec *r, const bkm_req_t *q);
int bkm_handle_kontroller(request_rec *r, const bkm_req_t *q);
int bkm_handle_kontroll_svar(request_rec *r, const bkm_req_t *q);
int bkm_handle_avstemming(request_rec *r, const bkm_req_t *q);
int bkm_handle_avstemming_svar(request_rec *r, const bkm_req_t *q);
/* _skjema.c, _mottak.c: the form-submission API and the producer API */
int bkm_handle_skjema(request_rec *r, const bkm_req_t *q);
int bkm_handle_mottak_nokler(request_rec *r, const bkm_req_t *q);
int bkm_handle_mottak_status(request_rec *r, const bkm_req_t *q);
int bkm_handle_mottak_post(request_rec *r, const bkm_req_t *q);

#endif
