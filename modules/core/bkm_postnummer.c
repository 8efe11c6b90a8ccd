/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The postal-code register (bkm_postnummer.h): an array indexed by the
 * code's number, so a look-up is four digits and one load, and the whole
 * register costs 80 KB of pointers and the text it was read from.
 */
#include "bkm_postnummer.h"
#include "bkm_embedded.h"

#include <apr_strings.h>
#include <string.h>

#define CODES 10000
#define MAX_PLACE 100

struct bkm_postnummer_t {
    const char *sted[CODES];
    int n;
};

static int code_of(const char *s)
{
    int i, n = 0;

    for (i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        n = n * 10 + (s[i] - '0');
    }
    return n;
}

const char *bkm_postnummer_parse(apr_pool_t *p, const char *text,
                                 apr_size_t len, const bkm_postnummer_t **out)
{
    bkm_postnummer_t *reg = apr_pcalloc(p, sizeof(*reg));
    char *copy = apr_pstrmemdup(p, text, len), *line, *next;
    int nr = 0;

    if (memchr(text, '\0', len)) {
        return "a NUL byte in the postal-code register";
    }
    for (line = copy; line; line = next) {
        char *tab, *end;
        int code;
        nr++;
        if ((next = strchr(line, '\n'))) {
            *next++ = '\0';
        }
        if (!*line || *line == '#') {
            continue;
        }
        tab = strchr(line, '\t');
        end = line + strlen(line);
        if (!tab || tab - line != 4 || (code = code_of(line)) < 0
            || end - tab - 1 < 1 || end - tab - 1 > MAX_PLACE
            || strchr(tab + 1, '\t') || strchr(tab + 1, '\r') || tab[1] == ' '
            || end[-1] == ' ') {
            return apr_psprintf(p,
                                "postal-code register, line %d: not "
                                "\"NNNN<TAB>PLACE\"",
                                nr);
        }
        if (reg->sted[code]) {
            return apr_psprintf(p,
                                "postal-code register, line %d: %.4s "
                                "twice",
                                nr, line);
        }
        reg->sted[code] = tab + 1;
        reg->n++;
    }
    if (!reg->n) {
        return "the postal-code register is empty";
    }
    *out = reg;
    return NULL;
}

const char *bkm_postnummer_builtin(apr_pool_t *p,
                                   const bkm_postnummer_t **out)
{
    const bkm_embedded_t *e = bkm_postnummer_files;

    if (!e->name) {
        return "no postal-code register compiled in";
    }
    return bkm_postnummer_parse(p, e->data, e->len, out);
}

const char *bkm_postnummer_sted(const bkm_postnummer_t *reg, const char *code)
{
    int n;

    if (!reg || !code || strlen(code) != 4 || (n = code_of(code)) < 0) {
        return NULL;
    }
    return reg->sted[n];
}

int bkm_postnummer_count(const bkm_postnummer_t *reg)
{
    return reg ? reg->n : 0;
}
