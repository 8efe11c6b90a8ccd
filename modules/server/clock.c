/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The time of a request.
 *
 * Deadlines count business hours across weekends, Easter and Christmas,
 * and the tests must see a report escalate at exactly its deadline without
 * waiting days.  So the test suite drives time: a request may carry
 * "Bkm-Test-Klokke: <microseconds since the epoch>", and its report is
 * accepted, fetched, receipted or escalated at that moment.
 *
 * That must never be possible in production, so it is not a setting: the
 * code exists only when this file is compiled with BKM_TEST_CLOCK, which
 * the Makefile does for the copy of the module that `make test` loads
 * (build/out/test/mod_bekymring.so).  The module `make` builds and
 * installs ignores the header because it has no code that reads it.
 */

#include "mod_bekymring_private.h"
#include "server/clock.h"

#include <apr_strings.h>

#ifdef BKM_TEST_CLOCK
const int bkm_test_clock = 1;

apr_time_t bkm_now(request_rec *r)
{
    const char *v = apr_table_get(r->headers_in, "Bkm-Test-Klokke");
    apr_off_t t;
    char *end;

    if (v && apr_strtoff(&t, v, &end, 10) == APR_SUCCESS && !*end && t > 0) {
        return (apr_time_t)t;
    }
    return apr_time_now();
}
#else
const int bkm_test_clock = 0;

apr_time_t bkm_now(request_rec *r)
{
    return apr_time_now();
}
#endif
