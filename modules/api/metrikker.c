/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /bekymring-drift/metrics: the portal's metrics in Prometheus' text
 * format (README "Metrics"; example alert rules in conf/prometheus/).
 * /bekymring-drift is for local callers only unless the site opens this
 * path to the Prometheus server.  No personal data: counts, ages,
 * municipality and district numbers, account ids.
 *
 * Two kinds of figure, said in each HELP text:
 *  - the database's, the same on every node of a farm (reports by state,
 *    what waits for each account): alert on max() over the nodes;
 *  - the node's own, from its shared memory (server/counters.h): escalation
 *    passes, database errors, ALERT lines; sum them over the nodes.
 * When the database does not answer, its families are left out and
 * bekymring_database_up says 0; the node's own are still there.
 */
#include "mod_bekymring_private.h"
#include "api/api.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/counters.h"
#include "server/wal.h"
#include "server/db.h"
#include "server/http.h"
#include "server/vent.h"
#include "bkm_db.h"
#include "bkm_prom.h"
#include "bkm_registry.h"

#include <stdlib.h>
#include <string.h>
#include <http_protocol.h>
#include <apr_atomic.h>
#include <apr_strings.h>

#define BKM_SQL_METRIKK_MELDINGER "bkm_metrikk_meldinger"
#define BKM_SQL_METRIKK_VENTER "bkm_metrikk_venter"

const bkm_sql_t bkm_metrikker_sql[] = {
    /* One index-only read of bkm_melding_metrikker (0016_metrikker.sql). */
    { BKM_SQL_METRIKK_MELDINGER,
      "SELECT kommunenummer, kanal, tilstand, COUNT(*) FROM bkm_melding "
      "GROUP BY kommunenummer, kanal, tilstand "
      "ORDER BY kommunenummer, kanal, tilstand" },
    /* What waits for a receipt, from the partial index of the waiting
     * (bkm_leveranse_venter), so it costs what waits, not what was. */
    { BKM_SQL_METRIKK_VENTER,
      "SELECT konto_id, COUNT(*), MIN(opprettet) FROM bkm_leveranse "
      "WHERE svar IS NULL AND opprettet >= 0 GROUP BY konto_id "
      "ORDER BY konto_id" },
    { NULL, NULL }
};

static apr_status_t reports(request_rec *r, bkm_db_t *db, bkm_prom_t *m)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_hash_t *mottatt = apr_hash_make(r->pool);
    apr_array_header_t *keys = apr_array_make(r->pool, 16, sizeof(char *));
    int i;

    if (bkm_db_select(db, BKM_SQL_METRIKK_MELDINGER, &res, 0, NULL)) {
        return APR_EGENERAL;
    }
    bkm_prom_family(m, "bekymring_meldinger", "gauge",
                    "Reports by municipality, channel and state now "
                    "(the database's: the same on every node).");
    while (apr_dbd_get_row(db->drv, r->pool, res, &row, -1) == 0) {
        const char *k = bkm_db_value(db, row, 0);
        const char *kanal = bkm_db_value(db, row, 1);
        const char *n = bkm_db_value(db, row, 3);
        const char *labels[] = { "kommune",  k,
                                 "kanal",    kanal,
                                 "tilstand", bkm_db_value(db, row, 2),
                                 NULL };
        const char *key = apr_pstrcat(r->pool, k, "\t", kanal, NULL);
        apr_int64_t *sum = apr_hash_get(mottatt, key, APR_HASH_KEY_STRING);

        bkm_prom_sample(m, "bekymring_meldinger", labels,
                        (double)apr_atoi64(n));
        if (!sum) {
            sum = apr_pcalloc(r->pool, sizeof(*sum));
            apr_hash_set(mottatt, key, APR_HASH_KEY_STRING, sum);
            APR_ARRAY_PUSH(keys, const char *) = key;
        }
        *sum += apr_atoi64(n);
    }
    /* Reports are never deleted (only their ciphertexts are), so the
     * count of all of them only grows: a counter, for rate(). */
    bkm_prom_family(m, "bekymring_meldinger_mottatt_total", "counter",
                    "Reports accepted, by municipality and channel "
                    "(the database's: the same on every node).");
    for (i = 0; i < keys->nelts; i++) {
        const char *key = APR_ARRAY_IDX(keys, i, const char *);
        char *kanal = strchr(key, '\t');
        const char *labels[] = { "kommune",
                                 apr_pstrmemdup(r->pool, key,
                                                (apr_size_t)(kanal - key)),
                                 "kanal", kanal + 1, NULL };
        apr_int64_t *sum = apr_hash_get(mottatt, key, APR_HASH_KEY_STRING);

        bkm_prom_sample(m, "bekymring_meldinger_mottatt_total", labels,
                        (double)*sum);
    }
    return APR_SUCCESS;
}

/* One account's row: its labels (the registry names its type and
 * district), how many wait and since when. */
typedef struct {
    const char *labels[9];
    double ventende, alder;
} konto_rad_t;

static apr_status_t waiting(request_rec *r, bkm_db_t *db, bkm_prom_t *m)
{
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *rows = apr_array_make(r->pool, 16,
                                              sizeof(konto_rad_t));
    apr_time_t now = bkm_now(r);
    int i;

    if (bkm_db_select(db, BKM_SQL_METRIKK_VENTER, &res, 0, NULL)) {
        return APR_EGENERAL;
    }
    while (apr_dbd_get_row(db->drv, r->pool, res, &row, -1) == 0) {
        konto_rad_t *k = apr_array_push(rows);
        const char *id = bkm_db_value(db, row, 0);
        const bkm_konto_t *konto = apr_hash_get(reg->konto_by_id, id,
                                                APR_HASH_KEY_STRING);
        const bkm_bydel_t *b = konto ? konto->bydel : NULL;
        apr_time_t since = (apr_time_t)apr_atoi64(bkm_db_value(db, row, 2));
        const char *labels[9] = { "konto",   id,
                                  "type",    konto ? konto->type : "ukjent",
                                  "kommune", b ? b->kommune->nummer : "",
                                  "bydel",   b ? b->nummer : "",
                                  NULL };

        memcpy(k->labels, labels, sizeof(labels));
        k->ventende = (double)apr_atoi64(bkm_db_value(db, row, 1));
        k->alder = since < now ? (double)(now - since) / APR_USEC_PER_SEC
                               : 0.0;
    }
    bkm_prom_family(m, "bekymring_konto_ventende", "gauge",
                    "Reports waiting for the account's receipt (fetched or "
                    "not), by account (the database's: the same on every "
                    "node).");
    for (i = 0; i < rows->nelts; i++) {
        konto_rad_t *k = &APR_ARRAY_IDX(rows, i, konto_rad_t);
        bkm_prom_sample(m, "bekymring_konto_ventende", k->labels,
                        k->ventende);
    }
    bkm_prom_family(m, "bekymring_konto_eldste_ventende_seconds", "gauge",
                    "Age of the oldest report waiting for the account's "
                    "receipt (the database's: the same on every node).");
    for (i = 0; i < rows->nelts; i++) {
        konto_rad_t *k = &APR_ARRAY_IDX(rows, i, konto_rad_t);
        bkm_prom_sample(m, "bekymring_konto_eldste_ventende_seconds",
                        k->labels, k->alder);
    }
    return APR_SUCCESS;
}

/* The node's own figures (server/counters.h, server/vent.h). */
static void node(request_rec *r, bkm_prom_t *m)
{
    bkm_counters_t *c = bkm_counters();
    const char *ok[] = { "utfall", "ok", NULL };
    const char *feilet[] = { "utfall", "feilet", NULL };
    int i;

    bkm_prom_family(m, "bekymring_langpoll_ventende", "gauge",
                    "Case systems' long-polls (?vent=) waiting on this node "
                    "now (BekymringLongPollLimit, BekymringLongPollShare).");
    bkm_prom_sample(m, "bekymring_langpoll_ventende", NULL,
                    bkm_vent_count(r->server));
    /* SQLite's write-ahead log and its checkpointer (server/wal.c). */
    bkm_wal_metrics(r, m);
    if (!c) {
        return;
    }
    bkm_prom_family(m, "bekymring_eskalering_passes_total", "counter",
                    "Escalation passes this node ran, by outcome (the "
                    "node's own: sum over nodes).");
    bkm_prom_sample(m, "bekymring_eskalering_passes_total", ok,
                    apr_atomic_read32(&c->pass_ok));
    bkm_prom_sample(m, "bekymring_eskalering_passes_total", feilet,
                    apr_atomic_read32(&c->pass_feilet));
    bkm_prom_family(m, "bekymring_eskalering_duration_seconds", "gauge",
                    "How long this node's last escalation pass took.");
    bkm_prom_sample(m, "bekymring_eskalering_duration_seconds", NULL,
                    apr_atomic_read32(&c->pass_varighet_ms) / 1000.0);
    bkm_prom_family(m, "bekymring_eskalering_last_success_timestamp_seconds",
                    "gauge",
                    "When this node's last successful escalation pass "
                    "ended (Unix time; 0: none since the node started).");
    bkm_prom_sample(m, "bekymring_eskalering_last_success_timestamp_seconds",
                    NULL, apr_atomic_read32(&c->pass_siste_ok));
    bkm_prom_family(m, "bekymring_eskalering_eskalert_total", "counter",
                    "Reports this node's passes sent to letter post.");
    bkm_prom_sample(m, "bekymring_eskalering_eskalert_total", NULL,
                    apr_atomic_read32(&c->eskalert));
    bkm_prom_family(m, "bekymring_eskalering_slettet_total", "counter",
                    "Ciphertexts this node's passes deleted after the "
                    "retention period.");
    bkm_prom_sample(m, "bekymring_eskalering_slettet_total", NULL,
                    apr_atomic_read32(&c->slettet));
    bkm_prom_family(m, "bekymring_eskalering_paminnelser_total", "counter",
                    "Reminders before letter post this node's passes sent.");
    bkm_prom_sample(m, "bekymring_eskalering_paminnelser_total", NULL,
                    apr_atomic_read32(&c->paminnelser));
    bkm_prom_family(m, "bekymring_database_errors_total", "counter",
                    "Statements the database failed on this node.");
    bkm_prom_sample(m, "bekymring_database_errors_total", NULL,
                    apr_atomic_read32(&c->database_feil));
    bkm_prom_family(m, "bekymring_varsler_total", "counter",
                    "ALERT lines this node wrote to its error log, by kind "
                    "(README \"Metrics\").");
    for (i = 0; i < BKM_VARSEL_COUNT; i++) {
        const char *labels[] = { "art", bkm_varsel_name((bkm_varsel_e)i),
                                 NULL };
        bkm_prom_sample(m, "bekymring_varsler_total", labels,
                        apr_atomic_read32(&c->varsler[i]));
    }
}

int bkm_handle_metrikker(request_rec *r, const bkm_req_t *q)
{
    bkm_prom_t *m = bkm_prom_make(r->pool);
    bkm_prom_t *dbm = bkm_prom_make(r->pool);
    bkm_db_t *db = bkm_db_acquire(r);
    /* All of the database's figures or none, read before anything. */
    int up = db && reports(r, db, dbm) == APR_SUCCESS
             && waiting(r, db, dbm) == APR_SUCCESS;
    const char *text;
    apr_size_t len;

    bkm_prom_family(m, "bekymring_database_up", "gauge",
                    "1 when the database's figures could be read for this "
                    "page, else 0 (and they are left out).");
    bkm_prom_sample(m, "bekymring_database_up", NULL, up);
    if (up) {
        bkm_prom_append(m, dbm);
    }
    node(r, m);
    text = bkm_prom_text(m, &len);
    if (m->invalid) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      BKMLOGNO(06901) "metrics: %d samples with invalid "
                      "names left out",
                      m->invalid);
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only) {
        ap_rwrite(text, (int)len, r);
    }
    return OK;
}
