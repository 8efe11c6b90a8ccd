/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_log.h
 * @brief mod_bekymring's own log-tag scheme, and the core's logging.
 *
 * httpd reserves APLOGNO ("AHnnnnn") for modules in its distribution, so
 * every log call site of ours carries a unique tag "BKMnnnnn: " instead.
 * Rules (checked by build/check-logtags in `make test`): one number per call
 * site, never reused, kept when only the wording changes.  Log lines name
 * ids, labels and error codes, never report content or national id numbers.
 *
 * The core (modules/core/bkm_*) has no httpd, so it logs as mod_md's md_log.h
 * does: bkm_log_perror() formats the line and hands it to the callback the
 * glue set with bkm_log_set(), with an opaque baton that says where the
 * line belongs (the glue passes a request or a server: a request's lines
 * keep the client and request context of ap_log_rerror).  Without a
 * callback (unit tests that set none) lines are dropped.  httpd-free.
 */
#ifndef BKM_LOG_H
#define BKM_LOG_H

#include <apr_errno.h>

#define BKMLOGNO(n) "BKM" #n ": "

/** Levels: the numbers of syslog and of httpd's APLOG_* (the glue passes
 *  them through unchanged). */
#define BKM_LOG_EMERG 0
#define BKM_LOG_ALERT 1
#define BKM_LOG_CRIT 2
#define BKM_LOG_ERR 3
#define BKM_LOG_WARNING 4
#define BKM_LOG_NOTICE 5
#define BKM_LOG_INFO 6
#define BKM_LOG_DEBUG 7

/** The call site, as httpd's APLOG_MARK without the module. */
#define BKM_LOG_MARK __FILE__, __LINE__

/**
 * Where a line goes: @p baton is the one the caller gave
 * bkm_log_perror() (a request or a server of the glue's), @p rv the APR
 * status to print with it (0 for none), @p msg the formatted line.
 */
typedef void bkm_log_print_cb(const char *file, int line, int level,
                              apr_status_t rv, void *baton, const char *msg);

/** Set the callback (once, before any thread logs); NULL drops lines. */
void bkm_log_set(bkm_log_print_cb *print);

/** Log one line (at most 8 KiB, as httpd's) through the callback. */
void bkm_log_perror(const char *file, int line, int level, apr_status_t rv,
                    void *baton, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

#endif
