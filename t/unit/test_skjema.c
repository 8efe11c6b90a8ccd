/* SPDX-License-Identifier: Apache-2.0 */
/* The reporter's web forms (bkm_skjema), their catalogues (bkm_i18n) and the
 * boxes that keep copies and drafts sealed (bkm_box). */
#include "unit.h"
#include "bkm_box.h"
#include "bkm_skjema.h"
#include "bkm_i18n.h"
#include "bkm_jsonschema.h"

#include <string.h>
#include <apr_strings.h>

static bkm_i18n_t *catalogues(void)
{
    bkm_i18n_t *i;
    const char *err = bkm_i18n_load(bkm_test_pool, "../../htdocs/i18n", &i);

    ck_assert_msg(err == NULL, "%s", err);
    return i;
}

static bkm_skjema_t *parse_ok(bkm_skjema_type_e type, int versjon,
                              const char *body)
{
    bkm_skjema_t *f = NULL;
    const char *err = bkm_skjema_parse(bkm_test_pool, type, versjon, body,
                                       strlen(body), &f);

    ck_assert_msg(err == NULL, "%s: %s", body, err);
    return f;
}

START_TEST(parse_keeps_values_and_counts_blocks)
{
    bkm_skjema_t *f = parse_ok(
        BKM_SKJEMA_PRIVAT, 2,
        "csrf=ab&skjema=cd&handling=send&kommune=0301&bydel=01"
        "&privatBarn.0.personnavn=+%C3%85se+&privatBarn.2.personnavn=Per"
        "&melding=linje+1%0D%0Alinje+2%0D%0A");

    ck_assert_str_eq(f->csrf, "ab");
    ck_assert_str_eq(f->skjema_id, "cd");
    ck_assert_str_eq(f->handling, "send");
    ck_assert_str_eq(f->kommune, "0301");
    ck_assert_int_eq(f->barn, 3);
    ck_assert_str_eq(json_string_value(json_object_get(
                         f->verdier, "privatBarn.0.personnavn")),
                     "\xc3\x85se");
    /* Free text is kept as typed, with CR LF as LF. */
    ck_assert_str_eq(json_string_value(json_object_get(f->verdier,
                                                       "melding")),
                     "linje 1\nlinje 2\n");
}
END_TEST

static const struct {
    bkm_skjema_type_e type;
    int versjon;
    const char *body;
} refused[] = {
    { BKM_SKJEMA_PRIVAT, 2, "melding=%ZZ" },
    { BKM_SKJEMA_PRIVAT, 2, "melding=%4" },
    { BKM_SKJEMA_PRIVAT, 2, "melding=%FF" },
    { BKM_SKJEMA_PRIVAT, 2, "melding=%C0%AF" },    /* overlong '/' */
    { BKM_SKJEMA_PRIVAT, 2, "melding=%ED%A0%80" }, /* a surrogate */
    { BKM_SKJEMA_PRIVAT, 2, "melding%1B=ab" },     /* control in a name */
    { BKM_SKJEMA_PRIVAT, 2, "mel%00ding=ab" },
    { BKM_SKJEMA_PRIVAT, 2, "melding" },
    { BKM_SKJEMA_PRIVAT, 2, "melding=a&melding=b" },
    { BKM_SKJEMA_PRIVAT, 2, "csrf=a&csrf=b" },
    { BKM_SKJEMA_PRIVAT, 2, "ukjent=1" },
    { BKM_SKJEMA_PRIVAT, 2, "privatBarn.0.fnr=1" }, /* public only */
    { BKM_SKJEMA_PRIVAT, 2, "privatBarn.10.personnavn=x" },
    { BKM_SKJEMA_PRIVAT, 2, "privatBarn.01.personnavn=x" },
    { BKM_SKJEMA_PRIVAT, 2, "privatBarn.x.personnavn=x" },
    { BKM_SKJEMA_PRIVAT, 2, "privatBarn..personnavn=x" },
    { BKM_SKJEMA_OFFENTLIG, 2, "foresatte.2.personnavn=x" },
    { BKM_SKJEMA_OFFENTLIG, 1, "melding.andreSynspunkter=x" },
};

/* Pasted text brings control characters the person never saw (Word's
 * line break VT, a PDF's page break FF, a terminal's ESC): the value is
 * kept without them, line breaks as LF, never a 400 that loses it all
 * (issue 14). */
START_TEST(parse_keeps_pasted_text_without_controls)
{
    bkm_skjema_t *f =
        parse_ok(BKM_SKJEMA_PRIVAT, 2,
                 "melding=a%0Bb%0Cc%C2%85d%1B%5B31me%00f%01g%7Fh%09i"
                 "&privatBarn.0.personnavn=Ola%07+Nordmann");

    ck_assert_str_eq(json_string_value(json_object_get(f->verdier,
                                                       "melding")),
                     "a\nb\nc\nd[31mefgh\ti");
    ck_assert_str_eq(json_string_value(json_object_get(
                         f->verdier, "privatBarn.0.personnavn")),
                     "Ola Nordmann");
}
END_TEST

START_TEST(parse_refuses)
{
    bkm_skjema_t *f = NULL;
    const char *body = refused[_i].body;

    ck_assert_msg(bkm_skjema_parse(bkm_test_pool, refused[_i].type,
                                   refused[_i].versjon, body, strlen(body),
                                   &f)
                      != NULL,
                  "accepted: %s", body);
}
END_TEST

START_TEST(version_is_checked_after_routing)
{
    bkm_skjema_t *f = parse_ok(BKM_SKJEMA_OFFENTLIG, BKM_SKJEMA_ALL_VERSIONS,
                               "melding.andreSynspunkter=x");

    ck_assert_ptr_nonnull(bkm_skjema_set_version(f, 1));
    ck_assert_ptr_null(bkm_skjema_set_version(f, 2));
}
END_TEST

START_TEST(report_follows_the_protocol)
{
    const bkm_postnummer_t *postnummer;
    bkm_skjema_t *f =
        parse_ok(BKM_SKJEMA_OFFENTLIG, 2,
                 "offentligMelder.rolle=Helsesykepleier"
                 "&offentligBarn.0.personnavn=A&offentligBarn.0.orientert=nei"
                 "&offentligBarn.0.adresse.adresselinje1=Gate+1"
                 "&offentligBarn.0.adresse.postnummer=0155"
                 "&offentligBarn.1.personnavn=B&offentligBarn.1.ufoedt=ja"
                 "&foresatte.0.personnavn=C&foresatte.0.orientert=ja"
                 "&melding.melding=Bekymret&behovForTolk=");
    json_t *r, *b0, *b1;

    ck_assert_ptr_null(bkm_postnummer_parse(bkm_test_pool, "0155\tOSLO\n", 10,
                                            &postnummer));
    r = bkm_skjema_report(f, postnummer);
    b0 = json_array_get(json_object_get(r, "offentligBarn"), 0);
    b1 = json_array_get(json_object_get(r, "offentligBarn"), 1);

    ck_assert(json_is_object(json_object_get(r, "offentligMelder")));
    ck_assert_int_eq(json_array_size(json_object_get(r, "offentligBarn")), 2);
    ck_assert(json_is_false(json_object_get(b0, "orientert")));
    ck_assert(json_is_false(json_object_get(b0, "ufoedt")));
    ck_assert(json_is_true(json_object_get(b1, "ufoedt")));
    /* The protocol requires fnr and historie even when empty. */
    ck_assert_str_eq(json_string_value(json_object_get(b0, "fnr")), "");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r, "melding"), "historie")),
                     "");
    /* The town from the postcode when none was typed. */
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(b0, "adresse"), "poststed")),
                     "OSLO");
    /* Empty optional fields are left out. */
    ck_assert_ptr_null(json_object_get(r, "behovForTolk"));
    json_decref(r);
}
END_TEST

START_TEST(add_and_remove_blocks)
{
    bkm_skjema_t *f =
        parse_ok(BKM_SKJEMA_PRIVAT, 2,
                 "privatBarn.0.personnavn=A&privatBarn.1.personnavn=B"
                 "&privatBarn.2.personnavn=C");

    ck_assert(bkm_skjema_apply(f, "fjern:privatBarn:1"));
    ck_assert_int_eq(f->barn, 2);
    ck_assert_str_eq(json_string_value(json_object_get(
                         f->verdier, "privatBarn.1.personnavn")),
                     "C");
    ck_assert_ptr_null(json_object_get(f->verdier,
                                       "privatBarn.2.personnavn"));
    ck_assert(bkm_skjema_apply(f, "legg-til:privatBarn"));
    ck_assert_int_eq(f->barn, 3);
    ck_assert(bkm_skjema_apply(f, "fjern:privatBarn:7")); /* no such */
    ck_assert_int_eq(f->barn, 3);
    ck_assert(!bkm_skjema_apply(f, "legg-til:foresatte")); /* private */
    ck_assert(!bkm_skjema_apply(f, "send"));
}
END_TEST

START_TEST(errors_land_on_fields_in_the_language)
{
    bkm_i18n_t *i18n = catalogues();
    bkm_skjema_t *f = parse_ok(BKM_SKJEMA_PRIVAT, 2,
                               "privatBarn.0.personnavn=A");
    apr_array_header_t *errors =
        apr_array_make(bkm_test_pool, 4, sizeof(bkm_jsonschema_error_t));
    bkm_jsonschema_error_t *e = apr_array_push(errors);
    json_t *view, *item;

    e->pointer = "/privatBarn/0/adresse"; /* a missing object */
    e->keyword = "required";
    e->message = "required property \"adresse\" is missing";
    e = apr_array_push(errors);
    e->pointer = "/melding";
    e->keyword = "required";
    e->message = "required property \"melding\" is missing";
    bkm_skjema_set_errors(f, errors, i18n, "nn");
    ck_assert_int_eq(json_array_size(f->oppsummering), 2);
    item = json_array_get(f->oppsummering, 0);
    ck_assert_str_eq(json_string_value(json_object_get(item, "href")),
                     "#f-privatBarn-0-adresse-adresselinje1");
    item = json_array_get(f->oppsummering, 1);
    ck_assert_str_eq(json_string_value(json_object_get(item, "tekst")),
                     "Skriv kva du er uroa for.");
    view = bkm_skjema_view(f, i18n, "nn");
    item = json_object_get(json_object_get(view, "felt"), "melding");
    ck_assert_str_eq(json_string_value(json_object_get(item, "feil")),
                     "Skriv kva du er uroa for.");
    ck_assert_str_eq(json_string_value(json_object_get(item, "beskrevetav")),
                     "f-melding-hjelp f-melding-feil");
    json_decref(view);
}
END_TEST

START_TEST(languages_are_picked_in_order)
{
    ck_assert_str_eq(bkm_i18n_pick("en", "nn", "nb"), "en");
    ck_assert_str_eq(bkm_i18n_pick(NULL, "nn", "en"), "nn");
    ck_assert_str_eq(bkm_i18n_pick(NULL, "se", "en-GB,en;q=0.9"), "en");
    ck_assert_str_eq(bkm_i18n_pick("xx", NULL, "de, nn;q=0.2, en;q=0.5"),
                     "en");
    ck_assert_str_eq(bkm_i18n_pick(NULL, NULL, "no-NO"), "nb");
    ck_assert_str_eq(bkm_i18n_pick(NULL, NULL, "en;q=0, fr"), "nb");
    ck_assert_str_eq(bkm_i18n_pick(NULL, NULL, NULL), "nb");
    ck_assert_ptr_null(bkm_i18n_lang("nbx"));
    ck_assert_ptr_null(bkm_i18n_lang("e"));
    ck_assert_str_eq(bkm_i18n_format(bkm_test_pool, "{n} av {n}", "n", "3"),
                     "3 av 3");
}
END_TEST

START_TEST(catalogues_must_agree)
{
    const char *dir = bkm_test_dir();
    const char *both = "{\"a\": \"A\", \"b\": \"B\"}";
    bkm_i18n_t *i;
    const char *err;

    bkm_test_put(dir, "nb.json", both, strlen(both));
    bkm_test_put(dir, "nn.json", both, strlen(both));
    bkm_test_put(dir, "en.json", "{\"a\": \"A\"}", 10);
    err = bkm_i18n_load(bkm_test_pool, dir, &i);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "en.json lacks \"b\""));
    bkm_test_put(dir, "en.json", "{\"a\": \"A\", \"b\": \"\"}", 19);
    ck_assert_ptr_nonnull(bkm_i18n_load(bkm_test_pool, dir, &i));
    /* The real ones agree, and hold every key the templates use. */
    catalogues();
}
END_TEST

START_TEST(boxes_open_only_with_their_key)
{
    unsigned char key[BKM_BOX_KEY], other[BKM_BOX_KEY], *box, *plain;
    apr_size_t box_len, plain_len;
    const char *text = "Hemmelig bekymring";

    memset(key, 7, sizeof(key));
    memset(other, 8, sizeof(other));
    ck_assert_ptr_null(bkm_box_seal(bkm_test_pool, key, text, strlen(text),
                                    &box, &box_len));
    ck_assert_int_eq(box_len, strlen(text) + 28);
    ck_assert(memmem(box, box_len, "Hemmelig", 8) == NULL);
    ck_assert_ptr_null(bkm_box_open(bkm_test_pool, key, box, box_len, &plain,
                                    &plain_len));
    ck_assert_str_eq((const char *)plain, text);
    ck_assert_ptr_nonnull(bkm_box_open(bkm_test_pool, other, box, box_len,
                                       &plain, &plain_len));
    box[15] ^= 1;
    ck_assert_ptr_nonnull(bkm_box_open(bkm_test_pool, key, box, box_len,
                                       &plain, &plain_len));
    ck_assert_ptr_nonnull(bkm_box_open(bkm_test_pool, key, box, 20, &plain,
                                       &plain_len));
    ck_assert_int_eq(bkm_unhex("0aFF", key, 2), -1);
    ck_assert_int_eq(bkm_unhex("0aff", key, 2), 0);
    ck_assert_int_eq(key[1], 0xff);
    ck_assert_int_eq(strlen(bkm_random_hex(bkm_test_pool, 32)), 64);
}
END_TEST

/* The check page (issue 14): every answer by part in the page's order
 * (children not interleaved), an address as one answer with the place
 * filled in, yes/no as words, and hidden fields that give the same form
 * back. */
START_TEST(summary_lists_every_answer_by_part)
{
    bkm_i18n_t *i18n = catalogues();
    bkm_skjema_t *f = parse_ok(
        BKM_SKJEMA_OFFENTLIG, 2,
        "offentligMelder.rolle=Helsesykepleier"
        "&offentligBarn.0.personnavn=Anne&offentligBarn.0.orientert=ja"
        "&offentligBarn.0.adresse.adresselinje1=Vei+1"
        "&offentligBarn.0.adresse.postnummer=0150"
        "&offentligBarn.1.personnavn=Per&foresatte.0.orientert=nei"
        "&melding.melding=To%0Alinjer");
    const bkm_postnummer_t *postnummer = NULL;
    json_t *deler;

    json_t *del, *rad, *hidden, *item;
    const char *titles[] = {
        "Om deg", "Arbeidsstedet ditt",        "Barn 1",
        "Barn 2", "Forelder eller foresatt 1", "Bekymringen",
        "Annet"
    };
    size_t i, j;
    int adresse = 0, orientert = 0, tom = 0;
    char *body;
    bkm_skjema_t *back;

    ck_assert_ptr_null(bkm_postnummer_parse(bkm_test_pool, "0150\tOSLO\n", 10,
                                            &postnummer));
    deler = bkm_skjema_summary(f, postnummer, i18n, "nb");

    ck_assert_int_eq(json_array_size(deler), 7);
    json_array_foreach(deler, i, del) {
        ck_assert_str_eq(json_string_value(json_object_get(del, "tittel")),
                         titles[i]);
        json_array_foreach(json_object_get(del, "rader"), j, rad) {
            const char *felt = json_string_value(json_object_get(rad,
                                                                 "felt"));
            const char *verdi = json_string_value(json_object_get(rad,
                                                                  "verdi"));
            ck_assert_ptr_nonnull(felt);
            ck_assert(strstr(felt, "adresselinje") == NULL
                      && strstr(felt, "postnummer") == NULL);
            if (strcmp(felt, "offentligBarn.0.adresse") == 0) {
                ck_assert_str_eq(verdi, "Vei 1\n0150 OSLO");
                ck_assert_str_eq(json_string_value(json_object_get(rad,
                                                                   "id")),
                                 "f-offentligBarn-0-adresse-adresselinje1");
                adresse++;
            }
            if (strcmp(felt, "offentligBarn.0.orientert") == 0) {
                ck_assert_str_eq(verdi, "Ja");
                ck_assert_str_eq(json_string_value(json_object_get(rad,
                                                                   "id")),
                                 "f-offentligBarn-0-orientert-ja");
                orientert++;
            }
            if (json_is_true(json_object_get(rad, "tom"))) {
                ck_assert_str_eq(verdi, "");
                tom++;
            }
        }
    }
    ck_assert_int_eq(adresse, 1);
    ck_assert_int_eq(orientert, 1);
    ck_assert_int_gt(tom, 0);
    /* The hidden fields give the same form back (the login's empty name
     * is left out). */
    hidden = bkm_skjema_hidden(f);
    body = "";
    json_array_foreach(hidden, i, item) {
        const char *n = json_string_value(json_object_get(item, "navn"));
        ck_assert_str_ne(n, "offentligMelder.personnavn");
        body = apr_pstrcat(bkm_test_pool, body, *body ? "&" : "", n, "=",
                           json_string_value(json_object_get(item, "verdi")),
                           NULL);
    }
    back = parse_ok(BKM_SKJEMA_OFFENTLIG, 2, body);
    ck_assert_int_eq(back->barn, 2);
    ck_assert_int_eq(back->foresatte, 1);
    ck_assert_str_eq(json_string_value(json_object_get(back->verdier,
                                                       "offentligBarn.1."
                                                       "personnavn")),
                     "Per");
    ck_assert_str_eq(bkm_skjema_dom_id(bkm_test_pool, f,
                                       "foresatte.0.orientert"),
                     "f-foresatte-0-orientert-ja");
    ck_assert_ptr_null(bkm_skjema_dom_id(bkm_test_pool, f, "ukjent"));
    json_decref(hidden);
    json_decref(deler);
}
END_TEST

Suite *bkm_suite_skjema(void)
{
    Suite *s = suite_create("form");
    TCase *tc = tcase_create("form");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_test(tc, parse_keeps_values_and_counts_blocks);
    tcase_add_test(tc, parse_keeps_pasted_text_without_controls);
    tcase_add_loop_test(tc, parse_refuses, 0,
                        (int)(sizeof(refused) / sizeof(refused[0])));
    tcase_add_test(tc, version_is_checked_after_routing);
    tcase_add_test(tc, report_follows_the_protocol);
    tcase_add_test(tc, add_and_remove_blocks);
    tcase_add_test(tc, errors_land_on_fields_in_the_language);
    tcase_add_test(tc, languages_are_picked_in_order);
    tcase_add_test(tc, catalogues_must_agree);
    tcase_add_test(tc, boxes_open_only_with_their_key);
    tcase_add_test(tc, summary_lists_every_answer_by_part);
    suite_add_tcase(s, tc);
    return s;
}
