/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_xml.h
 * @brief The two ends of every XML document we write with libxml2 (the
 * ASiC-E manifest, the print manifest): a document that a pool frees, and
 * its bytes.  httpd-free.
 */
#ifndef BKM_XML_H
#define BKM_XML_H

#include <apr_pools.h>
#include <libxml/tree.h>

/** A new XML 1.0 document with the root element @p root_name (no
 *  namespace yet), freed when @p p is.  @return NULL or a message. */
const char *bkm_xml_doc(apr_pool_t *p, const char *root_name, xmlDocPtr *doc,
                        xmlNodePtr *root);

/** The document as indented UTF-8 with its XML declaration, copied into
 *  @p p and NUL-terminated.  @return NULL or a message. */
const char *bkm_xml_dump(apr_pool_t *p, xmlDocPtr doc, char **out,
                         apr_size_t *len);

#endif
