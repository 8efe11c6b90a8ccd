/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_multipart.h"

#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>

#define BKM_PART_HEADERS_MAX 4096

/* RFC 2046: 1 to 70 characters from bchars, not ending in a space. */
static int boundary_ok(const char *b)
{
    static const char extra[] = "'()+_,-./:=? ";
    size_t n = strlen(b), i;

    if (n < 1 || n > 70 || b[n - 1] == ' ') {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!apr_isalnum(b[i]) && !strchr(extra, b[i])) {
            return 0;
        }
    }
    return 1;
}

const char *bkm_multipart_boundary(apr_pool_t *p, const char *ct,
                                   const char **boundary)
{
    const char *s, *v;
    char *b, *end;

    if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0) {
        return "Content-Type must be multipart/form-data";
    }
    for (s = ct + 19; (s = strchr(s, ';'));) {
        s++;
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        if (strncasecmp(s, "boundary=", 9) != 0) {
            continue;
        }
        v = s + 9;
        if (*v == '"') {
            b = apr_pstrdup(p, v + 1);
            if (!(end = strchr(b, '"'))) {
                return "unterminated boundary";
            }
        }
        else {
            b = apr_pstrdup(p, v);
            end = b + strcspn(b, "; \t");
        }
        *end = '\0';
        if (!boundary_ok(b)) {
            return "bad boundary";
        }
        *boundary = b;
        return NULL;
    }
    return "the multipart Content-Type has no boundary";
}

/* glibc's memmem (we build with _GNU_SOURCE, as httpd does). */
static const char *find(const char *hay, apr_size_t hlen, const char *needle,
                        apr_size_t nlen)
{
    return memmem(hay, hlen, needle, nlen);
}

/* name="value" or name=value from a header's parameters */
static const char *param(apr_pool_t *p, const char *h, const char *name)
{
    size_t n = strlen(name);
    const char *s;

    for (s = strchr(h, ';'); s; s = strchr(s + 1, ';')) {
        const char *q = s + 1;
        while (*q == ' ' || *q == '\t') {
            q++;
        }
        if (strncasecmp(q, name, n) == 0 && q[n] == '=') {
            q += n + 1;
            if (*q == '"') {
                const char *e = strchr(q + 1, '"');
                return e ? apr_pstrmemdup(p, q + 1, (apr_size_t)(e - q - 1))
                         : NULL;
            }
            return apr_pstrmemdup(p, q, strcspn(q, "; \t"));
        }
    }
    return NULL;
}

static const char *parse_headers(apr_pool_t *p, const char *h, apr_size_t len,
                                 bkm_part_t *part)
{
    char *copy = apr_pstrmemdup(p, h, len), *line, *state = NULL;
    int disposition = 0;

    if (memchr(h, '\0', len)) {
        return "NUL in part headers";
    }
    for (line = apr_strtok(copy, "\r\n", &state); line;
         line = apr_strtok(NULL, "\r\n", &state)) {
        char *colon = strchr(line, ':'), *v;
        if (!colon) {
            return "malformed part header";
        }
        *colon = '\0';
        for (v = colon + 1; *v == ' ' || *v == '\t'; v++) {
        }
        if (strcasecmp(line, "Content-Disposition") == 0) {
            if (strncasecmp(v, "form-data", 9) != 0
                || (v[9] && v[9] != ';')) {
                return "a part is not form-data";
            }
            part->name = param(p, v, "name");
            part->filename = param(p, v, "filename");
            disposition = 1;
        }
        else if (strcasecmp(line, "Content-Type") == 0) {
            part->content_type = apr_pstrdup(p, v);
        }
    }
    if (!disposition || !part->name || !*part->name) {
        return "a part has no Content-Disposition name";
    }
    return NULL;
}

const char *bkm_multipart_parse(apr_pool_t *p, const char *boundary,
                                const char *body, apr_size_t len,
                                int max_parts, apr_array_header_t **out)
{
    const char *delim = apr_pstrcat(p, "\r\n--", boundary, NULL);
    apr_size_t dlen = strlen(delim);
    const char *end = body + len, *s, *hdr_end, *next, *err;
    apr_array_header_t *parts = apr_array_make(p, 2, sizeof(bkm_part_t));

    /* The first delimiter may open the body (no CRLF before it). */
    if (len < dlen - 2 || memcmp(body, delim + 2, dlen - 2) != 0) {
        return "the body does not start with the boundary";
    }
    s = body + dlen - 2;
    for (;;) {
        bkm_part_t *part;
        if (end - s >= 2 && s[0] == '-' && s[1] == '-') {
            break; /* close-delimiter */
        }
        if (end - s < 2 || s[0] != '\r' || s[1] != '\n') {
            return "malformed boundary line";
        }
        s += 2;
        hdr_end = find(s, (apr_size_t)(end - s), "\r\n\r\n", 4);
        if (!hdr_end || hdr_end - s > BKM_PART_HEADERS_MAX) {
            return "part headers missing or too long";
        }
        if (parts->nelts >= max_parts) {
            return "too many parts";
        }
        part = apr_array_push(parts);
        memset(part, 0, sizeof(*part));
        if ((err = parse_headers(p, s, (apr_size_t)(hdr_end - s), part))) {
            return err;
        }
        s = hdr_end + 4;
        next = find(s, (apr_size_t)(end - s), delim, dlen);
        if (!next) {
            return "a part is not terminated by the boundary";
        }
        part->data = s;
        part->len = (apr_size_t)(next - s);
        s = next + dlen;
    }
    *out = parts;
    return NULL;
}

const bkm_part_t *bkm_multipart_get(const apr_array_header_t *parts,
                                    const char *name)
{
    int i;

    for (i = 0; i < parts->nelts; i++) {
        const bkm_part_t *part = &APR_ARRAY_IDX(parts, i, bkm_part_t);
        if (strcmp(part->name, name) == 0) {
            return part;
        }
    }
    return NULL;
}
