/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the httpd-free core, with Check. */
#ifndef BKM_UNIT_H
#define BKM_UNIT_H

#include <check.h>
#include <apr_pools.h>

Suite *bkm_suite_duration(void);
Suite *bkm_suite_registry(void);
Suite *bkm_suite_migrate(void);
Suite *bkm_suite_time(void);
Suite *bkm_suite_multipart(void);

/** A pool for one test, destroyed by the fixture. */
extern apr_pool_t *bkm_test_pool;
void bkm_test_pool_setup(void);
void bkm_test_pool_teardown(void);

/** A fresh temporary directory for this test run (made once). */
const char *bkm_test_dir(void);

#endif
