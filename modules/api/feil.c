/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The machine API's ErrorDocument (/bekymring-feil): httpd's own errors in
 * the API's JSON error shape.
 */
#include "mod_bekymring_private.h"
#include "api/api.h"
#include "server/http.h"

#include <http_protocol.h>
#include <http_request.h>
#include <http_core.h>

/*
 * The answer of every error httpd makes itself under the API (401 from
 * mod_auth_openidc, 416 from the byterange filter, 405 for TRACE, 413
 * from LimitRequestBody...): conf/bekymring-locations.conf names this
 * handler as the API's ErrorDocument, so a client that parses our JSON
 * errors never gets httpd's HTML.  httpd runs it as an internal redirect:
 * r->prev is the failed request, r->status already its status, and
 * err_headers_out (mod_auth_openidc's WWW-Authenticate) is the failed
 * request's table, so the challenge stays.  Asked for directly, it is a
 * 404 like any unknown address.
 */
int bkm_handle_error(request_rec *r, const bkm_req_t *q)
{
    static const struct {
        int status;
        const char *kode, *melding;
    } known[] = {
        { HTTP_BAD_REQUEST, "ugyldig-foresporsel",
          "the request could not be understood" },
        { HTTP_UNAUTHORIZED, "ikke-autentisert",
          "a valid Maskinporten token and IntegrasjonId / "
          "IntegrasjonPassord of the same organisation are required" },
        { HTTP_FORBIDDEN, "ingen-tilgang", "access is not allowed" },
        { HTTP_NOT_FOUND, "ukjent-adresse", "no such resource" },
        { HTTP_METHOD_NOT_ALLOWED, "metode-ikke-tillatt",
          "the method is not allowed here" },
        { HTTP_REQUEST_TIME_OUT, "tidsavbrudd",
          "the request was not sent in time" },
        { HTTP_LENGTH_REQUIRED, "lengde-mangler",
          "a Content-Length is required" },
        { HTTP_REQUEST_ENTITY_TOO_LARGE, "for-stor",
          "the body is too large" },
        { HTTP_REQUEST_URI_TOO_LARGE, "for-lang-adresse",
          "the address is too long" },
        { HTTP_UNSUPPORTED_MEDIA_TYPE, "feil-innholdstype",
          "the Content-Type is not accepted here" },
        { HTTP_RANGE_NOT_SATISFIABLE, "ugyldig-range",
          "the Range cannot be satisfied" },
        { HTTP_EXPECTATION_FAILED, "ugyldig-foresporsel",
          "the Expect header cannot be met" },
        { HTTP_NOT_IMPLEMENTED, "metode-ikke-tillatt",
          "the method is not implemented" },
        { HTTP_SERVICE_UNAVAILABLE, "utilgjengelig",
          "the service is not available now; try again" },
    };
    const char *auth;
    int status = r->status;
    size_t i;

    if (!r->prev || !ap_is_HTTP_ERROR(status)) {
        return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-adresse",
                               "no such resource");
    }
    /* The form API's people log in with ID-porten, not with a token. */
    auth = ap_auth_type(r->prev);
    if (status == HTTP_UNAUTHORIZED && auth
        && ap_cstr_casecmp(auth, "openid-connect") == 0) {
        return bkm_reply_error(r, status, "ikke-innlogget",
                               "log in with ID-porten first");
    }
    for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (known[i].status == status) {
            return bkm_reply_error(r, status, known[i].kode,
                                   known[i].melding);
        }
    }
    return bkm_reply_error(r, status,
                           status >= 500 ? "intern-feil"
                                         : "ugyldig-foresporsel",
                           ap_get_status_line(status) + 4);
}
