/* SPDX-License-Identifier: Apache-2.0 */
/* The pages' static files by their built names (bkm_static): the
 * manifest is refused when a name could leave /static, and the templates'
 * "/static/NAME" references become the built names, or the start stops on
 * a name the build did not make. */
#include "unit.h"
#include "bkm_static.h"

#include <apr_strings.h>
#include <stdio.h>
#include <string.h>

static const char *manifest_file(const char *json)
{
    static int n;
    const char *f = apr_psprintf(bkm_test_pool, "%s/manifest-%d.json",
                                 bkm_test_dir(), n++);
    FILE *fp = fopen(f, "w");

    ck_assert_ptr_nonnull(fp);
    fputs(json, fp);
    fclose(fp);
    return f;
}

static apr_hash_t *good(void)
{
    apr_hash_t *m = NULL;
    const char *err = bkm_static_load(
        bkm_test_pool,
        manifest_file(
            "{\"bkm.css\": \"bkm.0123456789ab.css\","
            " \"vendor/inter.css\": \"vendor/inter.ba9876543210.css\"}"),
        &m);

    ck_assert_msg(err == NULL, "%s", err);
    return m;
}

START_TEST(rewrites_references)
{
    static const char in[] =
        "<link href=\"/static/bkm.css\"/><link href='/static/vendor/inter.css'/>"
        "<a href=\"/static\">x</a> /static/bkm.css <p>\"/statisk/bkm.css\"</p>";
    static const char want[] =
        "<link href=\"/static/bkm.0123456789ab.css\"/>"
        "<link href='/static/vendor/inter.ba9876543210.css'/>"
        "<a href=\"/static\">x</a> /static/bkm.css <p>\"/statisk/bkm.css\"</p>";
    const char *out = NULL;
    apr_size_t len = 0;
    const char *err = bkm_static_rewrite(bkm_test_pool, good(), "t.html", in,
                                         strlen(in), &out, &len);

    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(refuses_unknown_names)
{
    static const char *const bad[] = {
        "<link href=\"/static/bkm.js\"/>",      /* not built */
        "<link href=\"/static/bkm.css?v=2\"/>", /* not a built name */
        "<link href=\"/static/\"/>",
        "<link href=\"/static/bkm.css", /* unclosed */
    };
    apr_size_t k;

    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        const char *out = NULL;
        apr_size_t len = 0;
        const char *err = bkm_static_rewrite(bkm_test_pool, good(), "t.html",
                                             bad[k], strlen(bad[k]), &out,
                                             &len);
        ck_assert_msg(err != NULL, "accepted %s", bad[k]);
        ck_assert_msg(strstr(err, "t.html") != NULL, "%s", err);
    }
}
END_TEST

START_TEST(refuses_bad_manifests)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{}",
        "{\"bkm.css\": 1}",
        "{\"../bkm.css\": \"bkm.css\"}",
        "{\"bkm.css\": \"../../etc/passwd\"}",
        "{\"bkm.css\": \"/etc/passwd\"}",
        "{\"bkm.css\": \"a//b.css\"}",
        "{\"bkm.css\": \"a\\\"b.css\"}",
        "{\"bkm.css\": \"x.css\", \"bkm.css\": \"y.css\"}",
    };
    apr_size_t k;

    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        apr_hash_t *m = NULL;
        const char *err = bkm_static_load(bkm_test_pool,
                                          manifest_file(bad[k]), &m);
        ck_assert_msg(err != NULL, "accepted %s", bad[k]);
    }
    {
        apr_hash_t *m = NULL;
        ck_assert_ptr_nonnull(bkm_static_load(bkm_test_pool,
                                              "/nonexistent/manifest.json",
                                              &m));
    }
}
END_TEST

Suite *bkm_suite_static(void)
{
    Suite *s = suite_create("static");
    TCase *tc = tcase_create("static");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_test(tc, rewrites_references);
    tcase_add_test(tc, refuses_unknown_names);
    tcase_add_test(tc, refuses_bad_manifests);
    suite_add_tcase(s, tc);
    return s;
}
