/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_heap.h
 * @brief The process's heap kept from trimming and re-faulting (issue 17,
 * item 6).  httpd-free (glibc's mallopt).
 *
 * By default glibc gives memory back to the kernel as soon as the free
 * top of a heap passes 128 KB, and serves anything of 128 KB or more
 * (zlib's windows, the PDF's buffers, a container) with its own mmap,
 * unmapped again on free: every report then faults its working set in
 * anew, page by page.  The seal bench (t/bench/bench_seal.c) counted
 * about 130 page faults per report, 18.7 % of its time in the kernel on
 * a virtual machine.  With these thresholds a child keeps what a report
 * needs (each thread's arena at most its own peak plus the trim
 * threshold), and the bench counts well under one fault per report.
 */
#ifndef BKM_HEAP_H
#define BKM_HEAP_H

/** Allocations up to this size come from the heap (not a fresh mmap). */
#define BKM_HEAP_MMAP_THRESHOLD (4 * 1024 * 1024)
/** Free memory at a heap's top kept up to this size (not trimmed). */
#define BKM_HEAP_TRIM_THRESHOLD (8 * 1024 * 1024)
/** Each time a heap grows, it grows by this much more than it needs. */
#define BKM_HEAP_TOP_PAD (1024 * 1024)

/**
 * Set the thresholds above for the whole process (mallopt), once, before
 * the first request: from child_init, and from the benches so that they
 * measure what the server does.  Returns 0 when every setting was taken
 * (or the C library has no mallopt: then nothing is changed), -1 if one
 * was refused.
 */
int bkm_heap_tune(void);

#endif
