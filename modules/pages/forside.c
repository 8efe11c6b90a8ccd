/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pages before the login, at the incumbent's addresses so that links in
 * municipalities' web pages keep working:
 *   GET /            what a report of concern is, when to call instead,
 *                    private person or someone reporting in their job
 *   GET /privat      choose the municipality and district (also
 *   GET /offentlig   ?kommune=NNNN, and ?sok= to search without script)
 * The choice then goes to /{type}/skjema?kommune=..&bydel=.., which is
 * behind the login: mod_auth_openidc keeps that address, query and all,
 * through the round-trip to ID-porten.
 */
#include "mod_bekymring_private.h"
#include "pages/pages.h"
#include "server/config.h"
#include "server/routes.h"
#include "bkm_i18n.h"
#include "bkm_ids.h"
#include "bkm_registry.h"
#include "bkm_utf8.h"

#include <apr_strings.h>
#include <string.h>

int bkm_handle_forside(request_rec *r, const bkm_req_t *q)
{
    return bkm_page_render(r, HTTP_OK, "forside",
                           bkm_page_data(r, q->lang, NULL));
}

/* Lower-case for searching: ASCII and the Latin-1 letters (Æ Ø Å É ...),
 * which is what municipality names use. */
static char *fold(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s), i = 0;
    char *out = apr_palloc(p, n + 1), *o = out;

    while (i < n) {
        apr_size_t at = i;
        long cp = bkm_utf8_next((const unsigned char *)s, n, &i);
        if (cp < 0) {
            return NULL;
        }
        if (cp >= 'A' && cp <= 'Z') {
            *o++ = (char)(cp + 32);
        }
        else if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) {
            cp += 32; /* two bytes in UTF-8 either way */
            *o++ = (char)(0xC0 | (cp >> 6));
            *o++ = (char)(0x80 | (cp & 0x3F));
        }
        else {
            memcpy(o, s + at, i - at);
            o += i - at;
        }
    }
    *o = '\0';
    return out;
}

static json_t *kommune_view(request_rec *r, const bkm_kommune_t *k,
                            const char *type, const char *lang,
                            const char *bnr)
{
    json_t *v = json_pack("{s:s, s:s, s:b, s:s, s:s}", "nummer", k->nummer,
                          "navn", bkm_kommune_navn(k, lang), "aktiv",
                          k->aktiv, "bytt",
                          apr_pstrcat(r->pool, "/", type, NULL),
                          "skjemaAction",
                          apr_pstrcat(r->pool, "/", type, "/skjema", NULL));
    json_t *bydeler = json_array();
    int i;

    /* A municipality without districts has the one district "00": no
     * choice to make. */
    for (i = 0; k->bydeler->nelts > 1 && i < k->bydeler->nelts; i++) {
        const bkm_bydel_t *b = APR_ARRAY_IDX(k->bydeler, i,
                                             const bkm_bydel_t *);
        int valgt = bnr ? strcmp(bnr, b->nummer) == 0 : b->standard_mottaker;
        json_array_append_new(bydeler,
                              json_pack("{s:s, s:s, s:s, s:b}", "id",
                                        apr_pstrcat(r->pool, "bydel-",
                                                    b->nummer, NULL),
                                        "nummer", b->nummer, "navn", b->navn,
                                        "valgt", valgt));
    }
    json_object_set_new(v, "bydeler", bydeler);
    /* issue 14: where the portal cannot take the report, the child
     * welfare service's phone number (the registry's "telefon"). */
    if (!k->aktiv && k->telefon) {
        json_object_set_new(v, "telefon", json_string(k->telefon));
        json_object_set_new(v, "telefonHref", json_string(k->telefon_uri));
    }
    if (!k->aktiv && k->adresse) {
        json_t *linjer = json_array();
        for (i = 0; i < k->adresse->adresselinjer->nelts; i++) {
            json_array_append_new(
                linjer, json_string(APR_ARRAY_IDX(k->adresse->adresselinjer,
                                                  i, const char *)));
        }
        json_object_set_new(v, "adresse",
                            json_pack("{s:s, s:o, s:s, s:s}", "mottaker",
                                      k->adresse->mottaker, "linjer", linjer,
                                      "postnummer", k->adresse->postnummer,
                                      "poststed", k->adresse->poststed));
    }
    return v;
}

/* GET /privat, /offentlig (the type: q->arg) */
int bkm_handle_velg(request_rec *r, const bkm_req_t *q)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const char *type = q->arg, *lang = q->lang, *knr, *sok, *folded = NULL;
    const char *utkast, *med = "";
    const bkm_kommune_t *k = NULL;
    json_t *data, *list;
    int i, shown = 0;

    data = bkm_page_data(r, lang,
                         bkm_i18n_text(pg->i18n, lang,
                                       apr_pstrcat(r->pool, "velg.tittel.",
                                                   type, NULL)));
    json_object_set_new(data, "action",
                        json_string(apr_pstrcat(r->pool, "/", type, NULL)));
    /* A draft kept by "change municipality" (pages/skjema.c) rides along
     * to the form of the municipality chosen: only its id, which is
     * worth nothing without this browser's cookie. */
    utkast = bkm_page_arg(r, "utkast");
    if (utkast && bkm_uuid_valid(utkast, 0)) {
        json_object_set_new(data, "utkast", json_string(utkast));
        med = apr_pstrcat(r->pool, "&utkast=", utkast, NULL);
    }
    else {
        utkast = NULL;
    }
    /* issue 14: a private reporter is told what the family can learn */
    json_object_set_new(data, "privat",
                        json_boolean(strcmp(type, "privat") == 0));
    knr = bkm_page_arg(r, "kommune");
    if (knr && !(k = bkm_registry_kommune(reg, knr))) {
        json_object_set_new(data, "ukjent", json_true());
    }
    if (k) {
        json_object_set_new(data, "kommune",
                            kommune_view(r, k, type, lang,
                                         bkm_page_arg(r, "bydel")));
        if (utkast) {
            json_object_set_new(json_object_get(data, "kommune"), "bytt",
                                json_string(apr_pstrcat(r->pool, "/", type,
                                                        "?utkast=", utkast,
                                                        NULL)));
        }
        return bkm_page_render(r, HTTP_OK, "velg", data);
    }
    sok = bkm_page_arg(r, "sok");
    if (sok && *sok) {
        /* Typed text that is not UTF-8 matches nothing. */
        folded = fold(r->pool, sok);
        json_object_set_new(data, "sok", json_string(folded ? sok : ""));
        if (!folded) {
            folded = "\x01";
        }
    }
    list = json_array();
    for (i = 0; i < reg->kommuner->nelts; i++) {
        const bkm_kommune_t *km = APR_ARRAY_IDX(reg->kommuner, i,
                                                const bkm_kommune_t *);
        const char *navn = bkm_kommune_navn(km, lang);
        const char *key = fold(r->pool, apr_pstrcat(r->pool, km->nummer, " ",
                                                    navn, NULL));
        if (folded && (!key || !strstr(key, folded))) {
            continue;
        }
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s, s:s}", "nummer",
                                        km->nummer, "navn", navn, "sok",
                                        key ? key : "", "href",
                                        apr_pstrcat(r->pool, "/", type,
                                                    "?kommune=", km->nummer,
                                                    med, NULL)));
        shown++;
    }
    json_object_set_new(data, "kommuner", list);
    /* "No municipality matches" only when a search found nothing (an
     * array for t:hidden set no attribute at all: the text stood above
     * the full list).  bkm.js shows and hides it while typing. */
    json_object_set_new(data, "skjulIngen",
                        json_boolean(!(folded && shown == 0)));
    json_object_set_new(
        data, "antall",
        json_string(shown == 1
                        ? bkm_i18n_text(pg->i18n, lang, "velg.antall.en")
                        : bkm_i18n_format(r->pool,
                                          bkm_i18n_text(pg->i18n, lang,
                                                        "velg.antall"),
                                          "n", apr_itoa(r->pool, shown))));
    return bkm_page_render(r, HTTP_OK, "velg", data);
}
