/* SPDX-License-Identifier: Apache-2.0 */
/* What the fuzz targets share (fuzz.h). */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/lsan_interface.h>

#include <apr_general.h>
#include <apr_hash.h>

#include "bkm_embedded.h"
#include "bkm_jsonschema.h"

static apr_pool_t *root;

static void init(void)
{
    if (!root) {
        if (apr_initialize() != APR_SUCCESS
            || apr_pool_create(&root, NULL) != APR_SUCCESS) {
            bkm_fuzz_fail("cannot initialise APR");
        }
    }
}

apr_pool_t *bkm_fuzz_pool(void)
{
    apr_pool_t *p;

    init();
    if (apr_pool_create(&p, root) != APR_SUCCESS) {
        bkm_fuzz_fail("apr_pool_create failed");
    }
    return p;
}

void bkm_fuzz_keep_begin(void)
{
    __lsan_disable();
}

void bkm_fuzz_keep_end(void)
{
    __lsan_enable();
}

int bkm_fuzz_split(apr_pool_t *p, const uint8_t *data, size_t size,
                   char **fields, size_t *lens, int max)
{
    const size_t seplen = sizeof(BKM_FUZZ_SEP) - 1;
    const char *s = (const char *)data, *end = s + size, *sep;
    int n = 0;

    while (n < max - 1
           && (sep = memmem(s, (size_t)(end - s), BKM_FUZZ_SEP, seplen))) {
        lens[n] = (size_t)(sep - s);
        fields[n++] = bkm_fuzz_str(p, (const uint8_t *)s, (size_t)(sep - s));
        s = sep + seplen;
    }
    lens[n] = (size_t)(end - s);
    fields[n++] = bkm_fuzz_str(p, (const uint8_t *)s, (size_t)(end - s));
    return n;
}

char *bkm_fuzz_str(apr_pool_t *p, const uint8_t *data, size_t size)
{
    char *s = apr_palloc(p, size + 1);

    if (size) {
        memcpy(s, data, size);
    }
    s[size] = '\0';
    return s;
}

const char *const bkm_fuzz_report_files[] = { "privat.v1.json",
                                              "privat.v2.json",
                                              "offentlig.v1.json",
                                              "offentlig.v2.json", NULL };

const bkm_jsonschema_t *bkm_fuzz_report_schema(const char *file)
{
    static apr_pool_t *sp;
    static bkm_jsonschema_set_t *set;
    static apr_hash_t *compiled;
    const bkm_jsonschema_t *s;
    const bkm_embedded_t *e;
    const char *err;

    bkm_fuzz_keep_begin();
    if (!set) {
        init();
        if (apr_pool_create(&sp, root) != APR_SUCCESS) {
            bkm_fuzz_fail("apr_pool_create failed");
        }
        set = bkm_jsonschema_set_make(sp);
        compiled = apr_hash_make(sp);
        for (e = bkm_report_schemas; e->name; e++) {
            if ((err = bkm_jsonschema_add(set, e->name, e->data, e->len))) {
                bkm_fuzz_fail("report schema %s: %s", e->name, err);
            }
        }
    }
    if (!(s = apr_hash_get(compiled, file, APR_HASH_KEY_STRING))) {
        if ((err = bkm_jsonschema_compile(set, file, &s))) {
            bkm_fuzz_fail("report schema %s: %s", file, err);
        }
        apr_hash_set(compiled, file, APR_HASH_KEY_STRING, s);
    }
    bkm_fuzz_keep_end();
    return s;
}

void bkm_fuzz_fail(const char *fmt, ...)
{
    va_list ap;

    fputs("bkm-fuzz: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

const char bkm_fuzz_cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDGzCCAgOgAwIBAgIUCxkL/E2XislRX6UDXibOJXE9of8wDQYJKoZIhvcNAQEL\n"
    "BQAwHDEaMBgGA1UEAwwRYmttLWZ1enogbW90dGFrZXIwIBcNMjYxMjAzMDQ0NDQw\n"
    "WhgPMjEyNjExMDkwNDQ0NDBaMBwxGjAYBgNVBAMMEWJrbS1mdXp6IG1vdHRha2Vy\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAkq9j3dll6+711W8WwAP5\n"
    "XxhBhjdvH08FlU5LK6DCBxnhki7VZUzumg9XEbGYs44ufZsJj+B4bHmCB7TF2yYt\n"
    "PpMJp7D6GUuGY5Jo3N5P8ME7r7qI6+C3v6mTE53C7SO6FbSbQa66e/VgDJ72Cz9+\n"
    "D1VNSOLHc8yIVBM2FTWOos2QRG0MV3ZJlUhhJElVdJ5bZbMqxq4cu0MNdXJXJeOA\n"
    "fp/bIEIG1/zPFazOTKBE5xQuRAgCEvD2lnxuco9lhEfK5eHdqpgaGUElnM7M+O1c\n"
    "fkHLdNO/ztvEUTVykruJG62eZXLgQxiaBbWujKe9tcPMoPiCxnzS675ga7usdhM1\n"
    "5wIDAQABo1MwUTAdBgNVHQ4EFgQU5UwPWSsY3KmWPZEWO+XGNg0QAxMwHwYDVR0j\n"
    "BBgwFoAU5UwPWSsY3KmWPZEWO+XGNg0QAxMwDwYDVR0TAQH/BAUwAwEB/zANBgkq\n"
    "hkiG9w0BAQsFAAOCAQEAgnPJJ4OyMeXmdhXDW+u7k/zQUVzgtD5j+IsQFwBR7Z69\n"
    "vIIlV+jKcE8wk9S3WHcTA7uYt+AxlHbY0A2tUR47x9oIW0+dWDsQd3dWLSYgHKWV\n"
    "Q55FEMbnIJwYVca+OUVyMNsnVqs2A7+iFt6pU1eS+LGpT/KqIl5Z4Gkw4qO+dGls\n"
    "+GkV5m0ybmu/gYPk/Vt5DL/WtWUTJB8NbmDxUJ3MySfXDuAf0hNO46IdkToGCiUI\n"
    "NY/RZIOYdrMw1tapwYrfwe8xuTfNUa/+YUltdebIt6Ae1pPwfBTFJObjHZkj6PgG\n"
    "y1ehRwSr9bp17fm52OjAqY4TZ9V/bYLDraDVt9LjIQ==\n"
    "-----END CERTIFICATE-----\n";
