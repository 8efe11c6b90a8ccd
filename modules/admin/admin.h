/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file admin/admin.h
 * @brief The municipal administration (forvaltning).
 */
#ifndef BKM_ADMIN_ADMIN_H
#define BKM_ADMIN_ADMIN_H

#include "mod_bekymring_private.h"
#include "bkm_roles.h"
#include "server/routes.h"

#include <jansson.h>

/* admin/forvaltning.c: the municipal administration */
/** The person's roles: BekymringRoles' and those granted in the pages. */
const bkm_roles_t *bkm_forvaltning_roles(request_rec *r, const char *pid);

/* admin/side.c: the administration's own header and footer */
/** The header's data: the person's name and roles, the navigation, the
 *  logout link. */
json_t *bkm_admin_frame(request_rec *r, const bkm_req_t *q);
/** bkm_page_render() with the administration's header and footer. */
int bkm_admin_render(request_rec *r, const bkm_req_t *q, int status,
                     const char *tmpl, json_t *data);

/** A period's date typed wrong (@p felt "fra" or "til"): the error
 *  summary, the field marked, what was typed kept. */
void bkm_admin_date_error(request_rec *r, json_t *data, const char *lang,
                          const char *felt);

/* Handlers (the route table) */
int bkm_handle_forvaltning_kommuner(request_rec *r, const bkm_req_t *q);
int bkm_handle_forvaltning_oversikt(request_rec *r, const bkm_req_t *q);
int bkm_handle_forvaltning_csv(request_rec *r, const bkm_req_t *q);
int bkm_handle_forvaltning_melding(request_rec *r, const bkm_req_t *q);
int bkm_handle_forvaltning_handling(request_rec *r, const bkm_req_t *q);
int bkm_handle_statistikk(request_rec *r, const bkm_req_t *q);
int bkm_handle_avstemming_side(request_rec *r, const bkm_req_t *q);
int bkm_handle_roller(request_rec *r, const bkm_req_t *q);
int bkm_handle_rolle_ny(request_rec *r, const bkm_req_t *q);
int bkm_handle_rolle_slett(request_rec *r, const bkm_req_t *q);
int bkm_handle_kjede(request_rec *r, const bkm_req_t *q);
int bkm_handle_nedlasting_list(request_rec *r, const bkm_req_t *q);
int bkm_handle_nedlasting_one(request_rec *r, const bkm_req_t *q);
int bkm_handle_nedlasting_download(request_rec *r, const bkm_req_t *q);
int bkm_handle_nedlasting_confirm(request_rec *r, const bkm_req_t *q);

#endif
