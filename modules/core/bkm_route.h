/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_route.h
 * @brief Matching a request's method and path against a table of routes:
 * the pure half of the module's routing (the table itself, with access
 * rules and handlers, is the glue's: server/routes.c).  httpd-free.
 *
 * A route is the methods it takes and a path pattern:
 *
 *     "GET",  "/bekymringsmelding/api/v2/konto/{kontoId}/meldinger[/]"
 *     "POST", "/kommune/{kommunenummer}/melding/{meldingId}/handling"
 *
 * - methods: blank-separated, as an Allow header lists them ("GET HEAD",
 *   "GET POST"); HEAD is taken wherever GET is (httpd answers HEAD as a
 *   GET without the body); "*" alone takes every method.
 * - the pattern: "/" and segments; a segment is a literal, or a parameter
 *   "{name}" or "{name:kind}" that takes one non-empty segment whose shape
 *   the kind checks (the kind is the name unless given: {kommunenummer}
 *   is of kind kommunenummer).  A literal matches itself only, exactly.
 * - "[/]" at the end: the path with one trailing slash is the same
 *   address; without it, "/x/" is not "/x".
 *
 * Every row that matches the path counts: the first whose methods take
 * the request's is the answer, and the methods of all of them are the
 * Allow header of a 405.  A path whose literal segments match a row but
 * one of whose parameters has the wrong shape (a meldingId that is not a
 * UUID) is told apart from an unknown path, so that the caller can answer
 * as the parameter's kind says.
 */
#ifndef BKM_ROUTE_H
#define BKM_ROUTE_H

#include <apr_pools.h>

/** Parameters one pattern may have. */
#define BKM_ROUTE_MAX_PARAMS 4

/** A kind of parameter: the shape of the segments it takes. */
typedef struct {
    const char *name;
    /** 1 when @p segment (NUL-terminated, non-empty) has the shape; NULL:
     *  any segment. */
    int (*valid)(const char *segment);
} bkm_route_kind_t;

/** One route.  A caller's table may be of a larger struct that begins
 *  with this one (its handler, access rule...): bkm_route_table_t's stride
 *  says how far apart they are. */
typedef struct {
    const char *methods;
    const char *pattern;
} bkm_route_t;

/** A table: @p n rows @p stride bytes apart from @p rows, and the kinds
 *  of parameter its patterns use (ended by a kind named NULL). */
typedef struct {
    const void *rows;
    apr_size_t n;
    apr_size_t stride;
    const bkm_route_kind_t *kinds;
} bkm_route_table_t;

typedef enum {
    BKM_ROUTE_FOUND = 0, /**< a row takes the path and the method */
    BKM_ROUTE_NO_METHOD, /**< rows take the path, none the method */
    BKM_ROUTE_BAD_PARAM, /**< no row takes the path, but a row's
                                 literals match it and a parameter has
                                 the wrong shape */
    BKM_ROUTE_NOT_FOUND  /**< no row has this path */
} bkm_route_e;

typedef struct {
    const char *name;  /**< as in the pattern */
    const char *kind;  /**< its kind's name */
    const char *value; /**< the segment (the path as given: httpd
                                 has decoded it) */
} bkm_route_param_t;

/** What a path and a method came to. */
typedef struct {
    bkm_route_e result;
    /** FOUND: the row; NO_METHOD: the first row of the path; BAD_PARAM:
     *  the first row whose parameter failed; NOT_FOUND: n. */
    apr_size_t row;
    /** FOUND, NO_METHOD: the methods of every row of the path, each
     *  once, in the table's order ("GET HEAD POST"). */
    const char *allow;
    /** The parameters of that row, the one that failed included. */
    int nparams;
    bkm_route_param_t params[BKM_ROUTE_MAX_PARAMS];
    /** BAD_PARAM: the first parameter whose segment has the wrong shape */
    const bkm_route_param_t *bad;
} bkm_route_match_t;

/**
 * Whether a table is well made: every pattern begins with "/", its
 * segments are literals or {name[:kind]} of a known kind, at most
 * BKM_ROUTE_MAX_PARAMS and each name once; methods are upper-case words
 * or "*"; no two rows with the same pattern share a method.
 * @return NULL, or a message naming the row
 */
const char *bkm_route_check(apr_pool_t *p, const bkm_route_table_t *t);

/**
 * Match @p method and @p path (from "/", without the query) against the
 * table.  @p m gets the result (also returned); the parameters' values
 * are copied into @p p.
 */
bkm_route_e bkm_route_match(apr_pool_t *p, const bkm_route_table_t *t,
                            const char *method, const char *path,
                            bkm_route_match_t *m);

/** The value of parameter @p name of a match, or NULL. */
const char *bkm_route_param(const bkm_route_match_t *m, const char *name);

/** Whether the blank-separated @p methods take @p method (HEAD where GET
 *  is; "*" every method). */
int bkm_route_method_ok(const char *methods, const char *method);

/** Whether @p path is at or below @p prefix: "/sendt" is "/sendt" and
 *  "/sendt/...", not "/sendtx"; a prefix that ends with "/" takes only
 *  what is below it. */
int bkm_route_under(const char *path, const char *prefix);

/* Shapes for kinds of parameter. */
/** Four digits (a kommunenummer). */
int bkm_route_digits4(const char *s);
/** Two digits (a bydelsnummer). */
int bkm_route_digits2(const char *s);
/** A UUID in lower case (the ids we issue). */
int bkm_route_uuid(const char *s);
/** A UUID in either case (ids other systems send back). */
int bkm_route_uuid_any_case(const char *s);

#endif
