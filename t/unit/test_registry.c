/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry: a good file loads with every lookup right; each broken
 * variant of it is refused with a message that names the rule and the entry.
 * Certificates are made with the openssl CLI in a temporary directory.
 */
#include "unit.h"
#include <apr_md5.h>
#include "bkm_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <jansson.h>

#define HASH "$2y$05$abcdefghijklmnopqrstuuJ3s8VIl1IVX3q9oPQj2Y2mFhB0Ewy8S"

static const char *good_json =
    "{ \"print\": { \"kontoId\": \"00000000-0000-4000-8000-000000000009\","
    "              \"sertifikat\": \"c/print.pem\" },"
    "  \"kommuner\": ["
    "   { \"kommunenummer\": \"0301\", \"navn\": \"Oslo\", \"aktiv\": true,"
    "     \"bydeler\": ["
    "      { \"bydelsnummer\": \"01\", \"bydelsnavn\": \"Gamle Oslo\","
    "        \"standardMottaker\": true, \"kanal\": \"fagsystem\","
    "        \"stottetVersjon\": \"V2\","
    "        \"kontoId\": \"00000000-0000-4000-8000-000000000001\","
    "        \"postadresse\": { \"mottaker\": \"Barneverntjenesten\","
    "            \"adresselinjer\": [\"Postboks 1\"], \"postnummer\": \"0601\","
    "            \"poststed\": \"OSLO\" },"
    "        \"sertifikater\": { \"fagsystem\": \"c/fag.pem\" },"
    "        \"kontortid\": \"08:00-16:00\","
    "        \"krevLagringskvittering\": true,"
    "        \"kvitteringssertifikater\": [\"c/man.pem\", \"c/fag.pem\"],"
    "        \"svarfrist\": \"24h\" },"
    "      { \"bydelsnummer\": \"02\", \"bydelsnavn\": \"Grünerløkka\","
    "        \"standardMottaker\": false, \"kanal\": \"manuell\","
    "        \"stottetVersjon\": \"V1\","
    "        \"kontoId\": \"00000000-0000-4000-8000-000000000002\","
    "        \"postadresse\": { \"mottaker\": \"Barneverntjenesten\","
    "            \"adresselinjer\": [\"Postboks 2\"], \"postnummer\": \"0602\","
    "            \"poststed\": \"OSLO\" },"
    "        \"kryptering\": \"aes-256-gcm\","
    "        \"sertifikater\": { \"manuell\": \"c/man.pem\","
    "                            \"print\": \"c/fag.pem\" } } ] },"
    "   { \"kommunenummer\": \"5001\", \"navn\": \"Trondheim\","
    "     \"navnSprak\": { \"sma\": \"Tråante\" }, \"aktiv\": false,"
    "     \"postadresse\": { \"mottaker\": \"Trondheim kommune\","
    "         \"adresselinjer\": [\"Postboks 2300 Torgarden\"],"
    "         \"postnummer\": \"7004\", \"poststed\": \"TRONDHEIM\" } } ],"
    "  \"integrasjoner\": ["
    "   { \"integrasjonId\": \"00000000-0000-4000-8000-00000000000a\","
    "     \"navn\": \"fagsystem\", \"organisasjonsnummer\": \"910000002\","
    "     \"passordHash\": \"" HASH
    "\","
    "     \"kontoer\": [\"00000000-0000-4000-8000-000000000001\"] } ] }";

static void make_certs(void)
{
    static const char *const names[] = { "print", "fag", "man", NULL };
    static int made;
    const char *c = apr_pstrcat(bkm_test_pool, bkm_test_dir(), "/c", NULL);

    if (made) {
        return;
    }
    bkm_test_make_certs(c, names);
    ck_assert_int_eq(bkm_test_run("cat %s/fag.key %s/fag.pem > %s/both.pem "
                                  "&& echo not a certificate > %s/junk.pem",
                                  c, c, c, c),
                     0);
    /* A key too weak to sign stored-receipts (RFC 7518: RSA >= 2048). */
    ck_assert_int_eq(bkm_test_run("openssl req -x509 -newkey rsa:1024 -nodes "
                                  "-days 2 -subj /CN=small -keyout "
                                  "%s/small.key -out %s/small.pem "
                                  "2>/dev/null",
                                  c, c),
                     0);
    made = 1;
}

static const char *write_registry(json_t *root)
{
    const char *path = apr_pstrcat(bkm_test_pool, bkm_test_dir(),
                                   "/registry.json", NULL);
    ck_assert_int_eq(json_dump_file(root, path, 0), 0);
    return path;
}

static json_t *good(void)
{
    json_error_t e;
    json_t *j = json_loads(good_json, 0, &e);

    ck_assert_msg(j != NULL, "fixture: %s", e.text);
    return j;
}

/* Set (or with v == NULL, delete) the member at a slash-separated path;
 * numeric segments index arrays. */
static void set_at(json_t *root, const char *path, json_t *v)
{
    char *copy = strdup(path), *seg, *next, *state = NULL;
    json_t *cur = root;

    seg = strtok_r(copy, "/", &state);
    while ((next = strtok_r(NULL, "/", &state))) {
        cur = json_is_array(cur) ? json_array_get(cur, atoi(seg))
                                 : json_object_get(cur, seg);
        ck_assert_msg(cur != NULL, "fixture path %s", path);
        seg = next;
    }
    if (json_is_array(cur)) {
        ck_assert(v != NULL);
        json_array_set_new(cur, atoi(seg), v);
    }
    else if (v) {
        json_object_set_new(cur, seg, v);
    }
    else {
        json_object_del(cur, seg);
    }
    free(copy);
}

static void setup(void)
{
    bkm_test_pool_setup();
    make_certs();
}

START_TEST(good_registry)
{
    bkm_registry_t *reg = NULL;
    const bkm_kommune_t *oslo, *trd;
    const bkm_bydel_t *b;
    const bkm_integrasjon_t *in;
    const bkm_konto_t *k;
    const char *err = bkm_registry_load(&reg, bkm_test_pool,
                                        write_registry(good()));

    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_int_eq(reg->kommuner->nelts, 2);
    oslo = bkm_registry_kommune(reg, "0301");
    ck_assert_ptr_nonnull(oslo);
    ck_assert(oslo->aktiv);
    ck_assert_int_eq(oslo->bydeler->nelts, 2);
    b = bkm_kommune_bydel(oslo, "02");
    ck_assert_str_eq(b->navn, "Grünerløkka");
    ck_assert_int_eq(b->kanal, BKM_KANAL_MANUELL);
    ck_assert_int_eq(b->versjon, 1);
    ck_assert_int_eq(b->gcm, 1);
    ck_assert_int_eq(bkm_kommune_bydel(oslo, "01")->gcm, 0); /* default */
    ck_assert_ptr_nonnull(b->cert_manuell);
    ck_assert_ptr_null(b->cert_fagsystem);
    /* district override of the print certificate */
    ck_assert_str_eq(b->cert_print->sha256,
                     bkm_kommune_bydel(oslo, "01")->cert_fagsystem->sha256);
    b = bkm_kommune_bydel(oslo, "01");
    ck_assert_int_eq(b->svarfrist, apr_time_from_sec(24 * 3600));
    ck_assert_int_eq(b->kontortid.from_min, 480);
    ck_assert_int_eq(b->kontortid.to_min, 960);
    ck_assert_int_eq(b->krev_lagringskvittering, 1);
    ck_assert_int_eq(b->avvis_lagringskvittering_v1, 0); /* default */
    ck_assert_int_eq(b->kvitteringssertifikater->nelts, 2);
    ck_assert_int_eq(bkm_kommune_bydel(oslo, "02")->kontortid.to_min, 1440);
    ck_assert_int_eq(bkm_kommune_bydel(oslo, "02")->krev_lagringskvittering,
                     0);
    ck_assert_ptr_eq(b->cert_print, reg->print_cert); /* national */
    ck_assert_str_eq(b->adresse.poststed, "OSLO");
    ck_assert_int_eq(strlen(b->cert_fagsystem->sha256), 64);
    ck_assert(strstr(b->cert_fagsystem->pem, "BEGIN CERTIFICATE") != NULL);
    ck_assert(b->cert_fagsystem->not_after > apr_time_now());
    ck_assert_ptr_null(bkm_kommune_bydel(oslo, "03"));

    trd = bkm_registry_kommune(reg, "5001");
    ck_assert(!trd->aktiv);
    ck_assert_int_eq(trd->bydeler->nelts, 0);
    ck_assert_str_eq(bkm_kommune_navn(trd, "sma"), "Tråante");
    ck_assert_str_eq(bkm_kommune_navn(trd, "nn"), "Trondheim");
    ck_assert_str_eq(bkm_kommune_navn(trd, NULL), "Trondheim");
    ck_assert_str_eq(trd->adresse->postnummer, "7004");
    ck_assert_ptr_null(bkm_registry_kommune(reg, "4601"));

    in = apr_hash_get(reg->integrasjon_by_id,
                      "00000000-0000-4000-8000-00000000000a",
                      APR_HASH_KEY_STRING);
    ck_assert_ptr_nonnull(in);
    ck_assert_int_eq(in->kontoer->nelts, 1);
    k = APR_ARRAY_IDX(in->kontoer, 0, const bkm_konto_t *);
    ck_assert_str_eq(k->type, "fagsystem");
    ck_assert_str_eq(k->bydel->nummer, "01");
    k = apr_hash_get(reg->konto_by_id, "00000000-0000-4000-8000-000000000009",
                     APR_HASH_KEY_STRING);
    ck_assert_str_eq(k->type, "print");
    ck_assert_int_eq(apr_hash_count(reg->konto_by_id), 3);
}
END_TEST

/* One broken variant of the good registry per row. */
static const struct {
    const char *path;   /* what to change */
    const char *value;  /* JSON text, or NULL to delete */
    const char *expect; /* a part of the error message */
} bad[] = {
    { "kommuner/0/kommunenummer", "\"9999\"",
      "kommuner[0]: unknown municipality number 9999" },
    { "kommuner/0/kommunenummer", "\"5401\"", "unknown municipality number" },
    { "kommuner/0/kommunenummer", "\"03x1\"", "four digits" },
    { "kommuner/0/kommunenummer", "301", "non-empty string" },
    { "kommuner/1/kommunenummer", "\"0301\"", "0301 is listed twice" },
    { "kommuner/0/bydeler", "[]", "at least one district" },
    { "kommuner/0/bydeler/1/standardMottaker", "true",
      "exactly one district must be standardMottaker (found 2)" },
    { "kommuner/0/bydeler/0/standardMottaker", "false",
      "exactly one district must be standardMottaker (found 0)" },
    { "kommuner/0/bydeler/0/bydelsnummer", "\"00\"", "00" },
    { "kommuner/0/bydeler/1/bydelsnummer", "\"01\"", "listed twice" },
    { "kommuner/0/bydeler/1/bydelsnummer", "\"2\"", "two digits" },
    { "kommuner/0/bydeler/0/kanal", "\"epost\"",
      "kommuner[0] (0301) bydeler[0] (01): \"kanal\"" },
    { "kommuner/0/bydeler/1/stottetVersjon", "\"V3\"",
      "bydeler[1] (02): \"stottetVersjon\"" },
    { "kommuner/0/bydeler/0/sertifikater/fagsystem", NULL,
      "needs the \"fagsystem\" certificate" },
    { "kommuner/0/bydeler/0/sertifikater/fagsystem", "\"c/none.pem\"",
      "cannot read certificate file" },
    { "kommuner/0/bydeler/0/sertifikater/fagsystem", "\"c/both.pem\"",
      "holds a private key" },
    { "kommuner/0/bydeler/0/sertifikater/fagsystem", "\"c/junk.pem\"",
      "not a PEM X.509 certificate" },
    { "kommuner/0/bydeler/0/sertifikater/epost", "\"c/fag.pem\"",
      "unknown member \"epost\"" },
    { "kommuner/0/bydeler/0/svarfrist", "\"40\"", "\"svarfrist\"" },
    { "kommuner/0/bydeler/0/kontortid", "\"16:00-08:00\"", "\"kontortid\"" },
    { "kommuner/0/bydeler/0/kontortid", "\"8:00-16:00\"", "\"kontortid\"" },
    { "kommuner/0/bydeler/0/kontortid", "\"08:00-25:00\"", "\"kontortid\"" },
    { "kommuner/0/bydeler/0/kvitteringssertifikater", "[]",
      "needs at least one certificate" },
    { "kommuner/0/bydeler/0/kvitteringssertifikater", "[\"c/none.pem\"]",
      "kvitteringssertifikater[0]" },
    { "kommuner/0/bydeler/0/krevLagringskvittering", "\"ja\"",
      "true or false" },
    { "kommuner/0/bydeler/0/avvisLagringskvitteringV1", "\"ja\"",
      "true or false" },
    { "kommuner/0/bydeler/1/avvisLagringskvitteringV1", "true",
      "\"avvisLagringskvitteringV1\" needs at least one certificate" },
    { "kommuner/0/bydeler/0/kvitteringssertifikater", "[\"c/small.pem\"]",
      "small.pem: its key suits none of RS256, PS256" },
    { "kommuner/0/bydeler/0/postadresse/poststed", "\"OSLO\\nX\"",
      "cannot be printed on a letter: adresse.poststed contains a control" },
    { "kommuner/0/bydeler/0/postadresse/mottaker", "\"   \"",
      "adresse.mottaker is only white space" },
    { "kommuner/0/bydeler/1/bydelsnavn", "\"\\u0007\"",
      "bydelsnavn contains a control character" },
    { "kommuner/0/navn", "\"Oslo\\u0085\"",
      "kommuner[0] (0301): cannot be printed on a letter: navn" },
    { "kommuner/0/bydeler/0/kryptering", "\"des-ede3\"", "\"kryptering\"" },
    { "kommuner/0/bydeler/0/svarfrist", "\"-1h\"", "\"svarfrist\"" },
    { "kommuner/0/bydeler/0/kontoId", "\"not-a-uuid\"", "UUID" },
    { "kommuner/0/bydeler/0/kontoId",
      "\"00000000-0000-4000-8000-00000000000A\"", "UUID" },
    { "kommuner/0/bydeler/1/kontoId",
      "\"00000000-0000-4000-8000-000000000001\"", "used twice" },
    { "print/kontoId", "\"00000000-0000-4000-8000-000000000001\"",
      "used twice" },
    { "kommuner/0/bydeler/0/postadresse", NULL,
      "\"postadresse\" is missing" },
    { "kommuner/0/bydeler/0/postadresse/postnummer", "\"06a1\"",
      "postnummer" },
    { "kommuner/0/bydeler/0/postadresse/adresselinjer", "[]",
      "one to three lines" },
    { "kommuner/0/bydeler/0/postadresse/adresselinjer",
      "[\"a\",\"b\",\"c\",\"d\"]", "one to three lines" },
    { "kommuner/0/aktiv", "\"yes\"", "true or false" },
    { "kommuner/0/navn", "\"\"", "non-empty string" },
    { "kommuner/0/navnSprak", "{\"se\": 1}", "navnSprak" },
    { "kommuner/0/fylke", "\"Oslo\"", "unknown member \"fylke\"" },
    { "integrasjoner/0/kontoer", "[\"00000000-0000-4000-8000-0000000000ff\"]",
      "not a kontoId" },
    { "integrasjoner/0/passordHash", "\"{SHA}abc\"", "bcrypt" },
    { "integrasjoner/0/passordHash", "\"plain-password\"", "bcrypt" },
    { "integrasjoner/0/organisasjonsnummer", "\"91000000\"", "nine digits" },
    { "integrasjoner/0/integrasjonId", "\"x\"", "UUID" },
    { "integrasjoner/0/fiksOrgId", "\"910000002\"", "UUID" },
    { "kommuner/0/bydeler/0/sertifikater/fagsystem", "[]",
      "a file name or an array of 1 to 4" },
    { "kommuner/0/bydeler/0/sertifikater/fagsystem",
      "[\"c/fag.pem\", \"c/fag.pem\"]", "c/fag.pem is listed twice" },
    { "kommuner/0/bydeler/0/sertifikater/fagsystem",
      "[\"c/fag.pem\", \"c/none.pem\"]",
      "sertifikater[1]: \"fagsystem\": cannot read certificate file" },
    { "kommuner/0/bydeler/0/sertifikater/fagsystem", "[1]",
      "non-empty string" },
    { "print/sertifikat", "[\"c/print.pem\", \"c/both.pem\"]",
      "holds a private key" },
    { "print", NULL, "\"print\" is missing" },
    { "print/sertifikat", NULL, "\"sertifikat\" is missing" },
    { "kommuner", NULL, "\"kommuner\" is missing" },
    { "kommuner", "{}", "must be an array" },
    { "ekstra", "1", "unknown member \"ekstra\"" },
    /* issue 14: the phone number of a municipality not in the portal, and
     * who runs the service */
    { "kommuner/1/telefon", "\"ring oss\"", "\"telefon\" must be a phone" },
    { "kommuner/1/telefon", "\"12\"", "\"telefon\" must be a phone" },
    { "kommuner/1/telefon", "\"51  50 70 90\"", "\"telefon\" must be" },
    { "kommuner/1/telefon", "\"51 50+70 90\"", "\"telefon\" must be" },
    { "kommuner/1/telefon", "\"1234567890123456\"", "\"telefon\" must" },
    { "driftsansvarlig", "\"Drift AS\"",
      "driftsansvarlig: must be an object" },
    { "driftsansvarlig", "{\"epost\": \"a@b.no\"}", "\"navn\" is missing" },
    { "driftsansvarlig", "{\"navn\": \"D\"}", "\"epost\" is missing" },
    { "driftsansvarlig", "{\"navn\": \"D\", \"epost\": \"a, b@c.no\"}",
      "\"epost\" must be one plain address" },
    { "driftsansvarlig",
      "{\"navn\": \"D\", \"epost\": \"a@b.no\", \"nettside\": "
      "\"javascript:alert(1)\"}",
      "\"nettside\" must be an https:// address" },
    { "driftsansvarlig", "{\"navn\": \"D\", \"epost\": \"a@b.no\", \"x\": 1}",
      "unknown member \"x\"" },
};

/* issue 14: the phone number of a municipality not in the portal (shown
 * with a tel: link), and who runs the service (every page's footer). */
START_TEST(telefon_and_drift)
{
    bkm_registry_t *reg = NULL;
    json_t *root = good();
    const bkm_kommune_t *trd;
    const char *err;

    err = bkm_registry_load(&reg, bkm_test_pool, write_registry(root));
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_ptr_null(reg->drift); /* optional in the file */
    ck_assert_ptr_null(bkm_registry_kommune(reg, "5001")->telefon);
    set_at(root, "kommuner/1/telefon", json_string("+47 72 54 00 00"));
    set_at(root, "driftsansvarlig",
           json_pack("{s:s, s:s, s:s, s:s}", "navn", "Drift AS", "epost",
                     "kontakt@drift.example", "telefon", "22 00 00 00",
                     "nettside", "https://drift.example/"));
    err = bkm_registry_load(&reg, bkm_test_pool, write_registry(root));
    json_decref(root);
    ck_assert_msg(err == NULL, "%s", err);
    trd = bkm_registry_kommune(reg, "5001");
    ck_assert_str_eq(trd->telefon, "+47 72 54 00 00");
    ck_assert_str_eq(trd->telefon_uri, "tel:+4772540000");
    ck_assert_ptr_nonnull(reg->drift);
    ck_assert_str_eq(reg->drift->navn, "Drift AS");
    ck_assert_str_eq(reg->drift->epost, "kontakt@drift.example");
    ck_assert_str_eq(reg->drift->telefon_uri, "tel:22000000");
    ck_assert_str_eq(reg->drift->nettside, "https://drift.example/");
}
END_TEST

/* A channel may list a current and a next certificate (issue 16, item 5);
 * the national print one too, which districts without their own share. */
START_TEST(rotation_lists)
{
    bkm_registry_t *reg = NULL;
    json_t *root = good();
    const bkm_bydel_t *b;
    const char *err;

    set_at(root, "kommuner/0/bydeler/0/sertifikater/fagsystem",
           json_pack("[s, s]", "c/fag.pem", "c/man.pem"));
    set_at(root, "print/sertifikat", json_pack("[s]", "c/print.pem"));
    err = bkm_registry_load(&reg, bkm_test_pool, write_registry(root));
    json_decref(root);
    ck_assert_msg(err == NULL, "%s", err);
    b = bkm_kommune_bydel(bkm_registry_kommune(reg, "0301"), "01");
    ck_assert_int_eq(b->fagsystem_sertifikater->nelts, 2);
    ck_assert_ptr_eq(b->cert_fagsystem,
                     APR_ARRAY_IDX(b->fagsystem_sertifikater, 0,
                                   const bkm_cert_t *));
    ck_assert(strstr(
        APR_ARRAY_IDX(b->fagsystem_sertifikater, 1, const bkm_cert_t *)->path,
        "man.pem"));
    ck_assert_ptr_null(b->manuell_sertifikater);
    ck_assert_ptr_eq(b->print_sertifikater, reg->print_sertifikater);
    ck_assert_int_eq(reg->print_sertifikater->nelts, 1);
    /* A single file name is a list of one. */
    b = bkm_kommune_bydel(bkm_registry_kommune(reg, "0301"), "02");
    ck_assert_int_eq(b->manuell_sertifikater->nelts, 1);
    ck_assert_int_eq(b->print_sertifikater->nelts, 1);
    ck_assert_ptr_ne(b->print_sertifikater, reg->print_sertifikater);
}
END_TEST

START_TEST(bad_registry)
{
    bkm_registry_t *reg = NULL;
    json_t *root = good(), *v = NULL;
    const char *err;

    if (bad[_i].value) {
        v = json_loads(bad[_i].value, JSON_DECODE_ANY, NULL);
        ck_assert_ptr_nonnull(v);
    }
    set_at(root, bad[_i].path, v);
    err = bkm_registry_load(&reg, bkm_test_pool, write_registry(root));
    json_decref(root);
    ck_assert_msg(err != NULL, "%s = %s was accepted", bad[_i].path,
                  bad[_i].value);
    ck_assert_msg(strstr(err, bad[_i].expect) != NULL,
                  "%s = %s: message \"%s\" lacks \"%s\"", bad[_i].path,
                  bad[_i].value, err, bad[_i].expect);
    ck_assert_msg(strstr(err, "registry /") == err,
                  "message does not name the file: %s", err);
    ck_assert_ptr_null(reg);
}
END_TEST

/* An unknown IntegrasjonId is checked against the registry's dummy hash:
 * it must cost what the costliest real hash costs (issue 11: a cost-05
 * dummy against cost-10 hashes told which ids exist by the time taken). */
START_TEST(dummy_hash_cost)
{
    static const char *const costs[][2] = {
        { "$2y$07$abcdefghijklmnopqrstuuJ3s8VIl1IVX3q9oPQj2Y2mFhB0Ewy8S",
          "$2y$07$" },
        { "$2y$10$abcdefghijklmnopqrstuuJ3s8VIl1IVX3q9oPQj2Y2mFhB0Ewy8S",
          "$2y$10$" },
    };
    bkm_registry_t *reg = NULL;
    json_t *root;
    const char *err;
    size_t i;

    for (i = 0; i < sizeof(costs) / sizeof(costs[0]); i++) {
        root = good();
        set_at(root, "integrasjoner/0/passordHash", json_string(costs[i][0]));
        err = bkm_registry_load(&reg, bkm_test_pool, write_registry(root));
        json_decref(root);
        ck_assert_msg(err == NULL, "%s", err);
        ck_assert_ptr_nonnull(reg->dummy_hash);
        ck_assert_msg(strncmp(reg->dummy_hash, costs[i][1], 7) == 0,
                      "dummy %s is not at cost %s", reg->dummy_hash,
                      costs[i][1]);
        ck_assert_int_eq(strlen(reg->dummy_hash), 60);
        /* A real bcrypt hash that no password of ours matches. */
        ck_assert_int_ne(apr_password_validate("", reg->dummy_hash),
                         APR_SUCCESS);
    }
    /* Without integrations: the production cost. */
    root = good();
    set_at(root, "integrasjoner", json_array());
    err = bkm_registry_load(&reg, bkm_test_pool, write_registry(root));
    json_decref(root);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_msg(strncmp(reg->dummy_hash, "$2y$10$", 7) == 0, "%s",
                  reg->dummy_hash);
}
END_TEST

START_TEST(not_json)
{
    bkm_registry_t *reg = NULL;
    const char *path = apr_pstrcat(bkm_test_pool, bkm_test_dir(),
                                   "/broken.json", NULL);
    FILE *f = fopen(path, "w");
    const char *err;

    fputs("{\"print\": {}, \"print\": {}}", f);
    fclose(f);
    err = bkm_registry_load(&reg, bkm_test_pool, path);
    ck_assert_msg(err && strstr(err, "duplicate"), "%s", err);

    f = fopen(path, "w");
    fputs("{\"kommuner\": [", f);
    fclose(f);
    err = bkm_registry_load(&reg, bkm_test_pool, path);
    ck_assert_msg(err && strstr(err, "line 1"), "%s", err);

    err = bkm_registry_load(&reg, bkm_test_pool, "/nonexistent/r.json");
    ck_assert_msg(err && strstr(err, "/nonexistent/r.json"), "%s", err);
    ck_assert_ptr_null(reg);
}
END_TEST

Suite *bkm_suite_registry(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("load");

    tcase_add_checked_fixture(tc, setup, bkm_test_pool_teardown);
    tcase_add_test(tc, good_registry);
    tcase_add_test(tc, rotation_lists);
    tcase_add_test(tc, telefon_and_drift);
    tcase_add_loop_test(tc, bad_registry, 0, sizeof(bad) / sizeof(bad[0]));
    tcase_add_test(tc, not_json);
    tcase_add_test(tc, dummy_hash_cost);
    suite_add_tcase(s, tc);
    return s;
}
