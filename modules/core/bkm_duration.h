/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_duration.h
 * @brief Durations in configuration ("40h", "2d", "90s").
 */
#ifndef BKM_DURATION_H
#define BKM_DURATION_H

#include <apr_time.h>

/**
 * Parse a duration: a whole number followed by one unit of s, m, h or d.
 * A bare number is taken in @p default_unit ('s', 'm', 'h' or 'd'), or
 * refused when @p default_unit is 0.
 * Nothing else is accepted: no sign, no blanks, no fractions, no mixed units.
 * @param out  the duration, set only on success
 * @return NULL on success, else a message fit for a configuration error
 */
const char *bkm_duration_parse(apr_interval_time_t *out, const char *s,
                               char default_unit);

#endif
