/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Assurance failures ("avvik", issue 12 item 9): every event of the list
 * in bkm_avvik.h is visible four ways --
 *   - on the report's timeline (it is an event there);
 *   - in the administration's overview, filter "avvik" (bkm_melding.avvik,
 *     set here in the event's own transaction);
 *   - in the statistics' integration health, a count per account;
 *   - as a log line at level ALERT with its own tag (BKM03301), naming
 *     the report's id and the event, never content; counted per process.
 *
 * bkm_event (bkm_leveranse.c) calls bkm_avvik_note after each event it
 * inserts, so the events other files record (receipts, checks,
 * reconciliation) need no call of their own: naming the event in
 * bkm_avvik.h is enough.
 *
 * The counts live in this process's memory (atomics; threads share
 * them), since the process started: bkm_avvik_counts hands them to
 * whoever exports metrics.  A farm's total is the sum over its nodes'
 * processes; the database holds the lasting record (avvik and the
 * timeline).  The line and the count come when the event is inserted: a
 * transaction that is then rolled back (a database error, logged itself)
 * leaves a line for an event that was not kept.
 */
#include "bkm_avvik.h"
#include "bkm_log.h"

#include <string.h>
#include <apr_atomic.h>

#define BKM_AVVIK_STRING(name) #name,

static const char *const bkm_avvik_names[] = {
    BKM_AVVIK_HENDELSER(BKM_AVVIK_STRING) NULL
};

int bkm_avvik_index(const char *hendelse)
{
    int i;

    for (i = 0; hendelse && i < BKM_AVVIK_N; i++) {
        if (strcmp(bkm_avvik_names[i], hendelse) == 0) {
            return i;
        }
    }
    return -1;
}

const char *bkm_avvik_name(int i)
{
    return i >= 0 && i < BKM_AVVIK_N ? bkm_avvik_names[i] : NULL;
}

const bkm_sql_t bkm_avvik_sql[] = {
    /* Assurance failures (0013_avvik.sql). */
    { BKM_SQL_MELDING_AVVIK,
      "UPDATE bkm_melding SET avvik = %lld WHERE id = %s" },
    { NULL, NULL }
};

static apr_uint32_t avvik_counts[BKM_AVVIK_N];

apr_status_t bkm_avvik_note(bkm_db_t *db, const char *melding_id,
                            const char *tid, const char *hendelse)
{
    int i = bkm_avvik_index(hendelse);
    const char *args[2] = { tid, melding_id };
    apr_status_t rv;

    if (i < 0) {
        return APR_SUCCESS;
    }
    if ((rv = bkm_db_run(db, BKM_SQL_MELDING_AVVIK, NULL, 2, args))) {
        return rv;
    }
    apr_atomic_inc32(&avvik_counts[i]);
    if (db->log_request) {
        bkm_log_perror(BKM_LOG_MARK, BKM_LOG_ALERT, 0, db->log,
                       BKMLOGNO(03301) "ALERT avvik %s: report %s", hendelse,
                       melding_id);
    }
    else {
        bkm_log_perror(BKM_LOG_MARK, BKM_LOG_ALERT, 0, db->log,
                       BKMLOGNO(03302) "ALERT avvik %s: report %s", hendelse,
                       melding_id);
    }
    return APR_SUCCESS;
}

int bkm_avvik_counts(apr_uint32_t *out, int n)
{
    int i;

    for (i = 0; out && i < n && i < BKM_AVVIK_N; i++) {
        out[i] = apr_atomic_read32(&avvik_counts[i]);
    }
    return BKM_AVVIK_N;
}
