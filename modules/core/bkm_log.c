/* SPDX-License-Identifier: Apache-2.0 */
/* The core's logging: one callback, set by the glue (bkm_log.h). */
#include "bkm_log.h"

#include <stdarg.h>
#include <apr_strings.h>

static bkm_log_print_cb *log_print;

void bkm_log_set(bkm_log_print_cb *print)
{
    log_print = print;
}

void bkm_log_perror(const char *file, int line, int level, apr_status_t rv,
                    void *baton, const char *fmt, ...)
{
    char msg[8192];
    va_list ap;

    if (!log_print) {
        return;
    }
    va_start(ap, fmt);
    apr_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_print(file, line, level, rv, baton, msg);
}
