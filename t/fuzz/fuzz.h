/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file fuzz.h
 * @brief What the libFuzzer targets of t/fuzz share (common.c): APR set up
 * once, a pool per input, inputs split into fields, and a certificate.
 *
 * Each target is one file fuzz_NAME.c with LLVMFuzzerTestOneInput(); its
 * seed corpus is t/fuzz/corpus/NAME/ and its dictionary, if any,
 * t/fuzz/NAME.dict.  Built and run by `make fuzz` (t/fuzz/fuzz.mk).
 */
#ifndef BKM_FUZZ_H
#define BKM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** A fresh pool for one input (APR is initialised on the first call);
 *  destroy it at the end of the input. */
apr_pool_t *bkm_fuzz_pool(void);

/**
 * Around what a target sets up once and keeps (compiled schemas,
 * catalogues, templates): LeakSanitizer ignores what is allocated between
 * the two.  It must be told, because APR's pools live in memory it does
 * not scan (Debian's APR allocates them with mmap), so what only a pool
 * points to would look leaked.  What one input allocates is checked.
 */
void bkm_fuzz_keep_begin(void);
void bkm_fuzz_keep_end(void);

/** The line that separates the fields of a target whose input has
 *  several (templates and data, header and payload...). */
#define BKM_FUZZ_SEP "\n====\n"

/**
 * Split the input at BKM_FUZZ_SEP into at most @p max fields, each a
 * NUL-terminated copy from @p p (the last field keeps any further
 * separators).  @p lens gets each field's length.
 * @return the number of fields, at least 1
 */
int bkm_fuzz_split(apr_pool_t *p, const uint8_t *data, size_t size,
                   char **fields, size_t *lens, int max);

/** The input as a NUL-terminated copy from @p p (a NUL inside cuts the
 *  string short, as a C string from httpd would be). */
char *bkm_fuzz_str(apr_pool_t *p, const uint8_t *data, size_t size);

/** A self-signed RSA 2048 certificate (public part only; its key was
 *  thrown away): the recipient of the cms seeds (corpus/cms), and a
 *  certificate file for the registry target. */
extern const char bkm_fuzz_cert_pem[];

/** The compiled report schema @p file ("privat.v2.json", ...) of the
 *  schemas compiled into the module (schema/bekymringsmelding), as the
 *  module compiles them at start-up; compiled on the first call. */
const struct bkm_jsonschema_t *bkm_fuzz_report_schema(const char *file);

/** The report schemas' files, NULL-terminated. */
extern const char *const bkm_fuzz_report_files[];

/** Abort with a message: an invariant a target checks has failed, which
 *  libFuzzer reports as a crash with the input. */
void bkm_fuzz_fail(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

#endif
