/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_jsonschema.h
 * @brief A small JSON Schema validator over jansson, for the report and
 * receipt schemas of schema/bekymringsmelding.
 *
 * Schemas are added to a set as named documents ("privat.v2.json",
 * "domain/adresse.json"), from files in tests or from text compiled into
 * the module in production, so `$ref`s between documents resolve without
 * any path or network access.  A document is compiled once and then
 * validates any number of instances.
 *
 * Only part of JSON Schema is implemented, and a schema that uses anything
 * else is refused when it is compiled: a keyword we silently skipped would
 * be a constraint we silently dropped.  Implemented, with the semantics of
 * draft 2020-12 (the default) or 2019-09, or draft-06/07 where a schema's
 * $schema says so (there $ref ignores its siblings): type,
 * properties, required, additionalProperties, items, prefixItems (2020-12),
 * additionalItems (draft-07, 2019-09), minItems, maxItems, minLength,
 * maxLength, pattern, enum, const, $ref, $anchor, allOf, anyOf, oneOf, not
 * and boolean schemas.  Accepted and ignored as annotations: $schema, $id
 * (both used for resolving), title, description, $comment, format, default,
 * examples, $defs, definitions, deprecated, readOnly and writeOnly.
 * `format` never asserts: the incumbent's sendingstidspunkt is a local time
 * without offset and is not an RFC 3339 date-time.
 *
 * `pattern` follows ECMA-262 as far as it matters for form input: \\d, \\w,
 * \\s, \\b and `.` keep their ECMA meaning (\\d is [0-9] only), and `$`
 * does not match before a final newline.
 *
 * httpd-free: APR, jansson and PCRE2 only.  Adding and compiling are not
 * thread-safe (do them at configuration time); validating is.
 */
#ifndef BKM_JSONSCHEMA_H
#define BKM_JSONSCHEMA_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

/** Nesting limit when validating, counted in subschemas entered (each
 *  $ref, property, item or applicator is one): deeper recursion, such as a
 *  schema that refers to itself without consuming the instance, fails
 *  validation with keyword "$ref". */
#define BKM_JSONSCHEMA_MAX_DEPTH 64

/** The most errors bkm_jsonschema_validate() records.  Validation stops
 *  at the next failure after that many: a hostile instance (a hundred
 *  thousand empty objects where a list of children belongs) then costs as
 *  much as fifty errors, not as much as it has items. */
#define BKM_JSONSCHEMA_MAX_ERRORS 50

/** A set of named schema documents; everything lives in its pool. */
typedef struct bkm_jsonschema_set_t bkm_jsonschema_set_t;

/** One compiled schema, e.g. the root of a document. */
typedef struct bkm_jsonschema_t bkm_jsonschema_t;

/** One reason why an instance is invalid. */
typedef struct {
    const char *pointer; /**< RFC 6901 pointer into the instance ("" is
                                 the root); for a missing member, the
                                 member's would-be pointer */
    const char *keyword; /**< the failing keyword, e.g. "required";
                                 "false" for a false schema */
    const char *message; /**< English, fit to show next to a form field */
} bkm_jsonschema_error_t;

/**
 * Make an empty set.  The set, its documents and everything compiled from
 * them are freed with @p p.
 */
bkm_jsonschema_set_t *bkm_jsonschema_set_make(apr_pool_t *p);

/**
 * Add a document under @p name, a relative path such as "privat.v2.json"
 * or "domain/v2/privat.bekymringsmelding.v2.json", or an absolute URI.
 * A relative `$ref` is resolved against the `$id`s in scope and, when that
 * names no known document, against the referring document's name; so
 * documents whose `$id`s do not match their file layout still find each
 * other by name.  Keywords are checked later, by bkm_jsonschema_compile().
 * @param text  the JSON text; need not be NUL-terminated
 * @return NULL, or a message: not JSON, duplicate member names, not a
 *         schema, a name or `$id` already in the set, an unknown `$schema`
 */
const char *bkm_jsonschema_add(bkm_jsonschema_set_t *set, const char *name,
                               const char *text, apr_size_t len);

/** Like bkm_jsonschema_add(), reading the text from the file @p path. */
const char *bkm_jsonschema_add_file(bkm_jsonschema_set_t *set,
                                    const char *name, const char *path);

/**
 * Compile the document @p name and every schema it reaches through `$ref`
 * (by relative or absolute URI, "#/json/pointer" fragment or anchor).
 * Compiling again returns the same result at once.
 * @param out  set only on success; valid as long as the set's pool
 * @return NULL, or a message naming the schema location, e.g.
 *         "privat.v1.json#/properties/x: unsupported keyword \"uniqueItems\""
 *         or "...: cannot resolve $ref \"y.json\""
 */
const char *bkm_jsonschema_compile(bkm_jsonschema_set_t *set,
                                   const char *name,
                                   const bkm_jsonschema_t **out);

/**
 * Validate @p instance against @p s.
 * @param p       pool for the error records
 * @param errors  NULL to stop at the first failure, else an array made
 *                with sizeof(bkm_jsonschema_error_t) to which failures are
 *                appended in instance order, at most
 *                BKM_JSONSCHEMA_MAX_ERRORS of them (validation stops at the
 *                next failure after those)
 * @return 1 if valid, 0 if not
 */
int bkm_jsonschema_validate(const bkm_jsonschema_t *s, const json_t *instance,
                            apr_pool_t *p, apr_array_header_t *errors);

/**
 * Like bkm_jsonschema_validate(), recording at most @p max errors.
 * Validation stops at the first failure after @p max (so its cost is
 * bounded by the failures shown, not by the instance's size), and @p more
 * says whether there was one.  Where an array has more items than its
 * maxItems allows, its items are not checked: the array is refused as a
 * whole.
 * @param max   at least 1
 * @param more  if not NULL, set to 1 when failures beyond @p max were cut
 *              off, else 0
 */
int bkm_jsonschema_validate_max(const bkm_jsonschema_t *s,
                                const json_t *instance, apr_pool_t *p,
                                apr_array_header_t *errors, int max,
                                int *more);

#endif
