/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Page templates (bkm_html.h).  A template is compiled into a flat list of
 * operations: runs of literal HTML (serialised here from the parsed tree,
 * so their escaping is ours too), values to escape, attributes to set, and
 * sections (if / each / include) that cover a range of the list.
 * Rendering walks the list; nothing is parsed per request.
 */
#include "bkm_html.h"
#include "bkm_buf.h"

#include <apr_hash.h>
#include <apr_strings.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 24 /* contexts and includes while rendering */

typedef enum {
    OP_LIT,     /* literal bytes */
    OP_TEXT,    /* escaped value */
    OP_TEXT_NL, /* the same inside <textarea>/<pre> */
    OP_ATTR,    /* ` name="value"`, ` name`, or nothing */
    OP_IF,      /* ops [i+1, end) when truthy */
    OP_UNLESS,
    OP_EACH,   /* ops [i+1, end) per item */
    OP_INCLUDE /* another template, in this context */
} op_kind_e;

typedef struct {
    int catalogue;     /* "@key" */
    int local;         /* ".name": the current context only */
    const char *key;   /* the key, or the path as written */
    const char **segs; /* path segments; nsegs 0 means "." */
    int nsegs;
} expr_t;

typedef struct tmpl_t tmpl_t;

typedef struct {
    op_kind_e kind;
    const char *s; /* OP_LIT bytes; OP_ATTR name; include name */
    apr_size_t len;
    expr_t e;
    int end;            /* sections: index after the section */
    const tmpl_t *incl; /* OP_INCLUDE, after linking */
} op_t;

struct tmpl_t {
    const char *name;
    apr_array_header_t *ops; /* op_t */
};

struct bkm_html_set_t {
    apr_pool_t *pool;
    apr_hash_t *tmpls; /* name -> tmpl_t* */
    apr_hash_t *keys;  /* catalogue keys used */
    apr_array_header_t *key_list;
};

typedef struct {
    bkm_html_set_t *set;
    tmpl_t *t;
    bkm_buf_t lit; /* literal bytes not yet in an op */
    const char *error;
} compiler_t;

static const char *const void_elements[] = {
    "area",  "base", "br",   "col",    "embed", "hr",  "img",
    "input", "link", "meta", "source", "track", "wbr", NULL
};

static int is_void(const char *name)
{
    int i;

    for (i = 0; void_elements[i]; i++) {
        if (strcmp(name, void_elements[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ---- escaping -------------------------------------------------------- */

/* Characters that must not appear raw in text or a quoted attribute. */
static const char *entity(char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    default:
        return NULL;
    }
}

static int write_escaped(bkm_html_write_fn w, void *baton, const char *s,
                         apr_size_t len)
{
    apr_size_t i, from = 0;

    for (i = 0; i < len; i++) {
        const char *ent = entity(s[i]);
        if (ent) {
            if ((i > from && w(baton, s + from, i - from))
                || w(baton, ent, strlen(ent))) {
                return -1;
            }
            from = i + 1;
        }
    }
    return i > from ? w(baton, s + from, i - from) : 0;
}

const char *bkm_html_escape(apr_pool_t *p, const char *s)
{
    apr_size_t n = 0;
    const char *c;
    char *out, *o;

    for (c = s; *c; c++) {
        const char *ent = entity(*c);
        n += ent ? strlen(ent) : 1;
    }
    o = out = apr_palloc(p, n + 1);
    for (c = s; *c; c++) {
        const char *ent = entity(*c);
        if (ent) {
            memcpy(o, ent, strlen(ent));
            o += strlen(ent);
        }
        else {
            *o++ = *c;
        }
    }
    *o = '\0';
    return out;
}

/* ---- compiling --------------------------------------------------------- */

static void lit(compiler_t *c, const char *s, apr_size_t len)
{
    bkm_buf_add(&c->lit, s, len);
}

static void lits(compiler_t *c, const char *s)
{
    lit(c, s, strlen(s));
}

static void lit_escaped(compiler_t *c, const char *s)
{
    lits(c, bkm_html_escape(c->set->pool, s));
}

static void flush(compiler_t *c)
{
    op_t *op;

    if (!c->lit.len) {
        return;
    }
    op = apr_array_push(c->t->ops);
    memset(op, 0, sizeof(*op));
    op->kind = OP_LIT;
    op->s = apr_pmemdup(c->set->pool, c->lit.buf, c->lit.len);
    op->len = c->lit.len;
    c->lit.len = 0;
}

static int push(compiler_t *c, op_kind_e kind, const char *s,
                const char *expr)
{
    op_t *op;
    int i;

    flush(c);
    op = apr_array_push(c->t->ops);
    memset(op, 0, sizeof(*op));
    op->kind = kind;
    op->s = s;
    if (expr) {
        apr_pool_t *p = c->set->pool;
        if (expr[0] == '@') {
            op->e.catalogue = 1;
            op->e.key = apr_pstrdup(p, expr + 1);
            if (!apr_hash_get(c->set->keys, op->e.key, APR_HASH_KEY_STRING)) {
                apr_hash_set(c->set->keys, op->e.key, APR_HASH_KEY_STRING,
                             op->e.key);
                APR_ARRAY_PUSH(c->set->key_list, const char *) = op->e.key;
            }
        }
        else if (strcmp(expr, ".") != 0) {
            char *copy, *last, *seg;
            if (expr[0] == '.') {
                op->e.local = 1;
                expr++;
            }
            copy = apr_pstrdup(p, expr);
            apr_array_header_t *segs = apr_array_make(p, 4,
                                                      sizeof(const char *));
            for (seg = apr_strtok(copy, ".", &last); seg;
                 seg = apr_strtok(NULL, ".", &last)) {
                APR_ARRAY_PUSH(segs, const char *) = seg;
            }
            op->e.key = expr;
            op->e.segs = (const char **)segs->elts;
            op->e.nsegs = segs->nelts;
        }
    }
    i = c->t->ops->nelts - 1;
    return i;
}

static void close_section(compiler_t *c, int at)
{
    flush(c);
    APR_ARRAY_IDX(c->t->ops, at, op_t).end = c->t->ops->nelts;
}

static int is_directive(xmlAttrPtr a)
{
    return a->ns && a->ns->href
           && strcmp((const char *)a->ns->href, BKM_HTML_NS) == 0;
}

static int in_ns(xmlNodePtr n)
{
    return n->ns && n->ns->href
           && strcmp((const char *)n->ns->href, BKM_HTML_NS) == 0;
}

static const char *directive(xmlNodePtr n, const char *name)
{
    xmlAttrPtr a;

    for (a = n->properties; a; a = a->next) {
        if (is_directive(a) && strcmp((const char *)a->name, name) == 0) {
            return (const char *)(a->children ? a->children->content
                                              : (const xmlChar *)"");
        }
    }
    return NULL;
}

static void fail(compiler_t *c, xmlNodePtr n, const char *what)
{
    if (!c->error) {
        c->error = apr_psprintf(c->set->pool, "%s line %ld: %s", c->t->name,
                                xmlGetLineNo(n), what);
    }
}

static void compile_nodes(compiler_t *c, xmlNodePtr n, int raw_text);

/* A text node: runs of white space become one space or newline, which
 * changes nothing a browser shows and keeps pages small. */
static void compile_text(compiler_t *c, const char *s)
{
    const char *p = s;

    while (*p) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            int nl = 0;
            while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
                nl |= (*p == '\n');
                p++;
            }
            lits(c, nl ? "\n" : " ");
        }
        else {
            const char *from = p;
            char buf[2] = { 0, 0 };
            while (*p && *p != ' ' && *p != '\t' && *p != '\n'
                   && *p != '\r') {
                p++;
            }
            for (; from < p; from++) {
                const char *ent = entity(*from);
                if (ent && *from != '"' && *from != '\'') {
                    lits(c, ent);
                }
                else {
                    buf[0] = *from;
                    lit(c, buf, 1);
                }
            }
        }
    }
}

/* Our own element, t:group or t:mal: its content without an element
 * around it (or its t:text). */
static void compile_ours(compiler_t *c, xmlNodePtr n, const char *v_text)
{
    const char *name = (const char *)n->name;

    if (strcmp(name, "group") != 0 && strcmp(name, "mal") != 0) {
        fail(c, n, apr_psprintf(c->set->pool, "unknown element t:%s", name));
    }
    if (v_text) {
        /* Text without an element, e.g. inside <title>. */
        if (n->children) {
            fail(c, n, "an element with t:text must be empty");
        }
        push(c, OP_TEXT, NULL, v_text);
    }
    else {
        compile_nodes(c, n->children, 0);
    }
}

/* An HTML element's attributes: literal ones as they are, t:attr ones
 * (any directive but those compile_element takes) computed.  No inline
 * style or script: the CSP forbids them. */
static void compile_attributes(compiler_t *c, xmlNodePtr n)
{
    xmlAttrPtr a;

    for (a = n->properties; a; a = a->next) {
        const char *an = (const char *)a->name;
        if (strcmp(an, "style") == 0 || strncmp(an, "on", 2) == 0) {
            fail(c, n,
                 apr_psprintf(c->set->pool,
                              "attribute %s (the "
                              "CSP forbids inline style and "
                              "script)",
                              an));
        }
        if (!is_directive(a)) {
            xmlChar *val = xmlNodeListGetString(n->doc, a->children, 1);
            lits(c, " ");
            lits(c, an);
            lits(c, "=\"");
            lit_escaped(c, val ? (const char *)val : "");
            lits(c, "\"");
            xmlFree(val);
        }
        else if (strcmp(an, "each") && strcmp(an, "if")
                 && strcmp(an, "unless") && strcmp(an, "text")
                 && strcmp(an, "include")) {
            const char *expr = (const char *)(a->children
                                                  ? a->children->content
                                                  : (const xmlChar *)"");
            push(c, OP_ATTR, apr_pstrdup(c->set->pool, an), expr);
        }
    }
}

/* An HTML element: its tags, attributes and content (or its t:text). */
static void compile_html(compiler_t *c, xmlNodePtr n, const char *v_text)
{
    const char *name = (const char *)n->name;
    int raw = strcmp(name, "textarea") == 0 || strcmp(name, "pre") == 0;

    if ((strcmp(name, "script") == 0 || strcmp(name, "style") == 0)
        && (n->children || v_text)) {
        fail(c, n, "inline script or style (the CSP forbids it)");
    }
    lits(c, "<");
    lits(c, name);
    compile_attributes(c, n);
    lits(c, ">");
    if (is_void(name)) {
        if (n->children || v_text) {
            fail(c, n,
                 apr_psprintf(c->set->pool,
                              "<%s> cannot have "
                              "content",
                              name));
        }
        return;
    }
    if (v_text) {
        if (n->children) {
            fail(c, n, "an element with t:text must be empty");
        }
        push(c, raw ? OP_TEXT_NL : OP_TEXT, NULL, v_text);
    }
    else {
        compile_nodes(c, n->children, raw);
    }
    lits(c, "</");
    lits(c, name);
    lits(c, ">");
}

static void compile_element(compiler_t *c, xmlNodePtr n)
{
    const char *v_each = directive(n, "each"), *v_if = directive(n, "if");
    const char *v_unless = directive(n, "unless");
    const char *v_text = directive(n, "text");
    const char *v_incl = directive(n, "include");
    int each_at = -1, if_at = -1, unless_at = -1;

    if (v_each) {
        each_at = push(c, OP_EACH, NULL, v_each);
    }
    if (v_if) {
        if_at = push(c, OP_IF, NULL, v_if);
    }
    if (v_unless) {
        unless_at = push(c, OP_UNLESS, NULL, v_unless);
    }
    if (v_incl) {
        if (n->children) {
            fail(c, n, "an element with t:include must be empty");
        }
        push(c, OP_INCLUDE, apr_pstrdup(c->set->pool, v_incl), NULL);
    }
    else if (in_ns(n)) {
        compile_ours(c, n, v_text);
    }
    else {
        compile_html(c, n, v_text);
    }
    if (unless_at >= 0) {
        close_section(c, unless_at);
    }
    if (if_at >= 0) {
        close_section(c, if_at);
    }
    if (each_at >= 0) {
        close_section(c, each_at);
    }
}

static void compile_nodes(compiler_t *c, xmlNodePtr n, int raw_text)
{
    for (; n && !c->error; n = n->next) {
        switch (n->type) {
        case XML_ELEMENT_NODE:
            compile_element(c, n);
            break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (raw_text) {
                lit_escaped(c, (const char *)n->content);
            }
            else {
                compile_text(c, (const char *)n->content);
            }
            break;
        case XML_ENTITY_REF_NODE:
            fail(c, n, "entity references: write the character itself");
            break;
        default: /* comments, processing instructions */
            break;
        }
    }
}

bkm_html_set_t *bkm_html_set_make(apr_pool_t *p)
{
    bkm_html_set_t *set = apr_pcalloc(p, sizeof(*set));

    set->pool = p;
    set->tmpls = apr_hash_make(p);
    set->keys = apr_hash_make(p);
    set->key_list = apr_array_make(p, 64, sizeof(const char *));
    return set;
}

const char *bkm_html_add(bkm_html_set_t *set, const char *name,
                         const char *xml, apr_size_t len)
{
    compiler_t c;
    xmlDocPtr doc;
    xmlNodePtr root;

    /* No network, no DTD, no entity expansion (RECIPES pitfall 22). */
    doc = xmlReadMemory(xml, (int)len, name, "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR
                            | XML_PARSE_NOWARNING);
    if (!doc) {
        xmlErrorPtr e = xmlGetLastError();
        return apr_psprintf(set->pool, "%s line %d: not well-formed: %s",
                            name, e ? e->line : 0,
                            e && e->message ? e->message : "?");
    }
    memset(&c, 0, sizeof(c));
    c.set = set;
    bkm_buf_init(&c.lit, set->pool, 1024);
    c.t = apr_pcalloc(set->pool, sizeof(*c.t));
    c.t->name = apr_pstrdup(set->pool, name);
    c.t->ops = apr_array_make(set->pool, 64, sizeof(op_t));
    root = xmlDocGetRootElement(doc);
    if (root && !in_ns(root)
        && strcmp((const char *)root->name, "html") == 0) {
        lits(&c, "<!DOCTYPE html>\n");
    }
    compile_nodes(&c, root, 0);
    flush(&c);
    xmlFreeDoc(doc);
    if (c.error) {
        return c.error;
    }
    apr_hash_set(set->tmpls, c.t->name, APR_HASH_KEY_STRING, c.t);
    return NULL;
}

static const char *check_cycle(bkm_html_set_t *set, const tmpl_t *t,
                               int depth)
{
    int i;

    if (depth > MAX_DEPTH) {
        return apr_psprintf(set->pool,
                            "%s: includes nest too deep (a cycle?)", t->name);
    }
    for (i = 0; i < t->ops->nelts; i++) {
        const op_t *op = &APR_ARRAY_IDX(t->ops, i, op_t);
        const char *err;
        if (op->kind == OP_INCLUDE
            && (err = check_cycle(set, op->incl, depth + 1))) {
            return err;
        }
    }
    return NULL;
}

const char *bkm_html_link(bkm_html_set_t *set)
{
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(set->pool, set->tmpls); hi;
         hi = apr_hash_next(hi)) {
        tmpl_t *t = apr_hash_this_val(hi);
        int i;
        for (i = 0; i < t->ops->nelts; i++) {
            op_t *op = &APR_ARRAY_IDX(t->ops, i, op_t);
            if (op->kind == OP_INCLUDE) {
                op->incl = apr_hash_get(set->tmpls, op->s,
                                        APR_HASH_KEY_STRING);
                if (!op->incl) {
                    return apr_psprintf(set->pool,
                                        "%s includes unknown "
                                        "template %s",
                                        t->name, op->s);
                }
            }
        }
    }
    for (hi = apr_hash_first(set->pool, set->tmpls); hi;
         hi = apr_hash_next(hi)) {
        const char *err = check_cycle(set, apr_hash_this_val(hi), 0);
        if (err) {
            return err;
        }
    }
    return NULL;
}

const apr_array_header_t *bkm_html_keys(const bkm_html_set_t *set)
{
    return set->key_list;
}

int bkm_html_has(const bkm_html_set_t *set, const char *name)
{
    return apr_hash_get(set->tmpls, name, APR_HASH_KEY_STRING) != NULL;
}

/* ---- rendering ---------------------------------------------------------- */

typedef struct {
    json_t *stack[MAX_DEPTH];
    int depth;
    json_t *texts;
    bkm_html_write_fn w;
    void *baton;
    int includes;
} render_t;

static json_t *resolve(render_t *rc, const expr_t *e)
{
    json_t *v = NULL;
    int d, i;

    if (e->catalogue) {
        return json_object_get(rc->texts, e->key);
    }
    if (e->nsegs == 0) {
        return rc->stack[rc->depth - 1];
    }
    for (d = rc->depth - 1; d >= 0 && !v; d--) {
        v = json_object_get(rc->stack[d], e->segs[0]);
        if (e->local) {
            break;
        }
    }
    for (i = 1; v && i < e->nsegs; i++) {
        v = json_object_get(v, e->segs[i]);
    }
    return v;
}

static int truthy(json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0;
    case JSON_TRUE:
        return 1;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_OBJECT:
        return 1;
    default:
        return 0;
    }
}

/* A scalar as text: NULL for what has no text (null, false, containers). */
static const char *scalar(json_t *v, char *buf, apr_size_t size,
                          apr_size_t *len)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        *len = json_string_length(v);
        return json_string_value(v);
    case JSON_INTEGER:
        *len = (apr_size_t)snprintf(buf, size, "%" JSON_INTEGER_FORMAT,
                                    json_integer_value(v));
        return buf;
    case JSON_REAL:
        *len = (apr_size_t)snprintf(buf, size, "%g", json_real_value(v));
        return buf;
    default:
        return NULL;
    }
}

static int render_ops(render_t *rc, const tmpl_t *t, int from, int to);

static int render_section(render_t *rc, const tmpl_t *t, int i,
                          const op_t *op)
{
    json_t *v = resolve(rc, &op->e);
    size_t k;

    switch (op->kind) {
    case OP_IF:
        return truthy(v) ? render_ops(rc, t, i + 1, op->end) : 0;
    case OP_UNLESS:
        return truthy(v) ? 0 : render_ops(rc, t, i + 1, op->end);
    default: /* OP_EACH */
        if (rc->depth >= MAX_DEPTH) {
            return -1;
        }
        if (json_is_array(v)) {
            for (k = 0; k < json_array_size(v); k++) {
                int rv;
                rc->stack[rc->depth++] = json_array_get(v, k);
                rv = render_ops(rc, t, i + 1, op->end);
                rc->depth--;
                if (rv) {
                    return rv;
                }
            }
            return 0;
        }
        if (json_is_object(v)) {
            int rv;
            rc->stack[rc->depth++] = v;
            rv = render_ops(rc, t, i + 1, op->end);
            rc->depth--;
            return rv;
        }
        return 0;
    }
}

static int render_ops(render_t *rc, const tmpl_t *t, int from, int to)
{
    int i = from;

    while (i < to) {
        const op_t *op = &APR_ARRAY_IDX(t->ops, i, op_t);
        const char *s;
        char buf[32];
        apr_size_t len;
        json_t *v;
        int rv = 0;

        switch (op->kind) {
        case OP_LIT:
            rv = rc->w(rc->baton, op->s, op->len);
            break;
        case OP_TEXT:
        case OP_TEXT_NL:
            if ((s = scalar(resolve(rc, &op->e), buf, sizeof(buf), &len))) {
                /* A parser drops a newline that opens a textarea's
                 * content, so one that the value starts with needs
                 * another in front of it. */
                if (op->kind == OP_TEXT_NL && len && s[0] == '\n') {
                    rv = rc->w(rc->baton, "\n", 1);
                }
                rv = rv ? rv : write_escaped(rc->w, rc->baton, s, len);
            }
            break;
        case OP_ATTR:
            v = resolve(rc, &op->e);
            if (json_is_true(v)) {
                rv = rc->w(rc->baton, " ", 1)
                     || rc->w(rc->baton, op->s, strlen(op->s));
            }
            else if ((s = scalar(v, buf, sizeof(buf), &len))) {
                rv = rc->w(rc->baton, " ", 1)
                     || rc->w(rc->baton, op->s, strlen(op->s))
                     || rc->w(rc->baton, "=\"", 2)
                     || write_escaped(rc->w, rc->baton, s, len)
                     || rc->w(rc->baton, "\"", 1);
            }
            break;
        case OP_INCLUDE:
            if (++rc->includes > 4096 || rc->depth >= MAX_DEPTH) {
                return -1;
            }
            rv = render_ops(rc, op->incl, 0, op->incl->ops->nelts);
            break;
        default:
            rv = render_section(rc, t, i, op);
            i = op->end;
            if (rv) {
                return -1;
            }
            continue;
        }
        if (rv) {
            return -1;
        }
        i++;
    }
    return 0;
}

int bkm_html_render(const bkm_html_set_t *set, const char *name, json_t *data,
                    json_t *texts, bkm_html_write_fn write, void *baton)
{
    const tmpl_t *t = apr_hash_get(set->tmpls, name, APR_HASH_KEY_STRING);
    render_t rc;

    if (!t) {
        return -1;
    }
    memset(&rc, 0, sizeof(rc));
    rc.stack[0] = data;
    rc.depth = 1;
    rc.texts = texts;
    rc.w = write;
    rc.baton = baton;
    return render_ops(&rc, t, 0, t->ops->nelts);
}
