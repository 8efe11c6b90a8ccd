/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON Schema validator: the official JSON-Schema-Test-Suite (Debian
 * package json-schema-test-suite) for every keyword we implement, our report
 * schemas against the incumbent's examples and schemas (when ../shared is
 * there), the pointers and messages a form shows, what compile refuses, and
 * what a hostile instance costs (the error cap and maxItems, issue 11).
 */
#include "unit.h"
#include "bkm_jsonschema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_file_info.h>
#include <apr_time.h>
#include <jansson.h>

/* Tests run in t/unit; these are relative to it. */
#define OUR_SCHEMAS "../../schema/bekymringsmelding"
#ifndef REFERENCE
#define REFERENCE \
    "../../../shared/reference/" \
    "fiks-bekymringsmelding-protokoll/schema"
#endif
#define TEST_SUITE "/usr/share/json-schema-test-suite"

/* ---- helpers ---- */

static int exists(const char *path, apr_filetype_e type)
{
    apr_finfo_t fi;

    return apr_stat(&fi, path, APR_FINFO_TYPE, bkm_test_pool) == APR_SUCCESS
           && fi.filetype == type;
}

/* Every regular file below @p dir, as paths relative to it, sorted. */
static void list_files(const char *dir, const char *rel,
                       apr_array_header_t *out)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    const char *full = rel ? apr_pstrcat(bkm_test_pool, dir, "/", rel, NULL)
                           : dir;

    ck_assert_msg(apr_dir_open(&d, full, bkm_test_pool) == APR_SUCCESS,
                  "cannot open %s", full);
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
           == APR_SUCCESS) {
        const char *name = rel ? apr_pstrcat(bkm_test_pool, rel, "/", fi.name,
                                             NULL)
                               : apr_pstrdup(bkm_test_pool, fi.name);

        if (fi.name[0] == '.') {
            continue;
        }
        if (fi.filetype == APR_DIR) {
            list_files(dir, name, out);
        }
        else if (fi.filetype == APR_REG) {
            APR_ARRAY_PUSH(out, const char *) = name;
        }
    }
    apr_dir_close(d);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static apr_array_header_t *files_below(const char *dir)
{
    apr_array_header_t *out = apr_array_make(bkm_test_pool, 16,
                                             sizeof(const char *));

    list_files(dir, NULL, out);
    qsort(out->elts, out->nelts, sizeof(const char *), by_name);
    return out;
}

static json_t *load(const char *path)
{
    json_error_t e;
    json_t *j = json_load_file(path, JSON_DECODE_ANY, &e);

    ck_assert_msg(j != NULL, "%s: %s", path, e.text);
    return j;
}

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

    ck_assert_msg(j != NULL, "fixture: %s: %s", e.text, text);
    return j;
}

/* A set holding all .json files of @p dir, by their relative names. */
static bkm_jsonschema_set_t *load_dir(const char *dir)
{
    bkm_jsonschema_set_t *set = bkm_jsonschema_set_make(bkm_test_pool);
    apr_array_header_t *files = files_below(dir);
    const char *name, *err;
    int i;

    for (i = 0; i < files->nelts; i++) {
        name = APR_ARRAY_IDX(files, i, const char *);
        if (strcmp(name + strlen(name) - 5, ".json") == 0) {
            err = bkm_jsonschema_add_file(set, name,
                                          apr_pstrcat(bkm_test_pool, dir, "/",
                                                      name, NULL));
            ck_assert_msg(err == NULL, "%s", err);
        }
    }
    return set;
}

static const bkm_jsonschema_t *compiled(bkm_jsonschema_set_t *set,
                                        const char *name)
{
    const bkm_jsonschema_t *s = NULL;
    const char *err = bkm_jsonschema_compile(set, name, &s);

    ck_assert_msg(err == NULL, "%s: %s", name, err);
    return s;
}

/* One document "t.json" in a fresh set: the compile error or NULL. */
static const char *try_schema(const char *text, const bkm_jsonschema_t **s)
{
    bkm_jsonschema_set_t *set = bkm_jsonschema_set_make(bkm_test_pool);
    const char *err = bkm_jsonschema_add(set, "t.json", text, strlen(text));

    return err ? err : bkm_jsonschema_compile(set, "t.json", s);
}

static const bkm_jsonschema_t *schema(const char *text)
{
    const bkm_jsonschema_t *s = NULL;
    const char *err = try_schema(text, &s);

    ck_assert_msg(err == NULL, "%s: %s", text, err);
    return s;
}

static const char *errors_text(apr_array_header_t *errors)
{
    const char *out = "";
    int i;

    for (i = 0; i < errors->nelts; i++) {
        bkm_jsonschema_error_t *e = &APR_ARRAY_IDX(errors, i,
                                                   bkm_jsonschema_error_t);

        out = apr_psprintf(bkm_test_pool, "%s [%s %s: %s]", out, e->pointer,
                           e->keyword, e->message);
    }
    return out;
}

/* Validate both ways (collecting errors, and stopping at the first) and
 * check that they agree with each other. */
static int valid(const bkm_jsonschema_t *s, const json_t *j,
                 apr_array_header_t **errors)
{
    apr_array_header_t *e = apr_array_make(bkm_test_pool, 4,
                                           sizeof(bkm_jsonschema_error_t));
    int ok = bkm_jsonschema_validate(s, j, bkm_test_pool, e);

    ck_assert_int_eq(ok, bkm_jsonschema_validate(s, j, bkm_test_pool, NULL));
    ck_assert_msg(ok == (e->nelts == 0), "valid=%d with errors:%s", ok,
                  errors_text(e));
    if (errors) {
        *errors = e;
    }
    return ok;
}

static int valid_text(const bkm_jsonschema_t *s, const char *instance)
{
    json_t *j = parse(instance);
    int ok = valid(s, j, NULL);

    json_decref(j);
    return ok;
}

/* ---- 1. the official test suite ---- */

static const struct {
    const char *dir;
    const char *uri; /* its $schema, given to cases without one */
} drafts[] = {
    { "draft2020-12", "https://json-schema.org/draft/2020-12/schema" },
    { "draft2019-09", "https://json-schema.org/draft/2019-09/schema" },
    { "draft7", "http://json-schema.org/draft-07/schema#" },
    { NULL, NULL }
};

/* The files of the keywords we implement; "required" ones exist in every
 * draft, the others only in some. */
static const struct {
    const char *file;
    int required;
} suite_files[] = { { "additionalItems", 0 },
                    { "additionalProperties", 1 },
                    { "allOf", 1 },
                    { "anchor", 0 },
                    { "anyOf", 1 },
                    { "boolean_schema", 1 },
                    { "const", 1 },
                    { "default", 1 },
                    { "definitions", 0 },
                    { "defs", 0 },
                    { "enum", 1 },
                    { "format", 0 },
                    { "items", 1 },
                    { "maxItems", 1 },
                    { "maxLength", 1 },
                    { "minItems", 1 },
                    { "minLength", 1 },
                    { "not", 1 },
                    { "oneOf", 1 },
                    { "pattern", 1 },
                    { "prefixItems", 0 },
                    { "properties", 1 },
                    { "ref", 1 },
                    { "refRemote", 0 },
                    { "required", 1 },
                    { "type", 1 },
                    { "optional/zeroTerminatedFloats", 0 },
                    { NULL, 0 } };

typedef struct {
    const char *name;
    char *text;
} remote_t;

/* The suite's remotes/ as documents named by the URIs the cases use, the
 * way the suite's README asks for them to be served. */
static apr_array_header_t *load_remotes(void)
{
    const char *dir = TEST_SUITE "/remotes";
    apr_array_header_t *files = files_below(dir);
    apr_array_header_t *out = apr_array_make(bkm_test_pool, files->nelts,
                                             sizeof(remote_t));
    remote_t *r;
    json_t *j;
    char *text;
    int i;

    for (i = 0; i < files->nelts; i++) {
        const char *name = APR_ARRAY_IDX(files, i, const char *);

        j = load(apr_pstrcat(bkm_test_pool, dir, "/", name, NULL));
        r = apr_array_push(out);
        r->name = apr_pstrcat(bkm_test_pool, "http://localhost:1234/", name,
                              NULL);
        text = json_dumps(j, JSON_ENCODE_ANY);
        r->text = apr_pstrdup(bkm_test_pool, text ? text : "");
        free(text);
        json_decref(j);
    }
    return out;
}

typedef struct {
    int cases, tests, refused_cases, refused_tests, failed;
    apr_array_header_t *notes; /* of const char *: refusals and failures */
} tally_t;

static void note(tally_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note(tally_t *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    APR_ARRAY_PUSH(t->notes, const char *) = apr_pvsprintf(bkm_test_pool, fmt,
                                                           ap);
    va_end(ap);
}

static void run_case(const char *file, json_t *c, const char *draft_uri,
                     apr_array_header_t *remotes, tally_t *t)
{
    const char *desc = json_string_value(json_object_get(c, "description"));
    json_t *sch = json_object_get(c, "schema");
    json_t *tests = json_object_get(c, "tests");
    const bkm_jsonschema_t *s = NULL;
    bkm_jsonschema_set_t *set;
    const char *err;
    apr_pool_t *p;
    char *text;
    apr_size_t i;
    int r;

    apr_pool_create(&p, bkm_test_pool);
    set = bkm_jsonschema_set_make(p);
    for (r = 0; r < remotes->nelts; r++) {
        remote_t *rem = &APR_ARRAY_IDX(remotes, r, remote_t);

        /* a remote we cannot take is one its cases cannot refer to */
        bkm_jsonschema_add(set, rem->name, rem->text, strlen(rem->text));
    }
    /* The suite's drafts are told apart by directory, not by $schema;
     * an implementation under test is configured for its draft, which
     * here means saying it in the schema. */
    if (json_is_object(sch) && !json_object_get(sch, "$schema")) {
        sch = json_deep_copy(sch);
        json_object_set_new(sch, "$schema", json_string(draft_uri));
    }
    else {
        json_incref(sch);
    }
    text = json_dumps(sch, JSON_ENCODE_ANY);
    json_decref(sch);
    err = bkm_jsonschema_add(set, "case.json", text, strlen(text));
    free(text);
    if (!err) {
        err = bkm_jsonschema_compile(set, "case.json", &s);
    }
    t->cases++;
    if (err) {
        t->refused_cases++;
        t->refused_tests += (int)json_array_size(tests);
        /* refusing is right only for what we do not implement */
        if (!strstr(err, "unsupported keyword")
            && !strstr(err, "cannot resolve $ref")) {
            t->failed++;
            note(t, "FAILED %s \"%s\": refused for another reason: %s", file,
                 desc, err);
        }
        else {
            note(t, "refused %s \"%s\": %s", file, desc, err);
        }
        apr_pool_destroy(p);
        return;
    }
    for (i = 0; i < json_array_size(tests); i++) {
        json_t *test = json_array_get(tests, i);
        int expect = json_is_true(json_object_get(test, "valid"));
        apr_array_header_t *errors =
            apr_array_make(p, 4, sizeof(bkm_jsonschema_error_t));
        int got = bkm_jsonschema_validate(s, json_object_get(test, "data"), p,
                                          errors);
        int quick = bkm_jsonschema_validate(s, json_object_get(test, "data"),
                                            p, NULL);

        t->tests++;
        if (got != expect || quick != got || got != (errors->nelts == 0)) {
            t->failed++;
            note(t,
                 "FAILED %s \"%s\" / \"%s\": expected %s, got %s "
                 "(quick %d, %d errors)",
                 file, desc,
                 json_string_value(json_object_get(test, "description")),
                 expect ? "valid" : "invalid", got ? "valid" : "invalid",
                 quick, errors->nelts);
        }
    }
    apr_pool_destroy(p);
}

START_TEST(official_test_suite)
{
    const char *dir = NULL, *uri = NULL, *path;
    apr_array_header_t *remotes;
    tally_t all, one;
    json_t *cases;
    apr_size_t c;
    int d, f, n;

    for (d = 0; drafts[d].dir; d++) {
        path = apr_pstrcat(bkm_test_pool, TEST_SUITE "/tests/", drafts[d].dir,
                           NULL);
        if (exists(path, APR_DIR)) {
            dir = path;
            uri = drafts[d].uri;
            break;
        }
    }
    ck_assert_msg(dir != NULL,
                  "the JSON-Schema-Test-Suite is missing: "
                  "no " TEST_SUITE
                  "/tests/draft{2020-12,2019-09,7}; "
                  "apt-get install json-schema-test-suite");
    remotes = load_remotes();
    memset(&all, 0, sizeof(all));
    all.notes = apr_array_make(bkm_test_pool, 64, sizeof(const char *));
    printf(
        "jsonschema: JSON-Schema-Test-Suite %s (%d remotes as "
        "http://localhost:1234/...):\n",
        dir, remotes->nelts);
    for (f = 0; suite_files[f].file; f++) {
        path = apr_pstrcat(bkm_test_pool, dir, "/", suite_files[f].file,
                           ".json", NULL);
        if (!exists(path, APR_REG)) {
            ck_assert_msg(!suite_files[f].required, "missing: %s", path);
            continue;
        }
        memset(&one, 0, sizeof(one));
        one.notes = all.notes;
        cases = load(path);
        for (c = 0; c < json_array_size(cases); c++) {
            run_case(apr_pstrcat(bkm_test_pool, suite_files[f].file, ".json",
                                 NULL),
                     json_array_get(cases, c), uri, remotes, &one);
        }
        json_decref(cases);
        printf(
            "  %-34s %3d tests passed; %2d of %2d cases refused at "
            "compile (%d tests)%s\n",
            apr_pstrcat(bkm_test_pool, suite_files[f].file, ".json", NULL),
            one.tests - one.failed, one.refused_cases, one.cases,
            one.refused_tests, one.failed ? "; FAILURES" : "");
        all.cases += one.cases;
        all.tests += one.tests;
        all.refused_cases += one.refused_cases;
        all.refused_tests += one.refused_tests;
        all.failed += one.failed;
    }
    for (n = 0; n < all.notes->nelts; n++) {
        printf("    %s\n", APR_ARRAY_IDX(all.notes, n, const char *));
    }
    printf(
        "jsonschema: suite summary: %d cases, %d tests passed, %d cases "
        "(%d tests) refused at compile, %d failed\n",
        all.cases, all.tests - all.failed, all.refused_cases,
        all.refused_tests, all.failed);
    ck_assert_msg(all.failed == 0, "%d JSON-Schema-Test-Suite failures",
                  all.failed);
    ck_assert_int_gt(all.tests, 200);
}
END_TEST

/* ---- 2. our report schemas and the incumbent's ---- */

static const struct {
    const char *example; /* in the incumbent's examples/ */
    const char *ours;    /* in schema/bekymringsmelding */
    const char *theirs;  /* in the incumbent's domain/ */
} examples[] = { { "privatBekymringsmeldingV1.json", "privat.v1.json",
                   "privat.bekymringsmelding.v1.json" },
                 { "privatBekymringsmeldingV2.json", "privat.v2.json",
                   "v2/privat.bekymringsmelding.v2.json" },
                 { "offentligBekymringsmeldingV1.json", "offentlig.v1.json",
                   "offentlig.bekymringsmelding.v1.json" },
                 { "offentligBekymringsmeldingV2.json", "offentlig.v2.json",
                   "v2/offentlig.bekymringsmelding.v2.json" },
                 { "feilmelding.json", "feilet.v1.json", "feilmelding.json" },
                 { "feilmelding_tom.json", "feilet.v1.json",
                   "feilmelding.json" },
                 { NULL, NULL, NULL } };

/* What a mutant puts in place of a value. */
static const char *const replacements[] = {
    "\"\"",
    "\"abc\"",
    "\"x\\ny\"",
    "\"\\u0661\\u0662\\u0663\\u0664\"",
    "\"2020-03-16T13:29:33+01:00\"",
    "\"2020-03-16T13:29:33.5\"",
    "0",
    "1.5",
    "true",
    "null",
    "[]",
    "{}",
    NULL
};

static void collect_pointers(json_t *j, const char *at,
                             apr_array_header_t *out)
{
    const char *key;
    json_t *v;
    apr_size_t i;

    APR_ARRAY_PUSH(out, const char *) = at;
    if (json_is_object(j)) {
        json_object_foreach(j, key, v) {
            collect_pointers(v,
                             apr_pstrcat(bkm_test_pool, at, "/", key, NULL),
                             out);
        }
    }
    else if (json_is_array(j)) {
        for (i = 0; i < json_array_size(j); i++) {
            collect_pointers(json_array_get(j, i),
                             apr_psprintf(bkm_test_pool,
                                          "%s/%" APR_SIZE_T_FMT, at, i),
                             out);
        }
    }
}

/* Apply one mutation to a copy of @p doc at @p at (no '~' or '/' in the
 * examples' member names): NULL @p with deletes, "+" adds (an item or a
 * member), else replaces with the JSON text @p with. */
static json_t *mutant(json_t *doc, const char *at, const char *with)
{
    json_t *copy = json_deep_copy(doc), *parent = copy, *target;
    char *path = apr_pstrdup(bkm_test_pool, at), *last, *seg, *state;
    apr_array_header_t *segs = apr_array_make(bkm_test_pool, 8,
                                              sizeof(char *));
    int i;

    for (seg = apr_strtok(path, "/", &state); seg;
         seg = apr_strtok(NULL, "/", &state)) {
        APR_ARRAY_PUSH(segs, char *) = seg;
    }
    if (segs->nelts == 0) {
        target = copy;
        last = NULL;
    }
    else {
        for (i = 0; i < segs->nelts - 1; i++) {
            seg = APR_ARRAY_IDX(segs, i, char *);
            parent = json_is_array(parent) ? json_array_get(parent, atoi(seg))
                                           : json_object_get(parent, seg);
        }
        last = APR_ARRAY_IDX(segs, segs->nelts - 1, char *);
        target = json_is_array(parent) ? json_array_get(parent, atoi(last))
                                       : json_object_get(parent, last);
    }
    if (with && strcmp(with, "+") == 0) {
        if (json_is_array(target) && json_array_size(target)) {
            json_array_append_new(target,
                                  json_deep_copy(json_array_get(target, 0)));
        }
        else if (json_is_object(target)) {
            json_object_set_new(target, "ukjentFelt", json_string("x"));
        }
        else {
            json_decref(copy);
            return NULL;
        }
        return copy;
    }
    if (!last) {
        json_decref(copy);
        return with ? parse(with) : NULL;
    }
    if (!with) {
        if (json_is_array(parent)) {
            json_array_remove(parent, atoi(last));
        }
        else {
            json_object_del(parent, last);
        }
    }
    else if (json_is_array(parent)) {
        json_array_set_new(parent, atoi(last), parse(with));
    }
    else {
        json_object_set_new(parent, last, parse(with));
    }
    return copy;
}

/* "/offentligBarn/1/personnavn" -> "/offentligBarn/N/personnavn" */
static const char *generalize(const char *ptr)
{
    char *out = apr_palloc(bkm_test_pool, strlen(ptr) + 1), *o = out;

    while (*ptr) {
        if (ptr[0] == '/' && apr_isdigit(ptr[1])) {
            *o++ = '/';
            *o++ = 'N';
            for (ptr++; apr_isdigit(*ptr); ptr++) {
            }
        }
        else {
            *o++ = *ptr++;
        }
    }
    *o = '\0';
    return out;
}

START_TEST(reference_examples)
{
    bkm_jsonschema_set_t *ours, *theirs;
    apr_array_header_t *files, *ptrs, *errors;
    apr_hash_t *tightened = apr_hash_make(bkm_test_pool);
    apr_hash_index_t *hi;
    const bkm_jsonschema_t *so, *st;
    int i, k, m, n, both = 0, neither = 0, theirs_only = 0, ours_only = 0;
    const char *name, *with;

    ck_assert_msg(exists(OUR_SCHEMAS, APR_DIR),
                  "%s not found: unit tests "
                  "must run in t/unit",
                  OUR_SCHEMAS);
    ours = load_dir(OUR_SCHEMAS);
    for (i = 0; examples[i].ours; i++) {
        compiled(ours, examples[i].ours);
    }
    if (!exists(REFERENCE, APR_DIR)) {
        printf(
            "jsonschema: reference examples skipped: ../shared/reference "
            "absent\n");
        return;
    }
    theirs = load_dir(REFERENCE "/domain");
    files = files_below(REFERENCE "/examples");
    for (n = 0; n < files->nelts; n++) {
        name = APR_ARRAY_IDX(files, n, const char *);
        for (i = 0; examples[i].example && strcmp(examples[i].example, name);
             i++) {
        }
        ck_assert_msg(examples[i].example != NULL,
                      "new incumbent example "
                      "%s: which schema is it for?",
                      name);
        so = compiled(ours, examples[i].ours);
        st = compiled(theirs, examples[i].theirs);
        {
            json_t *doc = load(apr_pstrcat(bkm_test_pool,
                                           REFERENCE "/examples/", name,
                                           NULL));

            ck_assert_msg(valid(st, doc, &errors), "%s against theirs:%s",
                          name, errors_text(errors));
            ck_assert_msg(valid(so, doc, &errors), "%s against %s:%s", name,
                          examples[i].ours, errors_text(errors));

            /* Ours may refuse what theirs accepts (a listed tightening),
             * never the other way round: try every deletion, addition and
             * a dozen wrong values at every place in the example. */
            ptrs = apr_array_make(bkm_test_pool, 64, sizeof(const char *));
            collect_pointers(doc, "", ptrs);
            for (k = 0; k < ptrs->nelts; k++) {
                for (m = -2; m < 0 || replacements[m]; m++) {
                    json_t *mut;
                    int vo, vt;

                    with = m == -2 ? NULL : m == -1 ? "+" : replacements[m];
                    mut = mutant(doc, APR_ARRAY_IDX(ptrs, k, const char *),
                                 with);
                    if (!mut) {
                        continue;
                    }
                    vt = valid(st, mut, NULL);
                    vo = valid(so, mut, &errors);
                    if (vo && vt) {
                        both++;
                    }
                    else if (!vo && !vt) {
                        neither++;
                    }
                    else if (vo) {
                        ours_only++;
                        printf(
                            "jsonschema: %s %s <- %s: valid for ours "
                            "only\n",
                            name, APR_ARRAY_IDX(ptrs, k, const char *),
                            with ? with : "(deleted)");
                    }
                    else {
                        int e;

                        theirs_only++;
                        for (e = 0; e < errors->nelts; e++) {
                            bkm_jsonschema_error_t *err =
                                &APR_ARRAY_IDX(errors, e,
                                               bkm_jsonschema_error_t);
                            const char *what =
                                apr_pstrcat(bkm_test_pool, examples[i].ours,
                                            " ", generalize(err->pointer),
                                            " ", err->keyword, NULL);

                            apr_hash_set(tightened, what, APR_HASH_KEY_STRING,
                                         what);
                        }
                    }
                    json_decref(mut);
                }
            }
            json_decref(doc);
        }
    }
    printf(
        "jsonschema: %d incumbent examples valid against ours and "
        "theirs; mutants: %d valid for both, %d invalid for both, %d "
        "refused by our tightenings only, %d valid for ours only\n",
        files->nelts, both, neither, theirs_only, ours_only);
    {
        apr_array_header_t *list = apr_array_make(bkm_test_pool, 16,
                                                  sizeof(const char *));

        for (hi = apr_hash_first(bkm_test_pool, tightened); hi;
             hi = apr_hash_next(hi)) {
            APR_ARRAY_PUSH(list, const char *) = apr_hash_this_val(hi);
        }
        qsort(list->elts, list->nelts, sizeof(const char *), by_name);
        for (i = 0; i < list->nelts; i++) {
            printf("    tightened: %s\n",
                   APR_ARRAY_IDX(list, i, const char *));
        }
    }
    ck_assert_msg(ours_only == 0,
                  "%d mutants valid for ours but not for "
                  "the incumbent's schemas",
                  ours_only);
}
END_TEST

/* ---- 3. what a form shows ---- */

/* Our own minimal reports (not the incumbent's examples, which may be
 * absent). */
static const char *privat_json =
    "{ \"kommunenummer\": \"4601\", \"kommunenavn\": \"Bergen\","
    "  \"bydelsnummer\": \"00\", \"bydelsnavn\": \"\","
    "  \"privatMelder\": { \"personnavn\": \"\" },"
    "  \"privatBarn\": [ { \"personnavn\": \"Ola\","
    "                     \"adresse\": { \"adresselinje1\": \"\" } },"
    "                   { \"personnavn\": \"Kari\","
    "                     \"adresse\": { \"adresselinje1\": \"Gate 1\" } } ],"
    "  \"melding\": \"Tekst\", \"sendingstidspunkt\": \"2024-05-02T08:00:00\","
    "  \"leveringskanal\": \"Fagsystem\" }";

static const char *offentlig_json =
    "{ \"kommunenummer\": \"0301\", \"kommunenavn\": \"Oslo\","
    "  \"bydelsnummer\": \"01\", \"bydelsnavn\": \"Gamle Oslo\","
    "  \"offentligMelder\": { \"personnavn\": \"Lærer Lærersen\","
    "      \"rolle\": \"Lærer\", \"telefonnummer\": \"+47 22 00 00 00\","
    "      \"epost\": \"lærer@skole.oslo.no\","
    "      \"virksomhet\": { \"navn\": \"Skolen\","
    "          \"adresse\": { \"adresselinje1\": \"Skoleveien 1\" } } },"
    "  \"offentligBarn\": ["
    "    { \"fnr\": \"\", \"ufoedt\": true, \"personnavn\": \"\","
    "      \"adresse\": { \"adresselinje1\": \"\" }, \"orientert\": false },"
    "    { \"fnr\": \"01010112345\", \"ufoedt\": false, \"personnavn\": \"Per\","
    "      \"adresse\": { \"adresselinje1\": \"Vei 2\" }, \"orientert\": true } ],"
    "  \"foresatte\": [ { \"personnavn\": \"Mor\", \"orientert\": true } ],"
    "  \"melding\": { \"melding\": \"Tekst\", \"historie\": \"\","
    "                 \"andreSynspunkter\": \"\" },"
    "  \"sendingstidspunkt\": \"2024-05-02T08:00:00.123\","
    "  \"leveringskanal\": \"Fagsystem\" }";

static void set_at(json_t *root, const char *path, const char *value)
{
    json_t *m = mutant(root, path, value);

    ck_assert_ptr_nonnull(m);
    json_object_clear(root);
    json_object_update(root, m);
    json_decref(m);
}

static const struct {
    const char *schema;
    const char *path;                        /* what to change */
    const char *value;                       /* JSON text; NULL deletes */
    const char *pointer, *keyword, *message; /* the one error */
} form_errors[] = {
    { "privat.v2.json", "/kommunenummer", NULL, "/kommunenummer", "required",
      "required property \"kommunenummer\" is missing" },
    { "privat.v1.json", "/privatBarn", "[]", "/privatBarn", "minItems",
      "at least 1 item required" },
    { "privat.v2.json", "/privatBarn/1/personnavn", "7",
      "/privatBarn/1/personnavn", "type", "must be a string" },
    { "privat.v2.json", "/privatBarn/1/adresse/adresselinje1", NULL,
      "/privatBarn/1/adresse/adresselinje1", "required",
      "required property \"adresselinje1\" is missing" },
    { "privat.v2.json", "/privatMelder/telefonnummer", "\"22 00 00 0x\"",
      "/privatMelder/telefonnummer", "pattern",
      "does not match ^[+]?[0-9]+([- ][0-9]+)*$" },
    { "privat.v2.json", "/kommunenummer", "\"\\u0664\\u0666\\u0660\\u0661\"",
      "/kommunenummer", "pattern", "does not match ^[0-9]{4}$" },
    { "privat.v2.json", "/kommunenummer", "\"4601\\n\"", "/kommunenummer",
      "pattern", "does not match ^[0-9]{4}$" },
    { "privat.v2.json", "/melding", "\"\"", "/melding", "minLength",
      "at least 1 character required" },
    { "privat.v2.json", "/sendingstidspunkt", "\"2024-05-02T08:00:00Z\"",
      "/sendingstidspunkt", "pattern",
      "does not match "
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?$" },
    { "offentlig.v2.json", "/offentligBarn/1/personnavn", "\"Per\\nPål\"",
      "/offentligBarn/1/personnavn", "pattern",
      "does not match ^[^\\n\\r\\u2028\\u2029]*$" },
    { "offentlig.v2.json", "/offentligBarn/0/personnavn", "\"Per\\u2028Pål\"",
      "/offentligBarn/0/personnavn", "pattern",
      "does not match ^[^\\n\\r\\u2028\\u2029]*$" },
    { "offentlig.v1.json", "/offentligMelder/personnavn", "\"\"",
      "/offentligMelder/personnavn", "minLength",
      "at least 1 character required" },
    { "offentlig.v2.json", "/foresatte",
      "[{\"personnavn\": \"A\", "
      "\"orientert\": true}, {\"personnavn\": \"B\", \"orientert\": true}, "
      "{\"personnavn\": \"C\", \"orientert\": true}]",
      "/foresatte", "maxItems", "at most 2 items allowed" },
    { "offentlig.v2.json", "/foresatte", "[]", "/foresatte", "minItems",
      "at least 1 item required" },
    { "offentlig.v2.json", "/offentligMelder/epost", "\"lærer@skole\"",
      "/offentligMelder/epost", "pattern", NULL },
    { "offentlig.v2.json", "/offentligBarn/0/ufoedt", "\"ja\"",
      "/offentligBarn/0/ufoedt", "type", "must be a boolean" },
    { "offentlig.v2.json", "", "[]", "", "type", "must be an object" },
    { "feilet.v1.json", "/melding", "null", "/melding", "type",
      "must be a string" },
};

START_TEST(form_error)
{
    bkm_jsonschema_set_t *set = load_dir(OUR_SCHEMAS);
    const bkm_jsonschema_t *s = compiled(set, form_errors[_i].schema);
    json_t *doc = parse(strncmp(form_errors[_i].schema, "offentlig", 9) == 0
                            ? offentlig_json
                            : privat_json);
    apr_array_header_t *errors;
    bkm_jsonschema_error_t *e;

    if (strcmp(form_errors[_i].schema, "feilet.v1.json") == 0) {
        json_decref(doc);
        doc = parse("{\"melding\": \"x\"}");
    }
    ck_assert_msg(valid(s, doc, &errors), "fixture invalid:%s",
                  errors_text(errors));
    if (!*form_errors[_i].path) {
        json_decref(doc);
        doc = parse(form_errors[_i].value);
    }
    else {
        set_at(doc, form_errors[_i].path, form_errors[_i].value);
    }
    ck_assert(!valid(s, doc, &errors));
    ck_assert_msg(errors->nelts == 1, "%s %s: %d errors:%s",
                  form_errors[_i].schema, form_errors[_i].path, errors->nelts,
                  errors_text(errors));
    e = &APR_ARRAY_IDX(errors, 0, bkm_jsonschema_error_t);
    ck_assert_str_eq(e->pointer, form_errors[_i].pointer);
    ck_assert_str_eq(e->keyword, form_errors[_i].keyword);
    if (form_errors[_i].message) {
        ck_assert_str_eq(e->message, form_errors[_i].message);
    }
    json_decref(doc);
}
END_TEST

START_TEST(many_errors)
{
    bkm_jsonschema_set_t *set = load_dir(OUR_SCHEMAS);
    const bkm_jsonschema_t *s = compiled(set, "privat.v1.json");
    json_t *doc = parse(privat_json);
    apr_array_header_t *errors;

    set_at(doc, "/kommunenavn", NULL);
    set_at(doc, "/bydelsnummer", "\"1\"");
    set_at(doc, "/privatBarn/0/adresse", "\"Gate 1\"");
    ck_assert(!valid(s, doc, &errors));
    ck_assert_str_eq(errors_text(errors),
                     " [/kommunenavn required: required property "
                     "\"kommunenavn\" is missing]"
                     " [/bydelsnummer pattern: does not match ^[0-9]{2}$]"
                     " [/privatBarn/0/adresse type: must be an object]");
    json_decref(doc);
}
END_TEST

/* ---- 4. what compile and add refuse ---- */

static const struct {
    const char *text;
    const char *expect; /* a part of the message */
} refused[] = {
    { "{\"type\": \"array\", \"uniqueItems\": true}",
      "t.json#: unsupported keyword \"uniqueItems\"" },
    { "{\"properties\": {\"a/b\": {\"minLenght\": 1}}}",
      "t.json#/properties/a~1b: unsupported keyword \"minLenght\"" },
    { "{\"$defs\": {\"x\": {\"maximum\": 1}}, \"items\": {\"$ref\": "
      "\"#/$defs/x\"}}",
      "t.json#/$defs/x: unsupported keyword \"maximum\"" },
    { "{\"patternProperties\": {}}", "\"patternProperties\"" },
    { "{\"if\": true}", "\"if\"" },
    { "{\"unevaluatedProperties\": false}", "\"unevaluatedProperties\"" },
    { "{\"$dynamicRef\": \"#\"}", "\"$dynamicRef\"" },
    { "{\"additionalItems\": false}",
      "unsupported keyword "
      "\"additionalItems\"" }, /* not a 2020-12 keyword */
    { "{\"items\": [true]}", "the array form is prefixItems" },
    { "{\"$ref\": \"other.json\"}", "cannot resolve $ref \"other.json\"" },
    { "{\"$ref\": \"#/$defs/none\"}", "cannot resolve $ref" },
    { "{\"$ref\": \"#nowhere\"}", "cannot resolve $ref" },
    { "{\"$ref\": \"http://json-schema.org/draft-07/schema#\"}",
      "cannot resolve $ref" },
    { "{\"pattern\": \"(\"}", "pattern \"(\" is not supported" },
    { "{\"type\": \"text\"}", "unknown type text" },
    { "{\"type\": []}", "type must be" },
    { "{\"minItems\": -1}", "minItems must be a non-negative integer" },
    { "{\"maxLength\": 1.5}", "maxLength must be a non-negative integer" },
    { "{\"required\": [1]}", "required must be an array of strings" },
    { "{\"allOf\": []}", "allOf must be a non-empty array of schemas" },
    { "{\"not\": 1}", "t.json#/not: a schema must be an object" },
    { "{\"enum\": 1}", "enum must be an array" },
    /* refused by add */
    { "{\"type\": \"string\",}", "t.json: not JSON" },
    { "{\"type\": \"string\", \"type\": \"object\"}",
      "duplicate object key" },
    { "[]", "a schema must be an object or a boolean" },
    { "{\"$schema\": \"http://json-schema.org/draft-04/schema#\"}",
      "unsupported $schema" },
    { "{\"$defs\": {\"a\": {\"$id\": \"x.json\"}, \"b\": {\"$id\": "
      "\"x.json\"}}}",
      "x.json is already defined" },
};

START_TEST(refuse)
{
    const bkm_jsonschema_t *s = NULL;
    const char *err = try_schema(refused[_i].text, &s);

    ck_assert_msg(err != NULL, "accepted: %s", refused[_i].text);
    ck_assert_msg(strstr(err, refused[_i].expect) != NULL,
                  "%s: \"%s\" does not say \"%s\"", refused[_i].text, err,
                  refused[_i].expect);
}
END_TEST

START_TEST(set_handling)
{
    bkm_jsonschema_set_t *set = bkm_jsonschema_set_make(bkm_test_pool);
    const bkm_jsonschema_t *a = NULL, *b = NULL;
    const char *main_json = "{\"$ref\": \"../lib/c.json#/$defs/x\"}";
    const char *c_json = "{\"$defs\": {\"x\": {\"type\": \"integer\"}}}";
    const char *err;

    ck_assert_ptr_null(bkm_jsonschema_add(set, "main/m.json", main_json,
                                          strlen(main_json)));
    /* a missing document: refused, and nothing half-built stays */
    err = bkm_jsonschema_compile(set, "main/m.json", &a);
    ck_assert_msg(err
                      && strstr(err,
                                "main/m.json#: cannot resolve $ref "
                                "\"../lib/c.json#/$defs/x\""),
                  "%s", err);
    ck_assert_ptr_null(a);
    ck_assert_ptr_null(bkm_jsonschema_add(set, "lib/c.json", c_json,
                                          strlen(c_json)));
    ck_assert_ptr_null(bkm_jsonschema_compile(set, "main/m.json", &a));
    ck_assert_ptr_null(bkm_jsonschema_compile(set, "main/m.json", &b));
    ck_assert_ptr_eq(a, b); /* compiled once */
    ck_assert(valid_text(a, "3"));
    ck_assert(valid_text(a, "3.0"));
    ck_assert(!valid_text(a, "3.5"));
    err = bkm_jsonschema_add(set, "lib/c.json", c_json, strlen(c_json));
    ck_assert_msg(err && strstr(err, "already in the set"), "%s", err);
    err = bkm_jsonschema_compile(set, "nothing.json", &a);
    ck_assert_msg(err && strstr(err, "nothing.json"), "%s", err);
    err = bkm_jsonschema_add_file(set, "x.json", "/nonexistent/x.json");
    ck_assert_msg(err && strstr(err, "cannot read /nonexistent/x.json"), "%s",
                  err);
    /* names are paths: "./lib/e.json" is what "lib/e.json" refers to */
    ck_assert_ptr_null(bkm_jsonschema_add(set, "./lib/e.json",
                                          "{\"type\": \"string\"}", 18));
    ck_assert_ptr_null(bkm_jsonschema_add(set, "top.json",
                                          "{\"$ref\": \"lib/e.json\"}", 22));
    ck_assert_ptr_null(bkm_jsonschema_compile(set, "top.json", &a));
    ck_assert(valid_text(a, "\"s\""));
    ck_assert(!valid_text(a, "1"));
    ck_assert_ptr_null(bkm_jsonschema_add(set, "yes.json", "true", 4));
    ck_assert_ptr_null(bkm_jsonschema_compile(set, "yes.json", &a));
    ck_assert(valid_text(a, "{\"anything\": [1]}"));
}
END_TEST

/* The incumbent's layout: $ids that match no file, refs by file. */
START_TEST(refs_by_name_and_id)
{
    bkm_jsonschema_set_t *set = bkm_jsonschema_set_make(bkm_test_pool);
    const bkm_jsonschema_t *s;
    static const char *const docs[][2] = {
        { "domain/adresse.json",
          "{\"$id\": \"https://example.invalid/x.adresse.json\","
          " \"required\": [\"linje\"]}" },
        { "domain/v2/melding.json",
          "{\"$id\": \"https://example.invalid/x.melding.json\","
          " \"properties\": {\"a\": {\"$ref\": \"../adresse.json\"},"
          "   \"b\": {\"$ref\": \"https://example.invalid/x.adresse.json\"},"
          "   \"c\": {\"$ref\": \"urn:example:anker#navn\"},"
          "   \"d\": {\"$ref\": \"#/$defs/a~1b\"},"
          "   \"e\": {\"$ref\": \"#/$defs/t~0e\"},"
          "   \"f\": {\"$ref\": \"#/$defs/p%25q\"},"
          "   \"g\": {\"$ref\": \"#lokal\"}},"
          " \"$defs\": {\"a/b\": {\"type\": \"string\"},"
          "   \"t~e\": {\"type\": \"number\"}, \"p%q\": {\"type\": \"null\"},"
          "   \"l\": {\"$anchor\": \"lokal\", \"const\": 1},"
          "   \"u\": {\"$id\": \"urn:example:anker\","
          "     \"$defs\": {\"n\": {\"$anchor\": \"navn\","
          "       \"enum\": [\"x\", 2]}}}}}" },
    };
    int i;

    for (i = 0; i < 2; i++) {
        ck_assert_ptr_null(bkm_jsonschema_add(set, docs[i][0], docs[i][1],
                                              strlen(docs[i][1])));
    }
    s = compiled(set, "domain/v2/melding.json");
    ck_assert(valid_text(s,
                         "{\"a\": {\"linje\": 1}, \"b\": {\"linje\": 1},"
                         " \"c\": 2.0, \"d\": \"s\", \"e\": 1.5,"
                         " \"f\": null, \"g\": 1.0}"));
    ck_assert(!valid_text(s, "{\"a\": {}}"));
    ck_assert(!valid_text(s, "{\"b\": {}}"));
    ck_assert(!valid_text(s, "{\"c\": \"y\"}"));
    ck_assert(!valid_text(s, "{\"d\": 1}"));
    ck_assert(!valid_text(s, "{\"e\": \"1\"}"));
    ck_assert(!valid_text(s, "{\"f\": 0}"));
    ck_assert(!valid_text(s, "{\"g\": 2}"));
}
END_TEST

START_TEST(draft_semantics)
{
    /* 2020-12: $ref's siblings apply; draft-07: they are ignored */
    const bkm_jsonschema_t *s = schema(
        "{\"$defs\": {\"a\": {\"type\": \"array\"}},"
        " \"$ref\": \"#/$defs/a\", \"maxItems\": 1}");

    ck_assert(valid_text(s, "[1]"));
    ck_assert(!valid_text(s, "[1, 2]"));
    s = schema(
        "{\"$schema\": \"http://json-schema.org/draft-07/schema#\","
        " \"definitions\": {\"a\": {\"type\": \"array\"}},"
        " \"$ref\": \"#/definitions/a\", \"maxItems\": 1,"
        " \"whatever\": 1}");
    ck_assert(valid_text(s, "[1, 2]"));
    /* tuples, three ways */
    s = schema(
        "{\"prefixItems\": [{\"type\": \"string\"}],"
        " \"items\": false}");
    ck_assert(valid_text(s, "[\"a\"]"));
    ck_assert(!valid_text(s, "[\"a\", 1]"));
    ck_assert(!valid_text(s, "[1]"));
    s = schema(
        "{\"$schema\":"
        " \"https://json-schema.org/draft/2019-09/schema\","
        " \"items\": [{\"type\": \"string\"}],"
        " \"additionalItems\": {\"type\": \"integer\"}}");
    ck_assert(valid_text(s, "[\"a\", 1, 2]"));
    ck_assert(!valid_text(s, "[\"a\", \"b\"]"));
    /* minLength does not apply to arrays (the incumbent's privatBarn) */
    s = schema("{\"type\": \"array\", \"minLength\": 1}");
    ck_assert(valid_text(s, "[]"));
    /* annotations do not assert; format least of all */
    s = schema(
        "{\"format\": \"date-time\", \"title\": \"t\","
        " \"description\": \"d\", \"$comment\": \"c\","
        " \"default\": 1, \"examples\": [1], \"deprecated\": true,"
        " \"readOnly\": true, \"writeOnly\": false,"
        " \"definitions\": {}, \"$defs\": {}}");
    ck_assert(valid_text(s, "\"2020-03-16T13:29:33\""));
    ck_assert(valid_text(s, "\"not a date\""));
    /* const and enum: JSON equality, 1 == 1.0, order of members free */
    s = schema("{\"const\": {\"a\": [1, {\"b\": null}], \"c\": 2.0}}");
    ck_assert(valid_text(s, "{\"c\": 2, \"a\": [1.0, {\"b\": null}]}"));
    ck_assert(!valid_text(s, "{\"c\": 2, \"a\": [1, {\"b\": false}]}"));
    ck_assert(!valid_text(s,
                          "{\"c\": 2, \"a\": [1, {\"b\": null}], "
                          "\"d\": 1}"));
    s = schema("{\"enum\": [1, \"1\", [true]]}");
    ck_assert(valid_text(s, "1.0"));
    ck_assert(valid_text(s, "[true]"));
    ck_assert(!valid_text(s, "[1]"));
    ck_assert(!valid_text(s, "true"));
    s = schema("{\"type\": [\"integer\", \"null\"]}");
    ck_assert(valid_text(s, "1.0"));
    ck_assert(valid_text(s, "null"));
    ck_assert(!valid_text(s, "1.5"));
    /* lengths in code points, not bytes */
    s = schema("{\"minLength\": 3, \"maxLength\": 3}");
    ck_assert(valid_text(s, "\"æøå\""));
    ck_assert(valid_text(s, "\"a\\ud83d\\udca9b\""));
    ck_assert(!valid_text(s, "\"ab\""));
    ck_assert(!valid_text(s, "\"ÆØÅæ\""));
}
END_TEST

/* ECMA-262 meaning of patterns, where PCRE2's would differ. */
static const struct {
    const char *pattern;  /* JSON string content */
    const char *instance; /* JSON string content */
    int match;
} patterns[] = {
    { "^\\\\d{4}$", "1234", 1 },
    { "^\\\\d{4}$", "\\u0661\\u0662\\u0663\\u0664", 0 }, /* Arabic-Indic */
    { "^\\\\d{4}$", "1234\\n", 0 }, /* $ is the very end */
    { "^[\\\\d]+$", "\\u0661", 0 },
    { "^[^\\\\d]+$", "\\u0661", 1 },
    { "^[\\\\D]+$", "a", 1 },
    { "^[\\\\D]+$", "1", 0 },
    { "^\\\\w+$", "abc_1", 1 },
    { "^\\\\w+$", "blåbær", 0 },
    { "^\\\\W+$", "åæ", 1 },
    { "^[\\\\W]+$", "å", 1 },
    { "^[\\\\W]+$", "a", 0 },
    { "^\\\\s$", "\\ufeff", 1 },
    { "^\\\\s$", "\\u00a0", 1 },
    { "^\\\\s$", "\\u0085", 0 },
    { "^\\\\S$", "\\u0085", 1 },
    { "^[\\\\S]$", " ", 0 },
    { "^[\\\\S]$", "\\u0085", 1 },
    { "\\\\bå", "xå", 1 }, /* x is \w and å is not */
    { "\\\\bfoo\\\\b", "æfooæ", 1 },
    { "\\\\Bfoo", "afoo", 1 },
    { "^.$", "é", 1 },
    { "^.$", "\\ud83d\\udca9", 1 },
    { "^.$", "\\n", 0 },
    { "^.$", "\\r", 0 },
    { "^.$", "\\u2028", 0 },
    { "^.$", "\\u2029", 0 },
    { "^.$", "\\u000b", 1 },
    { "^[.]$", ".", 1 },
    { "^[.]$", "a", 0 },
    { "^\\\\u00e6$", "æ", 1 },
    { "^\\\\x41$", "A", 1 },
    { "^[^]$", "\\n", 1 },
    { "[]", "a", 0 },
    { "^\\\\p{L}+$", "Åse", 1 },
    { "a+", "xxaayy", 1 }, /* not anchored */
    { "^(a|b)\\\\1$", "aa", 1 },
    { "^[A-Za-zæøåÆØÅ0-9-_]+$", "lærer-_", 1 },
    { "^(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", 0 },
};

START_TEST(pattern_semantics)
{
    const char *text = apr_psprintf(bkm_test_pool, "{\"pattern\": \"%s\"}",
                                    patterns[_i].pattern);
    const char *inst = apr_psprintf(bkm_test_pool, "\"%s\"",
                                    patterns[_i].instance);

    ck_assert_msg(valid_text(schema(text), inst) == patterns[_i].match,
                  "%s on %s: expected %s", text, inst,
                  patterns[_i].match ? "a match" : "no match");
}
END_TEST

START_TEST(recursion)
{
    /* a tree: recursive, but each level consumes the instance */
    const bkm_jsonschema_t *s = schema(
        "{\"type\": \"object\", \"required\": [\"navn\"],"
        " \"properties\": {\"navn\": {\"type\": \"string\"},"
        "   \"barn\": {\"type\": \"array\", \"items\": {\"$ref\": \"#\"}}}}");
    apr_array_header_t *errors;
    json_t *j;

    ck_assert(valid_text(s,
                         "{\"navn\": \"a\", \"barn\": [{\"navn\": \"b\","
                         " \"barn\": [{\"navn\": \"c\"}]}]}"));
    j = parse(
        "{\"navn\": \"a\", \"barn\": [{\"navn\": \"b\","
        " \"barn\": [{\"navn\": \"c\"}, {\"navn\": 4}]}]}");
    ck_assert(!valid(s, j, &errors));
    ck_assert_str_eq(errors_text(errors),
                     " [/barn/0/barn/1/navn type: must be a string]");
    json_decref(j);
    /* schemas that recurse without consuming anything end in an error,
     * not in a crash */
    s = schema("{\"$ref\": \"#\"}");
    j = parse("{}");
    ck_assert(!valid(s, j, &errors));
    ck_assert_str_eq(APR_ARRAY_IDX(errors, 0, bkm_jsonschema_error_t).keyword,
                     "$ref");
    json_decref(j);
    s = schema(
        "{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"},"
        " \"b\": {\"anyOf\": [{\"$ref\": \"#/$defs/a\"}]}},"
        " \"$ref\": \"#/$defs/a\"}");
    ck_assert(!valid_text(s, "1"));
    /* too deep an instance for a recursive schema */
    {
        char *deep = apr_palloc(bkm_test_pool, 2 * 200 + 1);

        memset(deep, '[', 200);
        memset(deep + 200, ']', 200);
        deep[400] = '\0';
        s = schema("{\"items\": {\"$ref\": \"#\"}}");
        ck_assert(!valid_text(s, deep));
        ck_assert(valid_text(s, "[[[[]]]]"));
    }
}
END_TEST

START_TEST(combinations)
{
    const bkm_jsonschema_t *s = schema(
        "{\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}],"
        " \"not\": {\"const\": \"\"}}");
    apr_array_header_t *errors;
    json_t *j;

    ck_assert(valid_text(s, "\"a\""));
    ck_assert(valid_text(s, "null"));
    ck_assert(!valid_text(s, "\"\""));
    j = parse("1");
    ck_assert(!valid(s, j, &errors));
    ck_assert_str_eq(errors_text(errors),
                     " [ anyOf: does not match any of "
                     "the allowed forms]");
    json_decref(j);
    s = schema(
        "{\"oneOf\": [{\"type\": \"integer\"}, {\"type\": \"number\","
        " \"maxLength\": 1}]}");
    ck_assert(!valid_text(s, "1"));
    ck_assert(valid_text(s, "1.5"));
    s = schema(
        "{\"allOf\": [{\"required\": [\"a\"]}, {\"required\": "
        "[\"b\"]}], \"additionalProperties\": false,"
        " \"properties\": {\"a\": true, \"b\": true}}");
    j = parse("{\"c\": 1}");
    ck_assert(!valid(s, j, &errors));
    ck_assert_str_eq(errors_text(errors),
                     " [/c additionalProperties: property \"c\" is not "
                     "allowed] [/a required: required property \"a\" is "
                     "missing] [/b required: required property \"b\" is "
                     "missing]");
    json_decref(j);
}
END_TEST

/* ---- 5. what a hostile instance costs ---- */

/* An array of @p n copies of the JSON text @p item. */
static json_t *repeated(const char *item, apr_size_t n)
{
    json_t *a = json_array(), *one = parse(item);
    apr_size_t i;

    for (i = 0; i < n; i++) {
        json_array_append(a, one); /* the same item, shared */
    }
    json_decref(one);
    return a;
}

/* The fastest of five validations, in microseconds (the least disturbed
 * by other work on the machine). */
static apr_interval_time_t fastest(const bkm_jsonschema_t *s, const json_t *j)
{
    apr_interval_time_t best = -1, took;
    apr_array_header_t *e;
    int i;

    for (i = 0; i < 5; i++) {
        apr_time_t t0 = apr_time_now();

        e = apr_array_make(bkm_test_pool, 4, sizeof(bkm_jsonschema_error_t));
        bkm_jsonschema_validate(s, j, bkm_test_pool, e);
        took = apr_time_now() - t0;
        best = best < 0 || took < best ? took : best;
    }
    return best;
}

START_TEST(error_cap)
{
    const bkm_jsonschema_t *s = schema(
        "{\"type\": \"array\", \"items\": {\"type\": \"object\","
        " \"required\": [\"a\", \"b\"]}}");
    apr_array_header_t *errors =
        apr_array_make(bkm_test_pool, 4, sizeof(bkm_jsonschema_error_t));
    json_t *j = repeated("{}", 100000);
    bkm_jsonschema_error_t *e;
    int more = -1;

    /* The issue 11 attack's shape: 200,000 failures, 50 recorded, the
     * first ones in instance order. */
    ck_assert(!bkm_jsonschema_validate(s, j, bkm_test_pool, errors));
    ck_assert_int_eq(errors->nelts, BKM_JSONSCHEMA_MAX_ERRORS);
    e = &APR_ARRAY_IDX(errors, 0, bkm_jsonschema_error_t);
    ck_assert_str_eq(e->pointer, "/0/a");
    e = &APR_ARRAY_IDX(errors, errors->nelts - 1, bkm_jsonschema_error_t);
    ck_assert_str_eq(e->pointer, "/24/b");
    json_decref(j);

    /* more says exactly whether failures were cut off */
    j = parse("[{}, {\"a\": 1}]"); /* three failures */
    errors->nelts = 0;
    ck_assert(!bkm_jsonschema_validate_max(s, j, bkm_test_pool, errors, 3,
                                           &more));
    ck_assert_int_eq(errors->nelts, 3);
    ck_assert_int_eq(more, 0);
    errors->nelts = 0;
    ck_assert(!bkm_jsonschema_validate_max(s, j, bkm_test_pool, errors, 2,
                                           &more));
    ck_assert_str_eq(errors_text(errors),
                     " [/0/a required: required property \"a\" is missing]"
                     " [/0/b required: required property \"b\" is missing]");
    ck_assert_int_eq(more, 1);
    json_decref(j);
    j = parse("[{\"a\": 1, \"b\": 2}]");
    errors->nelts = 0;
    ck_assert(bkm_jsonschema_validate_max(s, j, bkm_test_pool, errors, 1,
                                          &more));
    ck_assert_int_eq(more, 0);
    json_decref(j);
}
END_TEST

START_TEST(early_stop)
{
    /* Validation stops once the errors are capped, so a failing instance
     * costs what its first fifty failures cost, while a valid one of the
     * same size is walked to its end: were the cap only on what is
     * recorded, both would take about as long. */
    const bkm_jsonschema_t *s =
        schema("{\"items\": {\"type\": \"string\", \"minLength\": 2}}");
    json_t *bad = repeated("\"x\"", 1000000);
    json_t *good = repeated("\"xy\"", 1000000);
    apr_interval_time_t t_bad, t_good;

    t_good = fastest(s, good);
    t_bad = fastest(s, bad);
    printf("jsonschema: 1,000,000 items: valid %" APR_TIME_T_FMT
           " us, "
           "invalid (stops after %d errors) %" APR_TIME_T_FMT " us\n",
           t_good, BKM_JSONSCHEMA_MAX_ERRORS, t_bad);
    ck_assert_msg(t_bad * 10 < t_good,
                  "invalid %" APR_TIME_T_FMT
                  " us, "
                  "valid %" APR_TIME_T_FMT
                  " us: validation did not stop "
                  "early",
                  t_bad, t_good);
    json_decref(bad);
    json_decref(good);
}
END_TEST

START_TEST(max_items)
{
    bkm_jsonschema_set_t *set = load_dir(OUR_SCHEMAS);
    const bkm_jsonschema_t *s =
        schema("{\"maxItems\": 2, \"items\": {\"type\": \"string\"}}");
    apr_array_header_t *errors;
    json_t *j = parse("[1, 2, 3]"), *child;
    const char *name;
    int i;

    /* an over-long array is refused as a whole: its items are not
     * checked */
    ck_assert(!valid(s, j, &errors));
    ck_assert_str_eq(errors_text(errors),
                     " [ maxItems: at most 2 items allowed]");
    json_decref(j);

    /* the issue 11 body against every report schema: a handful of
     * errors, none about a child */
    for (i = 0; examples[i].ours; i++) {
        if (strncmp(examples[i].ours, "feilet", 6) == 0) {
            continue;
        }
        name = strncmp(examples[i].ours, "privat", 6) == 0 ? "privatBarn"
                                                           : "offentligBarn";
        j = json_object();
        json_object_set_new(j, name, repeated("{}", 100000));
        ck_assert(!valid(compiled(set, examples[i].ours), j, &errors));
        ck_assert_msg(errors->nelts < 15, "%s: %d errors", examples[i].ours,
                      errors->nelts);
        ck_assert_msg(strstr(errors_text(errors),
                             apr_pstrcat(bkm_test_pool, " [/", name,
                                         " maxItems: at most 20 "
                                         "items allowed]",
                                         NULL))
                          != NULL,
                      "%s:%s", examples[i].ours, errors_text(errors));
        ck_assert_msg(strstr(errors_text(errors),
                             apr_pstrcat(bkm_test_pool, "/", name, "/", NULL))
                          == NULL,
                      "%s:%s", examples[i].ours, errors_text(errors));
        json_decref(j);
    }

    /* twenty children are fine, twenty-one are not */
    j = parse(privat_json);
    child = json_deep_copy(json_array_get(json_object_get(j, "privatBarn"),
                                          0));
    while (json_array_size(json_object_get(j, "privatBarn")) < 20) {
        json_array_append(json_object_get(j, "privatBarn"), child);
    }
    s = compiled(set, "privat.v2.json");
    ck_assert_msg(valid(s, j, &errors), "20 children:%s",
                  errors_text(errors));
    json_array_append(json_object_get(j, "privatBarn"), child);
    ck_assert(!valid(s, j, &errors));
    ck_assert_str_eq(errors_text(errors),
                     " [/privatBarn maxItems: at most 20 items allowed]");
    json_decref(child);
    json_decref(j);
}
END_TEST

START_TEST(huge_and_deep)
{
    /* What the 1 MiB body limit allows costs little and is not refused
     * by accident: a text of a million characters on a single-line
     * pattern stays under PCRE2's match limit, and deep nesting in a
     * member no schema describes is not walked at all. */
    bkm_jsonschema_set_t *set = load_dir(OUR_SCHEMAS);
    const bkm_jsonschema_t *s = compiled(set, "offentlig.v2.json");
    json_t *j = parse(offentlig_json), *deep = json_array(), *up;
    apr_array_header_t *errors;
    char *big = apr_palloc(bkm_test_pool, 1000001);
    apr_time_t t0;
    int i;

    memset(big, 'a', 1000000);
    big[1000000] = '\0';
    json_object_set_new(json_array_get(json_object_get(j, "offentligBarn"),
                                       0),
                        "personnavn", json_string(big));
    json_object_set_new(json_object_get(j, "melding"), "melding",
                        json_string(big));
    for (i = 0; i < 2000; i++) {
        up = json_array();
        json_array_append_new(up, deep);
        deep = up;
    }
    json_object_set_new(j, "ukjent", deep);
    t0 = apr_time_now();
    ck_assert_msg(valid(s, j, &errors), "huge and deep:%s",
                  errors_text(errors));
    ck_assert_msg(apr_time_now() - t0 < apr_time_from_sec(2),
                  "took %" APR_TIME_T_FMT " us", apr_time_now() - t0);
    json_decref(j);
}
END_TEST

Suite *bkm_suite_jsonschema(void)
{
    Suite *s = suite_create("jsonschema");
    TCase *tc = tcase_create("jsonschema");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, official_test_suite);
    tcase_add_test(tc, reference_examples);
    tcase_add_loop_test(tc, form_error, 0,
                        sizeof(form_errors) / sizeof(form_errors[0]));
    tcase_add_test(tc, many_errors);
    tcase_add_loop_test(tc, refuse, 0, sizeof(refused) / sizeof(refused[0]));
    tcase_add_test(tc, set_handling);
    tcase_add_test(tc, refs_by_name_and_id);
    tcase_add_test(tc, draft_semantics);
    tcase_add_loop_test(tc, pattern_semantics, 0,
                        sizeof(patterns) / sizeof(patterns[0]));
    tcase_add_test(tc, recursion);
    tcase_add_test(tc, combinations);
    tcase_add_test(tc, error_cap);
    tcase_add_test(tc, early_stop);
    tcase_add_test(tc, max_items);
    tcase_add_test(tc, huge_and_deep);
    suite_add_tcase(s, tc);
    return s;
}
