/* SPDX-License-Identifier: Apache-2.0 */
#include "unit.h"

#include <stdlib.h>
#include <stdio.h>
#include <apr_general.h>
#include <apr_dbd.h>

/* Every suite, in the order they run (unit.h declares them).  A name here
 * whose file is missing does not link; a suite defined in t/unit but left
 * out of this table is refused by `make unit` (the Makefile compares the
 * suites named in this file with those the test files define).  One a
 * line, so that branches that add suites merge cleanly. */
/* clang-format off */
static Suite *(*const suites[])(void) = {
    bkm_suite_duration,
    bkm_suite_registry,
    bkm_suite_migrate,
    bkm_suite_time,
    bkm_suite_multipart,
    bkm_suite_calendar,
    bkm_suite_token,
    bkm_suite_levering,
    bkm_suite_jsonschema,
    bkm_suite_pdf,
    bkm_suite_cms,
    bkm_suite_asice,
    bkm_suite_printjob,
    bkm_suite_lagringskvittering,
    bkm_suite_besittelse,
    bkm_suite_html,
    bkm_suite_skjema,
    bkm_suite_roles,
    bkm_suite_statuskode,
    bkm_suite_box,
    bkm_suite_digest,
    bkm_suite_ids,
    bkm_suite_utf8,
    bkm_suite_xml,
    bkm_suite_i18n,
    bkm_suite_dbtx,
    bkm_suite_seal,
    bkm_suite_db,
    bkm_suite_lagring,
    bkm_suite_leveranse,
    bkm_suite_eskalering,
    bkm_suite_paminnelse,
    bkm_suite_route,
    bkm_suite_sertifikat,
    bkm_suite_kjede,
    bkm_suite_prom,
    bkm_suite_format,
    bkm_suite_felt,
    bkm_suite_static,
};
/* clang-format on */

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
    size_t i;

    apr_initialize();
    apr_pool_create(&root_pool, NULL);
    apr_dbd_init(root_pool);
    sr = srunner_create(NULL);
    for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        srunner_add_suite(sr, suites[i]());
    }
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
