/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The core's statements, one table per feature, each kept beside the file
 * that runs it: the glue hands them all to mod_dbd at configuration time
 * (server/db.c), and the unit tests prepare the same on their own
 * SQLite connection.
 */
#include "bkm_db.h"
#include "bkm_lagring.h"
#include "bkm_leveranse.h"
#include "bkm_avvik.h"
#include "bkm_eskalering.h"
#include "bkm_kjede.h"
#include "bkm_paminnelse.h"

const bkm_sql_t *const bkm_core_sql[] = { bkm_db_sql,         bkm_lagring_sql,
                                          bkm_leveranse_sql,  bkm_avvik_sql,
                                          bkm_eskalering_sql, bkm_kjede_sql,
                                          bkm_paminnelse_sql, NULL };
