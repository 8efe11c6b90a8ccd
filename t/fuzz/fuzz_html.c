/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Page templates (bkm_html.h) and the data they are filled with: the
 * values in a page's data are what people typed.  Input: one or more
 * templates, each "NAME\n" then its XHTML, then the data as JSON, all
 * separated by BKM_FUZZ_SEP (data that is not JSON counts as {}).  The
 * templates are compiled and linked as at start-up, and each is rendered
 * with the data and the bokmål catalogue of htdocs/i18n (run from the top
 * of the tree).  What a render writes must hold no NUL, nor the tag
 * "<x-fuzz" unless a template has it: the seeds' data values carry it,
 * and a value's "<" must come out escaped.  bkm_html_escape() of every
 * field must leave none of < > " ' behind.
 */
#include "fuzz.h"
#include "bkm_html.h"
#include "bkm_i18n.h"

#include <string.h>

#include <apr_strings.h>

#define MAX_FIELDS 8

static json_t *texts;

static void init(void)
{
    apr_pool_t *p;
    bkm_i18n_t *i18n;
    const char *err;

    if (texts) {
        return;
    }
    bkm_fuzz_keep_begin();
    p = bkm_fuzz_pool();
    if ((err = bkm_i18n_load(p, "htdocs/i18n", &i18n))) {
        bkm_fuzz_fail("htdocs/i18n: %s (run from the top of the tree)", err);
    }
    texts = json_deep_copy(bkm_i18n_texts(i18n, "nb"));
    apr_pool_destroy(p);
    bkm_fuzz_keep_end();
}

#define TAG "<x-fuzz"
#define KEEP (1 << 20)

typedef struct {
    char *buf; /* the first KEEP bytes */
    apr_size_t len;
    int nul;
} sink_t;

static int sink(void *baton, const char *s, apr_size_t len)
{
    sink_t *o = baton;

    if (o->len < KEEP) {
        memcpy(o->buf + o->len, s, len < KEEP - o->len ? len : KEEP - o->len);
    }
    o->len += len;
    o->nul |= memchr(s, '\0', len) != NULL;
    return o->len > (64 << 20); /* a runaway include stops here */
}

static void check_escape(apr_pool_t *p, const char *s)
{
    const char *e = bkm_html_escape(p, s);

    if (!e || strpbrk(e, "<>\"'")) {
        bkm_fuzz_fail("bkm_html_escape left markup");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *field[MAX_FIELDS];
    size_t len[MAX_FIELDS];
    const char *names[MAX_FIELDS];
    bkm_html_set_t *set;
    json_t *values;
    int n, i, added = 0, tag_in_templates = 0;

    init();
    p = bkm_fuzz_pool();
    n = bkm_fuzz_split(p, data, size, field, len, MAX_FIELDS);
    if (n < 2) {
        apr_pool_destroy(p);
        return 0;
    }
    set = bkm_html_set_make(p);
    for (i = 0; i < n; i++) {
        check_escape(p, field[i]);
    }
    for (i = 0; i < n - 1; i++) {
        tag_in_templates |= strstr(field[i], "x-fuzz") != NULL;
    }
    for (i = 0; i < n - 1; i++) {
        char *nl = memchr(field[i], '\n', len[i]);
        const char *xml = field[i];
        size_t xlen = len[i];

        if (nl && nl - field[i] <= 32) {
            names[i] = apr_pstrndup(p, field[i], (apr_size_t)(nl - field[i]));
            xml = nl + 1;
            xlen -= (size_t)(nl + 1 - field[i]);
        }
        else {
            names[i] = apr_psprintf(p, "t%d", i);
        }
        if (!bkm_html_add(set, names[i], xml, xlen)) {
            names[added++] = names[i];
        }
    }
    if (added && !bkm_html_link(set)) {
        (void)bkm_html_keys(set);
        values = json_loadb(field[n - 1], len[n - 1], 0, NULL);
        if (!values) {
            values = json_object();
        }
        for (i = 0; i < added; i++) {
            sink_t o = { NULL, 0, 0 };
            o.buf = apr_palloc(p, KEEP);
            if (!bkm_html_has(set, names[i])) {
                bkm_fuzz_fail("template %s added but not there", names[i]);
            }
            (void)bkm_html_render(set, names[i], values, texts, sink, &o);
            if (o.nul) {
                bkm_fuzz_fail("template %s rendered a NUL", names[i]);
            }
            if (!tag_in_templates
                && memmem(o.buf, o.len < KEEP ? o.len : KEEP, TAG,
                          sizeof(TAG) - 1)) {
                bkm_fuzz_fail("template %s let a value's markup through",
                              names[i]);
            }
        }
        json_decref(values);
    }
    apr_pool_destroy(p);
    return 0;
}
