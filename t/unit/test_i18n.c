/* SPDX-License-Identifier: Apache-2.0 */
/* Catalogues and the choice of language (bkm_i18n): the real catalogues
 * of htdocs/i18n load and agree, broken ones are refused with the file
 * and key named, and the language is picked as the header says: the
 * person's choice, the login's locale, then Accept-Language by q. */
#include "unit.h"
#include "bkm_i18n.h"

#include <stdio.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>

/* Tests run in t/unit. */
#define CATALOGUES "../../htdocs/i18n"

static char dir[512]; /* <test dir>/i18n */

static void setup(void)
{
    bkm_test_pool_setup();
    snprintf(dir, sizeof(dir), "%s/i18n", bkm_test_dir());
    ck_assert_int_eq(bkm_test_run("mkdir -p %s", dir), 0);
}

static const bkm_i18n_t *ours(void)
{
    bkm_i18n_t *i = NULL;
    const char *err = bkm_i18n_load(bkm_test_pool, CATALOGUES, &i);

    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_ptr_nonnull(i);
    return i;
}

START_TEST(real_catalogues)
{
    const bkm_i18n_t *i = ours();
    apr_array_header_t *keys = apr_array_make(bkm_test_pool, 2,
                                              sizeof(const char *));
    const char *err;

    ck_assert_str_eq(bkm_i18n_text(i, "nb", "side.logg_ut"), "Logg ut");
    ck_assert_str_eq(bkm_i18n_text(i, "nn", "side.sprak"), "Vel språk");
    ck_assert_str_eq(bkm_i18n_text(i, "en", "side.sprak"), "Choose language");
    /* Any other language is the default's, and a missing key is itself. */
    ck_assert_str_eq(bkm_i18n_text(i, "de", "side.sprak"), "Velg språk");
    ck_assert_str_eq(bkm_i18n_text(i, NULL, "side.sprak"), "Velg språk");
    ck_assert_str_eq(bkm_i18n_text(i, "en", "finnes.ikke"), "finnes.ikke");
    ck_assert_ptr_eq(bkm_i18n_texts(i, "nn"), bkm_i18n_texts(i, "nn"));
    ck_assert_ptr_ne(bkm_i18n_texts(i, "nn"), bkm_i18n_texts(i, "nb"));
    ck_assert_ptr_eq(bkm_i18n_texts(i, "xx"), bkm_i18n_texts(i, "nb"));
    /* Keys a template uses: present, or the first missing one named. */
    APR_ARRAY_PUSH(keys, const char *) = "side.sprak";
    APR_ARRAY_PUSH(keys, const char *) = "tjeneste.navn";
    ck_assert_ptr_null(bkm_i18n_check_keys(i, bkm_test_pool, keys));
    APR_ARRAY_PUSH(keys, const char *) = "mangler.her";
    APR_ARRAY_PUSH(keys, const char *) = "og.her";
    err = bkm_i18n_check_keys(i, bkm_test_pool, keys);
    ck_assert_msg(err && strstr(err, "\"mangler.her\"")
                      && !strstr(err, "og.her"),
                  "%s", err);
}
END_TEST

/* Each text of the real catalogues has the same {placeholders} in every
 * language: a translation that dropped "{n}" would lose the number. */
START_TEST(same_placeholders)
{
    static const char *const langs[] = BKM_I18N_LANGS;
    const bkm_i18n_t *i = ours();
    const char *key, *mark, *end;
    json_t *v;
    int k, n = 0;

    json_object_foreach(bkm_i18n_texts(i, "nb"), key, v) {
        const char *text = json_string_value(v);

        for (mark = strchr(text, '{'); mark; mark = strchr(end, '{')) {
            const char *name;

            end = strchr(mark, '}');
            ck_assert_msg(end != NULL, "%s: an unclosed {", key);
            name = apr_pstrndup(bkm_test_pool, mark, end - mark + 1);
            for (k = 1; k < BKM_I18N_NLANGS; k++) {
                ck_assert_msg(strstr(bkm_i18n_text(i, langs[k], key), name),
                              "%s.json: \"%s\" lacks %s", langs[k], key,
                              name);
            }
            n++;
        }
    }
    ck_assert_int_gt(n, 0);
}
END_TEST

static void catalogue(const char *lang, const char *json)
{
    bkm_test_put(dir, apr_pstrcat(bkm_test_pool, lang, ".json", NULL), json,
                 strlen(json));
}

static const char *load_err(void)
{
    bkm_i18n_t *i = NULL;
    const char *err = bkm_i18n_load(bkm_test_pool, dir, &i);

    ck_assert_msg(err != NULL, "broken catalogues loaded");
    return err;
}

static void assert_err(const char *err, const char *part1, const char *part2)
{
    ck_assert_msg(strstr(err, part1) && strstr(err, part2),
                  "\"%s\" does not name %s and %s", err, part1, part2);
}

START_TEST(broken_catalogues)
{
    bkm_i18n_t *i = NULL;
    const char *err;

    catalogue("nb", "{\"a\": \"A\", \"b\": \"B\"}");
    catalogue("nn", "{\"b\": \"B\", \"a\": \"A\"}");
    catalogue("en", "{\"a\": \"A\", \"b\": \"Bee\"}");
    err = bkm_i18n_load(bkm_test_pool, dir, &i);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_str_eq(bkm_i18n_text(i, "en", "b"), "Bee");
    /* A key that one lacks, whichever it is. */
    catalogue("nn", "{\"a\": \"A\"}");
    assert_err(load_err(), "nn.json lacks \"b\"", "nb.json has");
    catalogue("nn", "{\"a\": \"A\", \"b\": \"B\", \"c\": \"C\"}");
    assert_err(load_err(), "lacks \"c\"", "nn.json has");
    catalogue("nn", "{\"b\": \"B\", \"a\": \"A\"}");
    catalogue("en", "{\"a\": \"A\", \"b\": \"B\", \"c\": \"C\"}");
    assert_err(load_err(), "nb.json lacks \"c\"", "en.json has");
    /* Empty texts, texts that are no strings, duplicate keys. */
    catalogue("en", "{\"a\": \"A\", \"b\": \"\"}");
    assert_err(load_err(), "en.json", "\"b\" is not a non-empty string");
    catalogue("en", "{\"a\": \"A\", \"b\": null}");
    assert_err(load_err(), "en.json", "\"b\"");
    catalogue("en", "{\"a\": \"A\", \"b\": {\"c\": \"C\"}}");
    assert_err(load_err(), "en.json", "\"b\"");
    catalogue("en", "{\"a\": \"A\", \"b\": \"B\", \"a\": \"A2\"}");
    assert_err(load_err(), "en.json", "duplicate");
    /* Not an object, not JSON, not there. */
    catalogue("en", "[\"a\", \"b\"]");
    assert_err(load_err(), "en.json", "not a JSON object");
    catalogue("en", "{\"a\": \"A\", \"b\": \"B\"");
    assert_err(load_err(), "en.json", "line 1");
    ck_assert_int_eq(bkm_test_run("rm %s/en.json", dir), 0);
    assert_err(load_err(), "en.json", "");
}
END_TEST

START_TEST(language_tags)
{
    static const struct {
        const char *tag, *lang;
    } tags[] = {
        { "nb", "nb" },    { "nn", "nn" },      { "en", "en" },
        { "no", "nb" },    { "NB", "nb" },      { "Nn", "nn" },
        { "nb-NO", "nb" }, { "nn-NO", "nn" },   { "no-NO", "nb" },
        { "en-GB", "en" }, { "en-US", "en" },   { "en_GB", "en" },
        { "nb_NO", "nb" }, { "sv", NULL },      { "se", NULL },
        { "de-DE", NULL }, { "e", NULL },       { "", NULL },
        { "eng", NULL },   { "english", NULL }, { "nbx", NULL },
        { "en GB", NULL }, { "*", NULL },       { "-en", NULL },
        { NULL, NULL },
    };
    int k;

    for (k = 0; tags[k].tag; k++) {
        const char *got = bkm_i18n_lang(tags[k].tag);

        if (tags[k].lang) {
            ck_assert_msg(got && strcmp(got, tags[k].lang) == 0,
                          "%s: %s, expected %s", tags[k].tag, got,
                          tags[k].lang);
        }
        else {
            ck_assert_msg(got == NULL, "%s: %s", tags[k].tag, got);
        }
    }
    ck_assert_ptr_null(bkm_i18n_lang(NULL));
    ck_assert_int_eq(bkm_i18n_index("nb"), 0);
    ck_assert_int_eq(bkm_i18n_index("nn"), 1);
    ck_assert_int_eq(bkm_i18n_index("en"), 2);
    ck_assert_int_eq(bkm_i18n_index("en-GB"), 0);
    ck_assert_int_eq(bkm_i18n_index(NULL), 0);
}
END_TEST

static const struct {
    const char *chosen, *locale, *accept, *lang;
} picks[] = {
    /* the person's choice first, then the login's locale */
    { "en", "nn", "nb", "en" },
    { NULL, "nn", "en", "nn" },
    { "xx", "en-GB", "nn", "en" },
    { "", "", "nn", "nn" },
    /* then Accept-Language: the highest q of ours */
    { NULL, NULL, "en-GB,en;q=0.9", "en" },
    { NULL, NULL, "de-DE,de;q=0.9,en;q=0.8,nb;q=0.7", "en" },
    { NULL, NULL, "de, nn;q=0.5, en;q=0.6", "en" },
    { NULL, NULL, "en;q=0.5, nn", "nn" },
    { NULL, NULL, "nn;q=0.5, nb;q=0.5", "nn" }, /* equals: the earlier */
    { NULL, NULL, "en;q=0, nn;q=0.001", "nn" }, /* q=0: not this one */
    { NULL, NULL, "en;q=0", "nb" },
    { NULL, NULL, "en;q=0.0, nb;q=0.00", "nb" },
    { NULL, NULL, "nn-NO;level=1;q=0.4, en;q=0.3", "nn" },
    { NULL, NULL, "no, en;q=0.9", "nb" },
    { NULL, NULL, "sv, da;q=0.9", "nb" },
    { NULL, NULL, "*", "nb" },
    { NULL, NULL, "", "nb" },
    { NULL, NULL, ",,, ;q=1, en", "en" },
    { NULL, NULL,
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, nn",
      "nn" },
    /* RFC 9110: optional white space is spaces or tabs, and "q" is
     * case-insensitive */
    { NULL, NULL, "de,\ten;q=0.9", "en" },
    { NULL, NULL, "de;\tq=0.9,\tnn;\tq=0.8", "nn" },
    { NULL, NULL, "en;Q=0.5, nn;q=0.6", "nn" },
    { NULL, NULL, "en;Q=0, nn;q=0.1", "nn" },
    /* nothing at all */
    { NULL, NULL, NULL, "nb" },
};

START_TEST(pick)
{
    const char *got = bkm_i18n_pick(picks[_i].chosen, picks[_i].locale,
                                    picks[_i].accept);

    ck_assert_msg(strcmp(got, picks[_i].lang) == 0,
                  "%s / %s / \"%s\": %s, expected %s", picks[_i].chosen,
                  picks[_i].locale, picks[_i].accept, got, picks[_i].lang);
}
END_TEST

START_TEST(format)
{
    apr_pool_t *p = bkm_test_pool;

    ck_assert_str_eq(bkm_i18n_format(p, "{n} kommuner", "n", "356"),
                     "356 kommuner");
    ck_assert_str_eq(bkm_i18n_format(p, "{n} av {n}", "n", "3"), "3 av 3");
    ck_assert_str_eq(bkm_i18n_format(p, "{n} av {m}", "n", "3"), "3 av {m}");
    ck_assert_str_eq(bkm_i18n_format(p, "ingen", "n", "3"), "ingen");
    ck_assert_str_eq(bkm_i18n_format(p, "{n}", "n", ""), "");
    ck_assert_str_eq(bkm_i18n_format(p, "{ n} {N} n", "n", "3"),
                     "{ n} {N} n");
    /* The value is put in as is, never read for marks itself. */
    ck_assert_str_eq(bkm_i18n_format(p, "a {n} b", "n", "{n}{n}"),
                     "a {n}{n} b");
}
END_TEST

Suite *bkm_suite_i18n(void)
{
    Suite *s = suite_create("i18n");
    TCase *tc = tcase_create("i18n");

    tcase_add_checked_fixture(tc, setup, bkm_test_pool_teardown);
    tcase_add_test(tc, real_catalogues);
    tcase_add_test(tc, same_placeholders);
    tcase_add_test(tc, broken_catalogues);
    tcase_add_test(tc, language_tags);
    tcase_add_loop_test(tc, pick, 0, sizeof(picks) / sizeof(picks[0]));
    tcase_add_test(tc, format);
    suite_add_tcase(s, tc);
    return s;
}
