/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /helse: is this node able to take reports?  200 when the database
 * answers at the schema version this module expects, 503 otherwise, with a
 * JSON body a load balancer or an operator can read.  No personal data.
 */
#include "mod_bekymring_private.h"
#include "api/api.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "server/routes.h"
#include "bkm_db.h"
#include "bkm_registry.h"
#include "bkm_migrate.h"
#include "bkm_kjede.h"

#include <stdlib.h>
#include <string.h>
#include <http_protocol.h>
#include <apr_strings.h>

int bkm_handle_helse(request_rec *r, const bkm_req_t *q)
{
    bkm_srv_cfg_t *c = bkm_srv_cfg(r->server);
    int expected = bkm_migrations_latest(bkm_migrations), version = -1;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v;
    bkm_db_t *conn;
    json_t *db, *body;
    int rv;

    db = json_pack("{s:s?, s:i}", "driver", c->db_driver,
                   "forventetSkjemaversjon", expected);
    body = json_pack("{s:s, s:o}", "status", "feil", "database", db);
    if (c->registry) {
        const bkm_registry_t *reg = c->registry;
        int i, aktive = 0;
        for (i = 0; i < reg->kommuner->nelts; i++) {
            aktive +=
                APR_ARRAY_IDX(reg->kommuner, i, const bkm_kommune_t *)->aktiv;
        }
        json_object_set_new(body, "register",
                            json_pack("{s:i, s:i}", "kommuner",
                                      reg->kommuner->nelts, "aktive",
                                      aktive));
    }

    conn = bkm_db_acquire(r);
    if (!conn) {
        json_object_set_new(body, "feilmelding",
                            json_string("the database does not answer (or "
                                        "its schema is missing); see the "
                                        "error log"));
        return bkm_reply_json(r, HTTP_SERVICE_UNAVAILABLE, body);
    }
    json_object_set_new(db, "driver", json_string(apr_dbd_name(conn->drv)));
    rv = bkm_db_select(conn, BKM_SQL_SCHEMA_VERSION, &res, 0, NULL);
    while (rv == 0
           && apr_dbd_get_row(conn->drv, r->pool, res, &row, -1) == 0) {
        v = apr_dbd_get_entry(conn->drv, row, 0);
        version = v ? atoi(v) : 0;
    }
    if (rv != 0 || version < 0) {
        json_object_set_new(body, "feilmelding",
                            json_string("the database query failed"));
        return bkm_reply_json(r, HTTP_SERVICE_UNAVAILABLE, body);
    }
    json_object_set_new(db, "skjemaversjon", json_integer(version));
    if (version != expected) {
        json_object_set_new(body, "feilmelding",
                            json_string("the database schema version is not "
                                        "the one this module expects"));
        return bkm_reply_json(r, HTTP_SERVICE_UNAVAILABLE, body);
    }
    /* The audit chain's head, which covers every timeline too (issue 16,
     * item 4: an anchor to keep outside the database; bkm_kjede.h). */
    {
        const char *hode;
        apr_int64_t nr;

        if (bkm_kjede_hode(conn, &nr, &hode) == APR_SUCCESS) {
            json_object_set_new(body, "kjede",
                                json_pack("{s:I, s:s}", "nr", (json_int_t)nr,
                                          "hode", hode));
        }
    }
    json_object_set_new(body, "status", json_string("ok"));
    return bkm_reply_json(r, HTTP_OK, body);
}
