/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A JSON Schema validator over jansson, sized for the report schemas: a set
 * of named documents is scanned for the identifiers it defines ($id,
 * $anchor), a document is compiled into a tree of bkm_jsonschema_t with
 * every $ref resolved and every pattern compiled, and validation walks that
 * tree.  Anything the compiler does not know is refused, never skipped.
 */
#include "bkm_jsonschema.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_file_io.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* A document's name becomes a URI in this made-up scheme, so that names
 * resolve like URIs ("../adresse.json" from "domain/v2/x.json") and can
 * never collide with a real $id. */
#define BKM_JS_NAME_SCHEME "bkm-set:"

/* Compiling recurses along the schema text and through $refs; this bounds
 * it well below any stack limit (jansson itself allows 2048 levels). */
#define BKM_JS_COMPILE_DEPTH 256

/* Enough steps for any sane pattern on form input, few enough that a
 * pathological one cannot stall a worker thread. */
#define BKM_JS_MATCH_LIMIT 1000000

typedef enum {
    BKM_JS_DRAFT7 = 7, /* draft-06 and -07: $ref ignores its siblings */
    BKM_JS_2019 = 2019,
    BKM_JS_2020 = 2020 /* also the default without $schema */
} bkm_js_dialect_e;

typedef struct {
    const char *name;
    const char *uri; /* the name as a URI, see BKM_JS_NAME_SCHEME */
    json_t *root;
} bkm_js_doc_t;

/* Where a schema object sits: what its relative references resolve
 * against, and how to name it in messages. */
typedef struct {
    const json_t *js; /* first member: the key in the scopes hash */
    const char *base; /* absolute URI without fragment */
    const bkm_js_doc_t *doc;
    bkm_js_dialect_e dialect;
    const char *loc; /* "name#/json/pointer" */
} bkm_js_scope_t;

#define BKM_JS_T_NULL 0x01
#define BKM_JS_T_BOOLEAN 0x02
#define BKM_JS_T_OBJECT 0x04
#define BKM_JS_T_ARRAY 0x08
#define BKM_JS_T_NUMBER 0x10
#define BKM_JS_T_STRING 0x20
#define BKM_JS_T_INTEGER 0x40

static const struct {
    const char *name;
    unsigned bit;
    const char *text; /* for "must be ..." */
} bkm_js_types[] = { { "null", BKM_JS_T_NULL, "null" },
                     { "boolean", BKM_JS_T_BOOLEAN, "a boolean" },
                     { "object", BKM_JS_T_OBJECT, "an object" },
                     { "array", BKM_JS_T_ARRAY, "an array" },
                     { "number", BKM_JS_T_NUMBER, "a number" },
                     { "string", BKM_JS_T_STRING, "a string" },
                     { "integer", BKM_JS_T_INTEGER, "an integer" },
                     { NULL, 0, NULL } };

typedef struct {
    const char *name;
    const bkm_jsonschema_t *schema;
} bkm_js_prop_t;

struct bkm_jsonschema_t {
    const json_t *js; /* first member: the key in the compiled hash */
    const char *loc;
    int always;     /* 1: true schema, 0: false schema, -1: object */
    unsigned types; /* BKM_JS_T_* bits; 0: any type */
    apr_array_header_t *props;    /* of bkm_js_prop_t */
    apr_hash_t *prop_names;       /* name -> "", for additionalProperties */
    apr_array_header_t *required; /* of const char * */
    const bkm_jsonschema_t *additional;
    apr_array_header_t *tuple;    /* of const bkm_jsonschema_t * */
    const bkm_jsonschema_t *rest; /* items after the tuple */
    const char *rest_keyword;
    apr_int64_t min_items, max_items, min_length, max_length; /* -1: none */
    pcre2_code *re;
    const char *pattern;
    pcre2_match_context *mctx; /* the set's */
    const json_t *enum_values;
    const json_t *const_value;
    const bkm_jsonschema_t *ref;
    apr_array_header_t *all_of, *any_of, *one_of;
    const bkm_jsonschema_t *not_schema;
};

struct bkm_jsonschema_set_t {
    apr_pool_t *p;
    apr_hash_t *docs;      /* name -> bkm_js_doc_t */
    apr_hash_t *resources; /* URI without fragment -> bkm_js_scope_t */
    apr_hash_t *anchors;   /* URI#name -> bkm_js_scope_t */
    apr_hash_t *scopes;    /* json_t * -> bkm_js_scope_t */
    apr_hash_t *compiled;  /* json_t * -> bkm_jsonschema_t */
    pcre2_compile_context *cctx;
    pcre2_match_context *mctx;
    bkm_jsonschema_t yes, no;
};

/* ---- URIs (RFC 3986 section 5) ---- */

typedef struct {
    const char *scheme, *auth, *path, *query, *frag; /* NULL: absent */
} bkm_js_uri_t;

static int has_scheme(const char *s)
{
    if (!apr_isalpha(*s)) {
        return 0;
    }
    for (s++; apr_isalnum(*s) || *s == '+' || *s == '-' || *s == '.'; s++) {
    }
    return *s == ':';
}

static void uri_split(apr_pool_t *p, const char *s, bkm_js_uri_t *u)
{
    const char *c;

    memset(u, 0, sizeof(*u));
    if ((c = strchr(s, '#'))) {
        u->frag = c + 1;
        s = apr_pstrmemdup(p, s, c - s);
    }
    if ((c = strchr(s, '?'))) {
        u->query = c + 1;
        s = apr_pstrmemdup(p, s, c - s);
    }
    if (has_scheme(s)) {
        c = strchr(s, ':');
        u->scheme = apr_pstrmemdup(p, s, c - s);
        s = c + 1;
    }
    if (s[0] == '/' && s[1] == '/') {
        s += 2;
        c = s + strcspn(s, "/");
        u->auth = apr_pstrmemdup(p, s, c - s);
        s = c;
    }
    u->path = s;
}

/* RFC 3986 5.2.4; also right for the relative paths of document names. */
static const char *remove_dots(apr_pool_t *p, const char *in)
{
    char *out = apr_palloc(p, strlen(in) + 1);
    apr_size_t n = 0, seg;

    while (*in) {
        if (strncmp(in, "../", 3) == 0) {
            in += 3;
        }
        else if (strncmp(in, "./", 2) == 0 || strncmp(in, "/./", 3) == 0) {
            in += 2;
        }
        else if (strcmp(in, "/.") == 0) {
            in = "/";
        }
        else if (strncmp(in, "/../", 4) == 0 || strcmp(in, "/..") == 0) {
            in = in[3] ? in + 3 : "/";
            while (n > 0 && out[--n] != '/') {
            }
        }
        else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0) {
            in = "";
        }
        else {
            seg = strcspn(in + 1, "/") + 1;
            memcpy(out + n, in, seg);
            n += seg;
            in += seg;
        }
    }
    out[n] = '\0';
    return out;
}

static const char *uri_resolve(apr_pool_t *p, const char *base,
                               const char *ref)
{
    bkm_js_uri_t b, r, t;
    const char *slash;

    uri_split(p, ref, &r);
    t = r;
    if (r.scheme) {
        t.path = remove_dots(p, r.path);
    }
    else {
        uri_split(p, base, &b);
        t.scheme = b.scheme;
        if (r.auth) {
            t.path = remove_dots(p, r.path);
        }
        else {
            t.auth = b.auth;
            if (!*r.path) {
                t.path = b.path;
                t.query = r.query ? r.query : b.query;
            }
            else if (r.path[0] == '/') {
                t.path = remove_dots(p, r.path);
            }
            else if (b.auth && !*b.path) {
                t.path = remove_dots(p, apr_pstrcat(p, "/", r.path, NULL));
            }
            else {
                slash = strrchr(b.path, '/');
                t.path = remove_dots(
                    p, slash ? apr_pstrcat(p,
                                           apr_pstrmemdup(p, b.path,
                                                          slash + 1 - b.path),
                                           r.path, NULL)
                             : r.path);
            }
        }
    }
    return apr_pstrcat(p, t.scheme ? t.scheme : "", t.scheme ? ":" : "",
                       t.auth ? "//" : "", t.auth ? t.auth : "", t.path,
                       t.query ? "?" : "", t.query ? t.query : "",
                       t.frag ? "#" : "", t.frag ? t.frag : "", NULL);
}

/* Split "uri#frag" in place of two strings; *frag is NULL without '#'. */
static const char *uri_cut(apr_pool_t *p, const char *uri, const char **frag)
{
    const char *c = strchr(uri, '#');

    *frag = c ? c + 1 : NULL;
    return c ? apr_pstrmemdup(p, uri, c - uri) : uri;
}

static const char *percent_decode(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;

    while (*s) {
        if (s[0] == '%' && apr_isxdigit(s[1]) && apr_isxdigit(s[2])) {
            char hex[3] = { s[1], s[2], '\0' };

            *o++ = (char)strtol(hex, NULL, 16);
            s += 3;
        }
        else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

/* RFC 6901: NULL unless every token names an existing member or index. */
static json_t *pointer_get(apr_pool_t *p, json_t *cur, const char *ptr)
{
    const char *end;
    char *tok, *o;
    apr_size_t i;

    if (*ptr && *ptr != '/') {
        return NULL;
    }
    while (cur && *ptr == '/') {
        ptr++;
        end = ptr + strcspn(ptr, "/");
        tok = o = apr_palloc(p, end - ptr + 1);
        for (; ptr < end; ptr++) {
            if (*ptr != '~') {
                *o++ = *ptr;
            }
            else if (ptr[1] == '0' || ptr[1] == '1') {
                *o++ = *++ptr == '0' ? '~' : '/';
            }
            else {
                return NULL;
            }
        }
        *o = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, tok);
        }
        else if (json_is_array(cur) && *tok
                 && strspn(tok, "0123456789") == strlen(tok)
                 && (tok[0] != '0' || !tok[1])) {
            i = (apr_size_t)apr_atoi64(tok);
            cur = json_array_get(cur, i);
        }
        else {
            return NULL;
        }
    }
    return cur;
}

/* One JSON pointer token: '~' and '/' escaped. */
static const char *pointer_escape(apr_pool_t *p, const char *s)
{
    char *out, *o;

    if (!strpbrk(s, "~/")) {
        return s;
    }
    out = o = apr_palloc(p, 2 * strlen(s) + 1);
    for (; *s; s++) {
        if (*s == '~' || *s == '/') {
            *o++ = '~';
            *o++ = *s == '~' ? '0' : '1';
        }
        else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

/* ---- the set and its documents ---- */

static apr_status_t doc_cleanup(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

static apr_status_t code_cleanup(void *data)
{
    pcre2_code_free(data);
    return APR_SUCCESS;
}

static apr_status_t set_cleanup(void *data)
{
    bkm_jsonschema_set_t *set = data;

    pcre2_match_context_free(set->mctx);
    pcre2_compile_context_free(set->cctx);
    return APR_SUCCESS;
}

bkm_jsonschema_set_t *bkm_jsonschema_set_make(apr_pool_t *p)
{
    bkm_jsonschema_set_t *set = apr_pcalloc(p, sizeof(*set));

    set->p = p;
    set->docs = apr_hash_make(p);
    set->resources = apr_hash_make(p);
    set->anchors = apr_hash_make(p);
    set->scopes = apr_hash_make(p);
    set->compiled = apr_hash_make(p);
    set->cctx = pcre2_compile_context_create(NULL);
    set->mctx = pcre2_match_context_create(NULL);
    apr_pool_cleanup_register(p, set, set_cleanup, apr_pool_cleanup_null);
    if (set->cctx) {
        /* \u{10FFFF} as in ECMA-262's unicode mode */
        pcre2_set_compile_extra_options(set->cctx, PCRE2_EXTRA_ALT_BSUX);
    }
    if (set->mctx) {
        pcre2_set_match_limit(set->mctx, BKM_JS_MATCH_LIMIT);
    }
    set->yes.always = 1;
    set->yes.loc = "true";
    set->no.always = 0;
    set->no.loc = "false";
    return set;
}

static int dialect_of(const char *uri, bkm_js_dialect_e *d)
{
    static const struct {
        const char *uri;
        bkm_js_dialect_e dialect;
    } known[] = {
        { "http://json-schema.org/draft-06/schema", BKM_JS_DRAFT7 },
        { "http://json-schema.org/draft-07/schema", BKM_JS_DRAFT7 },
        { "https://json-schema.org/draft/2019-09/schema", BKM_JS_2019 },
        { "https://json-schema.org/draft/2020-12/schema", BKM_JS_2020 },
        { NULL, 0 }
    };
    apr_size_t n = strlen(uri);
    int i;

    if (n && uri[n - 1] == '#') {
        n--;
    }
    for (i = 0; known[i].uri; i++) {
        if (strlen(known[i].uri) == n && strncmp(uri, known[i].uri, n) == 0) {
            *d = known[i].dialect;
            return 1;
        }
    }
    return 0;
}

/* What one document defines, merged into the set only if all of it is
 * good, so that a refused document leaves no trace. */
typedef struct {
    bkm_jsonschema_set_t *set;
    const bkm_js_doc_t *doc;
    apr_hash_t *resources, *anchors, *scopes;
} bkm_js_scan_t;

static const char *define(bkm_js_scan_t *sc, apr_hash_t *mine,
                          apr_hash_t *theirs, const char *uri,
                          const bkm_js_scope_t *scope)
{
    const bkm_js_scope_t *old = apr_hash_get(mine, uri, APR_HASH_KEY_STRING);

    if (!old) {
        old = apr_hash_get(theirs, uri, APR_HASH_KEY_STRING);
    }
    if (old && old->js != scope->js) {
        return apr_psprintf(sc->set->p, "%s: %s is already defined at %s",
                            scope->loc, uri, old->loc);
    }
    apr_hash_set(mine, uri, APR_HASH_KEY_STRING, scope);
    return NULL;
}

static const char *scan(bkm_js_scan_t *sc, json_t *js, const char *base,
                        bkm_js_dialect_e dialect, const char *loc, int depth);

static const char *scan_members(bkm_js_scan_t *sc, json_t *obj,
                                const bkm_js_scope_t *at, const char *kw,
                                int depth)
{
    const char *key, *err;
    json_t *v;

    if (!json_is_object(obj)) {
        return NULL;
    }
    json_object_foreach(obj, key, v) {
        err = scan(sc, v, at->base, at->dialect,
                   apr_pstrcat(sc->set->p, at->loc, "/", kw, "/",
                               pointer_escape(sc->set->p, key), NULL),
                   depth + 1);
        if (err) {
            return err;
        }
    }
    return NULL;
}

static const char *scan_one_or_all(bkm_js_scan_t *sc, json_t *v,
                                   const bkm_js_scope_t *at, const char *kw,
                                   int depth)
{
    const char *loc = apr_pstrcat(sc->set->p, at->loc, "/", kw, NULL);
    const char *err;
    apr_size_t i;

    if (!json_is_array(v)) {
        return scan(sc, v, at->base, at->dialect, loc, depth + 1);
    }
    for (i = 0; i < json_array_size(v); i++) {
        err = scan(sc, json_array_get(v, i), at->base, at->dialect,
                   apr_psprintf(sc->set->p, "%s/%" APR_SIZE_T_FMT, loc, i),
                   depth + 1);
        if (err) {
            return err;
        }
    }
    return NULL;
}

/* Walk the places where the keywords we know hold schemas, recording each
 * schema object's scope and each $id and $anchor.  Keyword checks wait for
 * compiling: a document may hold pieces that are only ever referred to. */
static const char *scan(bkm_js_scan_t *sc, json_t *js, const char *base,
                        bkm_js_dialect_e dialect, const char *loc, int depth)
{
    static const char *const one_or_all[] = { "additionalProperties",
                                              "additionalItems",
                                              "not",
                                              "items",
                                              "prefixItems",
                                              "allOf",
                                              "anyOf",
                                              "oneOf",
                                              NULL };
    static const char *const maps[] = { "properties", "definitions", "$defs",
                                        NULL };
    apr_pool_t *p = sc->set->p;
    bkm_js_scope_t *scope;
    const char *id, *uri, *frag = NULL, *err;
    json_t *v;
    int i;

    if (!json_is_object(js)) {
        return NULL;
    }
    if (depth > BKM_JS_COMPILE_DEPTH) {
        return apr_psprintf(p, "%s: nested too deeply", loc);
    }
    v = json_object_get(js, "$schema");
    if (v
        && !(json_is_string(v)
             && dialect_of(json_string_value(v), &dialect))) {
        return apr_psprintf(p, "%s: unsupported $schema", loc);
    }
    v = json_object_get(js, "$id");
    id = json_is_string(v) ? json_string_value(v) : NULL;
    /* In draft-07 a $ref makes its siblings, $id included, ignored. */
    if (dialect == BKM_JS_DRAFT7 && json_object_get(js, "$ref")) {
        id = NULL;
    }
    uri = NULL;
    if (id && *id) {
        uri = uri_cut(p, uri_resolve(p, base, id), &frag);
        base = uri;
    }
    scope = apr_pcalloc(p, sizeof(*scope));
    scope->js = js;
    scope->base = base;
    scope->doc = sc->doc;
    scope->dialect = dialect;
    scope->loc = loc;
    apr_hash_set(sc->scopes, &scope->js, sizeof(scope->js), scope);
    /* "$id": "#name" (draft-07) names an anchor, not a new resource */
    if (uri && *id != '#'
        && (err = define(sc, sc->resources, sc->set->resources, uri,
                         scope))) {
        return err;
    }
    if (uri && frag && *frag
        && (err = define(sc, sc->anchors, sc->set->anchors,
                         apr_pstrcat(p, uri, "#", frag, NULL), scope))) {
        return err;
    }
    v = json_object_get(js, "$anchor");
    if (json_is_string(v)
        && (err = define(sc, sc->anchors, sc->set->anchors,
                         apr_pstrcat(p, base, "#", json_string_value(v),
                                     NULL),
                         scope))) {
        return err;
    }
    for (i = 0; one_or_all[i]; i++) {
        v = json_object_get(js, one_or_all[i]);
        if (v
            && (err = scan_one_or_all(sc, v, scope, one_or_all[i], depth))) {
            return err;
        }
    }
    for (i = 0; maps[i]; i++) {
        v = json_object_get(js, maps[i]);
        if (v && (err = scan_members(sc, v, scope, maps[i], depth))) {
            return err;
        }
    }
    return NULL;
}

static void merge(apr_hash_t *into, apr_hash_t *from)
{
    apr_hash_index_t *hi;
    const void *key;
    apr_ssize_t klen;
    void *val;

    for (hi = apr_hash_first(NULL, from); hi; hi = apr_hash_next(hi)) {
        apr_hash_this(hi, &key, &klen, &val);
        apr_hash_set(into, key, klen, val);
    }
}

const char *bkm_jsonschema_add(bkm_jsonschema_set_t *set, const char *name,
                               const char *text, apr_size_t len)
{
    apr_pool_t *p = set->p;
    bkm_js_doc_t *doc;
    bkm_js_scan_t sc;
    bkm_js_scope_t *root;
    json_error_t e;
    const char *err, *frag;

    if (!name || !*name) {
        return "a schema document needs a name";
    }
    if (apr_hash_get(set->docs, name, APR_HASH_KEY_STRING)) {
        return apr_psprintf(p,
                            "%s: a document of that name is already in "
                            "the set",
                            name);
    }
    doc = apr_pcalloc(p, sizeof(*doc));
    doc->name = apr_pstrdup(p, name);
    doc->uri = has_scheme(name)
                   ? uri_cut(p, name, &frag)
                   : apr_pstrcat(p, BKM_JS_NAME_SCHEME,
                                 remove_dots(p,
                                             apr_pstrcat(p, "/", name, NULL)),
                                 NULL);
    /* duplicate member names would make the schema mean whichever one
     * the parser happens to keep */
    doc->root = json_loadb(text, len,
                           JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (!doc->root) {
        return apr_psprintf(p, "%s: not JSON: %s (line %d, column %d)", name,
                            e.text, e.line, e.column);
    }
    apr_pool_cleanup_register(p, doc->root, doc_cleanup,
                              apr_pool_cleanup_null);
    if (!json_is_object(doc->root) && !json_is_boolean(doc->root)) {
        return apr_psprintf(p, "%s: a schema must be an object or a boolean",
                            name);
    }
    sc.set = set;
    sc.doc = doc;
    sc.resources = apr_hash_make(p);
    sc.anchors = apr_hash_make(p);
    sc.scopes = apr_hash_make(p);
    err = scan(&sc, doc->root, doc->uri, BKM_JS_2020,
               apr_pstrcat(p, name, "#", NULL), 0);
    if (err) {
        return err;
    }
    root = apr_hash_get(sc.scopes, &doc->root, sizeof(doc->root));
    if (!root) {
        root = apr_pcalloc(p, sizeof(*root));
        root->js = doc->root;
        root->base = doc->uri;
        root->doc = doc;
        root->dialect = BKM_JS_2020;
        root->loc = apr_pstrcat(p, name, "#", NULL);
    }
    if ((err = define(&sc, sc.resources, set->resources, doc->uri, root))) {
        return err;
    }
    merge(set->resources, sc.resources);
    merge(set->anchors, sc.anchors);
    merge(set->scopes, sc.scopes);
    apr_hash_set(set->docs, doc->name, APR_HASH_KEY_STRING, doc);
    return NULL;
}

const char *bkm_jsonschema_add_file(bkm_jsonschema_set_t *set,
                                    const char *name, const char *path)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t n;
    char *buf, msg[120];

    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_OS_DEFAULT, set->p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
        if (rv == APR_SUCCESS) {
            n = (apr_size_t)fi.size;
            buf = apr_palloc(set->p, n + 1);
            rv = n ? apr_file_read_full(f, buf, n, &n) : APR_SUCCESS;
        }
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(set->p, "cannot read %s: %s", path,
                            apr_strerror(rv, msg, sizeof(msg)));
    }
    return bkm_jsonschema_add(set, name, buf, n);
}

/* ---- patterns: ECMA-262 meaning on PCRE2 ---- */

typedef struct {
    unsigned lo, hi;
} bkm_js_range_t;

#define BKM_JS_NRANGES(a) (sizeof(a) / sizeof((a)[0]))

static const bkm_js_range_t bkm_re_digit[] = { { 0x30, 0x39 } };
static const bkm_js_range_t bkm_re_word[] = {
    { 0x30, 0x39 }, { 0x41, 0x5a }, { 0x5f, 0x5f }, { 0x61, 0x7a }
};
static const bkm_js_range_t bkm_re_space[] = {
    { 0x09, 0x0d },     { 0x20, 0x20 },     { 0xa0, 0xa0 },
    { 0x1680, 0x1680 }, { 0x2000, 0x200a }, { 0x2028, 0x2029 },
    { 0x202f, 0x202f }, { 0x205f, 0x205f }, { 0x3000, 0x3000 },
    { 0xfeff, 0xfeff }
};
static const bkm_js_range_t bkm_re_newline[] = { { 0x0a, 0x0a },
                                                 { 0x0d, 0x0d },
                                                 { 0x2028, 0x2029 } };

static void put(apr_array_header_t *b, const char *s)
{
    for (; *s; s++) {
        *(char *)apr_array_push(b) = *s;
    }
}

static void put_range(apr_array_header_t *b, unsigned lo, unsigned hi)
{
    char tmp[48];

    apr_snprintf(tmp, sizeof(tmp), lo == hi ? "\\o{%o}" : "\\o{%o}-\\o{%o}",
                 lo, hi);
    put(b, tmp);
}

/* The inside of a character class: the ranges, or all others. */
static void put_ranges(apr_array_header_t *b, const bkm_js_range_t *r,
                       apr_size_t n, int negate)
{
    unsigned next = 0;
    apr_size_t i;

    for (i = 0; i < n; i++) {
        if (!negate) {
            put_range(b, r[i].lo, r[i].hi);
        }
        else if (r[i].lo > next) {
            put_range(b, next, r[i].lo - 1);
        }
        next = r[i].hi + 1;
    }
    if (negate) {
        put_range(b, next, 0x10ffff);
    }
}

static void put_class(apr_array_header_t *b, const bkm_js_range_t *r,
                      apr_size_t n, int negate)
{
    put(b, negate ? "[^" : "[");
    put_ranges(b, r, n, 0);
    put(b, "]");
}

/*
 * PCRE2 with UCP gives \d, \w and \b their Unicode meaning, where ECMA-262
 * means ASCII ("^\d{4}$" must not accept Arabic-Indic digits); \s differs in
 * a few code points, and '.' must stop at every ECMA line terminator.  So
 * those are spelled out as explicit classes; the rest of the syntax is
 * shared or set by compile options (see compile_pattern).
 */
static const char *ecma_to_pcre2(apr_pool_t *p, const char *s, apr_size_t n)
{
    apr_array_header_t *b = apr_array_make(p, (int)(2 * n + 16), 1);
    const bkm_js_range_t *cls;
    apr_size_t i = 0, ncls;
    int in_class = 0, negate;
    char d;

    while (i < n) {
        if (s[i] == '\\' && i + 1 < n) {
            d = s[i + 1];
            cls = NULL;
            ncls = 0;
            negate = apr_isupper(d);
            switch (apr_tolower(d)) {
            case 'd':
                cls = bkm_re_digit;
                ncls = BKM_JS_NRANGES(bkm_re_digit);
                break;
            case 'w':
                cls = bkm_re_word;
                ncls = BKM_JS_NRANGES(bkm_re_word);
                break;
            case 's':
                cls = bkm_re_space;
                ncls = BKM_JS_NRANGES(bkm_re_space);
                break;
            }
            if (cls && in_class) {
                put_ranges(b, cls, ncls, negate);
                i += 2;
                continue;
            }
            if (cls) {
                put_class(b, cls, ncls, negate);
                i += 2;
                continue;
            }
            if (!in_class && (d == 'b' || d == 'B')) {
                /* word boundary over the ASCII \w */
                put(b, "(?:(?<=");
                put_class(b, bkm_re_word, BKM_JS_NRANGES(bkm_re_word), 0);
                put(b, d == 'b' ? ")(?!" : ")(?=");
                put_class(b, bkm_re_word, BKM_JS_NRANGES(bkm_re_word), 0);
                put(b, ")|(?<!");
                put_class(b, bkm_re_word, BKM_JS_NRANGES(bkm_re_word), 0);
                put(b, d == 'b' ? ")(?=" : ")(?!");
                put_class(b, bkm_re_word, BKM_JS_NRANGES(bkm_re_word), 0);
                put(b, "))");
                i += 2;
                continue;
            }
            /* any other escape: copy it with its whole UTF-8 character */
            *(char *)apr_array_push(b) = s[i++];
            do {
                *(char *)apr_array_push(b) = s[i++];
            } while (i < n && (s[i] & 0xc0) == 0x80);
            continue;
        }
        if (in_class) {
            in_class = s[i] != ']';
        }
        else if (s[i] == '[') {
            in_class = 1;
            *(char *)apr_array_push(b) = s[i++];
            /* ECMA has no literal ']' first in a class: "[]" matches
             * nothing and "[^]" anything (PCRE2_ALLOW_EMPTY_CLASS) */
            if (i < n && s[i] == '^') {
                *(char *)apr_array_push(b) = s[i++];
            }
            continue;
        }
        else if (s[i] == '.') {
            put_class(b, bkm_re_newline, BKM_JS_NRANGES(bkm_re_newline), 1);
            i++;
            continue;
        }
        *(char *)apr_array_push(b) = s[i++];
    }
    *(char *)apr_array_push(b) = '\0';
    return b->elts;
}

/* ---- compiling ---- */

typedef enum {
    BKM_KW_UNKNOWN = 0,
    BKM_KW_ANNOTATION,
    BKM_KW_ID,
    BKM_KW_TYPE,
    BKM_KW_PROPERTIES,
    BKM_KW_REQUIRED,
    BKM_KW_ADDITIONAL_PROPERTIES,
    BKM_KW_ITEMS,
    BKM_KW_PREFIX_ITEMS,
    BKM_KW_ADDITIONAL_ITEMS,
    BKM_KW_MIN_ITEMS,
    BKM_KW_MAX_ITEMS,
    BKM_KW_MIN_LENGTH,
    BKM_KW_MAX_LENGTH,
    BKM_KW_PATTERN,
    BKM_KW_ENUM,
    BKM_KW_CONST,
    BKM_KW_REF,
    BKM_KW_ALL_OF,
    BKM_KW_ANY_OF,
    BKM_KW_ONE_OF,
    BKM_KW_NOT
} bkm_js_kw_e;

static const struct {
    const char *name;
    bkm_js_kw_e kw;
    int since, until; /* the dialects that have it */
} bkm_js_keywords[] = {
    { "type", BKM_KW_TYPE, 0, 9999 },
    { "properties", BKM_KW_PROPERTIES, 0, 9999 },
    { "required", BKM_KW_REQUIRED, 0, 9999 },
    { "additionalProperties", BKM_KW_ADDITIONAL_PROPERTIES, 0, 9999 },
    { "items", BKM_KW_ITEMS, 0, 9999 },
    { "prefixItems", BKM_KW_PREFIX_ITEMS, BKM_JS_2020, 9999 },
    { "additionalItems", BKM_KW_ADDITIONAL_ITEMS, 0, BKM_JS_2019 },
    { "minItems", BKM_KW_MIN_ITEMS, 0, 9999 },
    { "maxItems", BKM_KW_MAX_ITEMS, 0, 9999 },
    { "minLength", BKM_KW_MIN_LENGTH, 0, 9999 },
    { "maxLength", BKM_KW_MAX_LENGTH, 0, 9999 },
    { "pattern", BKM_KW_PATTERN, 0, 9999 },
    { "enum", BKM_KW_ENUM, 0, 9999 },
    { "const", BKM_KW_CONST, 0, 9999 },
    { "$ref", BKM_KW_REF, 0, 9999 },
    { "allOf", BKM_KW_ALL_OF, 0, 9999 },
    { "anyOf", BKM_KW_ANY_OF, 0, 9999 },
    { "oneOf", BKM_KW_ONE_OF, 0, 9999 },
    { "not", BKM_KW_NOT, 0, 9999 },
    /* used when scanning, annotations here */
    { "$id", BKM_KW_ID, 0, 9999 },
    { "$schema", BKM_KW_ID, 0, 9999 },
    { "$anchor", BKM_KW_ID, 0, 9999 },
    { "$defs", BKM_KW_ANNOTATION, 0, 9999 },
    { "definitions", BKM_KW_ANNOTATION, 0, 9999 },
    { "title", BKM_KW_ANNOTATION, 0, 9999 },
    { "description", BKM_KW_ANNOTATION, 0, 9999 },
    { "$comment", BKM_KW_ANNOTATION, 0, 9999 },
    { "format", BKM_KW_ANNOTATION, 0, 9999 },
    { "default", BKM_KW_ANNOTATION, 0, 9999 },
    { "examples", BKM_KW_ANNOTATION, 0, 9999 },
    { "deprecated", BKM_KW_ANNOTATION, 0, 9999 },
    { "readOnly", BKM_KW_ANNOTATION, 0, 9999 },
    { "writeOnly", BKM_KW_ANNOTATION, 0, 9999 },
    { NULL, BKM_KW_UNKNOWN, 0, 0 }
};

static bkm_js_kw_e keyword(const char *name, bkm_js_dialect_e dialect)
{
    int i;

    for (i = 0; bkm_js_keywords[i].name; i++) {
        if (strcmp(name, bkm_js_keywords[i].name) == 0) {
            return (int)dialect >= bkm_js_keywords[i].since
                           && (int)dialect <= bkm_js_keywords[i].until
                       ? bkm_js_keywords[i].kw
                       : BKM_KW_UNKNOWN;
        }
    }
    return BKM_KW_UNKNOWN;
}

typedef struct {
    bkm_jsonschema_set_t *set;
    apr_hash_t *pending; /* compiled by this call, not yet in the set */
    const char *err;
} bkm_js_cc_t;

static const bkm_jsonschema_t *fail(bkm_js_cc_t *cc, const char *loc,
                                    const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static const bkm_jsonschema_t *fail(bkm_js_cc_t *cc, const char *loc,
                                    const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cc->err = apr_pstrcat(cc->set->p, loc, ": ",
                          apr_pvsprintf(cc->set->p, fmt, ap), NULL);
    va_end(ap);
    return NULL;
}

static const bkm_jsonschema_t *compile_at(bkm_js_cc_t *cc, json_t *js,
                                          const bkm_js_scope_t *in,
                                          int depth);

/* A subschema at @p seg below @p at ("properties/x", "items/0"). */
static const bkm_jsonschema_t *compile_child(bkm_js_cc_t *cc, json_t *js,
                                             const bkm_js_scope_t *at,
                                             const char *seg, int depth)
{
    bkm_js_scope_t *sc = apr_hash_get(cc->set->scopes, &js, sizeof(js));

    if (!sc) {
        sc = apr_pmemdup(cc->set->p, at, sizeof(*at));
        sc->js = js;
        sc->loc = apr_pstrcat(cc->set->p, at->loc, "/", seg, NULL);
    }
    return compile_at(cc, js, sc, depth + 1);
}

static apr_array_header_t *compile_list(bkm_js_cc_t *cc, json_t *v,
                                        const bkm_js_scope_t *at,
                                        const char *kw, int depth)
{
    apr_array_header_t *list;
    const bkm_jsonschema_t *s;
    apr_size_t i;

    if (!json_is_array(v) || json_array_size(v) == 0) {
        fail(cc, at->loc, "%s must be a non-empty array of schemas", kw);
        return NULL;
    }
    list = apr_array_make(cc->set->p, (int)json_array_size(v),
                          sizeof(const bkm_jsonschema_t *));
    for (i = 0; i < json_array_size(v); i++) {
        s = compile_child(cc, json_array_get(v, i), at,
                          apr_psprintf(cc->set->p, "%s/%" APR_SIZE_T_FMT, kw,
                                       i),
                          depth);
        if (!s) {
            return NULL;
        }
        APR_ARRAY_PUSH(list, const bkm_jsonschema_t *) = s;
    }
    return list;
}

/* minItems and friends: a non-negative integer (2.0 will do). */
static int count_of(const json_t *v, apr_int64_t *out)
{
    double d;

    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = json_integer_value(v);
        return 1;
    }
    if (json_is_real(v)) {
        d = json_real_value(v);
        if (d >= 0 && d < 9.0e15 && floor(d) == d) {
            *out = (apr_int64_t)d;
            return 1;
        }
    }
    return 0;
}

static const char *compile_pattern(bkm_js_cc_t *cc, bkm_jsonschema_t *n,
                                   const json_t *v)
{
    PCRE2_UCHAR msg[160];
    PCRE2_SIZE off;
    const char *re;
    int ec;

    if (!json_is_string(v)) {
        return "pattern must be a string";
    }
    n->pattern = json_string_value(v);
    re = ecma_to_pcre2(cc->set->p, n->pattern, json_string_length(v));
    /* DOLLAR_ENDONLY: '$' is the end, not also before a final newline;
     * ALT_BSUX: \uhhhh, and \x only as \xhh; UCP: \p{..} and case folding
     * over all of Unicode */
    n->re = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
                          PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY
                              | PCRE2_ALLOW_EMPTY_CLASS | PCRE2_ALT_BSUX
                              | PCRE2_MATCH_UNSET_BACKREF
                              | PCRE2_NEVER_BACKSLASH_C,
                          &ec, &off, cc->set->cctx);
    if (!n->re) {
        pcre2_get_error_message(ec, msg, sizeof(msg));
        return apr_psprintf(cc->set->p,
                            "pattern \"%s\" is not supported: "
                            "%s",
                            n->pattern, (const char *)msg);
    }
    apr_pool_cleanup_register(cc->set->p, n->re, code_cleanup,
                              apr_pool_cleanup_null);
    n->mctx = cc->set->mctx;
    return NULL;
}

static const bkm_jsonschema_t *compile_ref(bkm_js_cc_t *cc,
                                           const bkm_js_scope_t *sc,
                                           const char *ref, int depth)
{
    apr_pool_t *p = cc->set->p;
    const bkm_js_scope_t *res, *target;
    bkm_js_scope_t *made;
    const char *uri, *frag;
    json_t *js;

    uri = uri_cut(p, uri_resolve(p, sc->base, ref), &frag);
    res = apr_hash_get(cc->set->resources, uri, APR_HASH_KEY_STRING);
    /* The incumbent's $ids do not match its file layout: their relative
     * refs only work relative to the files, i.e. the document names. */
    if (!res && !has_scheme(ref)) {
        uri = uri_cut(p, uri_resolve(p, sc->doc->uri, ref), &frag);
        res = apr_hash_get(cc->set->resources, uri, APR_HASH_KEY_STRING);
    }
    if (!res) {
        return fail(cc, sc->loc, "cannot resolve $ref \"%s\"", ref);
    }
    frag = frag ? percent_decode(p, frag) : "";
    if (!*frag) {
        target = res;
    }
    else if (*frag == '/') {
        js = pointer_get(p, (json_t *)res->js, frag);
        if (!js) {
            return fail(cc, sc->loc, "cannot resolve $ref \"%s\"", ref);
        }
        target = apr_hash_get(cc->set->scopes, &js, sizeof(js));
        if (!target) {
            target = made = apr_pmemdup(p, res, sizeof(*res));
            made->js = js;
            made->loc = apr_pstrcat(p, res->loc, frag, NULL);
        }
    }
    else {
        target = apr_hash_get(cc->set->anchors,
                              apr_pstrcat(p, uri, "#", frag, NULL),
                              APR_HASH_KEY_STRING);
        if (!target) {
            return fail(cc, sc->loc, "cannot resolve $ref \"%s\"", ref);
        }
    }
    return compile_at(cc, (json_t *)target->js, target, depth + 1);
}

/* The array keywords as found, until they are given one shape at the
 * end (items_shape). */
typedef struct {
    const bkm_jsonschema_t *items, *more_items;
    apr_array_header_t *item_list, *prefix;
} bkm_js_items_t;

/* The scope of an object: as scan recorded it, or, for one reached
 * through a pointer into something scan did not walk, this object's own
 * $schema and $id applied to the scope it was reached from.  NULL after
 * fail(). */
static const bkm_js_scope_t *scope_of(bkm_js_cc_t *cc, json_t *js,
                                      const bkm_js_scope_t *in)
{
    apr_pool_t *p = cc->set->p;
    const bkm_js_scope_t *sc;
    bkm_js_scope_t *local;
    const char *frag, *uri;
    json_t *v, *id;

    sc = apr_hash_get(cc->set->scopes, &js, sizeof(js));
    if (sc) {
        return sc;
    }
    sc = local = apr_pmemdup(p, in, sizeof(*in));
    v = json_object_get(js, "$schema");
    if (v
        && !(json_is_string(v)
             && dialect_of(json_string_value(v), &local->dialect))) {
        fail(cc, in->loc, "unsupported $schema");
        return NULL;
    }
    id = json_object_get(js, "$id");
    if (json_is_string(id)
        && !(local->dialect == BKM_JS_DRAFT7
             && json_object_get(js, "$ref"))) {
        uri = uri_cut(p, uri_resolve(p, in->base, json_string_value(id)),
                      &frag);
        if (json_string_value(id)[0] != '#') {
            local->base = uri;
        }
    }
    return sc;
}

/* "type": a type name or a list of them, into n->types.  NULL, or what
 * is wrong. */
static const char *compile_types(apr_pool_t *p, bkm_jsonschema_t *n,
                                 json_t *v)
{
    const char *err = NULL;
    json_t *types;
    apr_size_t k;
    int i;

    if (json_is_string(v)) {
        types = json_pack("[O]", v);
    }
    else if (json_is_array(v) && json_array_size(v) > 0) {
        types = json_incref(v);
    }
    else {
        return "type must be a type name or an array of them";
    }
    for (k = 0; !err && k < json_array_size(types); k++) {
        const char *t = json_string_value(json_array_get(types, k));

        for (i = 0;
             t && bkm_js_types[i].name && strcmp(t, bkm_js_types[i].name);
             i++) {
        }
        if (!t || !bkm_js_types[i].name) {
            err = apr_psprintf(p, "unknown type %s",
                               t ? t : "(not a string)");
        }
        else {
            n->types |= bkm_js_types[i].bit;
        }
    }
    json_decref(types);
    return err;
}

/* "properties": each property's schema, in order, and their names.  0,
 * or -1 after fail() (*err for the keyword's own error). */
static int compile_properties(bkm_js_cc_t *cc, bkm_jsonschema_t *n, json_t *v,
                              const bkm_js_scope_t *sc, int depth,
                              const char **err)
{
    apr_pool_t *p = cc->set->p;
    const char *name;
    json_t *sub;
    bkm_js_prop_t *prop;

    if (!json_is_object(v)) {
        *err = "properties must be an object";
        return 0;
    }
    n->props = apr_array_make(p, (int)json_object_size(v),
                              sizeof(bkm_js_prop_t));
    n->prop_names = apr_hash_make(p);
    json_object_foreach(v, name, sub) {
        prop = apr_array_push(n->props);
        prop->name = apr_pstrdup(p, name);
        prop->schema = compile_child(cc, sub, sc,
                                     apr_pstrcat(p, "properties/",
                                                 pointer_escape(p, name),
                                                 NULL),
                                     depth);
        if (!prop->schema) {
            return -1;
        }
        apr_hash_set(n->prop_names, prop->name, APR_HASH_KEY_STRING, "");
    }
    return 0;
}

/* "required": a list of names.  NULL, or what is wrong. */
static const char *compile_required(apr_pool_t *p, bkm_jsonschema_t *n,
                                    json_t *v)
{
    apr_size_t k;

    if (!json_is_array(v)) {
        return "required must be an array of strings";
    }
    n->required = apr_array_make(p, (int)json_array_size(v),
                                 sizeof(const char *));
    for (k = 0; k < json_array_size(v); k++) {
        const char *name = json_string_value(json_array_get(v, k));

        if (!name) {
            return "required must be an array of strings";
        }
        APR_ARRAY_PUSH(n->required, const char *) = name;
    }
    return NULL;
}

/* A keyword that holds schemas (compiled here, depth first) or refers to
 * one.  0, or -1 after fail() (*err for the keyword's own error). */
static int compile_applicator(bkm_js_cc_t *cc, bkm_jsonschema_t *n,
                              bkm_js_kw_e kw, const char *key, json_t *v,
                              const bkm_js_scope_t *sc, int depth,
                              bkm_js_items_t *it, const char **err)
{
    apr_array_header_t *list;
    const bkm_jsonschema_t *s;

    switch (kw) {
    case BKM_KW_PROPERTIES:
        return compile_properties(cc, n, v, sc, depth, err);
    case BKM_KW_ADDITIONAL_PROPERTIES:
        n->additional = compile_child(cc, v, sc, key, depth);
        return n->additional ? 0 : -1;
    case BKM_KW_ITEMS:
        if (json_is_array(v) && sc->dialect == BKM_JS_2020) {
            *err =
                "items must be a schema in draft 2020-12 (the array "
                "form is prefixItems)";
            return 0;
        }
        if (json_is_array(v)) {
            it->item_list = compile_list(cc, v, sc, key, depth);
            return it->item_list ? 0 : -1;
        }
        it->items = compile_child(cc, v, sc, key, depth);
        return it->items ? 0 : -1;
    case BKM_KW_PREFIX_ITEMS:
        it->prefix = compile_list(cc, v, sc, key, depth);
        return it->prefix ? 0 : -1;
    case BKM_KW_ADDITIONAL_ITEMS:
        it->more_items = compile_child(cc, v, sc, key, depth);
        return it->more_items ? 0 : -1;
    case BKM_KW_REF:
        if (!json_is_string(v)) {
            *err = "$ref must be a string";
            return 0;
        }
        n->ref = compile_ref(cc, sc, json_string_value(v), depth);
        return n->ref ? 0 : -1;
    case BKM_KW_ALL_OF:
    case BKM_KW_ANY_OF:
    case BKM_KW_ONE_OF:
        if (!(list = compile_list(cc, v, sc, key, depth))) {
            return -1;
        }
        *(kw == BKM_KW_ALL_OF   ? &n->all_of
          : kw == BKM_KW_ANY_OF ? &n->any_of
                                : &n->one_of) = list;
        return 0;
    case BKM_KW_NOT:
        if (!(s = compile_child(cc, v, sc, key, depth))) {
            return -1;
        }
        n->not_schema = s;
        return 0;
    default:
        return 0;
    }
}

/* A keyword that checks the instance itself (or says nothing: $id, an
 * annotation).  NULL, or what is wrong. */
static const char *compile_assertion(bkm_js_cc_t *cc, bkm_jsonschema_t *n,
                                     bkm_js_kw_e kw, const char *key,
                                     json_t *v)
{
    apr_pool_t *p = cc->set->p;

    switch (kw) {
    case BKM_KW_ID:
        return json_is_string(v)
                   ? NULL
                   : apr_psprintf(p, "%s must be a string", key);
    case BKM_KW_TYPE:
        return compile_types(p, n, v);
    case BKM_KW_REQUIRED:
        return compile_required(p, n, v);
    case BKM_KW_MIN_ITEMS:
    case BKM_KW_MAX_ITEMS:
    case BKM_KW_MIN_LENGTH:
    case BKM_KW_MAX_LENGTH:
        if (!count_of(v, kw == BKM_KW_MIN_ITEMS    ? &n->min_items
                         : kw == BKM_KW_MAX_ITEMS  ? &n->max_items
                         : kw == BKM_KW_MIN_LENGTH ? &n->min_length
                                                   : &n->max_length)) {
            return apr_psprintf(p, "%s must be a non-negative integer", key);
        }
        return NULL;
    case BKM_KW_PATTERN:
        return compile_pattern(cc, n, v);
    case BKM_KW_ENUM:
        n->enum_values = v;
        return json_is_array(v) ? NULL : "enum must be an array";
    case BKM_KW_CONST:
        n->const_value = v;
        return NULL;
    default:
        return NULL;
    }
}

/* Whether a keyword holds or refers to schemas (compile_applicator). */
static int is_applicator(bkm_js_kw_e kw)
{
    switch (kw) {
    case BKM_KW_PROPERTIES:
    case BKM_KW_ADDITIONAL_PROPERTIES:
    case BKM_KW_ITEMS:
    case BKM_KW_PREFIX_ITEMS:
    case BKM_KW_ADDITIONAL_ITEMS:
    case BKM_KW_REF:
    case BKM_KW_ALL_OF:
    case BKM_KW_ANY_OF:
    case BKM_KW_ONE_OF:
    case BKM_KW_NOT:
        return 1;
    default:
        return 0;
    }
}

/* One shape for the three spellings of "these first, then those". */
static void items_shape(bkm_jsonschema_t *n, const bkm_js_scope_t *sc,
                        const bkm_js_items_t *it)
{
    if (sc->dialect == BKM_JS_2020) {
        n->tuple = it->prefix;
        n->rest = it->items;
        n->rest_keyword = "items";
    }
    else if (it->item_list) {
        n->tuple = it->item_list;
        n->rest = it->more_items;
        n->rest_keyword = "additionalItems";
    }
    else {
        n->rest = it->items; /* additionalItems needs items as an array */
        n->rest_keyword = "items";
    }
}

static const bkm_jsonschema_t *compile_at(bkm_js_cc_t *cc, json_t *js,
                                          const bkm_js_scope_t *in, int depth)
{
    apr_pool_t *p = cc->set->p;
    const bkm_js_scope_t *sc;
    bkm_jsonschema_t *n;
    bkm_js_items_t it = { NULL, NULL, NULL, NULL };
    const char *key, *err = NULL;
    json_t *v;
    bkm_js_kw_e kw;
    int ref_only;

    if (json_is_true(js)) {
        return &cc->set->yes;
    }
    if (json_is_false(js)) {
        return &cc->set->no;
    }
    if (!json_is_object(js)) {
        return fail(cc, in->loc, "a schema must be an object or a boolean");
    }
    if ((n = apr_hash_get(cc->set->compiled, &js, sizeof(js)))
        || (n = apr_hash_get(cc->pending, &js, sizeof(js)))) {
        return n;
    }
    if (depth > BKM_JS_COMPILE_DEPTH) {
        return fail(cc, in->loc, "nested too deeply");
    }
    if (!(sc = scope_of(cc, js, in))) {
        return NULL;
    }
    n = apr_pcalloc(p, sizeof(*n));
    n->js = js;
    n->loc = sc->loc;
    n->always = -1;
    n->min_items = n->max_items = n->min_length = n->max_length = -1;
    /* Registered before the children, so that a $ref back to an
     * enclosing schema finds this one instead of recursing. */
    apr_hash_set(cc->pending, &n->js, sizeof(n->js), n);
    ref_only = sc->dialect == BKM_JS_DRAFT7 && json_object_get(js, "$ref");

    json_object_foreach(js, key, v) {
        kw = keyword(key, sc->dialect);
        if (ref_only && kw != BKM_KW_REF) {
            continue;
        }
        if (kw == BKM_KW_UNKNOWN) {
            return fail(cc, sc->loc, "unsupported keyword \"%s\"", key);
        }
        if (is_applicator(kw)) {
            if (compile_applicator(cc, n, kw, key, v, sc, depth, &it, &err)
                != 0) {
                return NULL;
            }
        }
        else {
            err = compile_assertion(cc, n, kw, key, v);
        }
        if (err) {
            return fail(cc, sc->loc, "%s", err);
        }
    }
    items_shape(n, sc, &it);
    return n;
}

const char *bkm_jsonschema_compile(bkm_jsonschema_set_t *set,
                                   const char *name,
                                   const bkm_jsonschema_t **out)
{
    const bkm_js_doc_t *doc = apr_hash_get(set->docs, name,
                                           APR_HASH_KEY_STRING);
    const bkm_js_scope_t *root;
    const bkm_jsonschema_t *s;
    bkm_js_cc_t cc;

    if (!doc) {
        return apr_psprintf(set->p, "no schema document \"%s\" in the set",
                            name);
    }
    root = apr_hash_get(set->resources, doc->uri, APR_HASH_KEY_STRING);
    cc.set = set;
    cc.pending = apr_hash_make(set->p);
    cc.err = NULL;
    s = compile_at(&cc, doc->root, root, 0);
    if (!s) {
        return cc.err;
    }
    /* only now: a refused compile must not leave half-built schemas for
     * the next one to find */
    merge(set->compiled, cc.pending);
    *out = s;
    return NULL;
}

/* ---- validating ---- */

/* The instance location, as a chain on the stack; made into a pointer
 * string only when an error needs it. */
typedef struct bkm_js_path_t {
    const struct bkm_js_path_t *up;
    const char *key; /* NULL: an array index */
    apr_size_t index;
} bkm_js_path_t;

typedef struct {
    apr_pool_t *p;
    apr_array_header_t *errors; /* NULL: stop at the first failure */
    int max;                    /* errors recorded at most */
    int more;                   /* a failure after max: stop */
    pcre2_match_data *md;
} bkm_js_vctx_t;

static const char *path_pointer(apr_pool_t *p, const bkm_js_path_t *at)
{
    const char *up;

    if (!at) {
        return "";
    }
    up = path_pointer(p, at->up);
    return at->key ? apr_pstrcat(p, up, "/", pointer_escape(p, at->key), NULL)
                   : apr_psprintf(p, "%s/%" APR_SIZE_T_FMT, up, at->index);
}

static void report(bkm_js_vctx_t *v, const bkm_js_path_t *at,
                   const char *keyword, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(bkm_js_vctx_t *v, const bkm_js_path_t *at,
                   const char *keyword, const char *fmt, ...)
{
    bkm_jsonschema_error_t *e;
    va_list ap;

    if (!v->errors) {
        return;
    }
    if (v->errors->nelts >= v->max) {
        /* Enough to show; FAILED() now unwinds the whole walk, so a
         * hostile instance costs no more than max errors do. */
        v->more = 1;
        return;
    }
    e = apr_array_push(v->errors);
    e->pointer = path_pointer(v->p, at);
    e->keyword = keyword;
    va_start(ap, fmt);
    e->message = apr_pvsprintf(v->p, fmt, ap);
    va_end(ap);
}

static int is_integral(double d)
{
    return isfinite(d) && floor(d) == d;
}

static unsigned type_bits(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return BKM_JS_T_OBJECT;
    case JSON_ARRAY:
        return BKM_JS_T_ARRAY;
    case JSON_STRING:
        return BKM_JS_T_STRING;
    case JSON_INTEGER:
        return BKM_JS_T_NUMBER | BKM_JS_T_INTEGER;
    case JSON_REAL:
        return BKM_JS_T_NUMBER
               | (is_integral(json_real_value(j)) ? BKM_JS_T_INTEGER : 0);
    case JSON_TRUE:
    case JSON_FALSE:
        return BKM_JS_T_BOOLEAN;
    default:
        return BKM_JS_T_NULL;
    }
}

/* JSON equality, where 1 and 1.0 are the same number (json_equal says no). */
static int equal(const json_t *a, const json_t *b)
{
    const char *key;
    json_t *av;
    apr_size_t i;
    double r;

    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b)) {
            return json_integer_value(a) == json_integer_value(b);
        }
        if (json_is_real(a) && json_is_real(b)) {
            return json_real_value(a) == json_real_value(b);
        }
        if (json_is_real(a)) {
            const json_t *t = a;

            a = b;
            b = t;
        }
        r = json_real_value(b);
        /* compared as integers: a double cannot hold every json_int_t */
        return is_integral(r) && r >= -9.2e18 && r <= 9.2e18
               && (json_int_t)r == json_integer_value(a);
    }
    if (json_typeof(a) != json_typeof(b)) {
        return 0;
    }
    switch (json_typeof(a)) {
    case JSON_OBJECT:
        if (json_object_size(a) != json_object_size(b)) {
            return 0;
        }
        json_object_foreach((json_t *)a, key, av) {
            const json_t *bv = json_object_get(b, key);

            if (!bv || !equal(av, bv)) {
                return 0;
            }
        }
        return 1;
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b)) {
            return 0;
        }
        for (i = 0; i < json_array_size(a); i++) {
            if (!equal(json_array_get(a, i), json_array_get(b, i))) {
                return 0;
            }
        }
        return 1;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b)
               && memcmp(json_string_value(a), json_string_value(b),
                         json_string_length(a))
                      == 0;
    default:
        return 1; /* true, false, null */
    }
}

static const char *dump(apr_pool_t *p, const json_t *j)
{
    char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    const char *out = apr_pstrdup(p, s ? s : "?");

    free(s);
    return out;
}

static const char *type_text(apr_pool_t *p, unsigned types)
{
    const char *out = NULL, *last = NULL;
    int i;

    for (i = 0; bkm_js_types[i].name; i++) {
        /* "a number" already says "an integer" */
        if ((types & bkm_js_types[i].bit)
            && !(bkm_js_types[i].bit == BKM_JS_T_INTEGER
                 && (types & BKM_JS_T_NUMBER))) {
            if (last) {
                out = out ? apr_pstrcat(p, out, ", ", last, NULL) : last;
            }
            last = bkm_js_types[i].text;
        }
    }
    return out ? apr_pstrcat(p, out, " or ", last, NULL) : last;
}

static apr_size_t code_points(const char *s, apr_size_t len)
{
    apr_size_t i, n = 0;

    for (i = 0; i < len; i++) {
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    }
    return n;
}

static int matches(bkm_js_vctx_t *v, const bkm_jsonschema_t *n,
                   const json_t *inst)
{
    int rc;

    if (!v->md && !(v->md = pcre2_match_data_create(1, NULL))) {
        return 0;
    }
    /* 0 means a match with too small an ovector: still a match; any
     * error (match limit) counts as no match */
    rc = pcre2_match(n->re, (PCRE2_SPTR)json_string_value(inst),
                     json_string_length(inst), 0, 0, v->md, n->mctx);
    return rc >= 0;
}

/* A failure: stop at the first one when no errors are collected, or once
 * more failures than the cap were found. */
#define FAILED() \
    do { \
        ok = 0; \
        if (!v->errors || v->more) \
            return 0; \
    } while (0)

static int check(bkm_js_vctx_t *v, const bkm_jsonschema_t *n,
                 const json_t *inst, const bkm_js_path_t *at, int depth);

/* Whether @p inst matches @p n, without recording why not. */
static int quietly(bkm_js_vctx_t *v, const bkm_jsonschema_t *n,
                   const json_t *inst, const bkm_js_path_t *at, int depth)
{
    apr_array_header_t *errors = v->errors;
    int ok;

    v->errors = NULL;
    ok = check(v, n, inst, at, depth);
    v->errors = errors;
    return ok;
}

static int check_array(bkm_js_vctx_t *v, const bkm_jsonschema_t *n,
                       const json_t *inst, const bkm_js_path_t *at, int depth)
{
    apr_size_t size = json_array_size(inst), ntuple, i;
    const bkm_jsonschema_t *sub;
    bkm_js_path_t here;
    int ok = 1;

    if (n->min_items >= 0 && size < (apr_size_t)n->min_items) {
        report(v, at, "minItems",
               "at least %" APR_INT64_T_FMT
               " item%s "
               "required",
               n->min_items, n->min_items == 1 ? "" : "s");
        FAILED();
    }
    if (n->max_items >= 0 && size > (apr_size_t)n->max_items) {
        report(v, at, "maxItems",
               "at most %" APR_INT64_T_FMT
               " item%s "
               "allowed",
               n->max_items, n->max_items == 1 ? "" : "s");
        /* Refused as a whole: checking each of a hundred thousand items
         * would cost time in proportion to the attack and tell the sender
         * nothing it needs. */
        return 0;
    }
    ntuple = n->tuple ? (apr_size_t)n->tuple->nelts : 0;
    here.up = at;
    here.key = NULL;
    for (i = 0; i < size; i++) {
        here.index = i;
        if (i < ntuple) {
            sub = APR_ARRAY_IDX(n->tuple, i, const bkm_jsonschema_t *);
        }
        else if (!(sub = n->rest)) {
            break;
        }
        else if (sub->always == 0) {
            report(v, &here, n->rest_keyword,
                   "at most %" APR_SIZE_T_FMT " item%s allowed", ntuple,
                   ntuple == 1 ? "" : "s");
            FAILED();
            break;
        }
        if (!check(v, sub, json_array_get(inst, i), &here, depth + 1)) {
            FAILED();
        }
    }
    return ok;
}

static int check_object(bkm_js_vctx_t *v, const bkm_jsonschema_t *n,
                        const json_t *inst, const bkm_js_path_t *at,
                        int depth)
{
    const bkm_js_prop_t *prop;
    bkm_js_path_t here;
    const char *key;
    json_t *member;
    int ok = 1, i;

    here.up = at;
    for (i = 0; n->required && i < n->required->nelts; i++) {
        here.key = APR_ARRAY_IDX(n->required, i, const char *);
        if (!json_object_get(inst, here.key)) {
            report(v, &here, "required",
                   "required property \"%s\" is "
                   "missing",
                   here.key);
            FAILED();
        }
    }
    for (i = 0; n->props && i < n->props->nelts; i++) {
        prop = &APR_ARRAY_IDX(n->props, i, bkm_js_prop_t);
        member = json_object_get(inst, prop->name);
        here.key = prop->name;
        if (member && !check(v, prop->schema, member, &here, depth + 1)) {
            FAILED();
        }
    }
    if (n->additional) {
        json_object_foreach((json_t *)inst, key, member) {
            if (n->prop_names
                && apr_hash_get(n->prop_names, key, APR_HASH_KEY_STRING)) {
                continue;
            }
            here.key = key;
            if (n->additional->always == 0) {
                report(v, &here, "additionalProperties",
                       "property \"%s\" "
                       "is not allowed",
                       key);
                FAILED();
            }
            else if (!check(v, n->additional, member, &here, depth + 1)) {
                FAILED();
            }
        }
    }
    return ok;
}

/* type, enum and const: what any instance is checked against. */
static int check_value(bkm_js_vctx_t *v, const bkm_jsonschema_t *n,
                       const json_t *inst, const bkm_js_path_t *at)
{
    apr_size_t i;
    int ok = 1;

    if (n->types && !(n->types & type_bits(inst))) {
        report(v, at, "type", "must be %s",
               v->errors ? type_text(v->p, n->types) : "");
        FAILED();
    }
    if (n->enum_values) {
        for (i = 0; i < json_array_size(n->enum_values)
                    && !equal(json_array_get(n->enum_values, i), inst);
             i++) {
        }
        if (i == json_array_size(n->enum_values)) {
            const char *list = v->errors ? dump(v->p, n->enum_values) : "";

            report(v, at, "enum",
                   strlen(list) <= 200 ? "must be one of %s"
                                       : "is not one of the allowed values",
                   list);
            FAILED();
        }
    }
    if (n->const_value && !equal(n->const_value, inst)) {
        const char *val = v->errors ? dump(v->p, n->const_value) : "";

        report(v, at, "const",
               strlen(val) <= 200 ? "must be %s"
                                  : "is not the required value",
               val);
        FAILED();
    }
    return ok;
}

/* minLength, maxLength (in code points, counted only when asked for) and
 * pattern. */
static int check_string(bkm_js_vctx_t *v, const bkm_jsonschema_t *n,
                        const json_t *inst, const bkm_js_path_t *at)
{
    apr_size_t len;
    int ok = 1;

    len = (n->min_length >= 0 || n->max_length >= 0)
              ? code_points(json_string_value(inst), json_string_length(inst))
              : 0;
    if (n->min_length >= 0 && len < (apr_size_t)n->min_length) {
        report(v, at, "minLength",
               "at least %" APR_INT64_T_FMT " character%s required",
               n->min_length, n->min_length == 1 ? "" : "s");
        FAILED();
    }
    if (n->max_length >= 0 && len > (apr_size_t)n->max_length) {
        report(v, at, "maxLength",
               "at most %" APR_INT64_T_FMT " character%s allowed",
               n->max_length, n->max_length == 1 ? "" : "s");
        FAILED();
    }
    if (n->re && !matches(v, n, inst)) {
        report(v, at, "pattern", "does not match %s", n->pattern);
        FAILED();
    }
    return ok;
}

/* allOf, anyOf, oneOf and not.  The alternatives of anyOf, oneOf and not
 * are tried quietly: only the combination's own failure is reported. */
static int check_combined(bkm_js_vctx_t *v, const bkm_jsonschema_t *n,
                          const json_t *inst, const bkm_js_path_t *at,
                          int depth)
{
    apr_size_t i;
    int ok = 1, hits;

    for (i = 0; n->all_of && i < (apr_size_t)n->all_of->nelts; i++) {
        if (!check(v, APR_ARRAY_IDX(n->all_of, i, const bkm_jsonschema_t *),
                   inst, at, depth + 1)) {
            FAILED();
        }
    }
    if (n->any_of) {
        for (i = 0; i < (apr_size_t)n->any_of->nelts
                    && !quietly(v,
                                APR_ARRAY_IDX(n->any_of, i,
                                              const bkm_jsonschema_t *),
                                inst, at, depth + 1);
             i++) {
        }
        if (i == (apr_size_t)n->any_of->nelts) {
            report(v, at, "anyOf",
                   "does not match any of the allowed "
                   "forms");
            FAILED();
        }
    }
    if (n->one_of) {
        for (hits = 0, i = 0; hits < 2 && i < (apr_size_t)n->one_of->nelts;
             i++) {
            hits += quietly(v,
                            APR_ARRAY_IDX(n->one_of, i,
                                          const bkm_jsonschema_t *),
                            inst, at, depth + 1);
        }
        if (hits != 1) {
            report(v, at, "oneOf",
                   hits ? "matches more than one of the "
                          "allowed forms"
                        : "does not match any of the allowed "
                          "forms");
            FAILED();
        }
    }
    if (n->not_schema && quietly(v, n->not_schema, inst, at, depth + 1)) {
        report(v, at, "not", "matches a form that is not allowed");
        FAILED();
    }
    return ok;
}

/* Each step reports its failures and returns 0 after the first when no
 * errors are collected (FAILED): then so does this one. */
static int check(bkm_js_vctx_t *v, const bkm_jsonschema_t *n,
                 const json_t *inst, const bkm_js_path_t *at, int depth)
{
    int ok = 1;

    if (n->always >= 0) {
        if (!n->always) {
            report(v, at, "false", "not allowed");
        }
        return n->always;
    }
    if (depth > BKM_JSONSCHEMA_MAX_DEPTH) {
        report(v, at, "$ref",
               "nested too deeply to check (more than %d "
               "levels)",
               BKM_JSONSCHEMA_MAX_DEPTH);
        return 0;
    }
    if (n->ref && !check(v, n->ref, inst, at, depth + 1)) {
        FAILED();
    }
    if (!check_value(v, n, inst, at)) {
        FAILED();
    }
    switch (json_typeof(inst)) {
    case JSON_STRING:
        if (!check_string(v, n, inst, at)) {
            FAILED();
        }
        break;
    case JSON_ARRAY:
        if (!check_array(v, n, inst, at, depth)) {
            FAILED();
        }
        break;
    case JSON_OBJECT:
        if (!check_object(v, n, inst, at, depth)) {
            FAILED();
        }
        break;
    default:
        break;
    }
    if (!check_combined(v, n, inst, at, depth)) {
        FAILED();
    }
    return ok;
}

int bkm_jsonschema_validate_max(const bkm_jsonschema_t *s,
                                const json_t *instance, apr_pool_t *p,
                                apr_array_header_t *errors, int max,
                                int *more)
{
    bkm_js_vctx_t v;
    int ok;

    v.p = p;
    v.errors = errors;
    /* counted from what the caller's array already holds */
    v.max = (errors ? errors->nelts : 0) + (max > 0 ? max : 1);
    v.more = 0;
    v.md = NULL;
    ok = check(&v, s, instance, NULL, 0);
    if (v.md) {
        pcre2_match_data_free(v.md);
    }
    if (more) {
        *more = v.more;
    }
    return ok;
}

int bkm_jsonschema_validate(const bkm_jsonschema_t *s, const json_t *instance,
                            apr_pool_t *p, apr_array_header_t *errors)
{
    return bkm_jsonschema_validate_max(s, instance, p, errors,
                                       BKM_JSONSCHEMA_MAX_ERRORS, NULL);
}
