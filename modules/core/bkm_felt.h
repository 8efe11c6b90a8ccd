/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_felt.h
 * @brief The format of the fields a report of concern names people and
 * places by -- national id, organisation number, postcode, phone and
 * e-mail -- checked the same way for the web form and the form-submission
 * API (README: "Field rules").  httpd-free.
 *
 * Each rule has a name "<field>.<rule>" ("fnr.lengde"): the form shows the
 * catalogue's "feil.<name>" in the page's language, the API gives it as
 * the error's "regel" with bkm_felt_message() in English.
 */
#ifndef BKM_FELT_H
#define BKM_FELT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "bkm_postnummer.h"

/**
 * A national identity number (fødselsnummer), D-number (day + 40),
 * H-number or synthetic test number (month + 40, as NAV's test data and
 * H-numbers have) or Skatteetaten's synthetic test number (month + 80, as
 * ID-porten's test users have): 11 digits, a day and month that exist, and
 * both mod-11 check digits.  Spaces between digits are allowed.
 * @return NULL when valid, else "fnr.tegn" (not only digits), "fnr.lengde"
 *         (not 11 digits) or "fnr.ugyldig" (date or check digits)
 */
const char *bkm_felt_fnr(const char *s);

/**
 * An organisation number: 9 digits whose last is the mod-11 check digit
 * with weights 3 2 7 6 5 4 3 2.  Spaces between digits are allowed.
 * @return NULL, "orgnr.tegn", "orgnr.lengde" or "orgnr.ugyldig"
 */
const char *bkm_felt_orgnr(const char *s);

/**
 * A postcode: 4 digits (spaces allowed) that are in the register.
 * @return NULL, "postnummer.lengde" or "postnummer.finnesikke"
 */
const char *bkm_felt_postnummer(const bkm_postnummer_t *reg, const char *s);

/**
 * A phone number: Norwegian, 8 digits after an optional +47 or 0047; or
 * international, + or 00 and the country code, 7 to 15 digits in all
 * (E.164).  Digits may be grouped with single spaces or hyphens.
 * @return NULL, "telefon.tegn" (anything else than digits, spaces,
 *         hyphens and a leading +), "telefon.lengde" (too few or too many
 *         digits) or "telefon.ugyldig" (a country code starting with 0)
 */
const char *bkm_felt_telefon(const char *s);

/**
 * An e-mail address as the protocol's schema allows it: one @, letters
 * (æøå too), digits, "_" and "-" in dot-separated parts before it, a
 * domain with a dot and a top-level domain of 2 or more letters after it.
 * @return NULL, "epost.mellomrom", "epost.alfa" (not exactly one @, or
 *         nothing before it), "epost.domene" (no dotted domain after it)
 *         or "epost.tegn" (a character the protocol does not allow)
 */
const char *bkm_felt_epost(const char *s);

/** The English text of a rule's name, for the API; NULL if unknown. */
const char *bkm_felt_message(const char *rule);

/**
 * Check every field of a report (private or public, any version) that has
 * a format rule, where it is a non-empty string; write the value back in
 * its canonical form (national id, organisation number and postcode as
 * digits only; a phone number's spaces single and only between digits);
 * and append a bkm_jsonschema_error_t (pointer, keyword: the rule's name,
 * message: English) for each that breaks its rule.  Empty and missing
 * values, and values of another type, are the schema's to judge.  Bounded:
 * at most the first 20 blocks of an array are looked at (the schemas
 * allow no more).
 * @return the number of errors appended
 */
int bkm_felt_check(apr_pool_t *p, json_t *report, const bkm_postnummer_t *reg,
                   apr_array_header_t *errors);

#endif
