/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_prom.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <apr_strings.h>

static void put(bkm_prom_t *m, const char *s, apr_size_t n)
{
    bkm_buf_add(&m->text, s, n);
}

bkm_prom_t *bkm_prom_make(apr_pool_t *p)
{
    bkm_prom_t *m = apr_pcalloc(p, sizeof(*m));

    m->pool = p;
    bkm_buf_init(&m->text, p, 4096);
    put(m, "", 0);
    return m;
}

static void puts0(bkm_prom_t *m, const char *s)
{
    put(m, s, strlen(s));
}

/* Label values escape \, " and line feed; HELP texts \ and line feed. */
static void escaped(bkm_prom_t *m, const char *s, int quote)
{
    const char *run = s;

    for (; *s; s++) {
        const char *e = *s == '\\'           ? "\\\\"
                        : *s == '\n'         ? "\\n"
                        : quote && *s == '"' ? "\\\""
                                             : NULL;
        if (e) {
            put(m, run, (apr_size_t)(s - run));
            puts0(m, e);
            run = s + 1;
        }
    }
    put(m, run, (apr_size_t)(s - run));
}

int bkm_prom_name_valid(const char *s)
{
    const char *c;

    if (!s || !*s || (*s >= '0' && *s <= '9')) {
        return 0;
    }
    for (c = s; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
              || (*c >= '0' && *c <= '9') || *c == '_' || *c == ':')) {
            return 0;
        }
    }
    return 1;
}

void bkm_prom_family(bkm_prom_t *m, const char *name, const char *type,
                     const char *help)
{
    if (!bkm_prom_name_valid(name)
        || (strcmp(type, "counter") != 0 && strcmp(type, "gauge") != 0)) {
        m->invalid++;
        return;
    }
    puts0(m, "# HELP ");
    puts0(m, name);
    puts0(m, " ");
    escaped(m, help, 0);
    puts0(m, "\n# TYPE ");
    puts0(m, name);
    puts0(m, " ");
    puts0(m, type);
    puts0(m, "\n");
}

void bkm_prom_sample(bkm_prom_t *m, const char *name,
                     const char *const *labels, double value)
{
    char num[64];
    int i;

    if (!bkm_prom_name_valid(name)) {
        m->invalid++;
        return;
    }
    for (i = 0; labels && labels[i]; i += 2) {
        /* Label names may not hold ':' and may not be NULL-valued. */
        if (!bkm_prom_name_valid(labels[i]) || strchr(labels[i], ':')
            || !labels[i + 1]) {
            m->invalid++;
            return;
        }
    }
    puts0(m, name);
    for (i = 0; labels && labels[i]; i += 2) {
        puts0(m, i ? "," : "{");
        puts0(m, labels[i]);
        puts0(m, "=\"");
        escaped(m, labels[i + 1], 1);
        puts0(m, "\"");
    }
    if (labels && labels[0]) {
        puts0(m, "}");
    }
    if (isnan(value)) {
        strcpy(num, "NaN");
    }
    else if (isinf(value)) {
        strcpy(num, value > 0 ? "+Inf" : "-Inf");
    }
    else if (value == floor(value) && fabs(value) < 9007199254740992.0) {
        snprintf(num, sizeof(num), "%.0f", value);
    }
    else {
        snprintf(num, sizeof(num), "%.17g", value);
    }
    puts0(m, " ");
    puts0(m, num);
    puts0(m, "\n");
}

void bkm_prom_append(bkm_prom_t *m, const bkm_prom_t *other)
{
    put(m, other->text.buf, other->text.len);
    m->invalid += other->invalid;
}

const char *bkm_prom_text(bkm_prom_t *m, apr_size_t *len)
{
    if (len) {
        *len = m->text.len;
    }
    return m->text.buf;
}
