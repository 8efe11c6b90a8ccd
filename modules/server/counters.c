/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A node's counters for the metrics page (server/counters.h).
 */
#include "mod_bekymring_private.h"
#include "server/counters.h"
#include "bkm_db.h"

#include <string.h>
#include <apr_atomic.h>
#include <apr_lib.h>
#include <apr_shm.h>

static bkm_counters_t *counters;

static const char *const varsel_names[BKM_VARSEL_COUNT] = {
    "oppfolging",         "avvik",
    "kontroll-feilet",    "avstemming",
    "kontrollmelding",    "sertifikat-utloper",
    "sertifikat-ugyldig", "annet"
};

const char *bkm_varsel_name(bkm_varsel_e v)
{
    return (unsigned)v < BKM_VARSEL_COUNT ? varsel_names[v] : "annet";
}

bkm_counters_t *bkm_counters(void)
{
    return counters;
}

int bkm_counters_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_shm_t *shm;
    apr_status_t rv;

    rv = apr_shm_create(&shm, sizeof(bkm_counters_t), NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(
            APLOG_MARK, APLOG_CRIT, rv, s,
            BKMLOGNO(06900) "cannot make the metrics' shared memory");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    counters = apr_shm_baseaddr_get(shm);
    memset(counters, 0, sizeof(*counters));
    bkm_db_count_errors(&counters->database_feil);
    return OK;
}

/* "BKMnnnnn: ALERT <kind>: ..." or "BKMnnnnn: ALERT: ..."; the tag scheme
 * (bkm_log.h) keeps each call site's tag and text stable. */
void bkm_counters_error_log(const ap_errorlog_info *info, const char *errstr)
{
    const char *a, *end;
    int i;

    if (!counters || !errstr || strncmp(errstr, "BKM", 3) != 0) {
        return;
    }
    for (i = 3; i < 8; i++) {
        if (!apr_isdigit(errstr[i])) {
            return;
        }
    }
    if (strncmp(errstr + 8, ": ALERT", 7) != 0) {
        return;
    }
    a = errstr + 15;
    if (*a == ':') {
        apr_atomic_inc32(&counters->varsler[BKM_VARSEL_OPPFOLGING]);
        return;
    }
    if (*a++ != ' ') {
        return;
    }
    end = a + strcspn(a, ": ");
    for (i = 1; i < BKM_VARSEL_ANNET; i++) {
        if ((size_t)(end - a) == strlen(varsel_names[i])
            && strncmp(a, varsel_names[i], (size_t)(end - a)) == 0) {
            break;
        }
    }
    apr_atomic_inc32(&counters->varsler[i]);
}

void bkm_counters_pass(apr_time_t started, apr_status_t rv,
                       const bkm_pass_t *out)
{
    apr_time_t now = apr_time_now();

    if (!counters) {
        return;
    }
    apr_atomic_set32(&counters->pass_varighet_ms,
                     (apr_uint32_t)apr_time_as_msec(now - started));
    if (rv != APR_SUCCESS) {
        apr_atomic_inc32(&counters->pass_feilet);
        return;
    }
    apr_atomic_inc32(&counters->pass_ok);
    apr_atomic_set32(&counters->pass_siste_ok,
                     (apr_uint32_t)apr_time_sec(now));
    apr_atomic_add32(&counters->eskalert, (apr_uint32_t)out->eskalert);
    apr_atomic_add32(&counters->slettet, (apr_uint32_t)out->slettet);
    apr_atomic_add32(&counters->paminnelser, (apr_uint32_t)out->paminnelser);
}
