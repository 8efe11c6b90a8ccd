/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_embedded.h
 * @brief Files compiled into the module by build/embed-files.
 */
#ifndef BKM_EMBEDDED_H
#define BKM_EMBEDDED_H

#include <apr.h>

typedef struct {
    const char *name; /**< path relative to its folder; NULL ends */
    const char *data; /**< the bytes, NUL-terminated */
    apr_size_t len;
} bkm_embedded_t;

/** The .json files of schema/bekymringsmelding (report and receipt
 *  schemas). */
extern const bkm_embedded_t bkm_report_schemas[];

/** schema/postnummer/postnummer.tsv, the postal-code register
 *  (bkm_postnummer.h). */
extern const bkm_embedded_t bkm_postnummer_files[];

#endif
