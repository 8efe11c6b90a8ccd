/* SPDX-License-Identifier: Apache-2.0 */
/* Files and commands for the tests that check our output with independent
 * command-line tools (openssl, unzip, xmllint). */
#include "unit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <apr_strings.h>
#include <apr_time.h>

int bkm_test_run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    rc = system(cmd);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

void bkm_test_make_certs(const char *dir, const char *const *names)
{
    int i;

    ck_assert_int_eq(bkm_test_run("mkdir -p %s", dir), 0);
    for (i = 0; names[i]; i++) {
        ck_assert_int_eq(bkm_test_run("openssl req -x509 -newkey rsa:2048 "
                                      "-nodes -days 30 -subj /CN=%s "
                                      "-keyout %s/%s.key -out %s/%s.pem "
                                      "2>/dev/null",
                                      names[i], dir, names[i], dir, names[i]),
                         0);
    }
}

void bkm_test_put(const char *dir, const char *name, const void *data,
                  apr_size_t len)
{
    FILE *f = fopen(apr_pstrcat(bkm_test_pool, dir, "/", name, NULL), "wb");

    ck_assert_msg(f != NULL, "cannot write %s", name);
    ck_assert(fwrite(data, 1, len, f) == len);
    ck_assert(fclose(f) == 0);
}

char *bkm_test_slurp(const char *dir, const char *name, apr_size_t *len)
{
    FILE *f = fopen(apr_pstrcat(bkm_test_pool, dir, "/", name, NULL), "rb");
    char *buf;
    long n;

    ck_assert_msg(f != NULL, "cannot read %s", name);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = apr_palloc(bkm_test_pool, (apr_size_t)n + 1);
    ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    buf[n] = '\0';
    if (len) {
        *len = (apr_size_t)n;
    }
    return buf;
}

void bkm_test_same_as(const char *dir, const char *name, const void *data,
                      apr_size_t len)
{
    apr_size_t n;
    const char *got = bkm_test_slurp(dir, name, &n);

    ck_assert_msg(n == len, "%s: %lu bytes, expected %lu", name,
                  (unsigned long)n, (unsigned long)len);
    ck_assert_msg(memcmp(got, data, len) == 0, "%s differs", name);
}

apr_time_t bkm_test_utc(int y, int mo, int d, int h, int mi)
{
    apr_time_exp_t x;
    apr_time_t t;

    memset(&x, 0, sizeof(x));
    x.tm_year = y - 1900;
    x.tm_mon = mo - 1;
    x.tm_mday = d;
    x.tm_hour = h;
    x.tm_min = mi;
    ck_assert_int_eq(apr_time_exp_gmt_get(&t, &x), APR_SUCCESS);
    return t;
}
