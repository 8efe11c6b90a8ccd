/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_prom.h
 * @brief Prometheus' text exposition format (version 0.0.4), written.
 * httpd-free.
 *
 * The metrics page (api/metrikker.c) is a list of families, each a HELP
 * and TYPE line and its samples.  Only what that needs: label values and
 * HELP texts escaped as the format says (backslash, double quote, line
 * feed), integer values printed as integers, the rest with 17 significant
 * digits.  Metric and label names are ours, fixed in the code, and are
 * checked (an invalid one is a programming error: the line is left out
 * and the writer remembers it, so a test catches it).
 */
#ifndef BKM_PROM_H
#define BKM_PROM_H

#include <apr_pools.h>
#include "bkm_buf.h"

typedef struct {
    apr_pool_t *pool;
    bkm_buf_t text; /**< the page */
    int invalid;    /**< names refused (0 when all were valid) */
} bkm_prom_t;

/** A new, empty page in @p p. */
bkm_prom_t *bkm_prom_make(apr_pool_t *p);

/** A family's HELP and TYPE lines; @p type is "counter" or "gauge". */
void bkm_prom_family(bkm_prom_t *m, const char *name, const char *type,
                     const char *help);

/**
 * One sample: @p name, then @p labels as NULL-terminated pairs of label
 * name and value (may be NULL for none), and @p value.
 */
void bkm_prom_sample(bkm_prom_t *m, const char *name,
                     const char *const *labels, double value);

/** Append what @p other holds (its refusals counted too). */
void bkm_prom_append(bkm_prom_t *m, const bkm_prom_t *other);

/** The page so far, NUL-terminated, and its length. */
const char *bkm_prom_text(bkm_prom_t *m, apr_size_t *len);

/** 1 if @p s is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*). */
int bkm_prom_name_valid(const char *s);

#endif
