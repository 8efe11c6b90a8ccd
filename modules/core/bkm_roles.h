/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_roles.h
 * @brief Who may see and do what in the municipal administration: roles
 * bound to a person's national id number (from the ID-porten login), read
 * from a JSON file (BekymringRoles).  httpd-free.
 *
 *   {"roller": [
 *     {"fodselsnummer": "...", "navn": "Kari Nordmann",
 *      "rolle": "administrator", "kommune": "0301", "bydeler": ["01"]},
 *     {"fodselsnummer": "...", "navn": "...", "rolle": "mottaker",
 *      "kommune": "0301", "bydeler": ["03"]},
 *     {"fodselsnummer": "...", "navn": "...", "rolle": "operator"}]}
 *
 * administrator: a municipality's reports (all its districts, or those
 * listed): overview, timelines, export -- metadata only, never content.
 * mottaker (receiver): manual download and confirmation in the listed
 * districts.  operator: the national operator, every municipality as an
 * administrator.  The national id is compared in memory, never logged or
 * stored; log lines and timelines name the binding's "navn".
 */
#ifndef BKM_ROLES_H
#define BKM_ROLES_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "bkm_registry.h"

typedef enum {
    BKM_ROLLE_ADMINISTRATOR = 1,
    BKM_ROLLE_MOTTAKER = 2,
    BKM_ROLLE_OPERATOR = 4
} bkm_rolle_e;

/** What a request asks to do. */
typedef enum {
    BKM_TILGANG_SE,   /**< overview, timeline, export (metadata) */
    BKM_TILGANG_MOTTA /**< download and confirm (content) */
} bkm_tilgang_e;

typedef struct {
    const char *fodselsnummer;
    const char *navn;
    bkm_rolle_e rolle;
    const char *kommune;         /**< NULL for the operator */
    apr_array_header_t *bydeler; /**< of const char *; empty: all */
} bkm_binding_t;

typedef struct bkm_roles_s {
    apr_array_header_t *bindings; /**< of bkm_binding_t */
} bkm_roles_t;

/** Check one binding given as text (the operator's form; @p bydeler is a
 *  comma-separated list, "" for all).  @return NULL or a message that
 *  never contains the national id. */
const char *bkm_binding_check(apr_pool_t *p, const char *fodselsnummer,
                              const char *navn, const char *rolle,
                              const char *kommune, const char *bydeler,
                              bkm_binding_t *b);

/** The bindings of one person, copied into @p p (to add others to, e.g.
 *  those an operator made in the pages). */
bkm_roles_t *bkm_roles_of(apr_pool_t *p, const bkm_roles_t *all,
                          const char *fodselsnummer);

/** Load and check a roles file.  @return NULL or a message naming the
 *  entry (never its national id number). */
const char *bkm_roles_load(apr_pool_t *p, const char *path,
                           bkm_roles_t **out);

/**
 * Whether the person may do @p what for municipality @p kommune and
 * district @p bydel (NULL: any of the municipality's districts, e.g. the
 * overview).  @p navn gets the name of the binding that allows it.
 */
int bkm_roles_allow(const bkm_roles_t *roles, const char *fodselsnummer,
                    bkm_tilgang_e what, const char *kommune,
                    const char *bydel, const char **navn);

/** The districts of @p kommune the person may see or receive for: NULL
 *  for all of them (or none: see bkm_roles_allow), else the list. */
const apr_array_header_t *bkm_roles_bydeler(apr_pool_t *p,
                                            const bkm_roles_t *roles,
                                            const char *fodselsnummer,
                                            bkm_tilgang_e what,
                                            const char *kommune);

/** Whether a list of districts (bkm_roles_bydeler's: NULL for all)
 *  includes @p bydel. */
int bkm_roles_covers(const apr_array_header_t *bydeler, const char *bydel);

/** The municipalities the person has any role in (of const char *);
 *  NULL for the operator (all). */
apr_array_header_t *bkm_roles_kommuner(apr_pool_t *p,
                                       const bkm_roles_t *roles,
                                       const char *fodselsnummer, int *all,
                                       int *any);

/**
 * Whether every binding names a municipality (and districts) of the
 * registry (issue 15, item 8: a role for a municipality that does not
 * exist is refused at start-up, not found out at the first login).
 * @return NULL, or a message naming the entry by its index and "navn"
 * and the unknown number (never the national id).
 */
const char *bkm_roles_check_registry(apr_pool_t *p, const bkm_roles_t *roles,
                                     const bkm_registry_t *reg);

#endif
