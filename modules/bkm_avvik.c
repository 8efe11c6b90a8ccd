/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_avvik.h"

#include <string.h>

#define BKM_AVVIK_STRING(name) #name,

static const char *const bkm_avvik_names[] = {
    BKM_AVVIK_HENDELSER(BKM_AVVIK_STRING) NULL
};

int bkm_avvik_index(const char *hendelse)
{
    int i;

    for (i = 0; hendelse && i < BKM_AVVIK_N; i++) {
        if (strcmp(bkm_avvik_names[i], hendelse) == 0) {
            return i;
        }
    }
    return -1;
}

const char *bkm_avvik_name(int i)
{
    return i >= 0 && i < BKM_AVVIK_N ? bkm_avvik_names[i] : NULL;
}
