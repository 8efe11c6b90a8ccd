/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file api/skjema.h
 * @brief What the form API and the web form share.
 */
#ifndef BKM_API_SKJEMA_H
#define BKM_API_SKJEMA_H

#include "mod_bekymring_private.h"
#include <jansson.h>
#include "bkm_registry.h"
#include "bkm_lagring.h"
#include "report/mottak.h"
#include "server/person.h"

/* api/skjema.c: what the form API and the web form share */
/** Where a report can go (bkm_skjema_route). */
typedef enum {
    BKM_MOTTAKER_FUNNET = 0,     /**< *out is the district */
    BKM_MOTTAKER_UKJENT_KOMMUNE, /**< no such municipality (or none named) */
    BKM_MOTTAKER_INAKTIV,        /**< the municipality is not in the portal */
    BKM_MOTTAKER_UKJENT_BYDEL    /**< no such district, or no default one */
} bkm_mottaker_e;
/** The district a report goes to: @p bnr, or the municipality's default
 *  district when NULL (*out; NULL unless found). */
bkm_mottaker_e bkm_skjema_route(const bkm_registry_t *reg, const char *knr,
                                const char *bnr, const bkm_bydel_t **out);
/** Its name in log lines: "kommune", "inaktiv", "bydel" (NULL if found). */
const char *bkm_mottaker_name(bkm_mottaker_e e);
/** Add what only the server knows (names, time sent, channel, the
 *  reporter's name from the login) and take the report in for m->bydel,
 *  type "privat" or "offentlig". */
bkm_mottak_e bkm_skjema_submit(request_rec *r, const char *type,
                               json_t *report, const bkm_person_t *person,
                               bkm_melding_t *m, bkm_mottak_result_t *res);

#endif
