/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file server/clock.h
 * @brief The request's time (the test build's clock).
 */
#ifndef BKM_SERVER_CLOCK_H
#define BKM_SERVER_CLOCK_H

#include "mod_bekymring_private.h"

/* server/clock.c */
/** The request's time.  Test builds only (make test compiles this file
 *  with BKM_TEST_CLOCK) honour a "Bkm-Test-Klokke" header; the module that
 *  make builds has no such code at all. */
apr_time_t bkm_now(request_rec *r);
/** Whether this build honours the test clock. */
extern const int bkm_test_clock;

#endif
