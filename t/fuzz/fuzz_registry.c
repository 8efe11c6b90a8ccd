/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry file (bkm_registry.h, BekymringRegistry): each input is
 * written as a registry file into a directory of this target's own, next
 * to c/print.pem, c/fag.pem and c/man.pem (bkm_fuzz_cert_pem), c/both.pem
 * (a certificate with a private key's header: refused) and c/junk.pem,
 * and loaded; a registry that loads is looked up as the module does.
 *
 * A registry that loads ends with a bcrypt of cost 10 or more (the dummy
 * hash), 0.1 s a time: the link wraps apr_bcrypt_encode (fuzz.mk) with a
 * stand-in that answers at once with a hash of the cost asked for.
 */
#include "fuzz.h"
#include "bkm_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_md5.h>
#include <apr_strings.h>

static char dir[] = "/tmp/bkm-fuzz-registry-XXXXXX";
static char file[sizeof(dir) + 16];
static int made;

apr_status_t __wrap_apr_bcrypt_encode(const char *pw, unsigned int cost,
                                      const unsigned char *salt,
                                      apr_size_t salt_len, char *out,
                                      apr_size_t out_len);
apr_status_t __wrap_apr_bcrypt_encode(const char *pw, unsigned int cost,
                                      const unsigned char *salt,
                                      apr_size_t salt_len, char *out,
                                      apr_size_t out_len)
{
    if (!pw || !salt || salt_len != 16 || cost < 4 || cost > 31
        || out_len < 61) {
        return APR_EINVAL;
    }
    apr_snprintf(out, out_len, "$2y$%02u$%s", cost,
                 "abcdefghijklmnopqrstuuJ3s8VIl1IVX3q9oPQj2Y2mFhB0Ewy8S");
    return APR_SUCCESS;
}

static void put(const char *name, const char *text)
{
    char path[sizeof(dir) + 32];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!(f = fopen(path, "w")) || fputs(text, f) < 0 || fclose(f) != 0) {
        bkm_fuzz_fail("cannot write %s", path);
    }
}

static void cleanup(void)
{
    static const char *const names[] = { "c/print.pem", "c/fag.pem",
                                         "c/man.pem",   "c/both.pem",
                                         "c/junk.pem",  "registry.json",
                                         "c",           NULL };
    char path[sizeof(dir) + 32];
    int i;

    for (i = 0; names[i]; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        (void)remove(path);
    }
    (void)rmdir(dir);
}

static void init(void)
{
    char c[sizeof(dir) + 4];

    if (made) {
        return;
    }
    if (!mkdtemp(dir)) {
        bkm_fuzz_fail("mkdtemp failed");
    }
    atexit(cleanup);
    snprintf(c, sizeof(c), "%s/c", dir);
    if (mkdir(c, 0700) != 0) {
        bkm_fuzz_fail("cannot make %s", c);
    }
    put("c/print.pem", bkm_fuzz_cert_pem);
    put("c/fag.pem", bkm_fuzz_cert_pem);
    put("c/man.pem", bkm_fuzz_cert_pem);
    put("c/both.pem",
        "-----BEGIN PRIVATE KEY-----\n"
        "-----END PRIVATE KEY-----\n");
    put("c/junk.pem", "not a certificate\n");
    snprintf(file, sizeof(file), "%s/registry.json", dir);
    made = 1;
}

static void look_up(const bkm_registry_t *reg)
{
    int i, j;

    for (i = 0; i < reg->kommuner->nelts; i++) {
        const bkm_kommune_t *k = APR_ARRAY_IDX(reg->kommuner, i,
                                               const bkm_kommune_t *);
        if (bkm_registry_kommune(reg, k->nummer) != k
            || !bkm_kommunenummer_known(k->nummer)
            || !bkm_kommune_navn(k, "sma") || !bkm_kommune_navn(k, "nb")) {
            bkm_fuzz_fail("kommune %d not found by its number", i);
        }
        if (i > 0
            && strcmp(APR_ARRAY_IDX(reg->kommuner, i - 1,
                                    const bkm_kommune_t *)
                          ->nummer,
                      k->nummer)
                   >= 0) {
            bkm_fuzz_fail("kommuner not sorted by number");
        }
        for (j = 0; j < k->bydeler->nelts; j++) {
            const bkm_bydel_t *b = APR_ARRAY_IDX(k->bydeler, j,
                                                 const bkm_bydel_t *);
            if (b->kommune != k || bkm_kommune_bydel(k, b->nummer) != b
                || !b->cert_print || (b->versjon != 1 && b->versjon != 2)) {
                bkm_fuzz_fail("bydel %d of kommune %d inconsistent", j, i);
            }
        }
    }
    if (!reg->dummy_hash || !reg->print_cert) {
        bkm_fuzz_fail("a registry without its dummy hash or print cert");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    bkm_registry_t *reg = NULL;
    FILE *f;

    init();
    if (!(f = fopen(file, "w")) || fwrite(data, 1, size, f) != size
        || fclose(f) != 0) {
        bkm_fuzz_fail("cannot write %s", file);
    }
    p = bkm_fuzz_pool();
    if (!bkm_registry_load(&reg, p, file)) {
        look_up(reg);
    }
    apr_pool_destroy(p);
    return 0;
}
