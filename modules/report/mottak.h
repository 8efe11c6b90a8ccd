/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file report/mottak.h
 * @brief Taking a report in: validate, render, seal, store.
 */
#ifndef BKM_REPORT_MOTTAK_H
#define BKM_REPORT_MOTTAK_H

#include "mod_bekymring_private.h"
#include <jansson.h>
#include "bkm_cms.h"
#include "bkm_lagring.h"
#include "bkm_postnummer.h"

/* report/mottak.c: validate, render, seal, store */
int bkm_mottak_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                           server_rec *s);
void bkm_mottak_child_init(apr_pool_t *pchild, server_rec *s);
/** Answer 422 with the list of {pointer, regel, melding}, at most
 *  BKM_JSONSCHEMA_MAX_ERRORS of them, and "flere": whether the validator
 *  found more than it listed (@p more). */
int bkm_reply_invalid(request_rec *r, const apr_array_header_t *errors,
                      int more);
typedef enum {
    BKM_MOTTAK_OK = 0,   /**< stored, or the first report of its key */
    BKM_MOTTAK_INVALID,  /**< the schema refused it: res->errors */
    BKM_MOTTAK_DATABASE, /**< not stored (503): nothing kept */
    BKM_MOTTAK_INTERNAL  /**< not sealed (500): nothing kept */
} bkm_mottak_e;
typedef struct {
    apr_array_header_t *errors; /**< bkm_jsonschema_error_t, at most
                                     BKM_JSONSCHEMA_MAX_ERRORS */
    int more_errors;            /**< the validator stopped: there were more */
    int repeated; /**< the key was used: m is the first report */
} bkm_mottak_result_t;
/**
 * Take a report in: validate it against its message type's schema, render
 * its PDF, seal it for the district's recipients and store it (nothing is
 * kept when anything fails).  @p m must have id, meldingstype, versjon,
 * kilde, bydel, mottatt, aktor; m->kopi_* asks for the reporter's sealed
 * copy (the web form).
 */
bkm_mottak_e bkm_mottak_take(request_rec *r, json_t *report,
                             const char *meldingstype, bkm_melding_t *m,
                             const bkm_signer_t *signer,
                             bkm_mottak_result_t *res);
/**
 * Only the validation bkm_mottak_take starts with (the reporter's check
 * page, pages/skjema.c): BKM_MOTTAK_OK, BKM_MOTTAK_INVALID with
 * res->errors, or BKM_MOTTAK_INTERNAL.  Nothing is stored.  Every rule a
 * report must pass belongs here, so that a report the check page shows as
 * ready is never refused when it is sent.
 */
bkm_mottak_e bkm_mottak_check(request_rec *r, json_t *report,
                              const char *meldingstype,
                              bkm_mottak_result_t *res);
/** The postal-code register the intake checks postcodes against (read
 *  at start-up from what the module carries, schema/postnummer). */
const bkm_postnummer_t *bkm_mottak_postnummer(void);
/**
 * Every rule a report from the form must pass, for its message type
 * ("no.ks.fiks.bekymringsmelding.privat.v2"): the members the form and
 * version have (bkm_skjema_check_members), the field formats
 * (bkm_felt_check, which writes valid values back in their canonical
 * form), and the schema, whose errors are added at pointers that have none
 * yet.  Appends to @p errors (bkm_jsonschema_error_t), at most
 * BKM_JSONSCHEMA_MAX_ERRORS in all; *more is set when there were more.
 * bkm_mottak_take() starts with it, and so must any check before sending.
 * @return 1 if the report passes them all
 */
int bkm_mottak_validate(apr_pool_t *p, json_t *report,
                        const char *meldingstype, apr_array_header_t *errors,
                        int *more);
/** The API's answer to an intake: 201 {uuid, referanse, ...}, 422 with
 *  the errors, 503 or 500. */
int bkm_mottak_reply(request_rec *r, bkm_mottak_e rc,
                     const bkm_mottak_result_t *res, const bkm_melding_t *m);

#endif
