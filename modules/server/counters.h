/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A node's counters for the metrics page (api/metrikker.c): one shared
 * memory segment that every process of the node counts in, made in
 * post_config before the children fork (like the login throttle's).  A
 * restart, graceful or not, starts them from zero again, which Prometheus
 * reads as a counter reset.  In a farm each node counts its own: sum them.
 */
#ifndef BKM_SERVER_COUNTERS_H
#define BKM_SERVER_COUNTERS_H

#include <httpd.h>
#include <http_core.h>
#include <apr_time.h>
#include "bkm_eskalering.h"

/* The kinds of ALERT line (README "Metrics"): the word after "ALERT" in
 * the line, or "oppfolging" for the pass's own "ALERT: ..." line. */
typedef enum {
    BKM_VARSEL_OPPFOLGING = 0,
    BKM_VARSEL_AVVIK,
    BKM_VARSEL_KONTROLL_FEILET,
    BKM_VARSEL_AVSTEMMING,
    BKM_VARSEL_KONTROLLMELDING,
    BKM_VARSEL_SERTIFIKAT_UTLOPER,
    BKM_VARSEL_SERTIFIKAT_UGYLDIG,
    BKM_VARSEL_ANNET,
    BKM_VARSEL_COUNT
} bkm_varsel_e;

/* Every field is read and written with apr_atomic_*32 only. */
typedef struct {
    apr_uint32_t database_feil;             /* statements the DB failed */
    apr_uint32_t varsler[BKM_VARSEL_COUNT]; /* ALERT lines by kind */
    apr_uint32_t pass_ok, pass_feilet;      /* escalation passes run */
    apr_uint32_t pass_varighet_ms;          /* the last pass's duration */
    apr_uint32_t pass_siste_ok;             /* its end, seconds since 1970 */
    apr_uint32_t eskalert, slettet, paminnelser; /* the passes' sums */
} bkm_counters_t;

/* The kind's label value. */
const char *bkm_varsel_name(bkm_varsel_e v);

/* The node's counters; NULL before post_config made them. */
bkm_counters_t *bkm_counters(void);

/* post_config: the segment (its old one goes with the old pconf), and the
 * core's database layer counting its failures in it. */
int bkm_counters_post_config(apr_pool_t *pconf, server_rec *s);

/* The error_log hook: counts the ALERT lines of ours that the log
 * receives, by kind, so the count is what the log says. */
void bkm_counters_error_log(const ap_errorlog_info *info, const char *errstr);

/* An escalation pass ended: when it @p started, its status and outcome. */
void bkm_counters_pass(apr_time_t started, apr_status_t rv,
                       const bkm_pass_t *out);

#endif
