/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every address the module answers: one table of method, path pattern,
 * access rule and handler (the access rules: server/routes.h; the
 * patterns: bkm_route.h), and the one place that answers an unknown path
 * (404) and a method no row of the path takes (405 with Allow).
 *
 * The paths are the incumbent's, so existing clients and links keep
 * working.  What is answered where an address is unknown depends on the
 * area it is in: JSON in the API's shape ({"errorId": "ukjent-adresse"})
 * everywhere but under the pages, where it is the page's 404; and where
 * an area is guarded as a whole (machine clients, the administration) the
 * guard comes first, so a client without its credentials learns nothing
 * of which addresses exist.  A 405 is JSON everywhere, as it was, with
 * Allow listing the methods of every row of the path (the pages' own links
 * and forms never lead to one).
 */

#include "mod_bekymring_private.h"
#include "admin/admin.h"
#include "api/api.h"
#include "api/avstemming.h"
#include "api/integrasjon.h"
#include "api/kontroll.h"
#include "pages/pages.h"
#include "report/eskalering.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "server/person.h"
#include "server/routes.h"
#include "bkm_log.h"
#include "bkm_registry.h"
#include "bkm_roles.h"
#include "bkm_route.h"

#include <http_protocol.h>
#include <apr_strings.h>

#define API "/bekymringsmelding/api/v2"
#define FAGSYSTEM_ONLY_KONTROLL "only case-system accounts are challenged"
#define FAGSYSTEM_ONLY_AVSTEMMING "reconciliation is for case-system accounts"

/* ---- the table ------------------------------------------------------- */

static const bkm_route_row_t routes[] = {
    /* The reporter's pages, at the incumbent's addresses. */
    { { "GET HEAD", "/" }, BKM_ACCESS_PAGE, bkm_handle_forside, NULL },
    { { "GET HEAD", "/privat" }, BKM_ACCESS_PAGE, bkm_handle_velg, "privat" },
    { { "GET HEAD", "/offentlig" },
      BKM_ACCESS_PAGE,
      bkm_handle_velg,
      "offentlig" },
    { { "GET HEAD", "/privat/skjema" },
      BKM_ACCESS_LOGIN,
      bkm_handle_skjema_side,
      "privat" },
    { { "GET HEAD", "/offentlig/skjema" },
      BKM_ACCESS_LOGIN,
      bkm_handle_skjema_side,
      "offentlig" },
    { { "POST", "/privat/send" },
      BKM_ACCESS_LOGIN_OR_DRAFT,
      bkm_handle_skjema_side_post,
      "privat" },
    { { "POST", "/offentlig/send" },
      BKM_ACCESS_LOGIN_OR_DRAFT,
      bkm_handle_skjema_side_post,
      "offentlig" },
    { { "GET HEAD", "/sendt/{meldingId}" },
      BKM_ACCESS_PAGE,
      bkm_handle_sendt,
      NULL },
    { { "GET HEAD", "/sendt/{meldingId}/kopi.pdf" },
      BKM_ACCESS_PAGE,
      bkm_handle_sendt_kopi,
      NULL },
    { { "GET HEAD", "/status" }, BKM_ACCESS_PAGE, bkm_handle_status, NULL },
    { { "GET", "/meg" }, BKM_ACCESS_LOGIN_SHOWN, bkm_handle_meg, NULL },
    /* issue 14: about the service (every page's footer links them), and
     * where ID-porten's single logout comes back to. */
    { { "GET HEAD", "/personvern" },
      BKM_ACCESS_PAGE,
      bkm_handle_om,
      "personvern" },
    { { "GET HEAD", "/tilgjengelighet" },
      BKM_ACCESS_PAGE,
      bkm_handle_om,
      "tilgjengelighet" },
    { { "GET HEAD", "/kontakt" }, BKM_ACCESS_PAGE, bkm_handle_om, "kontakt" },
    { { "GET HEAD", "/utlogget" },
      BKM_ACCESS_PAGE,
      bkm_handle_om,
      "utlogget" },

    /* The municipal administration. */
    { { "GET HEAD", "/kommune[/]" },
      BKM_ACCESS_ADMIN,
      bkm_handle_forvaltning_kommuner,
      NULL },
    { { "GET HEAD", "/kommune/statistikk" },
      BKM_ACCESS_OPERATOR,
      bkm_handle_statistikk,
      NULL },
    { { "GET HEAD", "/kommune/roller" },
      BKM_ACCESS_OPERATOR,
      bkm_handle_roller,
      NULL },
    { { "POST", "/kommune/roller" },
      BKM_ACCESS_OPERATOR,
      bkm_handle_rolle_ny,
      NULL },
    { { "POST", "/kommune/roller/{rolleId}/slett" },
      BKM_ACCESS_OPERATOR,
      bkm_handle_rolle_slett,
      NULL },
    { { "GET HEAD", "/kommune/kjede" },
      BKM_ACCESS_OPERATOR,
      bkm_handle_kjede,
      NULL },
    { { "GET HEAD", "/kommune/{kommunenummer}" },
      BKM_ACCESS_KOMMUNE,
      bkm_handle_forvaltning_oversikt,
      NULL },
    { { "GET HEAD", "/kommune/{kommunenummer}/meldinger.csv" },
      BKM_ACCESS_KOMMUNE,
      bkm_handle_forvaltning_csv,
      NULL },
    { { "GET HEAD", "/kommune/{kommunenummer}/statistikk" },
      BKM_ACCESS_KOMMUNE,
      bkm_handle_statistikk,
      NULL },
    { { "GET HEAD", "/kommune/{kommunenummer}/avstemming" },
      BKM_ACCESS_KOMMUNE,
      bkm_handle_avstemming_side,
      "html" },
    { { "GET HEAD", "/kommune/{kommunenummer}/avstemming.csv" },
      BKM_ACCESS_KOMMUNE,
      bkm_handle_avstemming_side,
      "csv" },
    { { "GET HEAD", "/kommune/{kommunenummer}/avstemming.json" },
      BKM_ACCESS_KOMMUNE,
      bkm_handle_avstemming_side,
      "json" },
    { { "GET HEAD", "/kommune/{kommunenummer}/melding/{meldingId}" },
      BKM_ACCESS_KOMMUNE,
      bkm_handle_forvaltning_melding,
      NULL },
    { { "POST", "/kommune/{kommunenummer}/melding/{meldingId}/handling" },
      BKM_ACCESS_KOMMUNE,
      bkm_handle_forvaltning_handling,
      NULL },
    /* Its manual-download channel. */
    { { "GET HEAD", "/kommune/{kommunenummer}/mottak" },
      BKM_ACCESS_MOTTAK,
      bkm_handle_nedlasting_list,
      NULL },
    { { "GET HEAD", "/kommune/{kommunenummer}/mottak/{meldingId}" },
      BKM_ACCESS_MOTTAK,
      bkm_handle_nedlasting_one,
      NULL },
    { { "GET HEAD", "/kommune/{kommunenummer}/mottak/{meldingId}/melding" },
      BKM_ACCESS_MOTTAK,
      bkm_handle_nedlasting_download,
      NULL },
    { { "POST", "/kommune/{kommunenummer}/mottak/{meldingId}/bekreft" },
      BKM_ACCESS_MOTTAK,
      bkm_handle_nedlasting_confirm,
      NULL },

    /* Operations and health. */
    { { "POST", "/bekymring-drift/eskalering" },
      BKM_ACCESS_OPERATIONS,
      bkm_handle_eskalering,
      NULL },
    { { "POST", "/bekymring-drift/kontroll" },
      BKM_ACCESS_OPERATIONS,
      bkm_handle_kontroll_drift,
      NULL },
    { { "GET", "/helse" }, BKM_ACCESS_PUBLIC, bkm_handle_helse, NULL },
    /* Prometheus' scrape (api/metrikker.c). */
    { { "GET HEAD", "/bekymring-drift/metrics" },
      BKM_ACCESS_OPERATIONS,
      bkm_handle_metrikker,
      NULL },
    /* The API's ErrorDocument (conf/bekymring-locations.conf). */
    { { "*", "/bekymring-feil" },
      BKM_ACCESS_INTERNAL,
      bkm_handle_error,
      NULL },

    /* The municipality API (public). */
    { { "GET", API "/kommuner[/]" },
      BKM_ACCESS_PUBLIC,
      bkm_handle_kommuner,
      NULL },
    { { "GET", API "/kommuner/{kommunenummer}" },
      BKM_ACCESS_PUBLIC,
      bkm_handle_kommune,
      NULL },
    { { "GET", API "/kommuner/{kommunenummer}/bydeler[/]" },
      BKM_ACCESS_PUBLIC,
      bkm_handle_bydeler,
      NULL },
    { { "GET", API "/kommuner/{kommunenummer}/bydeler/{bydelsnummer}" },
      BKM_ACCESS_PUBLIC,
      bkm_handle_bydel,
      NULL },

    /* Machine clients' accounts, and the consumer API. */
    { { "GET", API "/konto[/]" },
      BKM_ACCESS_INTEGRATION,
      bkm_handle_kontoer,
      NULL },
    { { "GET", API "/konto/{kontoId}" },
      BKM_ACCESS_KONTO,
      bkm_handle_konto,
      NULL },
    { { "GET", API "/konto/{kontoId}/meldinger[/]" },
      BKM_ACCESS_KONTO,
      bkm_handle_meldinger,
      NULL },
    { { "GET", API "/konto/{kontoId}/meldinger/{meldingId}" },
      BKM_ACCESS_KONTO,
      bkm_handle_melding,
      NULL },
    { { "GET", API "/konto/{kontoId}/meldinger/{meldingId}/manifest" },
      BKM_ACCESS_KONTO,
      bkm_handle_manifest,
      NULL },
    { { "GET", API "/konto/{kontoId}/meldinger/{meldingId}/besittelse" },
      BKM_ACCESS_KONTO,
      bkm_handle_besittelse,
      NULL },
    { { "POST", API "/konto/{kontoId}/meldinger/{meldingId}/svar" },
      BKM_ACCESS_KONTO,
      bkm_handle_kvittering,
      NULL },
    { { "GET", API "/konto/{kontoId}/kontroller[/]" },
      BKM_ACCESS_KONTO_FAGSYSTEM,
      bkm_handle_kontroller,
      FAGSYSTEM_ONLY_KONTROLL },
    { { "POST", API "/konto/{kontoId}/kontroller/{kontrollId}" },
      BKM_ACCESS_KONTO_FAGSYSTEM,
      bkm_handle_kontroll_svar,
      FAGSYSTEM_ONLY_KONTROLL },
    { { "GET", API "/konto/{kontoId}/avstemming" },
      BKM_ACCESS_KONTO_FAGSYSTEM,
      bkm_handle_avstemming,
      FAGSYSTEM_ONLY_AVSTEMMING },
    { { "POST", API "/konto/{kontoId}/avstemming" },
      BKM_ACCESS_KONTO_FAGSYSTEM,
      bkm_handle_avstemming_svar,
      FAGSYSTEM_ONLY_AVSTEMMING },

    /* The form-submission API (what the pages post). */
    { { "POST", API "/mottak/skjema/privat" },
      BKM_ACCESS_API_LOGIN,
      bkm_handle_skjema_api,
      "privat" },
    { { "POST", API "/mottak/skjema/offentlig" },
      BKM_ACCESS_API_LOGIN,
      bkm_handle_skjema_api,
      "offentlig" },

    /* The producer API.  The municipality and district are looked up in
     * the registry as they are (an unknown one is ukjent-mottaker), so
     * they are of kind "any" here. */
    { { "GET", API "/mottak/fagsystem/{kommunenummer:any}/"
                   "{bydelsnummer:any}/krypteringsnokler[/]" },
      BKM_ACCESS_PRODUCER,
      bkm_handle_produsent_nokler,
      NULL },
    { { "GET", API "/mottak/fagsystem/{fraFiksOrgId}/bekymringsmelding/"
                   "{bekymringsmeldingId}/status[/]" },
      BKM_ACCESS_PRODUCER,
      bkm_handle_produsent_status,
      NULL },
    { { "POST", API "/mottak/fagsystem/{fraFiksOrgId}/{kommunenummer:any}/"
                    "{bydelsnummer:any}/privat[/]" },
      BKM_ACCESS_PRODUCER,
      bkm_handle_produsent_post,
      "privat" },
    { { "POST", API "/mottak/fagsystem/{fraFiksOrgId}/{kommunenummer:any}/"
                    "{bydelsnummer:any}/offentlig[/]" },
      BKM_ACCESS_PRODUCER,
      bkm_handle_produsent_post,
      "offentlig" },
};

/* The kinds of parameter, and what the API answers when a path's segment
 * has the wrong shape for one (a page answers its 404).  The answers are
 * those each handler gave before the table checked the shapes. */
static const bkm_route_kind_t kinds[] = {
    { "kontoId", NULL }, /* one of the integration's: KONTO */
    /* UUIDs in either case, taken in lower case (canonical_ids): the
     * ids we issue are lower case, and a vendor that upper-cases them got
     * 404 (issue 15). */
    { "meldingId", bkm_route_uuid_any_case },
    { "kontrollId", bkm_route_uuid_any_case },
    { "rolleId", bkm_route_uuid_any_case },
    { "bekymringsmeldingId", bkm_route_uuid_any_case },
    { "kommunenummer", bkm_route_digits4 },
    { "bydelsnummer", bkm_route_digits2 },
    { "fraFiksOrgId", NULL }, /* the handler: 400 or 404 */
    { "any", NULL },
    { NULL, NULL }
};

static const struct {
    const char *kind;
    int status;
    const char *kode, *melding;
} bad_shape[] = {
    { "meldingId", HTTP_NOT_FOUND, "ukjent-melding",
      "no such message for this account" },
    { "kontrollId", HTTP_NOT_FOUND, "ukjent-kontroll",
      "no such challenge for this account" },
    { "bekymringsmeldingId", HTTP_NOT_FOUND, "ukjent-melding",
      "no such report" },
    { "kommunenummer", HTTP_BAD_REQUEST, "ugyldig-kommunenummer",
      "kommunenummer is four digits" },
};

static const bkm_route_table_t table = { routes,
                                         sizeof(routes) / sizeof(routes[0]),
                                         sizeof(routes[0]), kinds };

/* Where a path no row has is answered, and after which guard: the first
 * area it is under (bkm_route_under), else JSON for anyone. */
static const struct {
    const char *prefix;
    bkm_access_e access;
    const char *tekst; /* pages: the 404 page's text, or NULL */
} areas[] = {
    { "/kommune", BKM_ACCESS_ADMIN, NULL },
    { "/privat", BKM_ACCESS_PAGE, NULL },
    { "/offentlig", BKM_ACCESS_PAGE, NULL },
    /* A receipt that is not this browser's, or has expired. */
    { "/sendt", BKM_ACCESS_PAGE, "side.ikke_funnet.tekst" },
    { API "/konto", BKM_ACCESS_INTEGRATION, NULL },
    { API "/mottak/fagsystem/", BKM_ACCESS_PRODUCER, NULL },
};

const char *bkm_routes_check(apr_pool_t *p)
{
    const char *err = bkm_route_check(p, &table);
    apr_size_t i, j;

    if (err) {
        return err;
    }
    /* One path, one access rule: the rule is checked before the method is
     * known (for a 405 too). */
    for (i = 0; i < table.n; i++) {
        for (j = 0; j < i; j++) {
            if (strcmp(routes[i].route.pattern, routes[j].route.pattern) == 0
                && routes[i].access != routes[j].access) {
                return apr_psprintf(
                    p,
                    "route %" APR_SIZE_T_FMT
                    " (%s): "
                    "another access rule than route %" APR_SIZE_T_FMT,
                    i, routes[i].route.pattern, j);
            }
        }
    }
    return NULL;
}

/* ---- the access rules --------------------------------------------------- */

/* Whether a rule's answers are pages. */
static int is_page(bkm_access_e a)
{
    switch (a) {
    case BKM_ACCESS_PAGE:
    case BKM_ACCESS_LOGIN:
    case BKM_ACCESS_LOGIN_OR_DRAFT:
    case BKM_ACCESS_LOGIN_SHOWN:
    case BKM_ACCESS_ADMIN:
    case BKM_ACCESS_OPERATOR:
    case BKM_ACCESS_KOMMUNE:
    case BKM_ACCESS_MOTTAK:
        return 1;
    default:
        return 0;
    }
}

/* Whether a rule guards its area: checked before the method, and before
 * a 404 below it. */
static int guards(bkm_access_e a)
{
    switch (a) {
    case BKM_ACCESS_INTEGRATION:
    case BKM_ACCESS_KONTO:
    case BKM_ACCESS_KONTO_FAGSYSTEM:
    case BKM_ACCESS_PRODUCER:
    case BKM_ACCESS_ADMIN:
    case BKM_ACCESS_OPERATOR:
    case BKM_ACCESS_KOMMUNE:
    case BKM_ACCESS_MOTTAK:
        return 1;
    default:
        return 0;
    }
}

/* Machine clients: OK, or DONE after answering. */
static int integration(request_rec *r, bkm_access_e a, bkm_req_t *q)
{
    const char *id;
    int i;

    if (bkm_integrasjon_authenticate(r, &q->in) != OK) {
        return DONE; /* answered: 401 or 429 */
    }
    if (a == BKM_ACCESS_PRODUCER && !q->in->produsent) {
        bkm_reply_error(r, HTTP_FORBIDDEN, "ikke-produsent",
                        "this integration may not send reports");
        return DONE;
    }
    if (a != BKM_ACCESS_KONTO && a != BKM_ACCESS_KONTO_FAGSYSTEM) {
        return OK;
    }
    id = bkm_route_param(q->match, "kontoId");
    for (i = 0; id && i < q->in->kontoer->nelts; i++) {
        const bkm_konto_t *k = APR_ARRAY_IDX(q->in->kontoer, i,
                                             const bkm_konto_t *);
        if (strcmp(k->id, id) == 0) {
            q->konto = k;
        }
    }
    if (!q->konto) {
        bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-konto",
                        "no such account for this integration");
        return DONE;
    }
    if (a == BKM_ACCESS_KONTO_FAGSYSTEM
        && strcmp(q->konto->type, "fagsystem") != 0) {
        bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-adresse",
                        q->arg ? q->arg : "no such resource");
        return DONE;
    }
    return OK;
}

/* The administration: the person, their roles, and what the rule asks of
 * them.  OK, or DONE after answering. */
static int admin(request_rec *r, bkm_access_e a, bkm_req_t *q,
                 bkm_person_t *person)
{
    const bkm_srv_cfg_t *c = bkm_srv_cfg(r->server);
    const char *knr;
    int all, any, i;

    if (bkm_page_person(r, person, &q->lang, 1) != OK) {
        return DONE; /* answered: 500 or 403 */
    }
    q->person = person;
    q->roles = bkm_forvaltning_roles(r, person->pid);
    switch (a) {
    case BKM_ACCESS_OPERATOR:
        bkm_roles_kommuner(r->pool, q->roles, person->pid, &all, &any);
        if (!all) {
            bkm_page_not_found(r, q->lang);
            return DONE;
        }
        for (i = 0; i < q->roles->bindings->nelts; i++) {
            const bkm_binding_t *b = &APR_ARRAY_IDX(q->roles->bindings, i,
                                                    bkm_binding_t);
            if (b->rolle == BKM_ROLLE_OPERATOR) {
                q->navn = b->navn;
            }
        }
        return OK;
    case BKM_ACCESS_KOMMUNE:
    case BKM_ACCESS_MOTTAK:
        knr = bkm_route_param(q->match, "kommunenummer");
        q->kommune = knr ? bkm_registry_kommune(c->registry, knr) : NULL;
        if (!q->kommune
            || !bkm_roles_allow(q->roles, person->pid,
                                a == BKM_ACCESS_MOTTAK ? BKM_TILGANG_MOTTA
                                                       : BKM_TILGANG_SE,
                                knr, NULL, &q->navn)) {
            bkm_page_not_found(r, q->lang);
            return DONE;
        }
        q->bydeler = bkm_roles_bydeler(r->pool, q->roles, person->pid,
                                       a == BKM_ACCESS_MOTTAK
                                           ? BKM_TILGANG_MOTTA
                                           : BKM_TILGANG_SE,
                                       knr);
        return OK;
    default:
        return OK;
    }
}

/* The form-submission API's person: OK, or DONE after answering. */
static int api_login(request_rec *r, bkm_req_t *q, bkm_person_t *person)
{
    if (!bkm_person_from_login(r, person)) {
        ap_log_rerror(
            APLOG_MARK, APLOG_ERR, 0, r,
            BKMLOGNO(00801) "no pid claim: is %s "
                            "behind AuthType openid-connect?",
            r->uri);
        bkm_reply_error(r, HTTP_UNAUTHORIZED, "ikke-innlogget",
                        "log in with ID-porten first");
        return DONE;
    }
    if (person->level < bkm_cfg_min_acr(bkm_dir_cfg(r))) {
        bkm_reply_error(r, HTTP_FORBIDDEN, "sikkerhetsniva",
                        "log in at level substantial or high");
        return DONE;
    }
    q->person = person;
    return OK;
}

/* Apply an access rule: OK to go on, or DONE once answered. */
static int check(request_rec *r, bkm_access_e a, bkm_req_t *q,
                 bkm_person_t *person)
{
    int rv;

    switch (a) {
    case BKM_ACCESS_PAGE:
        q->lang = bkm_page_lang(r, NULL);
        return OK;
    case BKM_ACCESS_LOGIN:
    case BKM_ACCESS_LOGIN_OR_DRAFT:
        rv = bkm_page_person(r, person, &q->lang, a == BKM_ACCESS_LOGIN);
        q->person = rv == OK && person->pid ? person : NULL;
        return rv;
    case BKM_ACCESS_API_LOGIN:
        return api_login(r, q, person);
    case BKM_ACCESS_INTEGRATION:
    case BKM_ACCESS_KONTO:
    case BKM_ACCESS_KONTO_FAGSYSTEM:
    case BKM_ACCESS_PRODUCER:
        return integration(r, a, q);
    case BKM_ACCESS_ADMIN:
    case BKM_ACCESS_OPERATOR:
    case BKM_ACCESS_KOMMUNE:
    case BKM_ACCESS_MOTTAK:
        return admin(r, a, q, person);
    case BKM_ACCESS_LOGIN_SHOWN: /* the handler's own check */
    case BKM_ACCESS_PUBLIC:
    case BKM_ACCESS_OPERATIONS:
    case BKM_ACCESS_INTERNAL:
    default:
        return OK;
    }
}

/* ---- the answers of this place ------------------------------------------ */

/* 404: the page's under the pages; else JSON, for a segment of the wrong
 * shape as its kind says. */
static int not_found(request_rec *r, bkm_access_e a, const char *tekst,
                     const bkm_route_match_t *m, bkm_req_t *q)
{
    size_t i;

    if (is_page(a)) {
        return bkm_page_message(r, HTTP_NOT_FOUND,
                                q->lang ? q->lang
                                        : bkm_page_lang(r, q->person),
                                "side.ikke_funnet.tittel", tekst);
    }
    for (i = 0; m->bad && i < sizeof(bad_shape) / sizeof(bad_shape[0]); i++) {
        if (strcmp(m->bad->kind, bad_shape[i].kind) == 0) {
            return bkm_reply_error(r, bad_shape[i].status, bad_shape[i].kode,
                                   bad_shape[i].melding);
        }
    }
    return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-adresse",
                           "no such resource");
}

/* The Allow header of a 405: the route table's space-separated methods
 * as RFC 9110's list (#method: "GET, POST"; "GET POST" was one unknown
 * method to a client that splits at commas), with HEAD wherever GET is,
 * as the README says (an outside vendor's attack, issue 15). */
static const char *allow_header(apr_pool_t *p, const char *allow)
{
    const char *out = "", *w = allow;
    int get = 0, head = 0;

    while (*w) {
        apr_size_t len = strcspn(w, " ");
        if (len) {
            const char *m = apr_pstrmemdup(p, w, len);
            get |= strcmp(m, "GET") == 0;
            head |= strcmp(m, "HEAD") == 0;
            out = apr_pstrcat(p, out, *out ? ", " : "", m, NULL);
        }
        w += len;
        w += strspn(w, " ");
    }
    return get && !head ? apr_pstrcat(p, out, ", HEAD", NULL) : out;
}

/* 405, with the methods the path takes. */
static int method_not_allowed(request_rec *r, const char *allow)
{
    apr_table_setn(r->headers_out, "Allow", allow_header(r->pool, allow));
    return bkm_reply_error(r, HTTP_METHOD_NOT_ALLOWED, "metode-ikke-tillatt",
                           apr_pstrcat(r->pool, "Method ", r->method,
                                       " is not allowed here; use ", allow,
                                       NULL));
}

/* Safe upgrades (README "Upgrades"): a machine client's write on a node
 * whose code and the database's schema disagree is refused here, with the
 * cause in JSON (server/db.c).  The pages' posts are refused by the
 * database layer instead, so that the form comes back with what the
 * person wrote and "try again later". */
static int refuse_outdated(request_rec *r, bkm_access_e a)
{
    int found, expected;

    if (r->method_number == M_GET || is_page(a) || a == BKM_ACCESS_INTERNAL
        || !bkm_db_outdated(r, &found, &expected)) {
        return 0;
    }
    apr_table_setn(r->headers_out, "Retry-After", "60");
    bkm_reply_error(
        r, HTTP_SERVICE_UNAVAILABLE, "skjemaversjon",
        apr_psprintf(r->pool,
                     "this node cannot write: the database has schema "
                     "version %d, the node's code version %d (an upgrade "
                     "is under way); try again later",
                     found, expected));
    return 1;
}

/* The UUID parameters in lower case, as the ids are stored: an id is
 * one id whichever case a client writes it in (RFC 9562, 4). */
static void canonical_ids(bkm_route_match_t *m)
{
    int i;

    for (i = 0; i < m->nparams; i++) {
        const char *k = m->params[i].kind;
        /* kontoId too: the registry's account ids are lower-case UUIDs,
         * and a vendor that upper-cases one got 404 ukjent-konto. */
        if (strcmp(k, "kontoId") == 0 || strcmp(k, "meldingId") == 0
            || strcmp(k, "kontrollId") == 0 || strcmp(k, "rolleId") == 0
            || strcmp(k, "bekymringsmeldingId") == 0) {
            ap_str_tolower((char *)m->params[i].value); /* the pool's copy */
        }
    }
}

int bkm_routes_handle(request_rec *r)
{
    const bkm_route_row_t *row = NULL;
    const char *tekst = NULL;
    bkm_access_e access = BKM_ACCESS_PUBLIC;
    bkm_route_match_t m;
    bkm_person_t person;
    bkm_req_t q;
    size_t i;

    for (i = 0; i < sizeof(areas) / sizeof(areas[0]); i++) {
        if (bkm_route_under(r->uri, areas[i].prefix)) {
            access = areas[i].access;
            tekst = areas[i].tekst;
            break;
        }
    }
    if (bkm_route_match(r->pool, &table, r->method, r->uri, &m)
        != BKM_ROUTE_NOT_FOUND) {
        row = &routes[m.row];
        access = row->access;
        canonical_ids(&m);
    }
    memset(&q, 0, sizeof(q));
    q.match = &m;
    q.arg = row ? row->arg : NULL;

    if (is_page(access) && !bkm_pages(r)) {
        return bkm_pages_missing(r);
    }
    if (guards(access) && check(r, access, &q, &person) != OK) {
        return OK; /* answered */
    }
    switch (m.result) {
    case BKM_ROUTE_NOT_FOUND:
    case BKM_ROUTE_BAD_PARAM:
        return not_found(r, access, tekst, &m, &q);
    case BKM_ROUTE_NO_METHOD:
        return method_not_allowed(r, m.allow);
    default:
        break;
    }
    if (!guards(access) && check(r, access, &q, &person) != OK) {
        return OK; /* answered */
    }
    if (refuse_outdated(r, access)) {
        return OK; /* answered: 503 */
    }
    return row->handle(r, &q);
}
