/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the httpd-free core, with Check. */
#ifndef BKM_UNIT_H
#define BKM_UNIT_H

#include <check.h>
#include <apr_pools.h>
#include <apr_time.h>

Suite *bkm_suite_duration(void);
Suite *bkm_suite_registry(void);
Suite *bkm_suite_migrate(void);
Suite *bkm_suite_time(void);
Suite *bkm_suite_multipart(void);
Suite *bkm_suite_calendar(void);
Suite *bkm_suite_token(void);
Suite *bkm_suite_delivery(void);
Suite *bkm_suite_route(void);

/** A pool for one test, destroyed by the fixture. */
extern apr_pool_t *bkm_test_pool;
void bkm_test_pool_setup(void);
void bkm_test_pool_teardown(void);

/** A fresh temporary directory for this test run (made once). */
const char *bkm_test_dir(void);

/* files.c: for tests that check output with command-line tools */
/** system() of a formatted command; its exit status. */
int bkm_test_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** In @p dir (made if need be), a self-signed RSA certificate NAME.pem
 *  and its key NAME.key for each of the NULL-terminated @p names. */
void bkm_test_make_certs(const char *dir, const char *const *names);
void bkm_test_put(const char *dir, const char *name, const void *data,
                  apr_size_t len);
/** A whole file, NUL-terminated, from bkm_test_pool. */
char *bkm_test_slurp(const char *dir, const char *name, apr_size_t *len);
/** A UTC date and time as apr_time_t. */
apr_time_t bkm_test_utc(int y, int mo, int d, int h, int mi);
/** Assert that a file holds exactly these bytes. */
void bkm_test_same_as(const char *dir, const char *name, const void *data,
                      apr_size_t len);

#endif
