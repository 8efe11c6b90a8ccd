/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_log.h
 * @brief mod_bekymring's own log-tag scheme.
 *
 * httpd reserves APLOGNO ("AHnnnnn") for modules in its distribution, so
 * every log call site of ours carries a unique tag "BKMnnnnn: " instead.
 * Rules (checked by build/check-logtags in `make test`): one number per call
 * site, never reused, kept when only the wording changes.  Log lines name
 * ids, labels and error codes, never report content or national id numbers.
 */
#ifndef BKM_LOG_H
#define BKM_LOG_H

#define BKMLOGNO(n) "BKM" #n ": "

#endif
