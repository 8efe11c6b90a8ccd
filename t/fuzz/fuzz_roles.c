/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Roles (bkm_roles.h): the binding an operator posts in the pages
 * (bkm_binding_check: national id, name, role, municipality, districts),
 * and the roles file (BekymringRoles).  Input with five fields separated
 * by BKM_FUZZ_SEP is a posted binding; anything else is a roles file,
 * written into a file of this target's own and loaded.  Then every
 * binding's person is asked what they may see and receive.
 */
#include "fuzz.h"
#include "bkm_roles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char file[] = "/tmp/bkm-fuzz-roles-XXXXXX";

static void cleanup(void)
{
    (void)unlink(file);
}

static void ask(apr_pool_t *p, const bkm_roles_t *all)
{
    static const char *const kommuner[] = { "0301", "4601", NULL };
    static const char *const bydeler[] = { "01", "02", "03", "00", NULL };
    int i, k, b, any, every;

    for (i = 0; i < all->bindings->nelts; i++) {
        const bkm_binding_t *bi = &APR_ARRAY_IDX(all->bindings, i,
                                                 bkm_binding_t);
        const bkm_roles_t *mine = bkm_roles_of(p, all, bi->fodselsnummer);
        const char *navn;

        (void)bkm_roles_kommuner(p, mine, bi->fodselsnummer, &every, &any);
        if (!any) {
            bkm_fuzz_fail("binding %d has no role", i);
        }
        for (k = 0; kommuner[k]; k++) {
            const apr_array_header_t *d = bkm_roles_bydeler(p, mine,
                                                            bi->fodselsnummer,
                                                            BKM_TILGANG_SE,
                                                            kommuner[k]);
            for (b = 0; bydeler[b]; b++) {
                int se = bkm_roles_allow(mine, bi->fodselsnummer,
                                         BKM_TILGANG_SE, kommuner[k],
                                         bydeler[b], &navn);
                (void)bkm_roles_allow(mine, bi->fodselsnummer,
                                      BKM_TILGANG_MOTTA, kommuner[k],
                                      bydeler[b], &navn);
                if (se && !bkm_roles_covers(d, bydeler[b])) {
                    bkm_fuzz_fail(
                        "binding %d sees %s/%s outside its "
                        "list",
                        i, kommuner[k], bydeler[b]);
                }
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int made;
    apr_pool_t *p;
    char *field[5];
    size_t len[5];
    bkm_binding_t b;
    bkm_roles_t *roles = NULL;
    FILE *f;

    if (!made) {
        int fd = mkstemp(file);
        if (fd < 0) {
            bkm_fuzz_fail("mkstemp failed");
        }
        close(fd);
        atexit(cleanup);
        made = 1;
    }
    p = bkm_fuzz_pool();
    if (bkm_fuzz_split(p, data, size, field, len, 5) == 5) {
        if (!bkm_binding_check(p, field[0], field[1], field[2], field[3],
                               field[4], &b)) {
            roles = apr_pcalloc(p, sizeof(*roles));
            roles->bindings = apr_array_make(p, 1, sizeof(bkm_binding_t));
            APR_ARRAY_PUSH(roles->bindings, bkm_binding_t) = b;
            ask(p, roles);
        }
    }
    else {
        if (!(f = fopen(file, "w")) || fwrite(data, 1, size, f) != size
            || fclose(f) != 0) {
            bkm_fuzz_fail("cannot write %s", file);
        }
        if (!bkm_roles_load(p, file, &roles)) {
            ask(p, roles);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
