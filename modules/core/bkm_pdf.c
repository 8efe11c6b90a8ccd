/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A report of concern as an A4 PDF, with pango for text and cairo for the
 * PDF.  Two passes: first every piece of text becomes a PangoLayout and the
 * layouts' lines are placed on pages (so the page count is known), then the
 * pages are drawn with "side N av M" in the footer.  Breaking by lines, not
 * by layouts, lets a single paragraph longer than a page continue on the
 * next one.
 *
 * Security: report text is only ever given to pango_layout_set_text(), never
 * to a markup parser, and every text gets a fresh layout whose only
 * attribute is "no inserted hyphens", so no attribute can leak from one
 * text into the next (RECIPES pitfall 20).
 */
#include "bkm_pdf.h"

#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_lib.h>

#include <pango/pangocairo.h>
#include <cairo-pdf.h>

/* ---- geometry (PDF points) and text styles ---- */

#define BKM_PAGE_W 595.276 /* A4 */
#define BKM_PAGE_H 841.89
#define BKM_MARGIN 56.0
#define BKM_CONTENT_W (BKM_PAGE_W - 2 * BKM_MARGIN)
#define BKM_TOP 62.0                     /* below the running header */
#define BKM_BOTTOM (BKM_PAGE_H - 62.0)   /* above the footer */
#define BKM_LABEL_W 128.0                /* the label column ... */
#define BKM_VALUE_X (BKM_MARGIN + 138.0) /* ... and the value column */

typedef enum {
    BKM_S_TITLE,
    BKM_S_HEADING, /* a section */
    BKM_S_SUB,     /* one child, one guardian */
    BKM_S_LABEL,
    BKM_S_KEY, /* a label too long for the label column */
    BKM_S_VALUE,
    BKM_S_TEXT,  /* the reporter's own prose, full width */
    BKM_S_SMALL, /* running header and footer */
    BKM_S_COUNT
} bkm_style_e;

typedef struct {
    const char *font;
    double gray; /* text colour; headings are dark blue */
    double x, width;
    const char *tag; /* its structure element in the tagged PDF */
} bkm_style_t;

/* One family, DejaVu Sans, for everything: the reporter's own text was
 * once DejaVu Serif, and a document in two families reads as two
 * documents.  DejaVu has every Norwegian and Sami letter. */
static const bkm_style_t bkm_styles[BKM_S_COUNT] = {
    { "DejaVu Sans Bold 17", 0.0, BKM_MARGIN, BKM_CONTENT_W, "H1" },
    { "DejaVu Sans Bold 12", 0.0, BKM_MARGIN, BKM_CONTENT_W, "H2" },
    { "DejaVu Sans Bold 10", 0.0, BKM_MARGIN, BKM_CONTENT_W, "H3" },
    { "DejaVu Sans 8.5", 0.33, BKM_MARGIN, BKM_LABEL_W, "P" },
    { "DejaVu Sans 8.5", 0.33, BKM_MARGIN, BKM_CONTENT_W, "P" },
    { "DejaVu Sans 10", 0.0, BKM_VALUE_X,
      BKM_CONTENT_W - (BKM_VALUE_X - BKM_MARGIN), "P" },
    { "DejaVu Sans 10.5", 0.0, BKM_MARGIN, BKM_CONTENT_W, "P" },
    { "DejaVu Sans 8", 0.33, BKM_MARGIN, BKM_CONTENT_W, NULL }
};

/* ---- the document model of the first pass ---- */

typedef struct {
    PangoLayoutLine *line;   /* owned by its layout */
    double x;                /* offset for alignment (RTL paragraphs) */
    double y0, y1, baseline; /* from the layout's top */
} bkm_line_t;

/* One piece of text that can break across pages between its lines, with
 * an optional label beside its first line. */
typedef struct {
    bkm_style_e style;
    PangoLayout *text;
    PangoLayout *label;
    double label_dy; /* label top, aligning the baselines */
    double label_h;
    double before, after; /* space above (not at a page top), below */
    int keep_next;        /* a heading: never last on a page */
    int rule;             /* a line below it */
    int nlines;
    bkm_line_t *lines;
} bkm_block_t;

/* The lines [first, last) of a block, placed on a page. */
typedef struct {
    const bkm_block_t *b;
    int first, last;
    int page;
    double y; /* top on the page */
    double h;
} bkm_frag_t;

typedef struct {
    apr_pool_t *p; /* scratch, destroyed after rendering */
    PangoContext *ctx;
    PangoFontDescription *font[BKM_S_COUNT];
    PangoAttrList *attrs;
    apr_array_header_t *blocks; /* of bkm_block_t */
    int v2;
} bkm_doc_t;

/* ---- the font maps ----
 *
 * A pango font map must not be used by two threads at once: with one map
 * and 8 threads rendering at once, the test program crashed in 3 runs of 3
 * (pango's own default map is per thread since 1.32.6 for that reason).
 * A new map per call is safe but finds and loads the fonts every time:
 * 9.5 ms per PDF instead of 2.8.  A shared map behind a mutex is as fast on
 * one thread but serialises them (330 PDFs/s with 4 threads on 2 cores,
 * against 620 with a map per thread).
 *
 * A map per thread (as before issue 17) made every worker thread's first
 * report pay 6-9 ms for its fonts, and nothing can warm a thread that
 * httpd has not started yet.  So the maps are a stack of kits instead: a
 * render takes a kit off the stack (or makes one if every kit is in use),
 * has it to itself, and puts it back.  A kit is never used by two threads
 * at once (the mutex hands it over, with the memory barrier that takes),
 * there are never more kits than renders that ran at the same time, and
 * bkm_pdf_warm() makes and warms them in child_init, so that a child's
 * first report costs what its hundredth does.  A kit also keeps what is
 * the same for every render: the pango context, its fonts and attributes,
 * and the buffer cairo writes the PDF into.  It is our own map, not
 * pango's default, so that nothing else in the process can change its
 * settings.  The kits live as long as the process (a child, whose end
 * frees them; the parent never renders). */
typedef struct bkm_pdf_kit {
    PangoFontMap *fm;
    PangoContext *ctx;
    PangoFontDescription *font[BKM_S_COUNT];
    PangoAttrList *attrs;
    unsigned char *buf; /* cairo's output, wiped after each render */
    size_t cap;
    struct bkm_pdf_kit *next;
} bkm_pdf_kit_t;

static GMutex bkm_pdf_kits_lock;
static bkm_pdf_kit_t *bkm_pdf_kits;    /* free kits */
static unsigned int bkm_pdf_kits_made; /* for bkm_pdf_kit_count() */

static bkm_pdf_kit_t *kit_new(void)
{
    bkm_pdf_kit_t *k = g_new0(bkm_pdf_kit_t, 1);
    cairo_font_options_t *fo;
    int i;

    k->fm = pango_cairo_font_map_new();
    /* Points as units (72 dpi), and outlines as they are: hinting and
     * rounding are for screens, and would change the spacing in a PDF. */
    k->ctx = pango_font_map_create_context(k->fm);
    pango_cairo_context_set_resolution(k->ctx, 72.0);
    fo = cairo_font_options_create();
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    pango_cairo_context_set_font_options(k->ctx, fo);
    cairo_font_options_destroy(fo);
    pango_context_set_round_glyph_positions(k->ctx, FALSE);
    pango_context_set_language(k->ctx, pango_language_from_string("nb"));
    for (i = 0; i < BKM_S_COUNT; i++) {
        k->font[i] = pango_font_description_from_string(bkm_styles[i].font);
    }
    /* Breaking a long word must not add a hyphen that the reporter did not
     * write: the PDF is a record of what was sent. */
    k->attrs = pango_attr_list_new();
    pango_attr_list_insert(k->attrs, pango_attr_insert_hyphens_new(FALSE));
    /* No ligatures: "ff" stays two letters, so that the text a screen
     * reader or a search gets from the tagged PDF is the text written
     * (poppler's structure text stopped at the ff ligature). */
    pango_attr_list_insert(k->attrs,
                           pango_attr_font_features_new("liga 0, clig 0"));
    g_mutex_lock(&bkm_pdf_kits_lock);
    bkm_pdf_kits_made++;
    g_mutex_unlock(&bkm_pdf_kits_lock);
    return k;
}

static bkm_pdf_kit_t *kit_take(void)
{
    bkm_pdf_kit_t *k;

    g_mutex_lock(&bkm_pdf_kits_lock);
    if ((k = bkm_pdf_kits)) {
        bkm_pdf_kits = k->next;
        k->next = NULL;
    }
    g_mutex_unlock(&bkm_pdf_kits_lock);
    return k ? k : kit_new();
}

static void kit_give(bkm_pdf_kit_t *k)
{
    g_mutex_lock(&bkm_pdf_kits_lock);
    k->next = bkm_pdf_kits;
    bkm_pdf_kits = k;
    g_mutex_unlock(&bkm_pdf_kits_lock);
}

unsigned int bkm_pdf_kit_count(void)
{
    unsigned int n;

    g_mutex_lock(&bkm_pdf_kits_lock);
    n = bkm_pdf_kits_made;
    g_mutex_unlock(&bkm_pdf_kits_lock);
    return n;
}

/* ---- text helpers ---- */

/* Report text as it should be shown: no C0/C1 control characters (pango
 * would draw them as boxes) except tab and newline, CR LF as one newline,
 * no bidi overrides (U+202D, U+202E: they show letters in reverse order,
 * which can make text read as something else), and no whitespace at
 * either end. */
static const char *clean_text(apr_pool_t *p, const char *s)
{
    const unsigned char *in = (const unsigned char *)s;
    size_t n = strlen(s);
    char *out = apr_palloc(p, n + 1), *o = out;

    while (*in) {
        if (in[0] == '\r') {
            *o++ = '\n';
            in += in[1] == '\n' ? 2 : 1;
        }
        else if ((in[0] < 0x20 && in[0] != '\t' && in[0] != '\n')
                 || in[0] == 0x7f) {
            *o++ = ' ';
            in++;
        }
        else if (in[0] == 0xc2 && in[1] >= 0x80 && in[1] <= 0x9f) {
            *o++ = ' ';
            in += 2;
        }
        else if (in[0] == 0xe2 && in[1] == 0x80
                 && (in[2] == 0xad || in[2] == 0xae)) {
            in += 3;
        }
        else {
            *o++ = *in++;
        }
    }
    *o = '\0';
    while (o > out && apr_isspace(o[-1])) {
        *--o = '\0';
    }
    for (o = out; apr_isspace(*o); o++) {
    }
    return o;
}

/* Any JSON value as text: strings as they are, booleans as Ja/Nei, numbers
 * in decimal, arrays and objects (only in members the schemas do not know)
 * as compact JSON.  NULL for null and for empty strings: nothing to show. */
static const char *fmt_value(apr_pool_t *p, const json_t *v)
{
    char *dump;
    const char *s;

    if (!v || json_is_null(v)) {
        return NULL;
    }
    if (json_is_string(v)) {
        s = clean_text(p, json_string_value(v));
        return *s ? s : NULL;
    }
    if (json_is_boolean(v)) {
        return json_is_true(v) ? "Ja" : "Nei";
    }
    if (json_is_integer(v)) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT,
                            (apr_int64_t)json_integer_value(v));
    }
    dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY
                             | JSON_REAL_PRECISION(15));
    if (!dump) {
        return NULL;
    }
    s = clean_text(p, dump);
    free(dump);
    return s;
}

static int two_digits(const char *s)
{
    return apr_isdigit(s[0]) && apr_isdigit(s[1]);
}

/* "2020-03-16T13:29:33" as "16.03.2020 kl. 13:29:33".  The protocol sends
 * Norwegian local time without an offset; an offset, if any, is kept
 * visible rather than converted.  Other shapes are shown as sent. */
static const char *fmt_time(apr_pool_t *p, const char *s)
{
    const char *t = s + 16, *zone = "";

    if (strlen(s) < 16 || !two_digits(s) || !two_digits(s + 2) || s[4] != '-'
        || !two_digits(s + 5) || s[7] != '-' || !two_digits(s + 8)
        || (s[10] != 'T' && s[10] != ' ') || !two_digits(s + 11)
        || s[13] != ':' || !two_digits(s + 14)) {
        return s;
    }
    if (t[0] == ':' && two_digits(t + 1)) {
        t += 3;
        if (*t == '.' && apr_isdigit(t[1])) {
            for (t++; apr_isdigit(*t); t++) {
            }
        }
    }
    if (strcmp(t, "Z") == 0) {
        zone = " UTC";
    }
    else if ((t[0] == '+' || t[0] == '-') && two_digits(t + 1) && t[3] == ':'
             && two_digits(t + 4) && !t[6]) {
        zone = apr_pstrcat(p, " (UTC", t, ")", NULL);
    }
    else if (*t) {
        return s;
    }
    return apr_psprintf(p, "%.2s.%.2s.%.4s kl. %.5s%s%.2s%s", s + 8, s + 5, s,
                        s + 11, s[16] == ':' ? ":" : "",
                        s[16] == ':' ? s + 17 : "", zone);
}

/* ---- first pass: blocks ---- */

/* Pango 1.50 breaks a stretch with no break opportunity (one long "word")
 * in time quadratic in its length: 20,000 letters took 300 ms, 200,000
 * took 30 s, and anyone can send such a report.  So a stretch longer than
 * BKM_RUN_MAX characters gets an invisible break opportunity, a zero-width
 * space, every BKM_RUN_STEP characters (at grapheme boundaries, so accents
 * and emoji stay whole): then 200,000 letters take 0.25 s.  Shorter words
 * are untouched, so they still move to the next line whole; pdftotext and
 * copying from a viewer do not show the zero-width spaces. */
#define BKM_RUN_MAX 40
#define BKM_RUN_STEP 8

static const char *breakable(apr_pool_t *p, const char *s)
{
    size_t len = strlen(s);
    glong n, i, k, start, last, count = 0;
    PangoLogAttr *la;
    char *mark, *out, *o;
    const char *c, *next;

    if (len <= BKM_RUN_MAX) {
        return s;
    }
    n = g_utf8_strlen(s, len);
    la = g_new(PangoLogAttr, n + 1);
    mark = apr_pcalloc(p, n + 1);
    pango_get_log_attrs(s, (int)len, -1, pango_language_from_string("nb"), la,
                        (int)n + 1);
    for (start = 0, i = 1; i <= n; i++) {
        if (i < n && !la[i].is_line_break && !la[i].is_white) {
            continue;
        }
        if (i - start > BKM_RUN_MAX) {
            for (last = start, k = start + 1; k < i; k++) {
                if (k - last >= BKM_RUN_STEP && la[k].is_cursor_position) {
                    mark[k] = 1;
                    last = k;
                    count++;
                }
            }
        }
        start = i;
    }
    g_free(la);
    if (!count) {
        return s;
    }
    out = o = apr_palloc(p, len + 3 * count + 1);
    for (c = s, i = 0; i < n; i++, c = next) {
        next = g_utf8_next_char(c);
        if (mark[i]) {
            memcpy(o, "\xe2\x80\x8b", 3);
            o += 3;
        }
        memcpy(o, c, next - c);
        o += next - c;
    }
    *o = '\0';
    return out;
}

static PangoLayout *new_layout(bkm_doc_t *d, bkm_style_e st, const char *text,
                               double width)
{
    PangoLayout *l = pango_layout_new(d->ctx);

    pango_layout_set_font_description(l, d->font[st]);
    pango_layout_set_width(l, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    /* Replaces whatever list the layout had: the text gets exactly these
     * attributes, and the text itself is never markup. */
    pango_layout_set_attributes(l, d->attrs);
    pango_layout_set_text(l, breakable(d->p, text), -1);
    return l;
}

static bkm_block_t *add_block(bkm_doc_t *d, bkm_style_e st, const char *label,
                              const char *text)
{
    bkm_block_t *b = apr_array_push(d->blocks);
    PangoLayoutIter *it;
    PangoRectangle r;
    int i = 0, y0, y1;

    memset(b, 0, sizeof(*b));
    b->style = st;
    b->text = new_layout(d, st, text, bkm_styles[st].width);
    b->nlines = pango_layout_get_line_count(b->text);
    b->lines = apr_pcalloc(d->p, b->nlines * sizeof(bkm_line_t));
    it = pango_layout_get_iter(b->text);
    do {
        pango_layout_iter_get_line_yrange(it, &y0, &y1);
        pango_layout_iter_get_line_extents(it, NULL, &r);
        b->lines[i].line = pango_layout_iter_get_line_readonly(it);
        b->lines[i].x = (double)r.x / PANGO_SCALE;
        b->lines[i].y0 = (double)y0 / PANGO_SCALE;
        b->lines[i].y1 = (double)y1 / PANGO_SCALE;
        b->lines[i].baseline = (double)pango_layout_iter_get_baseline(it)
                               / PANGO_SCALE;
    } while (++i < b->nlines && pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    b->nlines = i;

    if (label) {
        b->label = new_layout(d, BKM_S_LABEL, label, BKM_LABEL_W);
        pango_layout_get_extents(b->label, NULL, &r);
        b->label_h = (double)r.height / PANGO_SCALE;
        b->label_dy = b->lines[0].baseline - b->lines[0].y0
                      - (double)pango_layout_get_baseline(b->label)
                            / PANGO_SCALE;
    }
    return b;
}

static void heading(bkm_doc_t *d, const char *text)
{
    bkm_block_t *b = add_block(d, BKM_S_HEADING, NULL, text);

    b->before = 16;
    b->after = 7;
    b->keep_next = 1;
    b->rule = 1;
}

static void subheading(bkm_doc_t *d, const char *text)
{
    bkm_block_t *b = add_block(d, BKM_S_SUB, NULL, text);

    b->before = 9;
    b->after = 3;
    b->keep_next = 1;
}

/* A label and a value; nothing if there is no value. */
static void row(bkm_doc_t *d, const char *label, const char *value)
{
    bkm_block_t *b;

    if (!value || !*value) {
        return;
    }
    /* Our labels fit the label column in one line.  The name of a member
     * the schema does not know may not: it gets lines of its own above the
     * value, which can break across pages like any text. */
    if (label && strlen(label) > 40) {
        b = add_block(d, BKM_S_KEY, NULL, label);
        b->before = 3.5;
        b->keep_next = 1;
        label = NULL;
    }
    b = add_block(d, BKM_S_VALUE, label, value);
    b->before = label ? 3.5 : 1;
}

static void row_json(bkm_doc_t *d, const char *label, const json_t *obj,
                     const char *key)
{
    row(d, label, fmt_value(d->p, json_object_get(obj, key)));
}

/* The reporter's own text, full width. */
static void paragraph(bkm_doc_t *d, const char *text)
{
    bkm_block_t *b = add_block(d, BKM_S_TEXT, NULL, text);

    b->before = 2;
}

static int is_known(const char *key, const char *const *known)
{
    for (; *known; known++) {
        if (strcmp(key, *known) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Members of @p obj that the schema does not name, each as a row labelled
 * with its path (e.g. "virksomhet.avdeling"). */
static void unknown_rows(bkm_doc_t *d, const json_t *obj, const char *prefix,
                         const char *const *known)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v) {
        if (!is_known(key, known)) {
            row(d, clean_text(d->p, apr_pstrcat(d->p, prefix, key, NULL)),
                fmt_value(d->p, v));
        }
    }
}

static int has_unknown(bkm_doc_t *d, const json_t *obj,
                       const char *const *known)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v) {
        if (!is_known(key, known) && fmt_value(d->p, v) != NULL) {
            return 1;
        }
    }
    return 0;
}

/* An address as lines: street lines, "postnummer poststed", then any
 * members the schema does not name as "key: value". */
static void address(bkm_doc_t *d, const char *label, const json_t *obj,
                    const char *key)
{
    static const char *const known[] = { "adresselinje1", "adresselinje2",
                                         "adresselinje3", "postnummer",
                                         "poststed",      NULL };
    const json_t *a = json_object_get(obj, key);
    apr_array_header_t *lines;
    const char *k, *s, *nr, *sted;
    json_t *v;
    int i;

    if (!json_is_object(a)) {
        row(d, label, fmt_value(d->p, a));
        return;
    }
    lines = apr_array_make(d->p, 4, sizeof(const char *));
    for (i = 0; i < 3; i++) {
        if ((s = fmt_value(d->p, json_object_get(a, known[i]))) != NULL) {
            APR_ARRAY_PUSH(lines, const char *) = s;
        }
    }
    nr = fmt_value(d->p, json_object_get(a, "postnummer"));
    sted = fmt_value(d->p, json_object_get(a, "poststed"));
    if (nr || sted) {
        APR_ARRAY_PUSH(lines, const char *) = nr && sted
                                                  ? apr_pstrcat(d->p, nr, " ",
                                                                sted, NULL)
                                              : nr ? nr
                                                   : sted;
    }
    json_object_foreach((json_t *)a, k, v) {
        if (!is_known(k, known) && (s = fmt_value(d->p, v)) != NULL) {
            APR_ARRAY_PUSH(lines, const char *) =
                apr_pstrcat(d->p, clean_text(d->p, k), ": ", s, NULL);
        }
    }
    row(d, label, apr_array_pstrcat(d->p, lines, '\n'));
}

/* A section of free text: the heading, then the text; nothing if empty. */
static void text_section(bkm_doc_t *d, const char *title, const json_t *v)
{
    const char *s = fmt_value(d->p, v);

    if (s) {
        heading(d, title);
        paragraph(d, s);
    }
}

/* Open a section for value @p v: nothing when it is absent; its heading
 * otherwise.  Returns whether @p v has the shape (@p shape_ok) to be shown
 * field by field; one of another shape is shown as it came rather than
 * dropped, since the PDF is the record. */
static int section(bkm_doc_t *d, const json_t *v, const char *title,
                   int shape_ok)
{
    if (!v) {
        return 0;
    }
    heading(d, title);
    if (!shape_ok) {
        row(d, title, fmt_value(d->p, v));
        return 0;
    }
    return 1;
}

static void privat_melder(bkm_doc_t *d, const json_t *m)
{
    static const char *const known[] = { "personnavn", "telefonnummer",
                                         "adresse", NULL };

    if (!section(d, m, "Melder", json_is_object(m))) {
        return;
    }
    row_json(d, "Navn", m, "personnavn");
    row_json(d, "Telefon", m, "telefonnummer");
    address(d, "Adresse", m, "adresse");
    unknown_rows(d, m, "", known);
}

static void offentlig_melder(bkm_doc_t *d, const json_t *m)
{
    static const char *const known[] = { "personnavn",    "rolle",
                                         "telefonnummer", "epost",
                                         "virksomhet",    NULL };
    static const char *const known_virksomhet[] = { "navn", "orgnr",
                                                    "adresse", NULL };
    const json_t *v = json_object_get(m, "virksomhet");

    if (!section(d, m, "Melder", json_is_object(m))) {
        return;
    }
    row_json(d, "Navn", m, "personnavn");
    row_json(d, "Rolle", m, "rolle");
    row_json(d, "Telefon", m, "telefonnummer");
    row_json(d, "E-post", m, "epost");
    if (json_is_object(v)) {
        row_json(d, "Virksomhet", v, "navn");
        row_json(d, "Organisasjonsnummer", v, "orgnr");
        address(d, "Virksomhetens adresse", v, "adresse");
        unknown_rows(d, v, "virksomhet.", known_virksomhet);
    }
    else {
        row_json(d, "Virksomhet", m, "virksomhet");
    }
    unknown_rows(d, m, "", known);
}

/* A section of people (children, guardians): each entry with "N av M"
 * when there are several. */
typedef void (*bkm_entry_fn)(bkm_doc_t *d, const json_t *entry,
                             int offentlig);

static void entries(bkm_doc_t *d, const json_t *list, const char *title,
                    const char *one, bkm_entry_fn render, int offentlig)
{
    size_t i, n = json_array_size(list);
    const json_t *e;

    if (!section(d, list, title, json_is_array(list))) {
        return;
    }
    for (i = 0; i < n; i++) {
        e = json_array_get(list, i);
        if (n > 1) {
            subheading(d, apr_psprintf(d->p, "%s %d av %d", one, (int)i + 1,
                                       (int)n));
        }
        if (!json_is_object(e)) {
            row(d, one, fmt_value(d->p, e));
            continue;
        }
        render(d, e, offentlig);
    }
}

static void barn_entry(bkm_doc_t *d, const json_t *c, int offentlig)
{
    static const char *const known_privat[] = { "personnavn", "antattAlder",
                                                "relasjon", "adresse", NULL };
    static const char *const known_offentlig[] = {
        "fnr",     "ufoedt",    "personnavn",     "telefonnummer",
        "adresse", "orientert", "orientertGrunn", NULL
    };

    row_json(d, "Navn", c, "personnavn");
    if (offentlig) {
        row_json(d, "Fødselsnummer", c, "fnr");
        row_json(d, "Ufødt", c, "ufoedt");
        row_json(d, "Telefon", c, "telefonnummer");
        address(d, "Adresse", c, "adresse");
        row_json(d, "Orientert om meldingen", c, "orientert");
        row_json(d, "Begrunnelse", c, "orientertGrunn");
        unknown_rows(d, c, "", known_offentlig);
    }
    else {
        row_json(d, "Antatt alder", c, "antattAlder");
        row_json(d, "Relasjon til barnet", c, "relasjon");
        address(d, "Adresse", c, "adresse");
        unknown_rows(d, c, "", known_privat);
    }
}

static void foresatt_entry(bkm_doc_t *d, const json_t *f, int offentlig)
{
    static const char *const known[] = { "personnavn", "telefonnummer",
                                         "orientert", "orientertGrunn",
                                         NULL };

    row_json(d, "Navn", f, "personnavn");
    row_json(d, "Telefon", f, "telefonnummer");
    row_json(d, "Orientert om meldingen", f, "orientert");
    row_json(d, "Begrunnelse", f, "orientertGrunn");
    unknown_rows(d, f, "", known);
}

static void barn(bkm_doc_t *d, const json_t *list, int offentlig)
{
    entries(d, list, "Barn", "Barn", barn_entry, offentlig);
}

static void foresatte(bkm_doc_t *d, const json_t *list)
{
    entries(d, list, "Foresatte", "Foresatt", foresatt_entry, 1);
}

/* The first rows: where the report goes, and when it was sent. */
static void front(bkm_doc_t *d, const json_t *r, const char *title,
                  const char *referanse)
{
    const char *nr, *navn, *s;
    bkm_block_t *b;

    b = add_block(d, BKM_S_TITLE, NULL, title);
    b->after = 12;
    row(d, "Referansenummer", referanse);

    nr = fmt_value(d->p, json_object_get(r, "kommunenummer"));
    navn = fmt_value(d->p, json_object_get(r, "kommunenavn"));
    row(d, "Kommune",
        nr && navn ? apr_pstrcat(d->p, nr, " ", navn, NULL)
        : nr       ? nr
                   : navn);
    nr = fmt_value(d->p, json_object_get(r, "bydelsnummer"));
    navn = fmt_value(d->p, json_object_get(r, "bydelsnavn"));
    row(d, "Bydel",
        nr && navn ? apr_pstrcat(d->p, nr, " ", navn, NULL)
        : nr       ? nr
                   : navn);
    s = fmt_value(d->p, json_object_get(r, "sendingstidspunkt"));
    row(d, "Sendt",
        s && json_is_string(json_object_get(r, "sendingstidspunkt"))
            ? fmt_time(d->p, s)
            : s);
    row_json(d, "Leveringskanal", r, "leveringskanal");
}

static void build(bkm_doc_t *d, const json_t *r, int offentlig,
                  const char *title, const char *referanse)
{
    static const char *const known_privat[] = {
        "kommunenummer",  "kommunenavn", "bydelsnummer", "bydelsnavn",
        "privatMelder",   "privatBarn",  "melding",      "sendingstidspunkt",
        "leveringskanal", NULL
    };
    static const char *const known_offentlig[] = { "kommunenummer",
                                                   "kommunenavn",
                                                   "bydelsnummer",
                                                   "bydelsnavn",
                                                   "offentligMelder",
                                                   "offentligBarn",
                                                   "foresatte",
                                                   "behovForTolk",
                                                   "andreHjelpeinstanser",
                                                   "melding",
                                                   "sendingstidspunkt",
                                                   "leveringskanal",
                                                   NULL };
    static const char *const known_melding_v1[] = { "melding", "historie",
                                                    NULL };
    static const char *const known_melding_v2[] = { "melding", "historie",
                                                    "andreSynspunkter",
                                                    NULL };
    const char *const *known = offentlig ? known_offentlig : known_privat;
    const char *const *known_melding = d->v2 ? known_melding_v2
                                             : known_melding_v1;
    const json_t *m = json_object_get(r, "melding");
    int melding_obj = offentlig && json_is_object(m);

    front(d, r, title, referanse);
    if (offentlig) {
        offentlig_melder(d, json_object_get(r, "offentligMelder"));
        barn(d, json_object_get(r, "offentligBarn"), 1);
        foresatte(d, json_object_get(r, "foresatte"));
    }
    else {
        privat_melder(d, json_object_get(r, "privatMelder"));
        barn(d, json_object_get(r, "privatBarn"), 0);
    }
    if (melding_obj) {
        text_section(d, "Bekymringen", json_object_get(m, "melding"));
        text_section(d, "Historikk", json_object_get(m, "historie"));
        if (d->v2) {
            text_section(d, "Andres synspunkter",
                         json_object_get(m, "andreSynspunkter"));
        }
    }
    else {
        text_section(d, "Bekymringen", m);
    }
    if (offentlig) {
        text_section(d, "Behov for tolk", json_object_get(r, "behovForTolk"));
        text_section(d, "Andre hjelpeinstanser",
                     json_object_get(r, "andreHjelpeinstanser"));
    }
    if (has_unknown(d, r, known)
        || (melding_obj && has_unknown(d, m, known_melding))) {
        heading(d, "Andre opplysninger");
        unknown_rows(d, r, "", known);
        if (melding_obj) {
            unknown_rows(d, m, "melding.", known_melding);
        }
    }
}

/* A control message: what it is, then its fields as they are. */
static void build_kontroll(bkm_doc_t *d, const json_t *r, const char *title,
                           const char *referanse)
{
    static const char *const known[] = { "kommunenummer",   "kommunenavn",
                                         "bydelsnummer",    "bydelsnavn",
                                         "kontrollmelding", NULL };

    front(d, r, title, referanse);
    text_section(d, "Kontrollmelding", json_object_get(r, "kontrollmelding"));
    if (has_unknown(d, r, known)) {
        heading(d, "Andre opplysninger");
        unknown_rows(d, r, "", known);
    }
}

/* ---- placing lines on pages ---- */

/* The height of a block's first line, with its label. */
static double first_unit(const bkm_block_t *b)
{
    double h = b->lines[0].y1 - b->lines[0].y0;

    return b->label && b->label_dy + b->label_h > h ? b->label_dy + b->label_h
                                                    : h;
}

static double full_height(const bkm_block_t *b)
{
    double h = b->lines[b->nlines - 1].y1 - b->lines[0].y0;

    return b->label && b->label_dy + b->label_h > h ? b->label_dy + b->label_h
                                                    : h;
}

/* The room a block needs at the bottom of a page: its first line, or, for
 * a heading, all of it and the first line of what it heads. */
static double needed(const bkm_block_t *b, const bkm_block_t *end)
{
    double need = 0;

    while (b->keep_next && b + 1 < end) {
        need += full_height(b) + b->after + b[1].before;
        b++;
    }
    return need + first_unit(b);
}

static int paginate(bkm_doc_t *d, apr_array_header_t *frags)
{
    const bkm_block_t *b = (const bkm_block_t *)d->blocks->elts;
    const bkm_block_t *end = b + d->blocks->nelts;
    bkm_frag_t *f;
    double y = BKM_TOP, h, top;
    int page = 0, a, c;

    for (; b < end; b++) {
        if (y > BKM_TOP && y + b->before + needed(b, end) > BKM_BOTTOM) {
            page++;
            y = BKM_TOP;
        }
        if (y > BKM_TOP) {
            y += b->before;
        }
        for (a = 0; a < b->nlines; a = c) {
            top = b->lines[a].y0;
            for (c = a; c < b->nlines; c++) {
                h = c == 0 ? first_unit(b) : b->lines[c].y1 - top;
                if (y + h > BKM_BOTTOM) {
                    break;
                }
            }
            if (c == a) {
                if (y > BKM_TOP) {
                    page++;
                    y = BKM_TOP;
                    c = a;
                    continue;
                }
                c = a + 1; /* taller than a page: overflow, not loop */
            }
            f = apr_array_push(frags);
            f->b = b;
            f->first = a;
            f->last = c;
            f->page = page;
            f->y = y;
            f->h = b->lines[c - 1].y1 - top;
            if (a == 0 && first_unit(b) > f->h) {
                f->h = first_unit(b);
            }
            if (c < b->nlines) {
                page++;
                y = BKM_TOP;
            }
            else {
                y += f->h + b->after;
            }
        }
    }
    return page + 1;
}

/* ---- second pass: drawing ---- */

static void set_gray(cairo_t *cr, bkm_style_e st)
{
    if (st == BKM_S_TITLE || st == BKM_S_HEADING) {
        cairo_set_source_rgb(cr, 0.08, 0.20, 0.40);
    }
    else {
        cairo_set_source_rgb(cr, bkm_styles[st].gray, bkm_styles[st].gray,
                             bkm_styles[st].gray);
    }
}

static void draw_frag(cairo_t *cr, const bkm_frag_t *f)
{
    const bkm_block_t *b = f->b;
    double top = b->lines[f->first].y0;
    int i;

    /* Its structure element: a heading, or a paragraph that holds a label
     * and its value together (read as "Navn Kari Nordmann").  A block
     * that breaks across pages is one element per page. */
    cairo_tag_begin(cr, bkm_styles[b->style].tag, NULL);

    if (b->label && f->first == 0) {
        set_gray(cr, BKM_S_LABEL);
        cairo_move_to(cr, BKM_MARGIN, f->y + b->label_dy);
        pango_cairo_show_layout(cr, b->label);
    }
    set_gray(cr, b->style);
    for (i = f->first; i < f->last; i++) {
        cairo_move_to(cr, bkm_styles[b->style].x + b->lines[i].x,
                      f->y + b->lines[i].baseline - top);
        pango_cairo_show_layout_line(cr, b->lines[i].line);
    }
    if (b->rule && f->last == b->nlines) {
        cairo_set_source_rgb(cr, 0.08, 0.20, 0.40);
        cairo_set_line_width(cr, 0.6);
        cairo_move_to(cr, BKM_MARGIN, f->y + f->h + 2.5);
        cairo_line_to(cr, BKM_MARGIN + BKM_CONTENT_W, f->y + f->h + 2.5);
        cairo_stroke(cr);
    }
    cairo_tag_end(cr, bkm_styles[b->style].tag);
}

/* Running header (from page 2) and footer (every page). */
static void draw_margins(bkm_doc_t *d, cairo_t *cr, const char *title,
                         const char *referanse, int page, int pages)
{
    PangoLayout *l;

    set_gray(cr, BKM_S_SMALL);
    cairo_set_line_width(cr, 0.4);
    if (page > 0) {
        l = new_layout(d, BKM_S_SMALL, title, BKM_CONTENT_W);
        cairo_move_to(cr, BKM_MARGIN, 30);
        pango_cairo_show_layout(cr, l);
        g_object_unref(l);
        l = new_layout(d, BKM_S_SMALL, referanse, BKM_CONTENT_W);
        pango_layout_set_alignment(l, PANGO_ALIGN_RIGHT);
        cairo_move_to(cr, BKM_MARGIN, 30);
        pango_cairo_show_layout(cr, l);
        g_object_unref(l);
        cairo_move_to(cr, BKM_MARGIN, 44);
        cairo_line_to(cr, BKM_MARGIN + BKM_CONTENT_W, 44);
        cairo_stroke(cr);
    }
    cairo_move_to(cr, BKM_MARGIN, BKM_PAGE_H - 46);
    cairo_line_to(cr, BKM_MARGIN + BKM_CONTENT_W, BKM_PAGE_H - 46);
    cairo_stroke(cr);
    l = new_layout(d, BKM_S_SMALL,
                   apr_pstrcat(d->p, "Referanse ", referanse, NULL),
                   BKM_CONTENT_W);
    cairo_move_to(cr, BKM_MARGIN, BKM_PAGE_H - 40);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
    l = new_layout(d, BKM_S_SMALL,
                   apr_psprintf(d->p, "side %d av %d", page + 1, pages),
                   BKM_CONTENT_W);
    pango_layout_set_alignment(l, PANGO_ALIGN_RIGHT);
    cairo_move_to(cr, BKM_MARGIN, BKM_PAGE_H - 40);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
}

/* The PDF bytes, in malloc'd memory while cairo writes them: the kit's
 * buffer, kept from one render to the next.  They hold the report, so
 * what was written is wiped after each render and before memory goes
 * back to malloc (as the caller does with the report's JSON text); hence
 * no realloc().  Only the bytes written are wiped: the rest of the
 * buffer never held this report, and was wiped after the last one.  A
 * buffer grown past BKM_PDF_KEEP (a hostile report's) is not kept. */
#define BKM_PDF_KEEP (1024 * 1024)

typedef struct {
    unsigned char *data;
    size_t len, cap;
} bkm_pdfbuf_t;

static void pdfbuf_free(bkm_pdfbuf_t *buf)
{
    if (buf->data) {
        explicit_bzero(buf->data, buf->len);
        free(buf->data);
        buf->data = NULL;
        buf->cap = 0;
    }
}

static cairo_status_t pdf_write(void *closure, const unsigned char *data,
                                unsigned int length)
{
    bkm_pdfbuf_t *buf = closure;
    unsigned char *grown;
    size_t cap;

    if (length > buf->cap - buf->len) {
        for (cap = buf->cap ? buf->cap : 65536; cap - buf->len < length;) {
            cap *= 2;
        }
        grown = malloc(cap);
        if (!grown) {
            return CAIRO_STATUS_WRITE_ERROR;
        }
        if (buf->len) {
            memcpy(grown, buf->data, buf->len);
        }
        pdfbuf_free(buf);
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, data, length);
    buf->len += length;
    return CAIRO_STATUS_SUCCESS;
}

/* The document's language, /Lang in the catalog, which cairo 1.16 cannot
 * set (cairo_pdf_surface_set_metadata has no such key).  Added the way
 * PDF allows any change to a finished file: an incremental update (ISO 32000-1, 7.5.6) appended after cairo's
 * end of file, holding a new version of the catalog object -- cairo's
 * dictionary with /Lang put first -- a cross-reference section of that one
 * object and a trailer whose /Prev chains to cairo's table.  Readers take
 * the newer catalog; cairo's bytes are left as they were.  Works on what
 * cairo 1.16 writes (a classic xref table, the catalog a plain object);
 * anything else is left as it is, and NULL is returned (the caller keeps
 * the PDF without a language rather than failing the report). */
static const unsigned char *memrfind(const unsigned char *hay, size_t len,
                                     const char *needle)
{
    size_t n = strlen(needle), i;

    for (i = len >= n ? len - n + 1 : 0; i-- > 0;) {
        if (memcmp(hay + i, needle, n) == 0) {
            return hay + i;
        }
    }
    return NULL;
}

static unsigned char *add_lang(apr_pool_t *p, const unsigned char *pdf,
                               size_t len, const char *lang,
                               apr_size_t *out_len)
{
    const unsigned char *sx, *tr, *obj, *dict, *endobj;
    const char *head, *tail;
    long prev, root = -1, size = -1, info = -1, at;
    char *trailer, *k, *entry;
    unsigned char *out;
    size_t o;

    if (!(sx = memrfind(pdf, len, "startxref"))
        || !(tr = memrfind(pdf, (size_t)(sx - pdf), "trailer"))) {
        return NULL;
    }
    prev = atol((const char *)sx + 9);
    trailer = apr_pstrndup(p, (const char *)tr, (apr_size_t)(sx - tr));
    if ((k = strstr(trailer, "/Root "))) {
        root = atol(k + 6);
    }
    if ((k = strstr(trailer, "/Size "))) {
        size = atol(k + 6);
    }
    if ((k = strstr(trailer, "/Info "))) {
        info = atol(k + 6);
    }
    if (root <= 0 || size <= root || prev <= 0 || (size_t)prev >= len) {
        return NULL;
    }
    /* "\nN 0 obj\n<< ... >>\nendobj", before the cross-reference table */
    obj = memrfind(pdf, (size_t)prev,
                   apr_psprintf(p, "\n%ld 0 obj\n<<", root));
    if (!obj) {
        return NULL;
    }
    obj++;
    dict = (const unsigned char *)strchr((const char *)obj, '<');
    endobj = memrfind(pdf, (size_t)prev, "\nendobj");
    if (!dict || !endobj || endobj < dict
        || !memrfind(dict, (size_t)(endobj - dict), "/Type /Catalog")
        || memrfind(dict, (size_t)(endobj - dict), "/Lang")) {
        return NULL;
    }
    /* endobj is the last one before the table: make sure it is ours. */
    if (memrfind(dict, (size_t)(endobj - dict), " obj\n")) {
        return NULL;
    }
    head = apr_psprintf(p, "%ld 0 obj\n<< /Lang (%s)\n  ", root, lang);
    tail = apr_psprintf(p, "\nendobj\n");
    at = (long)len;
    entry = apr_psprintf(
        p,
        "xref\n%ld 1\n%010ld 00000 n \ntrailer\n<< /Size %ld\n   "
        "/Root %ld 0 R\n%s   /Prev %ld\n>>\nstartxref\n",
        root, at, size, root,
        info > 0 ? apr_psprintf(p, "   /Info %ld 0 R\n", info) : "", prev);
    /* the new object, then its table at the offset after it */
    {
        size_t dlen = (size_t)(endobj - dict) - 2; /* without "<<" */
        size_t objlen = strlen(head) + dlen + strlen(tail);
        const char *sxo = apr_psprintf(p, "%ld\n%%%%EOF\n",
                                       at + (long)objlen);
        *out_len = len + objlen + strlen(entry) + strlen(sxo);
        out = apr_palloc(p, *out_len);
        memcpy(out, pdf, len);
        o = len;
        memcpy(out + o, head, strlen(head));
        o += strlen(head);
        memcpy(out + o, dict + 2, dlen);
        o += dlen;
        memcpy(out + o, tail, strlen(tail));
        o += strlen(tail);
        memcpy(out + o, entry, strlen(entry));
        o += strlen(entry);
        memcpy(out + o, sxo, strlen(sxo));
    }
    return out;
}

static const char *draw(bkm_doc_t *d, bkm_pdf_kit_t *kit, apr_pool_t *p,
                        const char *title, const char *referanse,
                        apr_array_header_t *frags, int pages,
                        const unsigned char **pdf, apr_size_t *len)
{
    const bkm_frag_t *f = (const bkm_frag_t *)frags->elts;
    const bkm_frag_t *end = f + frags->nelts;
    bkm_pdfbuf_t buf = { kit->buf, 0, kit->cap };
    cairo_surface_t *s;
    cairo_status_t st;
    cairo_t *cr;
    int page;

    s = cairo_pdf_surface_create_for_stream(pdf_write, &buf, BKM_PAGE_W,
                                            BKM_PAGE_H);
    /* The reference number is not personal data; names and the like must
     * never go into metadata, which many tools show and index. */
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE,
                                   apr_pstrcat(d->p, "Bekymringsmelding ",
                                               referanse, NULL));
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR,
                                   "mod_bekymring");
    cr = cairo_create(s);
    /* Tagged PDF (cairo's structure tags, 1.16): a Document of headings
     * and paragraphs in reading order.  The running header and footer
     * are drawn outside every element: cairo 1.16 has no Artifact, and
     * content outside the structure tree is not read out as part of the
     * document. */
    for (page = 0; page < pages; page++) {
        draw_margins(d, cr, title, referanse, page, pages);
        if (page == 0) {
            cairo_tag_begin(cr, "Document", NULL);
        }
        for (; f < end && f->page == page; f++) {
            draw_frag(cr, f);
        }
        if (page + 1 == pages) {
            cairo_tag_end(cr, "Document");
        }
        else {
            cairo_show_page(cr); /* the last one: cairo_surface_finish */
        }
    }
    st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    if (st == CAIRO_STATUS_SUCCESS) {
        st = cairo_surface_status(s);
    }
    cairo_surface_destroy(s);
    if (st == CAIRO_STATUS_SUCCESS
        && !(*pdf = add_lang(p, buf.data, buf.len, "nb", len))) {
        *pdf = apr_pmemdup(p, buf.data, buf.len);
        *len = buf.len;
    }
    if (buf.cap > BKM_PDF_KEEP) {
        pdfbuf_free(&buf);
    }
    else if (buf.data) {
        explicit_bzero(buf.data, buf.len);
    }
    kit->buf = buf.data;
    kit->cap = buf.cap;
    if (st != CAIRO_STATUS_SUCCESS) {
        return apr_pstrcat(p, "PDF: ", cairo_status_to_string(st), NULL);
    }
    return NULL;
}

/* ---- the entry point ---- */

static const struct {
    const char *type;
    int offentlig, v2, kontroll;
} bkm_pdf_types[] = {
    { "no.ks.fiks.bekymringsmelding.privat.v1", 0, 0, 0 },
    { "no.ks.fiks.bekymringsmelding.privat.v2", 0, 1, 0 },
    { "no.ks.fiks.bekymringsmelding.offentlig.v1", 1, 0, 0 },
    { "no.ks.fiks.bekymringsmelding.offentlig.v2", 1, 1, 0 },
    /* The portal's control message (schema/kontrollmelding): no report,
     * a page that says so. */
    { "no.ks.fiks.bekymringsmelding.kontroll.v1", 0, 0, 1 }
};
#define BKM_PDF_NTYPES (sizeof(bkm_pdf_types) / sizeof(bkm_pdf_types[0]))

static const char *render(bkm_pdf_kit_t *kit, apr_pool_t *p,
                          const json_t *report, const char *meldingstype,
                          const char *referanse, const unsigned char **pdf,
                          apr_size_t *len)
{
    bkm_doc_t d;
    apr_array_header_t *frags;
    const bkm_block_t *b;
    const char *title, *err;
    int i, pages;
    apr_size_t t;

    *pdf = NULL;
    *len = 0;
    for (t = 0; t < BKM_PDF_NTYPES; t++) {
        if (meldingstype
            && strcmp(meldingstype, bkm_pdf_types[t].type) == 0) {
            break;
        }
    }
    if (t == BKM_PDF_NTYPES) {
        return apr_psprintf(p, "PDF: unknown meldingstype \"%s\"",
                            meldingstype ? meldingstype : "(null)");
    }
    if (!json_is_object(report)) {
        return "PDF: the report is not a JSON object";
    }
    if (!referanse || !*referanse) {
        return "PDF: no reference number";
    }
    title = bkm_pdf_types[t].kontroll
                ? "Kontrollmelding \xe2\x80\x93 ikke en bekymringsmelding"
            : bkm_pdf_types[t].offentlig
                ? "Bekymringsmelding \xe2\x80\x93 offentlig melder"
                : "Bekymringsmelding \xe2\x80\x93 privat melder";

    memset(&d, 0, sizeof(d));
    apr_pool_create(&d.p, p);
    d.v2 = bkm_pdf_types[t].v2;
    d.blocks = apr_array_make(d.p, 64, sizeof(bkm_block_t));
    frags = apr_array_make(d.p, 64, sizeof(bkm_frag_t));

    d.ctx = kit->ctx;
    for (i = 0; i < BKM_S_COUNT; i++) {
        d.font[i] = kit->font[i];
    }
    d.attrs = kit->attrs;

    if (bkm_pdf_types[t].kontroll) {
        build_kontroll(&d, report, title, referanse);
    }
    else {
        build(&d, report, bkm_pdf_types[t].offentlig, title, referanse);
    }
    pages = paginate(&d, frags);
    err = draw(&d, kit, p, title, referanse, frags, pages, pdf, len);

    b = (const bkm_block_t *)d.blocks->elts;
    for (i = 0; i < d.blocks->nelts; i++) {
        g_object_unref(b[i].text);
        if (b[i].label) {
            g_object_unref(b[i].label);
        }
    }
    apr_pool_destroy(d.p);
    return err;
}

const char *bkm_pdf_render(apr_pool_t *p, const json_t *report,
                           const char *meldingstype, const char *referanse,
                           const unsigned char **pdf, apr_size_t *len)
{
    bkm_pdf_kit_t *kit = kit_take();
    const char *err = render(kit, p, report, meldingstype, referanse, pdf,
                             len);

    kit_give(kit);
    return err;
}

/* What child_init renders to warm a kit: every style, both reporters'
 * layouts, the letters of the three languages' pages. */
static const char bkm_pdf_warm_json[] =
    "{\"kommunenummer\":\"0301\",\"kommunenavn\":\"Oslo\","
    "\"privatMelder\":{\"personnavn\":\"\xc3\x86rlig \xc3\x98stby \xc3\x85s\","
    "\"telefonnummer\":\"22 33 44 55\"},\"barn\":[{\"personnavn\":\"Ola\","
    "\"antattAlder\":\"7\"}],\"melding\":{\"melding\":\"Warm: \xc3\xa6\xc3\xb8\xc3\xa5 "
    "\xc3\x86\xc3\x98\xc3\x85 \xc3\xa9 \xe2\x80\x93 \xe2\x80\x9cq\xe2\x80\x9d 0123456789\"},"
    "\"sendingstidspunkt\":\"2026-11-23T09:15:00\"}";

json_t *bkm_pdf_warm_report(void)
{
    return json_loads(bkm_pdf_warm_json, 0, NULL);
}

unsigned int bkm_pdf_warm(unsigned int n)
{
    bkm_pdf_kit_t **kits;
    json_t *report = bkm_pdf_warm_report();
    apr_pool_t *p;
    unsigned int i, made = 0;

    if (!report || apr_pool_create_unmanaged(&p) != APR_SUCCESS) {
        json_decref(report);
        return 0;
    }
    /* n kits at once, so that n different ones are made and warmed */
    kits = g_new0(bkm_pdf_kit_t *, n ? n : 1);
    for (i = 0; i < n; i++) {
        kits[i] = kit_take();
    }
    for (i = 0; i < n; i++) {
        const unsigned char *pdf;
        apr_size_t len;

        if (!render(kits[i], p, report,
                    "no.ks.fiks.bekymringsmelding.privat.v2", "WARM-0000",
                    &pdf, &len)
            && !render(kits[i], p, report,
                       "no.ks.fiks.bekymringsmelding.offentlig.v2",
                       "WARM-0000", &pdf, &len)) {
            made++;
        }
        apr_pool_clear(p);
    }
    for (i = 0; i < n; i++) {
        kit_give(kits[i]);
    }
    g_free(kits);
    apr_pool_destroy(p);
    json_decref(report);
    return made;
}
