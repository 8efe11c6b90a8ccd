/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The administration's own frame (issue 14, item 4): every page of
 * /kommune has a header of its own -- who is logged in and in which role,
 * the administration's navigation, the languages and a logout through
 * mod_auth_openidc (ID-porten's single logout) -- and a footer of its own,
 * rather than the reporter's (htdocs/templates/admin-topp.html and
 * admin-fot.html).  The handlers hand their page data to
 * bkm_admin_render(), which adds "forvaltning" and renders.
 */
#include "mod_bekymring_private.h"
#include "admin/admin.h"
#include "pages/pages.h"
#include "server/config.h"
#include "server/person.h"
#include "server/routes.h"
#include "bkm_i18n.h"
#include "bkm_registry.h"
#include "bkm_roles.h"

#include <http_core.h>
#include <apr_strings.h>
#include <string.h>

/* One link of the navigation; the current page's has aria-current. */
static void nav_link(request_rec *r, json_t *list, const char *href,
                     const char *tekst)
{
    json_array_append_new(list, json_pack("{s:s, s:s, s:o}", "href", href,
                                          "tekst", tekst, "gjeldende",
                                          strcmp(r->uri, href) == 0
                                              ? json_string("page")
                                              : json_null()));
}

/* The person's roles in words: "Administrator, Oslo" and so on, each
 * once, the municipality of the page first. */
static const char *roles_text(request_rec *r, const bkm_req_t *q)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const char *out = "";
    int i;

    for (i = 0; q->roles && i < q->roles->bindings->nelts; i++) {
        const bkm_binding_t *b = &APR_ARRAY_IDX(q->roles->bindings, i,
                                                bkm_binding_t);
        const bkm_kommune_t *k;
        const char *one;
        if (!q->person || !q->person->pid || !b->fodselsnummer
            || strcmp(b->fodselsnummer, q->person->pid) != 0) {
            continue;
        }
        one = bkm_i18n_text(pg->i18n, q->lang,
                            b->rolle == BKM_ROLLE_OPERATOR
                                ? "roller.rolle.operator"
                            : b->rolle == BKM_ROLLE_MOTTAKER
                                ? "roller.rolle.mottaker"
                                : "roller.rolle.administrator");
        if (b->kommune) {
            k = bkm_registry_kommune(reg, b->kommune);
            one = apr_pstrcat(r->pool, one, ", ",
                              k ? bkm_kommune_navn(k, q->lang) : b->kommune,
                              NULL);
        }
        if (!strstr(out, one)) {
            out = apr_pstrcat(r->pool, out, *out ? "; " : "", one, NULL);
        }
    }
    return out;
}

json_t *bkm_admin_frame(request_rec *r, const bkm_req_t *q)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *lang = q->lang;
    json_t *nav = json_array();
    const char *navn = q->person && q->person->name ? q->person->name
                       : q->navn                    ? q->navn
                                                    : "";
    int all = 0, any = 0;

#define T(key) bkm_i18n_text(pg->i18n, lang, key)
    if (q->roles && q->person) {
        bkm_roles_kommuner(r->pool, q->roles, q->person->pid, &all, &any);
    }
    nav_link(r, nav, "/kommune", T("forvaltning.nav.kommuner"));
    if (q->kommune) {
        const char *base = apr_pstrcat(r->pool, "/kommune/",
                                       q->kommune->nummer, NULL);
        if (bkm_roles_allow(q->roles, q->person->pid, BKM_TILGANG_SE,
                            q->kommune->nummer, NULL, NULL)) {
            nav_link(r, nav, base, T("forvaltning.nav.oversikt"));
            nav_link(r, nav, apr_pstrcat(r->pool, base, "/statistikk", NULL),
                     T("forvaltning.nav.statistikk"));
            nav_link(r, nav, apr_pstrcat(r->pool, base, "/avstemming", NULL),
                     T("forvaltning.nav.avstemming"));
        }
        if (bkm_roles_allow(q->roles, q->person->pid, BKM_TILGANG_MOTTA,
                            q->kommune->nummer, NULL, NULL)) {
            nav_link(r, nav, apr_pstrcat(r->pool, base, "/mottak", NULL),
                     T("forvaltning.nav.mottak"));
        }
    }
    if (all) {
        nav_link(r, nav, "/kommune/statistikk", T("forvaltning.nav.landet"));
        nav_link(r, nav, "/kommune/roller", T("forvaltning.nav.roller"));
        nav_link(r, nav, "/kommune/kjede", T("forvaltning.nav.kjede"));
    }
#undef T
    return json_pack("{s:s, s:s, s:o, s:s}", "navn", navn, "rolle",
                     roles_text(r, q), "meny", nav, "loggut",
                     /* Back to the front page, as an absolute URL: the
                      * provider's post_logout_redirect_uri must be one
                      * (register it with ID-porten). */
                     bkm_cfg_logout_href(r->pool, bkm_srv_cfg(r->server),
                                         ap_construct_url(r->pool, "/", r)));
}

int bkm_admin_render(request_rec *r, const bkm_req_t *q, int status,
                     const char *tmpl, json_t *data)
{
    json_object_set_new(data, "forvaltning", bkm_admin_frame(r, q));
    return bkm_page_render(r, status, tmpl, data);
}

void bkm_admin_date_error(request_rec *r, json_t *data, const char *lang,
                          const char *felt)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *tekst = bkm_i18n_text(pg->i18n, lang,
                                      "forvaltning.feil.dato");

    json_object_set_new(data, "feiloppsummering",
                        json_pack("[{s:s, s:s}]", "href",
                                  apr_pstrcat(r->pool, "#", felt, NULL),
                                  "tekst", tekst));
    json_object_set_new(data, apr_pstrcat(r->pool, felt, "Ugyldig", NULL),
                        json_string("true"));
    json_object_set_new(data, apr_pstrcat(r->pool, felt, "Feil", NULL),
                        json_string(tekst));
    json_object_set_new(data, apr_pstrcat(r->pool, felt, "Beskrevet", NULL),
                        json_string(apr_pstrcat(r->pool, felt, "-feil",
                                                NULL)));
    /* What was typed comes back as it was. */
    json_object_set_new(data, "fra",
                        json_string(bkm_page_arg(r, "fra")
                                        ? bkm_page_arg(r, "fra")
                                        : ""));
    json_object_set_new(data, "til",
                        json_string(bkm_page_arg(r, "til")
                                        ? bkm_page_arg(r, "til")
                                        : ""));
}
