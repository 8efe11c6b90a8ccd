/* SPDX-License-Identifier: Apache-2.0 */
/* The ends of our XML documents (bkm_xml): a document that its pool
 * frees, and its bytes -- exactly, and read back by xmllint. */
#include "unit.h"
#include "bkm_xml.h"

#include <stdio.h>
#include <string.h>
#include <apr_strings.h>
#include <libxml/globals.h>

static char dir[512]; /* <test dir>/xml */

static void setup(void)
{
    bkm_test_pool_setup();
    snprintf(dir, sizeof(dir), "%s/xml", bkm_test_dir());
    ck_assert_int_eq(bkm_test_run("mkdir -p %s", dir), 0);
}

START_TEST(exact_bytes)
{
    xmlDocPtr doc = NULL;
    xmlNodePtr root = NULL, a;
    xmlNsPtr ns;
    char *out = NULL;
    apr_size_t len = 0;
    const char *err;
    int rc;

    err = bkm_xml_doc(bkm_test_pool, "manifest", &doc, &root);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_ptr_nonnull(doc);
    ck_assert_ptr_eq(xmlDocGetRootElement(doc), root);
    ck_assert_str_eq((const char *)root->name, "manifest");
    ck_assert_ptr_null(root->ns);
    ns = xmlNewNs(root, BAD_CAST "urn:x-bkm:test", NULL);
    xmlSetNs(root, ns);
    a = xmlNewChild(root, ns, BAD_CAST "fil", NULL);
    xmlNewProp(a, BAD_CAST "navn", BAD_CAST "a&b \"c\".pdf");
    xmlNewTextChild(a, ns, BAD_CAST "tittel", BAD_CAST "Blåbær <&> €");
    xmlNewChild(root, ns, BAD_CAST "tom", NULL);
    err = bkm_xml_dump(bkm_test_pool, doc, &out, &len);
    ck_assert_msg(err == NULL, "%s", err);
    /* The declaration, two spaces a level, UTF-8 as is (no character
     * references), and markup escaped. */
    ck_assert_str_eq(out,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<manifest xmlns=\"urn:x-bkm:test\">\n"
                     "  <fil navn=\"a&amp;b &quot;c&quot;.pdf\">\n"
                     "    <tittel>Blåbær &lt;&amp;&gt; €</tittel>\n"
                     "  </fil>\n"
                     "  <tom/>\n"
                     "</manifest>\n");
    ck_assert_uint_eq(len, strlen(out));
    /* Well-formed to another parser, with the same text. */
    bkm_test_put(dir, "m.xml", out, len);
    ck_assert_int_eq(bkm_test_run("xmllint --noout %s/m.xml", dir), 0);
    rc = bkm_test_run(
        "xmllint --xpath 'string(//*[local-name()=\"tittel\"])' "
        "%s/m.xml > %s/t.txt",
        dir, dir);
    ck_assert_int_eq(rc, 0);
    bkm_test_same_as(dir, "t.txt", "Blåbær <&> €\n", 17);
}
END_TEST

/* The dump is the pool's copy: changing the document afterwards, or
 * dumping again, leaves it as it was. */
START_TEST(dump_is_a_copy)
{
    xmlDocPtr doc;
    xmlNodePtr root;
    char *one, *two;
    apr_size_t n1, n2;

    ck_assert_ptr_null(bkm_xml_doc(bkm_test_pool, "r", &doc, &root));
    ck_assert_ptr_null(bkm_xml_dump(bkm_test_pool, doc, &one, &n1));
    ck_assert_str_eq(one,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<r/>\n");
    xmlNewChild(root, NULL, BAD_CAST "x", BAD_CAST "1");
    ck_assert_ptr_null(bkm_xml_dump(bkm_test_pool, doc, &two, &n2));
    ck_assert_str_eq(one,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<r/>\n");
    ck_assert_str_eq(two,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<r>\n  <x>1</x>\n</r>\n");
    ck_assert_uint_eq(n1, strlen(one));
    ck_assert_uint_eq(n2, strlen(two));
}
END_TEST

static int docs_freed;

static void count_freed(xmlNodePtr node)
{
    if (node->type == XML_DOCUMENT_NODE) {
        docs_freed++;
    }
}

/* The document is freed with its pool, once, and not before. */
START_TEST(freed_with_pool)
{
    xmlDeregisterNodeFunc old = xmlDeregisterNodeDefault(count_freed);
    apr_pool_t *p;
    xmlDocPtr doc;
    xmlNodePtr root;
    char *out;
    apr_size_t len;

    docs_freed = 0;
    apr_pool_create(&p, bkm_test_pool);
    ck_assert_ptr_null(bkm_xml_doc(p, "r", &doc, &root));
    ck_assert_ptr_null(bkm_xml_dump(bkm_test_pool, doc, &out, &len));
    apr_pool_clear(p);
    ck_assert_int_eq(docs_freed, 1);
    ck_assert_ptr_null(bkm_xml_doc(p, "s", &doc, &root));
    ck_assert_int_eq(docs_freed, 1);
    apr_pool_destroy(p);
    ck_assert_int_eq(docs_freed, 2);
    xmlDeregisterNodeDefault(old);
    /* The dump outlives the document. */
    ck_assert_str_eq(out,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<r/>\n");
}
END_TEST

Suite *bkm_suite_xml(void)
{
    Suite *s = suite_create("xml");
    TCase *tc = tcase_create("xml");

    tcase_add_checked_fixture(tc, setup, bkm_test_pool_teardown);
    tcase_add_test(tc, exact_bytes);
    tcase_add_test(tc, dump_is_a_copy);
    tcase_add_test(tc, freed_with_pool);
    suite_add_tcase(s, tc);
    return s;
}
