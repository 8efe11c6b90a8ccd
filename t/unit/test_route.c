/* SPDX-License-Identifier: Apache-2.0 */
/* Matching methods and paths against a route table (bkm_route). */
#include "unit.h"
#include "bkm_route.h"

#include <string.h>

static const bkm_route_kind_t kinds[] = {
    { "kontoId", NULL },
    { "meldingId", bkm_route_uuid },
    { "kommunenummer", bkm_route_digits4 },
    { "bydelsnummer", bkm_route_digits2 },
    { "any", NULL },
    { NULL, NULL }
};

/* A caller's row: bkm_route_t first, then its own columns. */
typedef struct {
    bkm_route_t route;
    const char *what;
} row_t;

#define API "/api/v2"
static const row_t rows[] = {
    { { "GET HEAD", "/" }, "forside" },
    { { "GET", API "/kommuner[/]" }, "kommuner" },
    { { "GET", API "/kommuner/{kommunenummer}" }, "kommune" },
    { { "GET", API "/kommuner/{kommunenummer}/bydeler[/]" }, "bydeler" },
    { { "GET", API "/kommuner/{kommunenummer}/bydeler/{bydelsnummer}" },
      "bydel" },
    { { "GET", API "/konto/{kontoId}/meldinger[/]" }, "liste" },
    { { "GET", API "/konto/{kontoId}/meldinger/{meldingId}" }, "melding" },
    { { "POST", API "/konto/{kontoId}/meldinger/{meldingId}/svar" }, "svar" },
    { { "GET", API "/konto/{kontoId}/avstemming" }, "avstemming" },
    { { "POST", API "/konto/{kontoId}/avstemming" }, "avstemming-svar" },
    { { "GET HEAD", "/kommune/statistikk" }, "nasjonal" },
    { { "GET HEAD", "/kommune/{kommunenummer}" }, "oversikt" },
    { { "GET HEAD", "/kommune/roller" }, "roller" },
    { { "POST", "/kommune/roller" }, "rolle-ny" },
    { { "POST", "/m/{org:any}/{kommunenummer:any}/privat[/]" }, "post" },
    { { "GET", "/m/{org:any}/bekymringsmelding/{meldingId}/status" },
      "status" },
    { { "*", "/feil" }, "feil" },
};

static const bkm_route_table_t table = { rows, sizeof(rows) / sizeof(rows[0]),
                                         sizeof(rows[0]), kinds };

#define UUID "3f2b8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"

static bkm_route_match_t m;

/* The row a request comes to, by its "what", or the result's name. */
static const char *to(const char *method, const char *path)
{
    switch (bkm_route_match(bkm_test_pool, &table, method, path, &m)) {
    case BKM_ROUTE_FOUND:
        ck_assert_uint_lt(m.row, table.n);
        return rows[m.row].what;
    case BKM_ROUTE_NO_METHOD:
        return "405";
    case BKM_ROUTE_BAD_PARAM:
        return "bad";
    default:
        return "404";
    }
}

START_TEST(literals_and_slashes)
{
    ck_assert_str_eq(to("GET", "/"), "forside");
    ck_assert_str_eq(to("GET", API "/kommuner"), "kommuner");
    ck_assert_str_eq(to("GET", API "/kommuner/"), "kommuner");
    ck_assert_str_eq(to("GET", API "/kommuner//"), "404");
    ck_assert_str_eq(to("GET", API "/kommunerx"), "404");
    ck_assert_str_eq(to("GET", API "/kommune"), "404");
    ck_assert_str_eq(to("GET", API), "404");
    ck_assert_str_eq(to("GET", ""), "404");
    ck_assert_str_eq(to("GET", "//"), "404");
    /* Without [/], a trailing slash is another address. */
    ck_assert_str_eq(to("GET", API "/kommuner/0301"), "kommune");
    ck_assert_str_eq(to("GET", API "/kommuner/0301/"), "404");
    ck_assert_str_eq(to("GET", API "/kommuner/0301/bydeler/"), "bydeler");
    ck_assert_str_eq(to("GET", API "/kommuner/0301/bydeler/01"), "bydel");
    ck_assert_str_eq(to("GET", API "/kommuner/0301/bydeler/01/"), "404");
    ck_assert_str_eq(to("GET", API "/kommuner/0301/bydeler/01/x"), "404");
    ck_assert_str_eq(to("POST", "/m/974/0301/privat"), "post");
    ck_assert_str_eq(to("POST", "/m/974/0301/privat/"), "post");
    /* Case matters, as in the incumbent's paths. */
    ck_assert_str_eq(to("GET", API "/Kommuner"), "404");
}
END_TEST

START_TEST(parameters)
{
    ck_assert_str_eq(to("GET", API "/konto/k-1/meldinger/" UUID), "melding");
    ck_assert_int_eq(m.nparams, 2);
    ck_assert_str_eq(bkm_route_param(&m, "kontoId"), "k-1");
    ck_assert_str_eq(bkm_route_param(&m, "meldingId"), UUID);
    ck_assert_str_eq(m.params[1].kind, "meldingId");
    ck_assert_ptr_null(bkm_route_param(&m, "kommunenummer"));
    ck_assert_ptr_null(m.bad);
    /* {name:kind}: the kind checks, the name is what the handler asks. */
    ck_assert_str_eq(to("POST", "/m/974/abc/privat"), "post");
    ck_assert_str_eq(bkm_route_param(&m, "kommunenummer"), "abc");
    ck_assert_str_eq(m.params[1].kind, "any");
    /* A segment is never empty, and never holds a slash. */
    ck_assert_str_eq(to("GET", API "/konto//meldinger"), "404");
    ck_assert_str_eq(to("GET", API "/konto/a/b/meldinger"), "404");
    /* httpd has decoded the path: a parameter is what it gives. */
    ck_assert_str_eq(to("GET", API "/konto/æ ø/meldinger"), "liste");
    ck_assert_str_eq(bkm_route_param(&m, "kontoId"), "æ ø");
}
END_TEST

START_TEST(bad_parameters)
{
    /* The literals match, a parameter's shape does not. */
    ck_assert_str_eq(to("GET", API "/kommuner/abcd"), "bad");
    ck_assert_str_eq(m.bad->kind, "kommunenummer");
    ck_assert_str_eq(m.bad->value, "abcd");
    ck_assert_str_eq(rows[m.row].what, "kommune");
    ck_assert_str_eq(to("GET", API "/kommuner/03011"), "bad");
    ck_assert_str_eq(to("GET", API "/kommuner/0301/bydeler/1"), "bad");
    ck_assert_str_eq(m.bad->name, "bydelsnummer");
    ck_assert_str_eq(bkm_route_param(&m, "kommunenummer"), "0301");
    /* Upper case is not one of our ids. */
    ck_assert_str_eq(to("GET", API "/konto/k/meldinger/3F2B8A4E-1C2D-4E5F-"
                                   "8A9B-0C1D2E3F4A5B"),
                     "bad");
    /* The other parameters are there for the caller's access rule. */
    ck_assert_str_eq(bkm_route_param(&m, "kontoId"), "k");
    ck_assert_str_eq(to("POST", API "/konto/k/meldinger/x/svar"), "bad");
    ck_assert_str_eq(rows[m.row].what, "svar");
    /* A bad parameter on a path no row has is an unknown path. */
    ck_assert_str_eq(to("GET", API "/konto/k/meldinger/x/y"), "404");
    ck_assert_str_eq(to("GET", API "/kommuner/abcd/x"), "404");
    /* A literal that matches wins over a parameter that does not. */
    ck_assert_str_eq(to("GET", "/kommune/statistikk"), "nasjonal");
    ck_assert_str_eq(to("GET", "/kommune/0301"), "oversikt");
    ck_assert_str_eq(to("GET", "/kommune/oslo"), "bad");
}
END_TEST

START_TEST(methods)
{
    /* HEAD wherever GET is. */
    ck_assert_str_eq(to("HEAD", API "/kommuner"), "kommuner");
    ck_assert_str_eq(to("HEAD", "/"), "forside");
    ck_assert_str_eq(to("POST", API "/kommuner"), "405");
    ck_assert_str_eq(m.allow, "GET");
    ck_assert_str_eq(to("DELETE", "/"), "405");
    ck_assert_str_eq(m.allow, "GET HEAD");
    /* Rows of the same path: the one whose method it is; Allow lists all,
     * each method once. */
    ck_assert_str_eq(to("GET", API "/konto/k/avstemming"), "avstemming");
    ck_assert_str_eq(to("POST", API "/konto/k/avstemming"),
                     "avstemming-svar");
    ck_assert_str_eq(m.allow, "GET POST");
    ck_assert_str_eq(to("PUT", API "/konto/k/avstemming"), "405");
    ck_assert_str_eq(m.allow, "GET POST");
    ck_assert_str_eq(bkm_route_param(&m, "kontoId"), "k");
    ck_assert_str_eq(to("POST", "/kommune/roller"), "rolle-ny");
    ck_assert_str_eq(to("PATCH", "/kommune/roller"), "405");
    ck_assert_str_eq(m.allow, "GET HEAD POST");
    /* A method no row has, and one that is not even a word. */
    ck_assert_str_eq(to("BREW", API "/konto/k/meldinger/" UUID "/svar"),
                     "405");
    ck_assert_str_eq(m.allow, "POST");
    ck_assert_str_eq(to("get", API "/kommuner"), "405");
    ck_assert_str_eq(to("", API "/kommuner"), "405");
    /* "*" takes every method. */
    ck_assert_str_eq(to("TRACE", "/feil"), "feil");
    ck_assert_str_eq(to("GET", "/feil"), "feil");
    ck_assert(bkm_route_method_ok("GET POST", "POST"));
    ck_assert(bkm_route_method_ok("GET POST", "HEAD"));
    ck_assert(!bkm_route_method_ok("POST", "HEAD"));
    ck_assert(!bkm_route_method_ok("GET", "GE"));
    ck_assert(!bkm_route_method_ok("GET", "GETS"));
    ck_assert(bkm_route_method_ok("*", "ANYTHING"));
}
END_TEST

START_TEST(under)
{
    ck_assert(bkm_route_under("/sendt", "/sendt"));
    ck_assert(bkm_route_under("/sendt/x", "/sendt"));
    ck_assert(!bkm_route_under("/sendtx", "/sendt"));
    ck_assert(!bkm_route_under("/send", "/sendt"));
    /* A prefix ending in / takes only what is below it. */
    ck_assert(!bkm_route_under("/m/fagsystem", "/m/fagsystem/"));
    ck_assert(bkm_route_under("/m/fagsystem/", "/m/fagsystem/"));
    ck_assert(bkm_route_under("/m/fagsystem/x", "/m/fagsystem/"));
}
END_TEST

START_TEST(shapes)
{
    ck_assert(bkm_route_digits4("0301"));
    ck_assert(!bkm_route_digits4("301"));
    ck_assert(!bkm_route_digits4("03011"));
    ck_assert(!bkm_route_digits4("03a1"));
    ck_assert(bkm_route_digits2("01"));
    ck_assert(!bkm_route_digits2("1"));
    ck_assert(!bkm_route_digits2("-1"));
    ck_assert(bkm_route_uuid(UUID));
    ck_assert(!bkm_route_uuid(UUID "0"));
    ck_assert(!bkm_route_uuid("3F2B8A4E-1C2D-4E5F-8A9B-0C1D2E3F4A5B"));
    ck_assert(
        bkm_route_uuid_any_case("3F2B8A4E-1C2D-4E5F-8A9B-0C1D2E3F4A5B"));
    ck_assert(!bkm_route_uuid_any_case("3f2b8a4e1c2d4e5f8a9b0c1d2e3f4a5b"));
}
END_TEST

/* One row alone, checked. */
static const char *check1(const char *methods, const char *pattern,
                          const char *methods2, const char *pattern2)
{
    bkm_route_t two[2] = { { methods, pattern }, { methods2, pattern2 } };
    bkm_route_table_t t = { two, methods2 ? 2 : 1, sizeof(two[0]), kinds };

    return bkm_route_check(bkm_test_pool, &t);
}

START_TEST(checked_tables)
{
    const char *err;

    ck_assert_ptr_null(bkm_route_check(bkm_test_pool, &table));
    ck_assert_ptr_null(check1("GET", "/", NULL, NULL));
    ck_assert_ptr_null(check1("GET HEAD POST", "/a/{kontoId}/b[/]", "DELETE",
                              "/a/{kontoId}/b[/]"));
    ck_assert_ptr_nonnull(check1("GET", "a", NULL, NULL));
    ck_assert_ptr_nonnull(check1("GET", "/a//b", NULL, NULL));
    ck_assert_ptr_nonnull(check1("GET", "/a/", NULL, NULL));
    ck_assert_ptr_nonnull(check1("GET", "/[/]", NULL, NULL));
    ck_assert_ptr_nonnull(check1("GET", "/a/{}", NULL, NULL));
    ck_assert_ptr_nonnull(check1("GET", "/a/{x:}", NULL, NULL));
    ck_assert_ptr_nonnull(check1("GET", "/a/{kontoId", NULL, NULL));
    ck_assert_ptr_nonnull(check1("GET", "/a/x{kontoId}", NULL, NULL));
    ck_assert_ptr_nonnull(check1("GET", "/a/{kontoId}/{kontoId}", NULL,
                                 NULL));
    ck_assert_ptr_nonnull(check1("GET",
                                 "/a/{a:any}/{b:any}/{c:any}/{d:any}"
                                 "/{e:any}",
                                 NULL, NULL));
    ck_assert_ptr_nonnull(check1("get", "/a", NULL, NULL));
    ck_assert_ptr_nonnull(check1("GET  POST", "/a", NULL, NULL));
    ck_assert_ptr_nonnull(check1("", "/a", NULL, NULL));
    ck_assert_ptr_nonnull(check1("GET *", "/a", NULL, NULL));
    err = check1("GET", "/a/{ukjent}", NULL, NULL);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "ukjent") != NULL, "%s", err);
    /* Two rows of one pattern may not share a method (HEAD is GET's). */
    err = check1("GET", "/a", "POST GET", "/a");
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "route 1") != NULL, "%s", err);
    ck_assert_ptr_nonnull(check1("GET", "/a", "HEAD", "/a"));
    ck_assert_ptr_nonnull(check1("*", "/a", "POST", "/a"));
    ck_assert_ptr_null(check1("GET", "/a", "GET", "/b"));
}
END_TEST

Suite *bkm_suite_route(void)
{
    Suite *s = suite_create("route");
    TCase *tc = tcase_create("route");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_test(tc, literals_and_slashes);
    tcase_add_test(tc, parameters);
    tcase_add_test(tc, bad_parameters);
    tcase_add_test(tc, methods);
    tcase_add_test(tc, under);
    tcase_add_test(tc, shapes);
    tcase_add_test(tc, checked_tables);
    suite_add_tcase(s, tc);
    return s;
}
