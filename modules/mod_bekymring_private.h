/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mod_bekymring_private.h
 * @brief What every glue file needs: the module record (so that each file
 * logs under the module's own LogLevel) and our log tags.  Everything else
 * has a header beside the file that defines it (the README's code map).
 *
 * The layers.  A file calls files of its own layer or of the layers below,
 * never above, and never so that a call comes back to it through others
 * (build/check-layers, in `make checks`, fails the build on a circle):
 *
 *   1. modules/core: the httpd-free core (bkm_*), the report's rules and
 *      data; no httpd header, no httpd symbol (checked)
 *   2. server/config: directives and records; it stores what it reads
 *      and loads nothing of the layers above (the pages' templates are
 *      loaded by pages/side.c in the check_config hook)
 *   3. server/clock, server/db, server/throttle: what requests share
 *      below the answer
 *   4. server/http: replies, errors, headers, reading a body
 *   5. server/person, api/integrasjon: who is asking
 *   6. pages/side: what every page shares
 *   7. what several handlers share: an account's messages (api/konto),
 *      taking a report in (report/mottak, api/skjema), proof of
 *      possession (api/kontroll), the escalation pass's steps
 *      (api/avstemming, report/kontrollmelding, api/kontroll) and the
 *      pass (report/eskalering), a person's roles (admin/forvaltning)
 *   8. the handlers, one concern a file (api/, pages/, admin/)
 *   9. server/routes: the table and its dispatcher, called by the
 *      module's handler hook
 *  10. mod_bekymring.c: the module record and hooks
 */
#ifndef MOD_BEKYMRING_PRIVATE_H
#define MOD_BEKYMRING_PRIVATE_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "bkm_log.h"

extern module AP_MODULE_DECLARE_DATA bekymring_module;
APLOG_USE_MODULE(bekymring);

#endif
