/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The print manifest, read back the way the print provider reads it: parsed
 * by libxml2, validated against schema/print/utskrift.xsd with the xmlSchema
 * API, and queried with namespace-aware XPath.  The XSD is tested too, with
 * documents the writer would never produce, so that a schema which accepted
 * anything could not pass.
 */
#include "unit.h"
#include "bkm_printjob.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

/* The tests run in t/unit. */
#define XSD "../../schema/print/utskrift.xsd"

#define UTSKRIFT_ID "3f1c2b8e-5d4a-4c9b-9e2f-0a1b2c3d4e5f"
#define MELDING_ID "9d2e6b1a-0c3f-4a8e-b7d5-1f2e3a4b5c6d"
#define SHA256 \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static bkm_postadresse_t adresse;
static bkm_printjob_t job;
static char schema_errors[4096];

/* A NULL-terminated list of address lines as the registry holds them. */
static apr_array_header_t *lines(const char *first, ...)
{
    apr_array_header_t *a = apr_array_make(bkm_test_pool, 4,
                                           sizeof(const char *));
    const char *s;
    va_list ap;

    va_start(ap, first);
    for (s = first; s; s = va_arg(ap, const char *)) {
        APR_ARRAY_PUSH(a, const char *) = s;
    }
    va_end(ap);
    return a;
}

static void setup(void)
{
    bkm_test_pool_setup();
    memset(&adresse, 0, sizeof(adresse));
    adresse.mottaker = "Barneverntjenesten i bydel Gamle Oslo";
    adresse.adresselinjer = lines("Postboks 9061 Grønland", NULL);
    adresse.postnummer = "0133";
    adresse.poststed = "OSLO";
    memset(&job, 0, sizeof(job));
    job.utskrift_id = UTSKRIFT_ID;
    job.bekymringsmelding_id = MELDING_ID;
    job.referanse = "7K4Q-9XHT";
    job.kommunenummer = "0301";
    job.kommunenavn = "Oslo";
    job.bydelsnummer = "01";
    job.bydelsnavn = "Gamle Oslo";
    job.adresse = &adresse;
    job.dokument_sha256 = SHA256;
    job.dokument_storrelse = 48213;
    job.dokument_type = "application/pkcs7-mime";
    job.bestilt = bkm_test_utc(2026, 11, 23, 10, 0);
    job.arsak = "frist";
}

/* ---- helpers: write, parse, validate, query ---- */

static const char *write_ok(apr_size_t *lenp)
{
    char *xml = (char *)"unset";
    apr_size_t len = 1;
    const char *err = bkm_printjob_manifest(bkm_test_pool, &job, &xml, &len);

    ck_assert_msg(err == NULL, "refused: %s", err);
    ck_assert_ptr_nonnull(xml);
    ck_assert_uint_eq(len, strlen(xml));
    if (lenp) {
        *lenp = len;
    }
    return xml;
}

static const char *write_err(void)
{
    char *xml = (char *)"unset";
    apr_size_t len = 1;
    const char *err = bkm_printjob_manifest(bkm_test_pool, &job, &xml, &len);

    ck_assert_msg(err != NULL, "accepted: %s", xml);
    ck_assert_ptr_null(xml);
    ck_assert_uint_eq(len, 0);
    return err;
}

static apr_status_t doc_cleanup(void *doc)
{
    xmlFreeDoc(doc);
    return APR_SUCCESS;
}

/* A well-formed document, freed with the test's pool. */
static xmlDocPtr parse(const char *xml)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "manifest.xml", NULL,
                                  XML_PARSE_NONET);

    ck_assert_msg(doc != NULL, "not well-formed:\n%s", xml);
    apr_pool_cleanup_register(bkm_test_pool, doc, doc_cleanup,
                              apr_pool_cleanup_null);
    return doc;
}

static void collect(void *ctx, const char *fmt, ...)
{
    size_t n = strlen(schema_errors);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(schema_errors + n, sizeof(schema_errors) - n, fmt, ap);
    va_end(ap);
}

/* 0 if @p doc is valid, else libxml2's code; the messages are in
 * schema_errors.  The XSD is compiled each time: it is small, and a test
 * that broke it must not leave a half-made schema to the next. */
static int validate(xmlDocPtr doc)
{
    xmlSchemaParserCtxtPtr pc;
    xmlSchemaValidCtxtPtr vc;
    xmlSchemaPtr schema;
    int rc;

    schema_errors[0] = '\0';
    pc = xmlSchemaNewParserCtxt(XSD);
    ck_assert_ptr_nonnull(pc);
    xmlSchemaSetParserErrors(pc, collect, collect, NULL);
    schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    ck_assert_msg(schema != NULL, "%s does not compile: %s", XSD,
                  schema_errors);
    vc = xmlSchemaNewValidCtxt(schema);
    ck_assert_ptr_nonnull(vc);
    xmlSchemaSetValidErrors(vc, collect, collect, NULL);
    rc = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(schema);
    return rc;
}

static void assert_valid(xmlDocPtr doc)
{
    ck_assert_msg(validate(doc) == 0, "invalid: %s", schema_errors);
}

/* The string value of an XPath expression, with prefix u bound to the
 * manifest's namespace. */
static const char *xp(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr res;
    const char *s;

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(xmlXPathRegisterNs(ctx, BAD_CAST "u",
                                        BAD_CAST BKM_PRINTJOB_NS),
                     0);
    res = xmlXPathEvalExpression(BAD_CAST apr_pstrcat(bkm_test_pool,
                                                      "string(", expr, ")",
                                                      NULL),
                                 ctx);
    ck_assert_msg(res && res->type == XPATH_STRING, "bad XPath %s", expr);
    s = apr_pstrdup(bkm_test_pool, (const char *)res->stringval);
    xmlXPathFreeObject(res);
    xmlXPathFreeContext(ctx);
    return s;
}

/* The first element of this name in the document's tree. */
static xmlNodePtr find(xmlNodePtr n, const char *name)
{
    xmlNodePtr hit;

    for (; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE
            && !strcmp((const char *)n->name, name)) {
            return n;
        }
        if ((hit = find(n->children, name))) {
            return hit;
        }
    }
    return NULL;
}

#define P "/u:utskrift/u:mottaker/u:postadresse/u:"

/* ---- tests ---- */

START_TEST(valid_manifest)
{
    apr_size_t len;
    const char *xml = write_ok(&len);

    ck_assert_msg(!strncmp(xml,
                           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
                           39),
                  "no XML declaration: %.60s", xml);
    assert_valid(parse(xml));
}
END_TEST

/* The exact bytes, so that a change of shape is a decision (and
 * schema/print/README.md shows this same document). */
START_TEST(golden)
{
    static const char expected[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<utskrift xmlns=\"urn:no:bekymringsmelding:utskrift:v1\" "
        "versjon=\"1\">\n"
        "  <utskriftId>" UTSKRIFT_ID
        "</utskriftId>\n"
        "  <bekymringsmeldingId>" MELDING_ID
        "</bekymringsmeldingId>\n"
        "  <referanse>7K4Q-9XHT</referanse>\n"
        "  <bestilt>2026-11-23T10:00:00Z</bestilt>\n"
        "  <arsak>frist</arsak>\n"
        "  <mottaker>\n"
        "    <kommunenummer>0301</kommunenummer>\n"
        "    <kommunenavn>Oslo</kommunenavn>\n"
        "    <bydelsnummer>01</bydelsnummer>\n"
        "    <bydelsnavn>Gamle Oslo</bydelsnavn>\n"
        "    <postadresse>\n"
        "      <navn>Barneverntjenesten i bydel Gamle Oslo</navn>\n"
        "      <adresselinje>Postboks 9061 Grønland</adresselinje>\n"
        "      <postnummer>0133</postnummer>\n"
        "      <poststed>OSLO</poststed>\n"
        "      <land>NO</land>\n"
        "    </postadresse>\n"
        "  </mottaker>\n"
        "  <dokument>\n"
        "    <type>application/pkcs7-mime</type>\n"
        "    <sha256>" SHA256
        "</sha256>\n"
        "    <storrelse>48213</storrelse>\n"
        "  </dokument>\n"
        "  <utskriftsvalg>\n"
        "    <forsendelse>A-post</forsendelse>\n"
        "    <farge>svarthvitt</farge>\n"
        "    <sider>enkeltsidig</sider>\n"
        "  </utskriftsvalg>\n"
        "</utskrift>\n";
    apr_size_t len;
    const char *xml = write_ok(&len);

    ck_assert_str_eq(xml, expected);
    ck_assert_uint_eq(len, sizeof(expected) - 1);
}
END_TEST

START_TEST(values_round_trip)
{
    xmlDocPtr doc;

    job.arsak = "feilet";
    job.bydelsnummer = "00";
    job.bydelsnavn = "Tromsø";
    job.kommunenummer = "5501";
    job.kommunenavn = "Tromsø";
    job.dokument_storrelse = (apr_off_t)5 * 1024 * 1024 * 1024; /* > 2^32 */
    adresse.adresselinjer = lines("Postboks 6900", NULL);
    adresse.postnummer = "9299";
    adresse.poststed = "TROMSØ";
    doc = parse(write_ok(NULL));
    assert_valid(doc);

    ck_assert_str_eq(xp(doc, "namespace-uri(/*)"), BKM_PRINTJOB_NS);
    ck_assert_str_eq(xp(doc, "local-name(/*)"), "utskrift");
    ck_assert_str_eq(xp(doc, "/u:utskrift/@versjon"), "1");
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:utskriftId"), UTSKRIFT_ID);
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:bekymringsmeldingId"),
                     MELDING_ID);
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:referanse"), "7K4Q-9XHT");
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:bestilt"),
                     "2026-11-23T10:00:00Z");
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:arsak"), "feilet");
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:mottaker/u:kommunenummer"),
                     "5501");
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:mottaker/u:kommunenavn"),
                     "Tromsø");
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:mottaker/u:bydelsnummer"), "00");
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:mottaker/u:bydelsnavn"),
                     "Tromsø");
    ck_assert_str_eq(xp(doc, P "navn"), adresse.mottaker);
    ck_assert_str_eq(xp(doc, "count(" P "adresselinje)"), "1");
    ck_assert_str_eq(xp(doc, P "adresselinje"), "Postboks 6900");
    ck_assert_str_eq(xp(doc, P "postnummer"), "9299");
    ck_assert_str_eq(xp(doc, P "poststed"), "TROMSØ");
    ck_assert_str_eq(xp(doc, P "land"), "NO");
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:dokument/u:type"),
                     "application/pkcs7-mime");
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:dokument/u:sha256"), SHA256);
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:dokument/u:storrelse"),
                     "5368709120");
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:utskriftsvalg/u:forsendelse"),
                     "A-post");
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:utskriftsvalg/u:farge"),
                     "svarthvitt");
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:utskriftsvalg/u:sider"),
                     "enkeltsidig");
    /* nothing outside the namespace, and nothing more than the above */
    ck_assert_str_eq(xp(doc, "count(//*[namespace-uri() != '" BKM_PRINTJOB_NS
                             "'])"),
                     "0");
    ck_assert_str_eq(xp(doc, "count(//*)"), "25");
}
END_TEST

/* UTC whatever Oslo's summer time says, and whole seconds. */
START_TEST(bestilt_utc)
{
    xmlDocPtr doc;

    job.bestilt = bkm_test_utc(2026, 7, 1, 22, 30) + apr_time_from_sec(59)
                  + 999999;
    doc = parse(write_ok(NULL));
    assert_valid(doc);
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:bestilt"),
                     "2026-07-01T22:30:59Z");

    job.bestilt = apr_time_from_sec(APR_INT64_C(253402300799));
    doc = parse(write_ok(NULL));
    assert_valid(doc);
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:bestilt"),
                     "9999-12-31T23:59:59Z");
}
END_TEST

START_TEST(special_characters)
{
    static const char *const texts[] = {
        "Barnevern & familie <avd. \"Sør\"> 'Nord'",
        "ÆØÅ æøå ŋ š ž đ Čáhcesuolu",
        "&amp; is not an entity here, nor is &lt;",
        "]]> ends no CDATA <![CDATA[ x ]]>",
        "Ŋ&š<ž>đ\"Æ'ø",
    };
    const char *xml;
    xmlDocPtr doc;
    int i;

    adresse.mottaker = "Bæ & Rø <barnevern> \"A\" 'B'";
    adresse.adresselinjer = lines(texts[0], texts[1], texts[2], NULL);
    adresse.poststed = "Kárášjohka & Šuoššjávri";
    job.kommunenavn = "Kárášjohka <Karasjok>";
    job.bydelsnavn = "Guovdageaidnu & \"Kautokeino\"";
    xml = write_ok(NULL);
    /* escaped once: the markup characters appear only as references */
    ck_assert_ptr_nonnull(strstr(xml, "Barnevern &amp; familie &lt;avd. "));
    ck_assert_ptr_nonnull(strstr(xml, "&amp;amp; is not an entity here"));
    ck_assert_ptr_null(strstr(xml, "<barnevern>"));
    ck_assert_ptr_null(strstr(xml, "<Karasjok>"));
    /* the letters themselves, as UTF-8, not as character references */
    ck_assert_ptr_nonnull(strstr(xml, texts[1]));
    ck_assert_ptr_null(strstr(xml, "&#"));
    doc = parse(xml);
    assert_valid(doc);
    ck_assert_str_eq(xp(doc, P "navn"), adresse.mottaker);
    ck_assert_str_eq(xp(doc, "count(" P "adresselinje)"), "3");
    for (i = 0; i < 3; i++) {
        ck_assert_str_eq(xp(doc, apr_psprintf(bkm_test_pool,
                                              P "adresselinje[%d]", i + 1)),
                         texts[i]);
    }
    ck_assert_str_eq(xp(doc, P "poststed"), adresse.poststed);
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:mottaker/u:kommunenavn"),
                     job.kommunenavn);
    ck_assert_str_eq(xp(doc, "/u:utskrift/u:mottaker/u:bydelsnavn"),
                     job.bydelsnavn);

    adresse.adresselinjer = lines(texts[3], texts[4], NULL);
    doc = parse(write_ok(NULL));
    assert_valid(doc);
    ck_assert_str_eq(xp(doc, P "adresselinje[1]"), texts[3]);
    ck_assert_str_eq(xp(doc, P "adresselinje[2]"), texts[4]);
}
END_TEST

START_TEST(two_and_three_lines)
{
    xmlDocPtr doc;

    adresse.adresselinjer = lines("Rådhuset", "Postboks 1", NULL);
    doc = parse(write_ok(NULL));
    assert_valid(doc);
    ck_assert_str_eq(xp(doc, "count(" P "adresselinje)"), "2");
    ck_assert_str_eq(xp(doc, P "adresselinje[1]"), "Rådhuset");
    ck_assert_str_eq(xp(doc, P "adresselinje[2]"), "Postboks 1");

    adresse.adresselinjer = lines("Helse- og omsorg", "Rådhuset",
                                  "Postboks 1", NULL);
    doc = parse(write_ok(NULL));
    assert_valid(doc);
    ck_assert_str_eq(xp(doc, "count(" P "adresselinje)"), "3");
    ck_assert_str_eq(xp(doc, P "adresselinje[3]"), "Postboks 1");
    ck_assert_str_eq(xp(doc, P "postnummer"), "0133");
}
END_TEST

/* Four lines: more than the registry allows and than fit above the
 * postcode line; the writer and the XSD both refuse them. */
START_TEST(four_lines)
{
    xmlDocPtr doc;
    xmlNodePtr line;
    const char *err;

    adresse.adresselinjer = lines("a", "b", "c", "d", NULL);
    err = write_err();
    ck_assert_msg(strstr(err, "adresse.adresselinjer") != NULL, "%s", err);

    adresse.adresselinjer = lines("a", "b", "c", NULL);
    doc = parse(write_ok(NULL));
    assert_valid(doc);
    line = find(xmlDocGetRootElement(doc), "adresselinje");
    ck_assert_ptr_nonnull(line);
    ck_assert_ptr_nonnull(xmlAddNextSibling(line, xmlCopyNode(line, 1)));
    ck_assert_str_eq(xp(doc, "count(" P "adresselinje)"), "4");
    ck_assert_int_ne(validate(doc), 0);
    ck_assert_msg(strstr(schema_errors, "adresselinje") != NULL, "%s",
                  schema_errors);
}
END_TEST

/* The XSD refuses what it should, so a schema that accepted anything
 * could not make the tests above pass. */
START_TEST(xsd_refuses)
{
    const char *xml = write_ok(NULL);
    xmlDocPtr doc;
    xmlNodePtr n;

    doc = parse(xml);
    n = find(xmlDocGetRootElement(doc), "postnummer");
    ck_assert_ptr_nonnull(n);
    xmlNodeSetContent(n, BAD_CAST "133");
    ck_assert_int_ne(validate(doc), 0);
    ck_assert_msg(strstr(schema_errors, "postnummer") != NULL, "%s",
                  schema_errors);

    doc = parse(xml);
    n = find(xmlDocGetRootElement(doc), "postadresse");
    ck_assert_ptr_nonnull(n);
    xmlUnlinkNode(n);
    xmlFreeNode(n);
    ck_assert_int_ne(validate(doc), 0);
    ck_assert_msg(strstr(schema_errors, "postadresse") != NULL, "%s",
                  schema_errors);

    /* a line break in an address line */
    doc = parse(xml);
    n = find(xmlDocGetRootElement(doc), "adresselinje");
    xmlNodeSetContent(n, BAD_CAST "Postboks 9061\nGrønland");
    ck_assert_int_ne(validate(doc), 0);

    /* an arsak the portal never writes */
    doc = parse(xml);
    xmlNodeSetContent(find(xmlDocGetRootElement(doc), "arsak"),
                      BAD_CAST "annet");
    ck_assert_int_ne(validate(doc), 0);

    /* the right names in no namespace */
    {
        static const char xmlns[] = " xmlns=\"" BKM_PRINTJOB_NS "\"";
        const char *at = strstr(xml, xmlns);

        ck_assert_ptr_nonnull(at);
        doc = parse(apr_pstrcat(bkm_test_pool,
                                apr_pstrmemdup(bkm_test_pool, xml,
                                               (apr_size_t)(at - xml)),
                                at + sizeof(xmlns) - 1, NULL));
        ck_assert_str_eq(xp(doc, "namespace-uri(/*)"), "");
        ck_assert_int_ne(validate(doc), 0);
    }
}
END_TEST

/* Each field missing or malformed: refused, and the message names it. */
static const struct {
    const char *field;
    const char *value;  /* "(null)": NULL */
    const char *expect; /* in the message */
} refused[] = {
    { "utskrift_id", NULL, "utskrift_id is missing" },
    { "utskrift_id", "", "utskrift_id is missing" },
    { "utskrift_id", "3F1C2B8E-5D4A-4C9B-9E2F-0A1B2C3D4E5F",
      "utskrift_id must be a lower-case UUID" },
    { "utskrift_id", "3f1c2b8e5d4a4c9b9e2f0a1b2c3d4e5f", "utskrift_id" },
    { "utskrift_id", UTSKRIFT_ID "0", "utskrift_id" },
    { "bekymringsmelding_id", NULL, "bekymringsmelding_id is missing" },
    { "bekymringsmelding_id", "{" MELDING_ID "}", "bekymringsmelding_id" },
    { "referanse", NULL, "referanse is missing" },
    { "referanse", "7k4q-9xht", "referanse must be" },
    { "referanse", "7K4Q9XHT", "referanse" },
    { "referanse", "7K4O-9XHT", "referanse" }, /* O is not drawn */
    { "kommunenummer", NULL, "kommunenummer is missing" },
    { "kommunenummer", "301", "kommunenummer must be four digits" },
    { "kommunenummer", "03011", "kommunenummer" },
    { "kommunenummer", "03a1", "kommunenummer" },
    { "kommunenummer", "\xd9\xa0\xd9\xa3\xd9\xa0\xd9\xa1", "kommunenummer" },
    { "kommunenavn", NULL, "kommunenavn is missing" },
    { "kommunenavn", "", "kommunenavn is missing" },
    { "kommunenavn", "   ", "kommunenavn is only white space" },
    { "bydelsnummer", NULL, "bydelsnummer is missing" },
    { "bydelsnummer", "1", "bydelsnummer must be two digits" },
    { "bydelsnummer", "001", "bydelsnummer" },
    { "bydelsnavn", NULL, "bydelsnavn is missing" },
    { "adresse", NULL, "adresse is missing" },
    { "mottaker", NULL, "adresse.mottaker is missing" },
    { "mottaker", "Barnevern\r\nOslo",
      "adresse.mottaker contains a control character" },
    { "adresselinjer", NULL, "adresse.adresselinjer is missing" },
    { "adresselinjer", "", "adresse.adresselinjer is missing" },
    { "adresselinje1", NULL, "adresse.adresselinjer[1] is missing" },
    { "adresselinje1", "Postboks\t1", "adresse.adresselinjer[1] contains" },
    { "adresselinje1",
      "Postboks \xc2\x85"
      "1", /* NEL, a C1 control */
      "adresse.adresselinjer[1] contains a control character" },
    { "adresselinje1", "Postboks\x7f", "adresse.adresselinjer[1] contains" },
    { "postnummer", NULL, "adresse.postnummer is missing" },
    { "postnummer", "133", "adresse.postnummer must be four digits" },
    { "postnummer", "01333", "adresse.postnummer" },
    { "postnummer", "0 33", "adresse.postnummer" },
    { "poststed", NULL, "adresse.poststed is missing" },
    { "poststed", " ", "adresse.poststed is only white space" },
    { "dokument_sha256", NULL, "dokument_sha256 is missing" },
    { "dokument_sha256",
      "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
      "dokument_sha256 must be 64 lower-case hex digits" },
    { "dokument_sha256", SHA256 "0", "dokument_sha256" },
    { "dokument_sha256", "e3b0c442", "dokument_sha256" },
    { "dokument_storrelse", "0", "dokument_storrelse" },
    { "dokument_storrelse", "-1", "dokument_storrelse" },
    { "dokument_type", NULL, "dokument_type is missing" },
    { "dokument_type", "application/pdf",
      "dokument_type must be application/pkcs7-mime" },
    { "bestilt", "0", "bestilt is missing" },
    { "bestilt", "-1", "bestilt is missing" },
    { "bestilt", "253402300800000000", "bestilt is after the year 9999" },
    { "arsak", NULL, "arsak is missing" },
    { "arsak", "FRIST", "arsak must be feilet, frist or manuell" },
    { "arsak", "annet", "arsak" },
};

static void set_field(const char *field, const char *v)
{
    if (!strcmp(field, "utskrift_id")) {
        job.utskrift_id = v;
    }
    else if (!strcmp(field, "bekymringsmelding_id")) {
        job.bekymringsmelding_id = v;
    }
    else if (!strcmp(field, "referanse")) {
        job.referanse = v;
    }
    else if (!strcmp(field, "kommunenummer")) {
        job.kommunenummer = v;
    }
    else if (!strcmp(field, "kommunenavn")) {
        job.kommunenavn = v;
    }
    else if (!strcmp(field, "bydelsnummer")) {
        job.bydelsnummer = v;
    }
    else if (!strcmp(field, "bydelsnavn")) {
        job.bydelsnavn = v;
    }
    else if (!strcmp(field, "adresse")) {
        job.adresse = NULL;
    }
    else if (!strcmp(field, "mottaker")) {
        adresse.mottaker = v;
    }
    else if (!strcmp(field, "adresselinjer")) {
        /* NULL: no array; "": an empty one */
        adresse.adresselinjer = v ? lines(NULL) : NULL;
    }
    else if (!strcmp(field, "adresselinje1")) {
        adresse.adresselinjer = lines("Postboks 1", "x", "y", NULL);
        APR_ARRAY_IDX(adresse.adresselinjer, 1, const char *) = v;
    }
    else if (!strcmp(field, "postnummer")) {
        adresse.postnummer = v;
    }
    else if (!strcmp(field, "poststed")) {
        adresse.poststed = v;
    }
    else if (!strcmp(field, "dokument_sha256")) {
        job.dokument_sha256 = v;
    }
    else if (!strcmp(field, "dokument_storrelse")) {
        job.dokument_storrelse = (apr_off_t)apr_atoi64(v);
    }
    else if (!strcmp(field, "dokument_type")) {
        job.dokument_type = v;
    }
    else if (!strcmp(field, "bestilt")) {
        job.bestilt = (apr_time_t)apr_atoi64(v);
    }
    else if (!strcmp(field, "arsak")) {
        job.arsak = v;
    }
    else {
        ck_abort_msg("no field %s", field);
    }
}

START_TEST(refuse)
{
    const char *err;

    set_field(refused[_i].field, refused[_i].value);
    err = write_err();
    ck_assert_msg(strstr(err, refused[_i].expect) != NULL,
                  "case %d (%s): \"%s\" does not contain \"%s\"", _i,
                  refused[_i].field, err, refused[_i].expect);
}
END_TEST

/* Bytes that are not UTF-8, or not characters XML may hold, in each kind
 * of text field.  Several pass libxml2's own xmlCheckUTF8(). */
static const struct {
    const char *field;
    const char *value;
    const char *expect;
} bad_utf8[] = {
    { "mottaker", "Barnevern \xc3", "adresse.mottaker is not valid UTF-8" },
    { "mottaker", "Barnevern \xc3\x28", "adresse.mottaker is not valid" },
    { "adresselinje1", "Postboks \xc0\xaf", /* overlong '/' */
      "adresse.adresselinjer[1] is not valid UTF-8" },
    { "adresselinje1", "\xe0\x80\xaf", "adresse.adresselinjer[1] is not" },
    { "adresselinje1", "\xed\xa0\x80", /* a UTF-16 surrogate */
      "adresse.adresselinjer[1] is not valid UTF-8" },
    { "poststed", "\xf4\x90\x80\x80", /* beyond U+10FFFF */
      "adresse.poststed is not valid UTF-8" },
    { "poststed", "OSLO\xff", "adresse.poststed is not valid UTF-8" },
    { "kommunenavn", "\x80Oslo", "kommunenavn is not valid UTF-8" },
    { "bydelsnavn", "Gr\xf8nland", /* Latin-1 ø */
      "bydelsnavn is not valid UTF-8" },
    { "bydelsnavn", "Gr\xc3\xb8nland \xef\xbf\xbe", /* U+FFFE */
      "bydelsnavn contains a character that XML does not allow" },
};

START_TEST(invalid_utf8)
{
    const char *err;

    set_field(bad_utf8[_i].field, bad_utf8[_i].value);
    err = write_err();
    ck_assert_msg(strstr(err, bad_utf8[_i].expect) != NULL,
                  "case %d: \"%s\" does not contain \"%s\"", _i, err,
                  bad_utf8[_i].expect);
}
END_TEST

/* Lengths count characters, as the XSD's maxLength does, not bytes. */
START_TEST(lengths)
{
    char *s = apr_palloc(bkm_test_pool, 2 * (BKM_PRINTJOB_MAX_TEKST + 1) + 1);
    const char *err;
    xmlDocPtr doc;
    int i;

    for (i = 0; i <= BKM_PRINTJOB_MAX_TEKST; i++) {
        memcpy(s + 2 * i, "\xc3\xb8", 2); /* ø */
    }
    s[2 * (BKM_PRINTJOB_MAX_TEKST + 1)] = '\0';
    s[2 * BKM_PRINTJOB_MAX_TEKST] = '\0'; /* 200 ø, 400 bytes */
    adresse.adresselinjer = lines(s, NULL);
    adresse.mottaker = s;
    adresse.poststed =
        s + 2 * (BKM_PRINTJOB_MAX_TEKST - BKM_PRINTJOB_MAX_POSTSTED);
    doc = parse(write_ok(NULL));
    assert_valid(doc);
    ck_assert_str_eq(xp(doc, P "adresselinje"), s);

    /* one more: 201 and 101 characters */
    s[2 * BKM_PRINTJOB_MAX_TEKST] = '\xc3';
    err = write_err();
    ck_assert_msg(strstr(err,
                         "adresse.mottaker is longer than 200 "
                         "characters")
                      != NULL,
                  "%s", err);
    adresse.mottaker = "Barnevernet";
    adresse.adresselinjer = lines("Postboks 1", NULL);
    adresse.poststed =
        s + 2 * (BKM_PRINTJOB_MAX_TEKST - BKM_PRINTJOB_MAX_POSTSTED);
    err = write_err();
    ck_assert_msg(strstr(err,
                         "adresse.poststed is longer than 100 "
                         "characters")
                      != NULL,
                  "%s", err);

    /* ... and the XSD agrees */
    s[2 * BKM_PRINTJOB_MAX_TEKST] = '\0';
    adresse.poststed = "OSLO";
    doc = parse(write_ok(NULL));
    xmlNodeSetContent(find(xmlDocGetRootElement(doc), "poststed"),
                      BAD_CAST s
                          + 2
                                * (BKM_PRINTJOB_MAX_TEKST
                                   - BKM_PRINTJOB_MAX_POSTSTED - 1));
    ck_assert_int_ne(validate(doc), 0);
}
END_TEST

START_TEST(no_job)
{
    char *xml = (char *)"unset";
    apr_size_t len = 1;

    ck_assert_ptr_nonnull(bkm_printjob_manifest(bkm_test_pool, NULL, &xml,
                                                &len));
    ck_assert_ptr_null(xml);
    ck_assert_uint_eq(len, 0);
}
END_TEST

Suite *bkm_suite_printjob(void)
{
    Suite *s = suite_create("printjob");
    TCase *tc = tcase_create("printjob");

    tcase_add_checked_fixture(tc, setup, bkm_test_pool_teardown);
    tcase_add_test(tc, valid_manifest);
    tcase_add_test(tc, golden);
    tcase_add_test(tc, values_round_trip);
    tcase_add_test(tc, bestilt_utc);
    tcase_add_test(tc, special_characters);
    tcase_add_test(tc, two_and_three_lines);
    tcase_add_test(tc, four_lines);
    tcase_add_test(tc, xsd_refuses);
    tcase_add_loop_test(tc, refuse, 0, sizeof(refused) / sizeof(refused[0]));
    tcase_add_loop_test(tc, invalid_utf8, 0,
                        sizeof(bad_utf8) / sizeof(bad_utf8[0]));
    tcase_add_test(tc, lengths);
    tcase_add_test(tc, no_job);
    suite_add_tcase(s, tc);
    return s;
}
