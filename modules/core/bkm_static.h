/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_static.h
 * @brief The pages' static files by their built names (issue 14, item 6).
 * httpd-free.
 *
 * `make` (build/assets/static) minifies every file of htdocs/static,
 * names it by a hash of its bytes (bkm.css -> bkm.3f9a1c2b7d0e.css),
 * precompresses it and writes a manifest: a JSON object of source names
 * to built names, relative to /static/.  BekymringStatic names the build's
 * folder; at start-up the pages' templates get the built names written
 * into each "/static/NAME" reference (a quoted attribute value), and a
 * template that names a file the build did not make stops the start, so
 * no page can point at a missing file.  The built names change with the
 * bytes, which lets httpd give them a year's immutable Cache-Control.
 */
#ifndef BKM_STATIC_H
#define BKM_STATIC_H

#include <apr_pools.h>
#include <apr_hash.h>

/** The manifest's name in the build's folder. */
#define BKM_STATIC_MANIFEST "manifest.json"

/** Load the manifest @p file into @p out (source name -> built name, both
 *  without "/static/"), refusing names with anything but letters, digits,
 *  '.', '_', '-' and '/', or with "..".  @return NULL or a message. */
const char *bkm_static_load(apr_pool_t *p, const char *file,
                            apr_hash_t **out);

/**
 * Write the built names into template @p what (@p text, @p len bytes):
 * every quoted "/static/NAME" (or '/static/NAME') becomes
 * "/static/BUILT".  @return NULL, with the new text in @p out and
 * @p outlen, or a message naming the first name the manifest lacks.
 */
const char *bkm_static_rewrite(apr_pool_t *p, apr_hash_t *manifest,
                               const char *what, const char *text,
                               apr_size_t len, const char **out,
                               apr_size_t *outlen);

#endif
