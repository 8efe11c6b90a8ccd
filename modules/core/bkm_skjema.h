/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_skjema.h
 * @brief The reporter's web forms: their fields (exactly the incumbent's,
 * by protocol version), a posted form read strictly, the report it makes,
 * its validation errors put back on its fields, and the page's view of it.
 * httpd-free.
 *
 * A field's name in the page is its path in the report with the block
 * index in place of the array's "*": "privatBarn.0.personnavn".  What was
 * typed is kept exactly (but CR LF becomes LF and single-line fields are
 * trimmed), so a page shown again shows every value.
 */
#ifndef BKM_SKJEMA_H
#define BKM_SKJEMA_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "bkm_i18n.h"
#include "bkm_postnummer.h"

typedef enum {
    BKM_SKJEMA_PRIVAT = 0,
    BKM_SKJEMA_OFFENTLIG = 1
} bkm_skjema_type_e;

/** Most children one report names, and guardians (the schema's 2). */
#define BKM_SKJEMA_MAX_BARN 10
#define BKM_SKJEMA_MAX_FORESATTE 2

/** A posted (or new) form. */
typedef struct {
    apr_pool_t *pool;
    bkm_skjema_type_e type;
    int versjon;                 /**< the district's protocol version */
    json_t *verdier;             /**< field name -> string, as typed */
    int barn;                    /**< child blocks shown (>= 1) */
    int foresatte;               /**< guardian blocks (public form, 1..2) */
    const char *csrf;            /**< the posted CSRF token, or NULL */
    const char *skjema_id;       /**< the one-time form token, or NULL */
    const char *handling;        /**< the button pressed, or NULL */
    const char *kommune, *bydel; /**< the route, as posted */
    json_t *feil;                /**< field name -> message, after errors */
    json_t *oppsummering;        /**< [{id, tekst}] in the page's order */
} bkm_skjema_t;

/** "privat" or "offentlig" */
const char *bkm_skjema_type_name(bkm_skjema_type_e type);

/** An empty form: one child, one guardian. */
bkm_skjema_t *bkm_skjema_new(apr_pool_t *p, bkm_skjema_type_e type,
                             int versjon);

/**
 * Read an application/x-www-form-urlencoded body strictly: well-formed
 * percent-escapes, strict UTF-8, no control characters but tab and line
 * breaks, only the fields this form and version has, each once.
 * @return NULL, or a message for a 400 (it names no value).
 */
const char *bkm_skjema_parse(apr_pool_t *p, bkm_skjema_type_e type,
                             int versjon, const char *body, apr_size_t len,
                             bkm_skjema_t **out);

/** Posted forms are read before their district is known, with every
 *  version's fields (BKM_SKJEMA_ALL_VERSIONS); then this sets the district's
 *  version.  @return NULL, or a message for a 400 when a field was posted
 *  that this version does not have. */
#define BKM_SKJEMA_ALL_VERSIONS 99
const char *bkm_skjema_set_version(bkm_skjema_t *f, int versjon);

/**
 * Apply a button other than "send": "legg-til:<array>", "fjern:<array>:<i>"
 * (the blocks after it move up).  @return 1 when it was one of those,
 * 0 otherwise.
 */
int bkm_skjema_apply(bkm_skjema_t *f, const char *handling);

/**
 * The report the form makes (without what the server adds: names,
 * time, channel).  Empty optional fields are left out; a known postal code
 * with no place typed gets its place from @p postnummer (may be NULL).
 * An address whose street line the form does not require (the private
 * reporter's own) gets an empty one when any other part of it is typed,
 * as the protocol's address must have the line: typing a postcode never
 * makes the street required.
 */
json_t *bkm_skjema_report(const bkm_skjema_t *f,
                          const bkm_postnummer_t *postnummer);

/**
 * Refuse what the form does not ask (the form-submission API; the pages
 * refuse unknown fields when they read the post): every member of
 * @p report must be a field of this form and protocol version, an object
 * or array on the way to one, or one of those the server sets
 * (kommunenummer, kommunenavn, bydelsnummer, bydelsnavn,
 * sendingstidspunkt, leveringskanal).  Appends a bkm_jsonschema_error_t
 * per unknown member (pointer: the member's, keyword
 * "additionalProperties"; a national id number where the form has none,
 * such as the reporter's, is named as such) and does not look inside it.
 * Values of the wrong type are the schema's to judge.  Bounded: the first
 * 20 blocks of an array, at most BKM_JSONSCHEMA_MAX_ERRORS errors in all.
 * @return the number of errors appended
 */
int bkm_skjema_check_members(apr_pool_t *p, bkm_skjema_type_e type,
                             int versjon, const json_t *report,
                             apr_array_header_t *errors);

/**
 * Put validation errors (bkm_jsonschema_error_t) on the form's fields in
 * the page's language: f->feil and f->oppsummering.
 */
void bkm_skjema_set_errors(bkm_skjema_t *f, const apr_array_header_t *errors,
                           const bkm_i18n_t *i18n, const char *lang);

/** Put one message on a field (e.g. an unknown municipality). */
void bkm_skjema_add_error(bkm_skjema_t *f, const char *name,
                          const char *tekst, const bkm_i18n_t *i18n,
                          const char *lang);

/**
 * The page's view of the form: {"felt": {...}} where each field is an
 * object with navn, id, verdi, etikett, beskrivelse, feil, pakrevd and
 * what its kind of input needs, nested like the report (blocks as
 * arrays with nr and their remove button).
 */
json_t *bkm_skjema_view(const bkm_skjema_t *f, const bkm_i18n_t *i18n,
                        const char *lang);

/* ---- the check page (issue 14) ---- */

/**
 * Every answer of the form for the check page, in the page's order, by
 * part (the reporter, each child, each guardian, the concern), parts in
 * the page's order: [{tittel, rader: [{navn, felt, id, etikett, verdi,
 * flerlinjet, tom}]}].  Yes/no and checkboxes as the words; an address as
 * one answer of lines (felt: its path, navn and id: its first line), with
 * a known postal code's place that nobody typed as the server will fill it
 * in (@p postnummer); the login's name is left out (the page shows it
 * apart).  @p id is the field's element in the form (the change link's
 * target).
 */
json_t *bkm_skjema_summary(const bkm_skjema_t *f,
                           const bkm_postnummer_t *postnummer,
                           const bkm_i18n_t *i18n, const char *lang);

/** Every field of the form as [{navn, verdi}], empty ones too (so the
 *  blocks come back as they were): the check page's hidden fields. */
json_t *bkm_skjema_hidden(const bkm_skjema_t *f);

/** The element id of field @p name in the form page (its first radio
 *  button for a yes/no question), or NULL when the form has no such
 *  field. */
const char *bkm_skjema_dom_id(apr_pool_t *p, const bkm_skjema_t *f,
                              const char *name);

/** Set the version like bkm_skjema_set_version, but a field this
 *  version does not have is taken out of the form instead of refused: a
 *  draft carried to a municipality on another protocol version.  @return
 *  what was typed in those fields, [{etikett, verdi}], so the page can
 *  show it (nothing typed is lost). */
json_t *bkm_skjema_set_version_keeping(bkm_skjema_t *f, int versjon,
                                       const bkm_i18n_t *i18n,
                                       const char *lang);

#endif
