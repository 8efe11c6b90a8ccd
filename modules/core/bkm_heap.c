/* SPDX-License-Identifier: Apache-2.0 */
/* The heap kept from trimming and re-faulting: see bkm_heap.h. */
#include "bkm_heap.h"

#include <stdlib.h> /* defines __GLIBC__ */

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int bkm_heap_tune(void)
{
#if defined(__GLIBC__)
    /* Setting any of these also stops glibc's own sliding threshold,
     * which moves with the sizes freed and so would undo the others. */
    int ok = mallopt(M_MMAP_THRESHOLD, BKM_HEAP_MMAP_THRESHOLD)
             & mallopt(M_TRIM_THRESHOLD, BKM_HEAP_TRIM_THRESHOLD)
             & mallopt(M_TOP_PAD, BKM_HEAP_TOP_PAD);

    return ok ? 0 : -1;
#else
    return 0;
#endif
}
