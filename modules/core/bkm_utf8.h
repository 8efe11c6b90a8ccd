/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_utf8.h
 * @brief Strict UTF-8, for text from outside that goes into documents we
 * sign or print (stored-receipts, print manifests).  httpd-free.
 */
#ifndef BKM_UTF8_H
#define BKM_UTF8_H

#include <apr.h>

/**
 * The code point at s[*i] of the @p n bytes at @p s, advancing *i past
 * it; -1 if it is not well-formed UTF-8.  Strict where libxml2's
 * xmlCheckUTF8() and many decoders are not: no overlong forms (C0 AF for
 * '/'), no UTF-16 surrogates, nothing above U+10FFFF, and no sequence cut
 * off by the end (or by a NUL).
 */
long bkm_utf8_next(const unsigned char *s, apr_size_t n, apr_size_t *i);

/** Whether a code point is a control character (Unicode Cc: C0, DEL and
 *  C1), which has no place in a name, an address or a record id. */
int bkm_utf8_is_control(long cp);

#endif
