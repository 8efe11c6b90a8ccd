/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /kommune/kjede[?anker=NR:HASH]: the national operator's check of the
 * tamper-evident trail (issue 16, item 4; the chains and their walk are
 * the core's, bkm_kjede.h).  Shows whether every timeline and the audit
 * hold, what was read, the audit chain's head (the anchor to keep
 * outside), and the first broken link; with ?anker=, whether a head kept
 * earlier is still in the chain.  The same walk as build/out/bkm-kjede.
 */
#include "mod_bekymring_private.h"
#include "admin/admin.h"
#include "pages/pages.h"
#include "server/db.h"
#include "server/http.h"
#include "server/routes.h"
#include "bkm_db.h"
#include "bkm_i18n.h"
#include "bkm_kjede.h"

#include <http_protocol.h>
#include <apr_strings.h>

int bkm_handle_kjede(request_rec *r, const bkm_req_t *q)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *anker = bkm_page_arg(r, "anker");
    bkm_kjede_sjekk_t s;
    apr_status_t rv;
    json_t *data;
    bkm_db_t *db;

    data = bkm_page_data(r, q->lang,
                         bkm_i18n_text(pg->i18n, q->lang, "kjede.tittel"));
    if (!(db = bkm_db_acquire(r))) {
        apr_table_setn(r->err_headers_out, "Retry-After",
                       BKM_RETRY_AFTER_503);
        return HTTP_SERVICE_UNAVAILABLE;
    }
    rv = bkm_kjede_verify(db, anker, &s);
    if (rv == APR_EINVAL) {
        const char *tekst = bkm_i18n_text(pg->i18n, q->lang,
                                          "kjede.anker.ugyldig");
        /* The error summary at the top, linked to the field, the text
         * kept (issue 14, item 4). */
        json_object_set_new(data, "feiloppsummering",
                            json_pack("[{s:s, s:s}]", "href", "#anker",
                                      "tekst", tekst));
        json_object_set_new(data, "ankerFeil", json_string(tekst));
        json_object_set_new(data, "ankerUgyldig", json_string("true"));
        json_object_set_new(data, "anker", json_string(anker ? anker : ""));
        return bkm_admin_render(r, q, HTTP_BAD_REQUEST, "admin-kjede", data);
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      BKMLOGNO(05001) "trail check failed: the database");
        apr_table_setn(r->err_headers_out, "Retry-After",
                       BKM_RETRY_AFTER_503);
        return HTTP_SERVICE_UNAVAILABLE;
    }
    json_object_set_new(data, "ok", json_boolean(s.ok));
    json_object_set_new(data, "anker", json_string(anker ? anker : ""));
    json_object_set_new(
        data, "lest",
        json_string(apr_psprintf(
            r->pool,
            "%" APR_INT64_T_FMT " %s, %" APR_INT64_T_FMT
            " %s, %" APR_INT64_T_FMT " %s, %" APR_INT64_T_FMT
            " %s, %" APR_INT64_T_FMT " %s",
            s.hendelser, bkm_i18n_text(pg->i18n, q->lang, "kjede.hendelser"),
            s.meldinger, bkm_i18n_text(pg->i18n, q->lang, "kjede.meldinger"),
            s.revisjoner,
            bkm_i18n_text(pg->i18n, q->lang, "kjede.revisjoner"), s.ankre,
            bkm_i18n_text(pg->i18n, q->lang, "kjede.ankre"), s.ukjedet,
            bkm_i18n_text(pg->i18n, q->lang, "kjede.ukjedet"))));
    json_object_set_new(data, "hode",
                        json_string(apr_psprintf(r->pool,
                                                 "%" APR_INT64_T_FMT ":%s",
                                                 s.hode_nr, s.hode)));
    if (!s.ok) {
        json_object_set_new(data, "brudd", json_true());
        json_object_set_new(data, "brudd_kjede", json_string(s.kjede));
        json_object_set_new(data, "brudd_melding",
                            json_string(s.melding_id ? s.melding_id : "–"));
        json_object_set_new(data, "brudd_nr",
                            json_string(apr_psprintf(r->pool,
                                                     "%" APR_INT64_T_FMT,
                                                     s.nr)));
        json_object_set_new(data, "brudd_grunn", json_string(s.grunn));
        ap_log_rerror(
            APLOG_MARK, APLOG_ALERT, 0, r,
            BKMLOGNO(05002) "trail broken: chain %s%s%s, nr %" APR_INT64_T_FMT
                            ": %s",
            s.kjede, s.melding_id ? " " : "",
            s.melding_id ? s.melding_id : "", s.nr, s.grunn);
    }
    return bkm_admin_render(r, q, HTTP_OK, "admin-kjede", data);
}
