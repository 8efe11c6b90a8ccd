/* SPDX-License-Identifier: Apache-2.0 */
#include "unit.h"

#include <stdlib.h>
#include <stdio.h>
#include <apr_general.h>
#include <apr_dbd.h>

/* Suites of components that may not be built yet are weak: a missing one
 * is simply not run (each component's own file defines its suite). */
Suite *bkm_suite_jsonschema(void) __attribute__((weak));
Suite *bkm_suite_pdf(void) __attribute__((weak));
Suite *bkm_suite_cms(void) __attribute__((weak));
Suite *bkm_suite_asice(void) __attribute__((weak));
Suite *bkm_suite_printjob(void) __attribute__((weak));
Suite *bkm_suite_receipt(void) __attribute__((weak));
Suite *bkm_suite_html(void) __attribute__((weak));
Suite *bkm_suite_form(void) __attribute__((weak));
Suite *bkm_suite_roles(void) __attribute__((weak));
Suite *bkm_suite_besittelse(void) __attribute__((weak));
Suite *bkm_suite_statuskode(void) __attribute__((weak));

apr_pool_t *bkm_test_pool;
static apr_pool_t *root_pool;

void bkm_test_pool_setup(void)
{
    apr_pool_create(&bkm_test_pool, root_pool);
}

void bkm_test_pool_teardown(void)
{
    apr_pool_destroy(bkm_test_pool);
}

const char *bkm_test_dir(void)
{
    static char dir[] = "/tmp/bkm-unit-XXXXXX";
    static int made;

    if (!made) {
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            exit(2);
        }
        made = 1;
    }
    return dir;
}

int main(void)
{
    SRunner *sr;
    int failed;
    char cmd[64];

    apr_initialize();
    apr_pool_create(&root_pool, NULL);
    apr_dbd_init(root_pool);
    sr = srunner_create(bkm_suite_duration());
    srunner_add_suite(sr, bkm_suite_registry());
    srunner_add_suite(sr, bkm_suite_migrate());
    srunner_add_suite(sr, bkm_suite_time());
    srunner_add_suite(sr, bkm_suite_multipart());
    srunner_add_suite(sr, bkm_suite_calendar());
    srunner_add_suite(sr, bkm_suite_token());
    srunner_add_suite(sr, bkm_suite_delivery());
    if (bkm_suite_jsonschema) {
        srunner_add_suite(sr, bkm_suite_jsonschema());
    }
    if (bkm_suite_pdf) {
        srunner_add_suite(sr, bkm_suite_pdf());
    }
    if (bkm_suite_cms) {
        srunner_add_suite(sr, bkm_suite_cms());
    }
    if (bkm_suite_asice) {
        srunner_add_suite(sr, bkm_suite_asice());
    }
    if (bkm_suite_printjob) {
        srunner_add_suite(sr, bkm_suite_printjob());
    }
    if (bkm_suite_receipt) {
        srunner_add_suite(sr, bkm_suite_receipt());
    }
    if (bkm_suite_besittelse) {
        srunner_add_suite(sr, bkm_suite_besittelse());
    }
    if (bkm_suite_html) {
        srunner_add_suite(sr, bkm_suite_html());
    }
    if (bkm_suite_form) {
        srunner_add_suite(sr, bkm_suite_form());
    }
    if (bkm_suite_roles) {
        srunner_add_suite(sr, bkm_suite_roles());
    }
    if (bkm_suite_statuskode) {
        srunner_add_suite(sr, bkm_suite_statuskode());
    }
    srunner_add_suite(sr, bkm_suite_route());
    /* No fork: the suites share the APR pools and the generated files. */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", bkm_test_dir());
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", bkm_test_dir());
    }
    apr_pool_destroy(root_pool);
    apr_terminate();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
