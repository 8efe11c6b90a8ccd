/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_pdf.h
 * @brief A report of concern as an A4 PDF, rendered in memory.
 *
 * The PDF is what a child welfare office reads and files when it has no
 * case system, so it shows every field the reporter sent: the fields of the
 * protocol's schemas with Norwegian labels, and any other member as its own
 * key and value (the schemas allow extra members, and the record must not
 * lose them silently).  Text from the report is never parsed as markup.
 *
 * httpd-free: APR, jansson and pango/cairo.  Safe to call from many threads
 * at once: each render has a pango font map of its own for its duration,
 * taken from a stack of them (see bkm_pdf.c).  A new map costs 6-20 ms
 * (font lookup and load; the most for a process's first); so the server
 * warms them in child_init with bkm_pdf_warm(), and a typical two-page
 * report then costs about 3 ms from the first.  Time and memory are
 * linear in the size of the report, also for text without spaces.
 */
#ifndef BKM_PDF_H
#define BKM_PDF_H

#include <apr_pools.h>
#include <jansson.h>

/**
 * Render a report as an A4 PDF into memory (no temporary files).
 *
 * Sections that are absent, null or empty strings are left out.  Booleans
 * show as "Ja"/"Nei", sendingstidspunkt as "16.03.2020 kl. 13:29:33".
 * Every page has the reference number and "side N av M"; the PDF's
 * metadata holds the reference number and no personal data.
 *
 * @param p            pool for the result (scratch memory is freed before
 *                     returning)
 * @param report       the report, already validated against the schema of
 *                     @p meldingstype (other shapes do not crash, but may
 *                     render as raw JSON values)
 * @param meldingstype "no.ks.fiks.bekymringsmelding.{privat,offentlig}.
 *                     {v1,v2}": private or public reporter, and whether
 *                     melding.andreSynspunkter (v2) is a known field
 * @param referanse    the short reference shown on every page, e.g.
 *                     "BM-7K4Q-9XHT"
 * @param pdf          the PDF, allocated from @p p
 * @param len          its length in bytes
 * @return NULL on success, else an error message (and *pdf is NULL)
 */
const char *bkm_pdf_render(apr_pool_t *p, const json_t *report,
                           const char *meldingstype, const char *referanse,
                           const unsigned char **pdf, apr_size_t *len);

/**
 * Make and warm @p n font maps (with their contexts and buffers), as many
 * as the renders a process expects at once: child_init calls it so that
 * no report pays for loading fonts.  More are made later if more renders
 * run at once.  Not for the parent process (it never renders).
 *
 * @return how many were warmed (a render failed for the rest)
 */
unsigned int bkm_pdf_warm(unsigned int n);

/** A new reference to the small report bkm_pdf_warm() renders (for the
 *  other warm-ups: the validator's). */
json_t *bkm_pdf_warm_report(void);

/** How many font maps this process has made (for tests and benches). */
unsigned int bkm_pdf_kit_count(void);

#endif
