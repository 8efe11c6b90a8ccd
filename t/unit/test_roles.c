/* SPDX-License-Identifier: Apache-2.0 */
/* Roles of the municipal administration (bkm_roles), and the keyed hash
 * under which granted roles hold a national id (bkm_hmac_sha256_hex). */
#include "unit.h"
#include "bkm_digest.h"
#include "bkm_roles.h"

#include <string.h>
#include <apr_strings.h>

static bkm_roles_t *load(const char *json, const char **err)
{
    const char *dir = bkm_test_dir();
    bkm_roles_t *r = NULL;

    bkm_test_put(dir, "roles.json", json, strlen(json));
    *err = bkm_roles_load(bkm_test_pool,
                          apr_pstrcat(bkm_test_pool, dir, "/roles.json",
                                      NULL),
                          &r);
    return r;
}

static const char *good =
    "{\"roller\": ["
    "{\"fodselsnummer\": \"01017012345\", \"navn\": \"Kari\","
    " \"rolle\": \"administrator\", \"kommune\": \"0301\"},"
    "{\"fodselsnummer\": \"03039098765\", \"navn\": \"Anne\","
    " \"rolle\": \"administrator\", \"kommune\": \"0301\", \"bydeler\": [\"01\"]},"
    "{\"fodselsnummer\": \"03039098765\", \"navn\": \"Anne\","
    " \"rolle\": \"administrator\", \"kommune\": \"0301\", \"bydeler\": [\"02\"]},"
    "{\"fodselsnummer\": \"02028054321\", \"navn\": \"Ola\","
    " \"rolle\": \"mottaker\", \"kommune\": \"0301\", \"bydeler\": [\"03\"]},"
    "{\"fodselsnummer\": \"15888510025\", \"navn\": \"Per\","
    " \"rolle\": \"operator\"}]}";

START_TEST(who_may_do_what)
{
    const char *err, *navn = NULL;
    bkm_roles_t *r = load(good, &err);
    const apr_array_header_t *d;
    apr_array_header_t *k;
    int all, any;

    ck_assert_msg(err == NULL, "%s", err);
    ck_assert(bkm_roles_allow(r, "01017012345", BKM_TILGANG_SE, "0301", "16",
                              &navn));
    ck_assert_str_eq(navn, "Kari");
    ck_assert(!bkm_roles_allow(r, "01017012345", BKM_TILGANG_SE, "4601", NULL,
                               NULL));
    ck_assert(!bkm_roles_allow(r, "01017012345", BKM_TILGANG_MOTTA, "0301",
                               "03", NULL));
    ck_assert(bkm_roles_allow(r, "03039098765", BKM_TILGANG_SE, "0301", "02",
                              NULL));
    ck_assert(!bkm_roles_allow(r, "03039098765", BKM_TILGANG_SE, "0301", "03",
                               NULL));
    d = bkm_roles_bydeler(bkm_test_pool, r, "03039098765", BKM_TILGANG_SE,
                          "0301");
    ck_assert_int_eq(d->nelts, 2); /* the union of her two bindings */
    ck_assert_ptr_null(bkm_roles_bydeler(bkm_test_pool, r, "01017012345",
                                         BKM_TILGANG_SE, "0301"));
    ck_assert(bkm_roles_allow(r, "02028054321", BKM_TILGANG_MOTTA, "0301",
                              "03", NULL));
    ck_assert(!bkm_roles_allow(r, "02028054321", BKM_TILGANG_MOTTA, "0301",
                               "01", NULL));
    ck_assert(!bkm_roles_allow(r, "02028054321", BKM_TILGANG_SE, "0301", NULL,
                               NULL));
    ck_assert(bkm_roles_allow(r, "15888510025", BKM_TILGANG_SE, "5001", NULL,
                              NULL));
    ck_assert(!bkm_roles_allow(r, "15888510025", BKM_TILGANG_MOTTA, "5001",
                               "00", NULL));
    ck_assert(!bkm_roles_allow(r, "99999999999", BKM_TILGANG_SE, "0301", NULL,
                               NULL));
    k = bkm_roles_kommuner(bkm_test_pool, r, "15888510025", &all, &any);
    ck_assert(all && any && k->nelts == 0);
    k = bkm_roles_kommuner(bkm_test_pool, r, "03039098765", &all, &any);
    ck_assert(!all && any && k->nelts == 1);
    ck_assert_int_eq(
        bkm_roles_of(bkm_test_pool, r, "03039098765")->bindings->nelts, 2);
}
END_TEST

static const char *const bad[] = {
    "{\"roller\": [{\"fodselsnummer\": \"0101701234\", \"navn\": \"A\", \"rolle\": \"operator\"}]}",
    "{\"roller\": [{\"fodselsnummer\": \"01017012345\", \"rolle\": \"operator\"}]}",
    "{\"roller\": [{\"fodselsnummer\": \"01017012345\", \"navn\": \"A\", \"rolle\": \"sjef\"}]}",
    "{\"roller\": [{\"fodselsnummer\": \"01017012345\", \"navn\": \"A\", \"rolle\": \"operator\", \"kommune\": \"0301\"}]}",
    "{\"roller\": [{\"fodselsnummer\": \"01017012345\", \"navn\": \"A\", \"rolle\": \"administrator\", \"kommune\": \"301\"}]}",
    "{\"roller\": [{\"fodselsnummer\": \"01017012345\", \"navn\": \"A\", \"rolle\": \"mottaker\", \"kommune\": \"0301\"}]}",
    "{\"roller\": [{\"fodselsnummer\": \"01017012345\", \"navn\": \"A\", \"rolle\": \"administrator\", \"kommune\": \"0301\", \"bydeler\": [\"1\"]}]}",
    "{\"roller\": [{\"fodselsnummer\": \"01017012345\", \"navn\": \"A\", \"rolle\": \"administrator\", \"kommune\": \"0301\", \"ekstra\": 1}]}",
    "{\"roller\": {}}",
    "[]",
};

START_TEST(bad_files_are_refused_without_the_number)
{
    const char *err;

    load(bad[_i], &err);
    ck_assert_msg(err != NULL, "accepted: %s", bad[_i]);
    ck_assert_msg(strstr(err, "01017012345") == NULL, "the number in: %s",
                  err);
}
END_TEST

START_TEST(hmac_is_rfc_4231)
{
    unsigned char key[20];

    memset(key, 0x0b, sizeof(key));
    ck_assert_str_eq(bkm_hmac_sha256_hex(bkm_test_pool, key, sizeof(key),
                                         "Hi There", 8),
                     "b0344c61d8db38535ca8afceaf0bf12b"
                     "881dc200c9833da726e9376c2e32cff7");
}
END_TEST

/* A registry with municipality 0301 and its districts 01 and 02 only, made
 * in memory (bkm_registry_load's checks are test_registry.c's). */
static bkm_registry_t *small_registry(void)
{
    apr_pool_t *p = bkm_test_pool;
    bkm_registry_t *reg = apr_pcalloc(p, sizeof(*reg));
    bkm_kommune_t *k = apr_pcalloc(p, sizeof(*k));
    const char *nr[] = { "01", "02" };
    int i;

    reg->path = "/etc/mod_bekymring/registry.json";
    reg->kommune_by_nr = apr_hash_make(p);
    k->nummer = "0301";
    k->bydeler = apr_array_make(p, 2, sizeof(bkm_bydel_t *));
    for (i = 0; i < 2; i++) {
        bkm_bydel_t *b = apr_pcalloc(p, sizeof(*b));
        b->kommune = k;
        b->nummer = nr[i];
        APR_ARRAY_PUSH(k->bydeler, bkm_bydel_t *) = b;
    }
    apr_hash_set(reg->kommune_by_nr, k->nummer, APR_HASH_KEY_STRING, k);
    return reg;
}

/* Roles are checked against the registry (issue 15, item 8): an unknown
 * municipality or district is named with the entry, never the number of
 * the person. */
START_TEST(roles_against_the_registry)
{
    const char *err;
    bkm_registry_t *reg = small_registry();
    bkm_roles_t *r;

    r = load(
        "{\"roller\": ["
        "{\"fodselsnummer\": \"01017012345\", \"navn\": \"Kari\","
        " \"rolle\": \"administrator\", \"kommune\": \"0301\","
        " \"bydeler\": [\"02\"]},"
        "{\"fodselsnummer\": \"15888510025\", \"navn\": \"Per\","
        " \"rolle\": \"operator\"}]}",
        &err);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_ptr_null(bkm_roles_check_registry(bkm_test_pool, r, reg));

    r = load(
        "{\"roller\": ["
        "{\"fodselsnummer\": \"15888510025\", \"navn\": \"Per\","
        " \"rolle\": \"operator\"},"
        "{\"fodselsnummer\": \"01017012345\", \"navn\": \"Kari\","
        " \"rolle\": \"mottaker\", \"kommune\": \"4601\","
        " \"bydeler\": [\"01\"]}]}",
        &err);
    ck_assert_msg(err == NULL, "%s", err);
    err = bkm_roles_check_registry(bkm_test_pool, r, reg);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "roller[1]") && strstr(err, "4601")
                      && strstr(err, "Kari")
                      && strstr(err, "/etc/mod_bekymring/registry.json"),
                  "%s", err);
    ck_assert_msg(strstr(err, "01017012345") == NULL, "%s", err);

    r = load(
        "{\"roller\": ["
        "{\"fodselsnummer\": \"01017012345\", \"navn\": \"Kari\","
        " \"rolle\": \"administrator\", \"kommune\": \"0301\","
        " \"bydeler\": [\"01\", \"16\"]}]}",
        &err);
    ck_assert_msg(err == NULL, "%s", err);
    err = bkm_roles_check_registry(bkm_test_pool, r, reg);
    ck_assert_msg(err && strstr(err, "roller[0]") && strstr(err, "0301")
                      && strstr(err, "district 16"),
                  "%s", err ? err : "(accepted)");
}
END_TEST

Suite *bkm_suite_roles(void)
{
    Suite *s = suite_create("roles");
    TCase *tc = tcase_create("roles");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_test(tc, who_may_do_what);
    tcase_add_loop_test(tc, bad_files_are_refused_without_the_number, 0,
                        (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, hmac_is_rfc_4231);
    tcase_add_test(tc, roles_against_the_registry);
    suite_add_tcase(s, tc);
    return s;
}
