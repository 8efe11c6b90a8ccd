/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pages about the service (issue 14), linked from every page's footer:
 *   GET /personvern        the privacy statement
 *   GET /tilgjengelighet   the accessibility statement (the Norwegian
 *                          statement's structure: status, deviations,
 *                          assessment, how to report, enforcement body)
 *   GET /kontakt           where to turn: the child welfare service about
 *                          a report, the operator about the service
 *   GET /utlogget          where ID-porten's single logout comes back to
 * Their texts are in the catalogues; who runs the service, and how to
 * reach them, is the registry's "driftsansvarlig" (every page's data:
 * pages/side.c).  No personal data: plain pages, no login.
 */
#include "mod_bekymring_private.h"
#include "pages/pages.h"
#include "server/routes.h"
#include "bkm_i18n.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <string.h>

/* After logout, on a computer others use, the next person must find
 * nothing of the last one's: the receipt with its PDF copy (set by
 * pages/skjema.c, path /sendt), the login evidence that lets a post be
 * kept as a draft, the CSRF cookie and a draft's key (pages/side.c,
 * pages/skjema.c).  The language stays. */
static void forget_browser(request_rec *r)
{
    static const char *const site[] = { "bkm_innlogget", "bkm_csrf",
                                        "bkm_utkast", NULL };
    int i;

    /* and this page offers no logout of its own (pages/side.c) */
    apr_table_setn(r->notes, "bkm_utlogget", "1");
    for (i = 0; site[i]; i++) {
        bkm_page_cookie_remove(r, bkm_page_host_cookie(r, site[i]), "/");
    }
    bkm_page_cookie_remove(r, BKM_COOKIE_SENDT, "/sendt");
}

/* The row's constant (q->arg) is the template, and "<arg>.tittel" its
 * title; "utlogget" is a page that only says something. */
int bkm_handle_om(request_rec *r, const bkm_req_t *q)
{
    const bkm_pages_t *pg = bkm_pages(r);
    json_t *data;

    if (strcmp(q->arg, "utlogget") == 0) {
        forget_browser(r);
        return bkm_page_message(r, HTTP_OK, q->lang, "utlogget.tittel",
                                "utlogget.tekst");
    }
    data = bkm_page_data(r, q->lang,
                         bkm_i18n_text(pg->i18n, q->lang,
                                       apr_pstrcat(r->pool, q->arg, ".tittel",
                                                   NULL)));
    return bkm_page_render(r, HTTP_OK, q->arg, data);
}
