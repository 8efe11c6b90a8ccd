/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_html.h
 * @brief Page templates: well-formed XHTML files compiled once into
 * literal HTML and a few instructions, then filled from JSON.  httpd-free.
 *
 * Escaping is by construction: the only way a value reaches the page is
 * through the renderer, which escapes it for where it goes (text or a
 * quoted attribute).  Template markup itself is parsed by libxml2, so a
 * template that is not well-formed fails at start-up, not on a page.
 *
 * Directives are attributes in the namespace BKM_HTML_NS (prefix "t"):
 *   t:text="expr"     the element's content is the value, escaped
 *   t:if / t:unless   the element only when the value is (not) truthy
 *   t:each="expr"     the element once per item of an array (or once with
 *                     an object as context); names then resolve in the
 *                     item first, then outwards; "." is the item itself
 *   t:include="name"  the element is replaced by template @p name
 *                     (with t:each it runs in each item's context)
 *   t:NAME="expr"     any other name sets attribute NAME: a string or
 *                     number as its value, true as a bare boolean
 *                     attribute, false/null/absent leaves it out
 * An element <t:group> renders only its children (or its t:text).  An expression "@key"
 * is the text @p key of the page's language catalogue; any other is a
 * dotted path into the data, looked up in the current context and then
 * outwards ("name"), or in the current context only (".name": what a
 * partial asks of its own object never comes from an outer one).
 * Falsy: absent, null, false, "", 0, [].
 *
 * The pages' Content-Security-Policy forbids inline script and style, so
 * templates are refused at compile time if they carry style attributes,
 * event handler attributes, or script/style elements with content.
 */
#ifndef BKM_HTML_H
#define BKM_HTML_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

/** The namespace of template directives. */
#define BKM_HTML_NS "urn:x-mod-bekymring:mal"

typedef struct bkm_html_set_t bkm_html_set_t;

/** Where rendered bytes go; return 0, or non-zero to stop rendering. */
typedef int (*bkm_html_write_fn)(void *baton, const char *s, apr_size_t len);

bkm_html_set_t *bkm_html_set_make(apr_pool_t *p);

/** Compile template @p name.  @return NULL or a message naming the line. */
const char *bkm_html_add(bkm_html_set_t *set, const char *name,
                         const char *xml, apr_size_t len);

/** Resolve includes (after every template is added): refuses unknown
 *  names and include cycles.  @return NULL or a message. */
const char *bkm_html_link(bkm_html_set_t *set);

/** The catalogue keys ("@key" without the @) that the templates use, each
 *  once, so that start-up can check every catalogue has them. */
const apr_array_header_t *bkm_html_keys(const bkm_html_set_t *set);

int bkm_html_has(const bkm_html_set_t *set, const char *name);

/**
 * Render template @p name with @p data as the outermost context and
 * @p texts (a flat object of strings) as the catalogue.
 * @return 0, or -1 when the template is unknown or a write failed.
 */
int bkm_html_render(const bkm_html_set_t *set, const char *name, json_t *data,
                    json_t *texts, bkm_html_write_fn write, void *baton);

/** Escape @p s for HTML text and double-quoted attribute values. */
const char *bkm_html_escape(apr_pool_t *p, const char *s);

#endif
