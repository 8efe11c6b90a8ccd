/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file server/routes.h
 * @brief Every address the module answers, in one table
 * (server/routes.c): method, path pattern, access rule, handler;
 * and what a handler gets.
 *
 * The access rules and the table's row format are below; the layers of
 * the glue are in mod_bekymring_private.h, the glue's error convention in
 * server/http.h.
 */
#ifndef MOD_BEKYMRING_ROUTES_H
#define MOD_BEKYMRING_ROUTES_H

#include "mod_bekymring_private.h"
#include "bkm_registry.h"
#include "bkm_roles.h"
#include "bkm_route.h"
#include "server/person.h"

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
     *  (bkm_integrasjon_authenticate): else 401, or 429 while throttled. */
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
    bkm_route_t route; /**< methods and pattern (bkm_route.h) */
    bkm_access_e access;
    bkm_handler_fn handle;
    const char *arg; /**< handed on as q->arg */
} bkm_route_row_t;

/** Answer a request for the "bekymring" handler: match it against the
 *  table, apply the row's access rule and call its handler; an unknown
 *  path is 404 and a method no row of the path takes 405 with Allow,
 *  answered here (JSON under the API, the page's 404 under the pages). */
int bkm_routes_handle(request_rec *r);
/** Whether the table is well made (post_config).  @return NULL or a
 *  message */
const char *bkm_routes_check(apr_pool_t *p);

#endif
