/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_xml.h"

#include <apr_strings.h>

static apr_status_t doc_cleanup(void *doc)
{
    xmlFreeDoc(doc);
    return APR_SUCCESS;
}

const char *bkm_xml_doc(apr_pool_t *p, const char *root_name, xmlDocPtr *doc,
                        xmlNodePtr *root)
{
    if (!(*doc = xmlNewDoc(BAD_CAST "1.0"))) {
        return "xmlNewDoc failed";
    }
    apr_pool_cleanup_register(p, *doc, doc_cleanup, apr_pool_cleanup_null);
    if (!(*root = xmlNewDocNode(*doc, NULL, BAD_CAST root_name, NULL))) {
        return "xmlNewDocNode failed";
    }
    xmlDocSetRootElement(*doc, *root);
    return NULL;
}

const char *bkm_xml_dump(apr_pool_t *p, xmlDocPtr doc, char **out,
                         apr_size_t *len)
{
    xmlChar *buf = NULL;
    int n = 0;

    xmlDocDumpFormatMemoryEnc(doc, &buf, &n, "UTF-8", 1);
    if (!buf || n <= 0) {
        if (buf) {
            xmlFree(buf);
        }
        return "serialising the document failed";
    }
    *out = apr_pstrmemdup(p, (const char *)buf, (apr_size_t)n);
    *len = (apr_size_t)n;
    xmlFree(buf);
    return NULL;
}
