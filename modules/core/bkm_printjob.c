/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The print manifest.  Every value is checked first, against the same rules
 * as schema/print/utskrift.xsd, and only then is the document built with
 * libxml2's tree API: a manifest that the print provider's validator would
 * refuse must fail here, at escalation time, where the report can still be
 * flagged for manual follow-up, and not at the provider, where it would sit
 * unprinted.
 *
 * The XML document lives in a subpool that is destroyed before returning;
 * only the serialised bytes are copied to the caller's pool.
 */
#include "bkm_printjob.h"
#include "bkm_xml.h"
#include "bkm_digest.h"
#include "bkm_utf8.h"

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include <libxml/tree.h>

#include "bkm_ids.h"
#include "bkm_time.h"

/* Child welfare letters go as A-post (priority mail: the letter replaces a
 * digital delivery that already failed or came too late), printed plain
 * and one-sided, which every print line can do. */
#define FORSENDELSE "A-post"
#define FARGE "svarthvitt"
#define SIDER "enkeltsidig"
/* Only Norwegian addresses: the registry's postnummer is four digits. */
#define LAND "NO"

/* ---- checks ---- */

static int all_digits(const char *s, apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') { /* ASCII only, unlike isdigit */
            return 0;
        }
    }
    return s[n] == '\0';
}

/* bkm_reference_valid() accepts either case (a person types it); the
 * manifest carries the one spelling the reporter was shown. */
static int is_reference(const char *s)
{
    const char *c;

    if (!bkm_reference_valid(s)) {
        return 0;
    }
    for (c = s; *c; c++) {
        if (apr_islower(*c)) {
            return 0;
        }
    }
    return 1;
}

/*
 * A text value: present, valid UTF-8 of XML characters, no control
 * characters (C0, DEL, C1: a line break in an address line would move the
 * rest of the address on the envelope), at least one character that is not
 * white space, at most @p max characters.  The XSD's type "tekst" says the
 * same.
 */
static const char *check_text(apr_pool_t *p, const char *field, const char *s,
                              int max)
{
    apr_size_t i = 0, n;
    int chars = 0, visible = 0;
    long c;

    if (!s || !*s) {
        return apr_pstrcat(p, field, " is missing", NULL);
    }
    for (n = strlen(s); i < n; chars++) {
        if ((c = bkm_utf8_next((const unsigned char *)s, n, &i)) < 0) {
            return apr_pstrcat(p, field, " is not valid UTF-8", NULL);
        }
        if (bkm_utf8_is_control(c)) {
            return apr_pstrcat(p, field, " contains a control character",
                               NULL);
        }
        if (c == 0xfffe || c == 0xffff) {
            return apr_pstrcat(p, field,
                               " contains a character that XML "
                               "does not allow",
                               NULL);
        }
        if (c != ' ') {
            visible = 1;
        }
    }
    if (!visible) {
        return apr_pstrcat(p, field, " is only white space", NULL);
    }
    if (chars > max) {
        return apr_psprintf(p, "%s is longer than %d characters", field, max);
    }
    return NULL;
}

/* A value with a fixed shape (ids, numbers): present and matching. */
static const char *check_shape(apr_pool_t *p, const char *field,
                               const char *s, int ok, const char *what)
{
    if (!s || !*s) {
        return apr_pstrcat(p, field, " is missing", NULL);
    }
    if (!ok) {
        return apr_pstrcat(p, field, " must be ", what, NULL);
    }
    return NULL;
}

const char *bkm_printjob_check_text(apr_pool_t *p, const char *field,
                                    const char *s)
{
    return check_text(p, field, s, BKM_PRINTJOB_MAX_TEKST);
}

const char *bkm_printjob_check_adresse(apr_pool_t *p,
                                       const bkm_postadresse_t *a)
{
    const char *err;
    int i;

    if (!a) {
        return "adresse is missing";
    }
    if ((err = check_text(p, "adresse.mottaker", a->mottaker,
                          BKM_PRINTJOB_MAX_TEKST))) {
        return err;
    }
    if (!a->adresselinjer || a->adresselinjer->nelts == 0) {
        return "adresse.adresselinjer is missing (at least one line)";
    }
    if (a->adresselinjer->nelts > BKM_PRINTJOB_MAX_ADRESSELINJER) {
        return apr_psprintf(p,
                            "adresse.adresselinjer has %d lines, at most "
                            "%d are printed",
                            a->adresselinjer->nelts,
                            BKM_PRINTJOB_MAX_ADRESSELINJER);
    }
    for (i = 0; i < a->adresselinjer->nelts; i++) {
        if ((err = check_text(p,
                              apr_psprintf(p, "adresse.adresselinjer[%d]", i),
                              APR_ARRAY_IDX(a->adresselinjer, i,
                                            const char *),
                              BKM_PRINTJOB_MAX_TEKST))) {
            return err;
        }
    }
    if ((err = check_shape(p, "adresse.postnummer", a->postnummer,
                           a->postnummer && all_digits(a->postnummer, 4),
                           "four digits"))) {
        return err;
    }
    return check_text(p, "adresse.poststed", a->poststed,
                      BKM_PRINTJOB_MAX_POSTSTED);
}

static const char *check_job(apr_pool_t *p, const bkm_printjob_t *j)
{
    const char *err;
    const char *a = j->arsak;

    if ((err = check_shape(p, "utskrift_id", j->utskrift_id,
                           j->utskrift_id
                               && bkm_uuid_valid(j->utskrift_id, 0),
                           "a lower-case UUID"))
        || (err = check_shape(p, "bekymringsmelding_id",
                              j->bekymringsmelding_id,
                              j->bekymringsmelding_id
                                  && bkm_uuid_valid(j->bekymringsmelding_id,
                                                    0),
                              "a lower-case UUID"))
        || (err = check_shape(p, "referanse", j->referanse,
                              j->referanse && is_reference(j->referanse),
                              "a reference such as 7K4Q-9XHT (upper case)"))
        || (err = check_shape(p, "kommunenummer", j->kommunenummer,
                              j->kommunenummer
                                  && all_digits(j->kommunenummer, 4),
                              "four digits"))
        || (err = check_text(p, "kommunenavn", j->kommunenavn,
                             BKM_PRINTJOB_MAX_TEKST))
        || (err = check_shape(p, "bydelsnummer", j->bydelsnummer,
                              j->bydelsnummer
                                  && all_digits(j->bydelsnummer, 2),
                              "two digits"))
        || (err = check_text(p, "bydelsnavn", j->bydelsnavn,
                             BKM_PRINTJOB_MAX_TEKST))
        || (err = bkm_printjob_check_adresse(p, j->adresse))
        || (err = check_shape(
                p, "dokument_sha256", j->dokument_sha256,
                j->dokument_sha256
                    && bkm_sha256_hex_valid(j->dokument_sha256,
                                            strlen(j->dokument_sha256)),
                "64 lower-case hex digits"))
        || (err = check_shape(p, "dokument_type", j->dokument_type,
                              j->dokument_type
                                  && !strcmp(j->dokument_type,
                                             BKM_PRINTJOB_DOKUMENT_TYPE),
                              BKM_PRINTJOB_DOKUMENT_TYPE))
        || (err = check_shape(p, "arsak", a,
                              a
                                  && (!strcmp(a, "feilet")
                                      || !strcmp(a, "frist")
                                      || !strcmp(a, "manuell")),
                              "feilet, frist or manuell"))) {
        return err;
    }
    if (j->dokument_storrelse <= 0) {
        return "dokument_storrelse must be a positive number of bytes";
    }
    /* 0 is what an unset field holds; before 1970 is no order time. */
    if (j->bestilt <= 0) {
        return "bestilt is missing";
    }
    /* 10000-01-01T00:00:00Z: xs:dateTime as the XSD's pattern has it has
     * four-digit years */
    if (j->bestilt >= apr_time_from_sec(APR_INT64_C(253402300800))) {
        return "bestilt is after the year 9999";
    }
    return NULL;
}

/* ---- the document ---- */

/*
 * A child element in the parent's namespace: with text, through
 * xmlNewTextChild(), which escapes it (xmlNewChild() would parse entity
 * references in it); without, an empty container.  Once one call has
 * failed (*ok == 0) the rest do nothing, so the builder below can stay a
 * straight list and check once.
 */
static xmlNodePtr add(xmlNodePtr parent, const char *name, const char *text,
                      int *ok)
{
    xmlNodePtr n = NULL;

    if (*ok && parent) {
        n = text ? xmlNewTextChild(parent, parent->ns, BAD_CAST name,
                                   BAD_CAST text)
                 : xmlNewChild(parent, parent->ns, BAD_CAST name, NULL);
    }
    if (!n) {
        *ok = 0;
    }
    return n;
}

static const char *build(apr_pool_t *p, apr_pool_t *tmp,
                         const bkm_printjob_t *j, char **xml, apr_size_t *len)
{
    const bkm_postadresse_t *a = j->adresse;
    xmlDocPtr doc;
    xmlNodePtr root, mottaker, postadresse, dokument, valg;
    xmlNsPtr ns;
    const char *err;
    int ok = 1, i;

    if ((err = bkm_xml_doc(tmp, "utskrift", &doc, &root))) {
        return err;
    }
    /* The default namespace, so that every element is qualified (the
     * XSD's elementFormDefault) without a prefix. */
    if (!(ns = xmlNewNs(root, BAD_CAST BKM_PRINTJOB_NS, NULL))) {
        return "xmlNewNs failed";
    }
    xmlSetNs(root, ns);
    if (!xmlNewProp(root, BAD_CAST "versjon",
                    BAD_CAST BKM_PRINTJOB_VERSJON)) {
        return "xmlNewProp failed";
    }

    add(root, "utskriftId", j->utskrift_id, &ok);
    add(root, "bekymringsmeldingId", j->bekymringsmelding_id, &ok);
    add(root, "referanse", j->referanse, &ok);
    /* xs:dateTime in UTC, whole seconds: the same instant to a reader in
     * any time zone, and no Oslo summer-time offset to get wrong */
    add(root, "bestilt", bkm_time_utc(tmp, j->bestilt), &ok);
    add(root, "arsak", j->arsak, &ok);

    mottaker = add(root, "mottaker", NULL, &ok);
    add(mottaker, "kommunenummer", j->kommunenummer, &ok);
    add(mottaker, "kommunenavn", j->kommunenavn, &ok);
    add(mottaker, "bydelsnummer", j->bydelsnummer, &ok);
    add(mottaker, "bydelsnavn", j->bydelsnavn, &ok);
    postadresse = add(mottaker, "postadresse", NULL, &ok);
    add(postadresse, "navn", a->mottaker, &ok);
    for (i = 0; i < a->adresselinjer->nelts; i++) {
        add(postadresse, "adresselinje",
            APR_ARRAY_IDX(a->adresselinjer, i, const char *), &ok);
    }
    add(postadresse, "postnummer", a->postnummer, &ok);
    add(postadresse, "poststed", a->poststed, &ok);
    add(postadresse, "land", LAND, &ok);

    dokument = add(root, "dokument", NULL, &ok);
    add(dokument, "type", j->dokument_type, &ok);
    add(dokument, "sha256", j->dokument_sha256, &ok);
    add(dokument, "storrelse",
        apr_psprintf(tmp, "%" APR_OFF_T_FMT, j->dokument_storrelse), &ok);

    valg = add(root, "utskriftsvalg", NULL, &ok);
    add(valg, "forsendelse", FORSENDELSE, &ok);
    add(valg, "farge", FARGE, &ok);
    add(valg, "sider", SIDER, &ok);
    if (!ok) {
        return "building the manifest failed (out of memory)";
    }

    return bkm_xml_dump(p, doc, xml, len);
}

const char *bkm_printjob_manifest(apr_pool_t *p, const bkm_printjob_t *job,
                                  char **xml, apr_size_t *len)
{
    apr_pool_t *tmp;
    const char *err;

    *xml = NULL;
    *len = 0;
    if (!job) {
        return "no print job given";
    }
    if ((err = check_job(p, job))) {
        return err;
    }
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return "apr_pool_create failed";
    }
    err = build(p, tmp, job, xml, len);
    if (err) {
        err = apr_pstrdup(p, err);
    }
    apr_pool_destroy(tmp);
    return err;
}
