/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file pages/pages.h
 * @brief What every page shares, and the reporter's pages.
 */
#ifndef BKM_PAGES_PAGES_H
#define BKM_PAGES_PAGES_H

#include "mod_bekymring_private.h"
#include <jansson.h>
#include <util_filter.h>
#include "bkm_html.h"
#include "bkm_i18n.h"
#include "bkm_postnummer.h"
#include "server/person.h"
#include "server/routes.h"

/** The reporter's web: templates, catalogues, postal codes (read-only
 *  after start-up, shared by all threads). */
typedef struct bkm_pages_s {
    const char *dir;
    bkm_html_set_t *html;
    bkm_i18n_t *i18n;
    const bkm_postnummer_t *postnummer; /**< "0001" -> "OSLO" */
    /** The view of each empty form, by type, protocol version (1, 2) and
     *  language, made once: the form most often asked for costs no
     *  building per request.  Read-only (jansson's reference counts are
     *  atomic, so threads may share them). */
    json_t *tom[2][2][BKM_I18N_NLANGS];
    /** The form's language buttons, by the page's language. */
    json_t *sprakknapper[BKM_I18N_NLANGS];
} bkm_pages_t;

/* pages/side.c: what every page shares */
struct bkm_person_s;
/** Load every server's BekymringPages directory (each directory once),
 *  in the check_config hook, which `apache2 -t` runs too: a broken
 *  template or a missing translation stops httpd there.  @return OK, or
 *  HTTP_INTERNAL_SERVER_ERROR after logging why. */
int bkm_pages_check_config(apr_pool_t *pconf, server_rec *s);
/** This server's pages, or NULL when BekymringPages is not set. */
const bkm_pages_t *bkm_pages(request_rec *r);
/** Log that a page was asked for without BekymringPages; 404. */
int bkm_pages_missing(request_rec *r);
/** A query argument, decoded, or NULL. */
const char *bkm_page_arg(request_rec *r, const char *name);
/** Our cookies: HttpOnly, SameSite=Lax, Secure over https (max_age 0:
 *  until the browser closes). */
void bkm_page_cookie(request_rec *r, const char *name, const char *value,
                     const char *path, long max_age);
void bkm_page_cookie_remove(request_rec *r, const char *name,
                            const char *path);
const char *bkm_page_cookie_get(request_rec *r, const char *name);
/** The name of a cookie for the whole site (Path=/): behind TLS with the
 *  __Host- prefix, which browsers take neither from plain http nor from a
 *  sibling domain. */
const char *bkm_page_host_cookie(request_rec *r, const char *name);
/** The receipt's cookie: set by the form (pages/skjema.c), read by the
 *  receipt (pages/sendt.c). */
#define BKM_COOKIE_SENDT "bkm_sendt"
/** A cookie "<id>.<key in hex>" that gives this browser what the server
 *  keeps sealed for it (the receipt's copy, a draft): set it, and read it
 *  back for @p id (1 when it names @p id and holds a BKM_BOX_KEY key). */
void bkm_page_key_cookie_set(request_rec *r, const char *name, const char *id,
                             const char *keyhex, const char *path,
                             long max_age);
int bkm_page_key_cookie_get(request_rec *r, const char *name, const char *id,
                            unsigned char *key);
/** The page's language (bkm_i18n_pick); ?sprak= also remembers it. */
const char *bkm_page_lang(request_rec *r, const struct bkm_person_s *person);
void bkm_page_set_lang(request_rec *r, const char *lang);
/** This browser's CSRF token for the person logged in (the browser's
 *  random cookie is set when new; bkm_token.h binds the two).  NULL
 *  without BekymringSecretKey. */
const char *bkm_page_csrf(request_rec *r);
/** Whether a posted token is this browser's for this person. */
int bkm_page_csrf_ok(request_rec *r, const char *posted);
/** The tag of the person logged in (bkm_token_person), or NULL. */
const char *bkm_page_login_tag(request_rec *r);
/** Set the login evidence for the person logged in, valid @p max_age
 *  seconds: the signed cookie that lets a post whose login ran out be
 *  kept as a draft. */
void bkm_page_evidence_set(request_rec *r, long max_age);
/** The tag of this browser's valid login evidence, or NULL. */
const char *bkm_page_evidence_tag(request_rec *r);
/** A page's data with what every page has: lang, tittel, the language
 *  switcher. */
json_t *bkm_page_data(request_rec *r, const char *lang, const char *tittel);
/** The same without the switcher's links (the form has buttons). */
json_t *bkm_page_data_bare(request_rec *r, const char *lang,
                           const char *tittel);
/** Render a template with @p data (which has "lang") as the answer. */
int bkm_page_render(request_rec *r, int status, const char *tmpl,
                    json_t *data);
/** A small url-encoded form (the administration's posts): at most 32
 *  fields, each once, strict UTF-8.  @return OK, or the status to answer
 *  (415, 413, 400). */
int bkm_page_form(request_rec *r, apr_size_t limit, apr_table_t **out);
/** The person of a page, logged in at a level we accept, and the page's
 *  language: OK (person->pid is NULL when there is no login and
 *  @p required is 0), or DONE after answering a refusal (500 for a
 *  location without the login, 403 for a level too low). */
int bkm_page_person(request_rec *r, struct bkm_person_s *person,
                    const char **lang, int required);
/** 503 as a page: the database does not answer; try again. */
int bkm_page_unavailable(request_rec *r, const char *lang);
/** 404 as a page: what is not the person's is as unknown as what does
 *  not exist. */
int bkm_page_not_found(request_rec *r, const char *lang);
/** A stored time (microseconds, as text) as "YYYY-MM-DD HH:MM" in Oslo;
 *  NULL for NULL. */
const char *bkm_page_when(apr_pool_t *p, const char *micros);
/** One CSV line (RFC 4180: every field quoted, quotes doubled, CR LF)
 *  written to the output filters through @p bb. */
void bkm_page_csv_row(request_rec *r, apr_bucket_brigade *bb,
                      const char *const *fields, int n);
/** A page that only says something (catalogue keys; tekst may be NULL). */
int bkm_page_message(request_rec *r, int status, const char *lang,
                     const char *tittel_key, const char *tekst_key);

/* The reporter's pages (the route table) */
int bkm_handle_forside(request_rec *r, const bkm_req_t *q);
int bkm_handle_velg(request_rec *r, const bkm_req_t *q);
int bkm_handle_skjema_side(request_rec *r, const bkm_req_t *q);
int bkm_handle_skjema_side_post(request_rec *r, const bkm_req_t *q);
int bkm_handle_sendt(request_rec *r, const bkm_req_t *q);
int bkm_handle_sendt_kopi(request_rec *r, const bkm_req_t *q);
int bkm_handle_status(request_rec *r, const bkm_req_t *q);
int bkm_handle_meg(request_rec *r, const bkm_req_t *q);
/* pages/om.c (issue 14): privacy, accessibility, contact, logged out */
int bkm_handle_om(request_rec *r, const bkm_req_t *q);

#endif
