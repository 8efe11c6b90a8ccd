/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_postnummer.h
 * @brief The Norwegian postal-code register: which four-digit codes exist
 * and their place.  The module carries it compiled in, from
 * schema/postnummer/postnummer.tsv (README: "The postal-code register").
 * httpd-free.
 */
#ifndef BKM_POSTNUMMER_H
#define BKM_POSTNUMMER_H

#include <apr_pools.h>

/** A register: read-only once made, so threads may share it. */
typedef struct bkm_postnummer_t bkm_postnummer_t;

/**
 * Read a register from its text: lines "NNNN<TAB>PLACE", "#" lines and
 * empty lines skipped.  Bounded: at most the 10,000 codes there can be,
 * each once, and places of at most 100 bytes.
 * @return NULL, or a message naming the line that is wrong
 */
const char *bkm_postnummer_parse(apr_pool_t *p, const char *text,
                                 apr_size_t len,
                                 const bkm_postnummer_t **out);

/** The register compiled into the module (bkm_postnummer_parse() of
 *  schema/postnummer/postnummer.tsv). */
const char *bkm_postnummer_builtin(apr_pool_t *p,
                                   const bkm_postnummer_t **out);

/** The place of a code, or NULL when @p code is not exactly four digits
 *  or not in the register. */
const char *bkm_postnummer_sted(const bkm_postnummer_t *reg,
                                const char *code);

/** How many codes the register has. */
int bkm_postnummer_count(const bkm_postnummer_t *reg);

#endif
