/* SPDX-License-Identifier: Apache-2.0 */
/* Page templates (bkm_html): escaping by construction, sections, includes,
 * and the templates that must be refused at start-up. */
#include "unit.h"
#include "bkm_html.h"

#include <string.h>
#include <apr_strings.h>

#define NS "xmlns:t=\"" BKM_HTML_NS "\""

typedef struct {
    char buf[8192];
    apr_size_t len;
} out_t;

static int collect(void *baton, const char *s, apr_size_t len)
{
    out_t *o = baton;

    if (o->len + len >= sizeof(o->buf)) {
        return -1;
    }
    memcpy(o->buf + o->len, s, len);
    o->len += len;
    o->buf[o->len] = '\0';
    return 0;
}

/* Compile one template "t" (plus "p", a partial, when given) and render
 * it with the JSON @p data and catalogue {"hei": "Hei & velkommen"}. */
static const char *render(const char *xml, const char *partial,
                          const char *data)
{
    bkm_html_set_t *set = bkm_html_set_make(bkm_test_pool);
    json_t *d = json_loads(data, 0, NULL);
    json_t *texts = json_pack("{s:s}", "hei", "Hei & velkommen");
    const char *err;
    static out_t o;

    ck_assert_ptr_nonnull(d);
    err = bkm_html_add(set, "t", xml, strlen(xml));
    ck_assert_msg(err == NULL, "%s", err);
    if (partial) {
        err = bkm_html_add(set, "p", partial, strlen(partial));
        ck_assert_msg(err == NULL, "%s", err);
    }
    err = bkm_html_link(set);
    ck_assert_msg(err == NULL, "%s", err);
    memset(&o, 0, sizeof(o));
    ck_assert_int_eq(bkm_html_render(set, "t", d, texts, collect, &o), 0);
    json_decref(d);
    json_decref(texts);
    return apr_pstrdup(bkm_test_pool, o.buf);
}

START_TEST(values_are_escaped_in_text_and_attributes)
{
    const char *out = render("<p " NS
                             " class=\"a&amp;b\"><span t:text=\"x\"/>"
                             "<input t:value=\"x\" t:title=\"@hei\"/></p>",
                             NULL,
                             "{\"x\": \"<script>alert('1')</script>\\\"&\"}");

    ck_assert_str_eq(
        out,
        "<p class=\"a&amp;b\"><span>&lt;script&gt;alert(&#39;1&#39;)"
        "&lt;/script&gt;&quot;&amp;</span><input value=\"&lt;script&gt;"
        "alert(&#39;1&#39;)&lt;/script&gt;&quot;&amp;\" "
        "title=\"Hei &amp; velkommen\"></p>");
}
END_TEST

START_TEST(html_document_gets_doctype_and_void_elements)
{
    const char *out =
        render("<html " NS
               " lang=\"nb\"><head><meta charset=\"utf-8\"/></head>"
               "<body><br/><div/></body></html>",
               NULL, "{}");

    ck_assert_str_eq(out,
                     "<!DOCTYPE html>\n<html lang=\"nb\"><head>"
                     "<meta charset=\"utf-8\"></head><body><br>"
                     "<div></div></body></html>");
}
END_TEST

START_TEST(boolean_attributes_and_absent_values)
{
    const char *out =
        render("<p " NS
               "><input t:checked=\"ja\" t:disabled=\"nei\" "
               "t:aria-describedby=\"mangler\" t:maxlength=\"n\"/></p>",
               NULL, "{\"ja\": true, \"nei\": false, \"n\": 200}");

    ck_assert_str_eq(out, "<p><input checked maxlength=\"200\"></p>");
}
END_TEST

START_TEST(if_unless_each_and_scopes)
{
    const char *out =
        render("<ul " NS
               "><li t:each=\"barn\" t:if=\"navn\">"
               "<b t:text=\"navn\"/>/<i t:text=\"kommune\"/></li>"
               "<li t:unless=\"barn\">ingen</li>"
               "<t:group t:each=\"tall\"><em t:text=\".\"/></t:group></ul>",
               NULL,
               "{\"kommune\": \"Oslo\", \"tall\": [1, 2],"
               " \"barn\": [{\"navn\": \"A\"}, {\"navn\": \"\"},"
               " {\"navn\": \"C\", \"kommune\": \"Bergen\"}]}");

    ck_assert_str_eq(out,
                     "<ul><li><b>A</b>/<i>Oslo</i></li>"
                     "<li><b>C</b>/<i>Bergen</i></li>"
                     "<em>1</em><em>2</em></ul>");
    out = render("<ul " NS
                 "><li t:each=\"barn\"><i t:text=\".kommune\"/>"
                 "</li></ul>",
                 NULL,
                 "{\"kommune\": \"Oslo\", \"barn\": [{\"navn\": \"A\"},"
                 " {\"kommune\": \"Bergen\"}]}");
    ck_assert_str_eq(out, "<ul><li><i></i></li><li><i>Bergen</i></li></ul>");
    out = render("<ul " NS "><li t:unless=\"barn\">ingen</li></ul>", NULL,
                 "{\"barn\": []}");
    ck_assert_str_eq(out, "<ul><li>ingen</li></ul>");
}
END_TEST

START_TEST(include_runs_in_the_current_context)
{
    const char *out =
        render("<div " NS "><t:group t:each=\"felt\" t:include=\"p\"/></div>",
               "<t:mal " NS
               "><label t:for=\"id\" t:text=\"etikett\"/>"
               "<input t:id=\"id\" t:value=\"verdi\"/></t:mal>",
               "{\"felt\": {\"id\": \"f1\", \"etikett\": \"Navn\","
               " \"verdi\": \"Kari\"}}");

    ck_assert_str_eq(out,
                     "<div><label for=\"f1\">Navn</label>"
                     "<input id=\"f1\" value=\"Kari\"></div>");
}
END_TEST

START_TEST(textarea_keeps_a_leading_newline)
{
    const char *out = render("<p " NS "><textarea t:text=\"x\"/></p>", NULL,
                             "{\"x\": \"\\nandre linje\"}");

    ck_assert_str_eq(out, "<p><textarea>\n\nandre linje</textarea></p>");
}
END_TEST

START_TEST(white_space_runs_shrink)
{
    const char *out = render("<p " NS ">\n    <a>x</a>   <b>y</b>\n</p>",
                             NULL, "{}");

    ck_assert_str_eq(out, "<p>\n<a>x</a> <b>y</b>\n</p>");
}
END_TEST

static const char *const refused[] = {
    "<p " NS ">not closed",
    "<p " NS " style=\"color:red\"/>",
    "<p " NS " onclick=\"x()\"/>",
    "<p " NS " t:onclick=\"x\"/>",
    "<p " NS "><script>alert(1)</script></p>",
    "<p " NS "><style>p{}</style></p>",
    "<p " NS "><br t:text=\"x\"/></p>",
    "<p " NS "><b t:text=\"x\">y</b></p>",
    "<p " NS "><t:ukjent/></p>",
    "<p " NS "><b t:include=\"p\">y</b></p>",
    "<!DOCTYPE p [<!ENTITY e \"x\">]><p " NS ">&e;</p>",
};

START_TEST(unsafe_or_broken_templates_are_refused)
{
    bkm_html_set_t *set = bkm_html_set_make(bkm_test_pool);
    const char *xml = refused[_i];

    ck_assert_msg(bkm_html_add(set, "t", xml, strlen(xml)) != NULL,
                  "accepted: %s", xml);
}
END_TEST

START_TEST(unknown_includes_and_cycles_are_refused)
{
    bkm_html_set_t *set = bkm_html_set_make(bkm_test_pool);
    const char *a = "<p " NS "><t:group t:include=\"b\"/></p>";
    const char *b = "<p " NS "><t:group t:include=\"a\"/></p>";

    ck_assert_ptr_null(bkm_html_add(set, "a", a, strlen(a)));
    ck_assert_ptr_nonnull(bkm_html_link(set));
    ck_assert_ptr_null(bkm_html_add(set, "b", b, strlen(b)));
    ck_assert_ptr_nonnull(bkm_html_link(set));
}
END_TEST

START_TEST(catalogue_keys_are_listed_once)
{
    bkm_html_set_t *set = bkm_html_set_make(bkm_test_pool);
    const char *xml = "<p " NS
                      "><b t:text=\"@a\"/><i t:title=\"@b\" "
                      "t:text=\"@a\"/></p>";
    const apr_array_header_t *keys;

    ck_assert_ptr_null(bkm_html_add(set, "t", xml, strlen(xml)));
    keys = bkm_html_keys(set);
    ck_assert_int_eq(keys->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(keys, 0, const char *), "a");
    ck_assert_str_eq(APR_ARRAY_IDX(keys, 1, const char *), "b");
}
END_TEST

Suite *bkm_suite_html(void)
{
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("templates");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_test(tc, values_are_escaped_in_text_and_attributes);
    tcase_add_test(tc, html_document_gets_doctype_and_void_elements);
    tcase_add_test(tc, boolean_attributes_and_absent_values);
    tcase_add_test(tc, if_unless_each_and_scopes);
    tcase_add_test(tc, include_runs_in_the_current_context);
    tcase_add_test(tc, textarea_keeps_a_leading_newline);
    tcase_add_test(tc, white_space_runs_shrink);
    tcase_add_loop_test(tc, unsafe_or_broken_templates_are_refused, 0,
                        (int)(sizeof(refused) / sizeof(refused[0])));
    tcase_add_test(tc, unknown_includes_and_cycles_are_refused);
    tcase_add_test(tc, catalogue_keys_are_listed_once);
    suite_add_tcase(s, tc);
    return s;
}
