/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file server/person.h
 * @brief People logged in through mod_auth_openidc.
 */
#ifndef BKM_SERVER_PERSON_H
#define BKM_SERVER_PERSON_H

#include "mod_bekymring_private.h"

/* server/person.c: people logged in through mod_auth_openidc */
typedef struct bkm_person_s {
    const char *pid;  /**< national id number: never log or store it */
    const char *name; /**< NULL when the provider gives none */
    const char *acr;
    int level; /**< 0 unknown/low, else a bkm_acr_e */
    const char *locale;
} bkm_person_t;
/** The person from the login's claims; 0 when there is no valid pid (the
 *  location is not behind AuthType openid-connect). */
int bkm_person_from_login(request_rec *r, bkm_person_t *p);

#endif
