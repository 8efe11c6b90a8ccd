/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tenant registry: parse schema/registry.schema.json's format with
 * jansson and check every rule, so that a broken registry stops httpd at
 * configuration time instead of misrouting a report at run time.
 */
#include "bkm_registry.h"
#include "bkm_ids.h"
#include "bkm_printjob.h"
#include "bkm_lagringskvittering.h"
#include "bkm_duration.h"
#include "bkm_digest.h"

#include <string.h>
#include <time.h>

#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_file_info.h>
#include <apr_md5.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/evp.h>

/* The county (fylke) numbers in force since 2024: the first two digits of
 * every municipality number.  A number with another prefix is a typo or an
 * old number (e.g. 5401 Tromsø before 2024) and is refused. */
static const char *const bkm_fylker[] = { "03", "11", "15", "18", "31", "32",
                                          "33", "34", "39", "40", "42", "46",
                                          "50", "55", "56", NULL };

int bkm_kommunenummer_known(const char *nr)
{
    int i;

    for (i = 0; i < 4; i++) {
        if (!nr || !apr_isdigit(nr[i])) {
            return 0;
        }
    }
    if (nr[4] || strcmp(nr + 2, "00") == 0) {
        return 0;
    }
    for (i = 0; bkm_fylker[i]; i++) {
        if (strncmp(nr, bkm_fylker[i], 2) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ---- small strict-JSON helpers; each returns NULL or an error message ---- */

typedef struct {
    apr_pool_t *p;
    const char *dir;   /* the registry file's directory */
    const char *where; /* position in the file, for messages */
} bkm_ctx_t;

static const char *fail(bkm_ctx_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *fail(bkm_ctx_t *c, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(c->p, fmt, ap);
    va_end(ap);
    return c->where ? apr_pstrcat(c->p, c->where, ": ", msg, NULL) : msg;
}

/* additionalProperties: false */
static const char *only_keys(bkm_ctx_t *c, json_t *obj,
                             const char *const *allowed)
{
    const char *key;
    json_t *v;
    int i, ok;

    if (!json_is_object(obj)) {
        return fail(c, "must be a JSON object");
    }
    json_object_foreach(obj, key, v) {
        for (ok = 0, i = 0; allowed[i]; i++) {
            if (strcmp(key, allowed[i]) == 0) {
                ok = 1;
                break;
            }
        }
        if (!ok) {
            return fail(c, "unknown member \"%s\"", key);
        }
    }
    return NULL;
}

static const char *get_str(bkm_ctx_t *c, json_t *obj, const char *key,
                           int required, const char **out)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (!v) {
        return required ? fail(c, "\"%s\" is missing", key) : NULL;
    }
    if (!json_is_string(v) || json_string_length(v) == 0
        || strlen(json_string_value(v)) != json_string_length(v)) {
        return fail(c, "\"%s\" must be a non-empty string", key);
    }
    *out = apr_pstrdup(c->p, json_string_value(v));
    return NULL;
}

static const char *get_bool(bkm_ctx_t *c, json_t *obj, const char *key,
                            int required, int *out)
{
    json_t *v = json_object_get(obj, key);

    *out = 0;
    if (!v) {
        return required ? fail(c, "\"%s\" is missing", key) : NULL;
    }
    if (!json_is_boolean(v)) {
        return fail(c, "\"%s\" must be true or false", key);
    }
    *out = json_is_true(v);
    return NULL;
}

static const char *get_array(bkm_ctx_t *c, json_t *obj, const char *key,
                             int required, json_t **out)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (!v) {
        return required ? fail(c, "\"%s\" is missing", key) : NULL;
    }
    if (!json_is_array(v)) {
        return fail(c, "\"%s\" must be an array", key);
    }
    *out = v;
    return NULL;
}

static int all_digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!apr_isdigit(s[i])) {
            return 0;
        }
    }
    return s[n] == '\0';
}

static const char *get_uuid(bkm_ctx_t *c, json_t *obj, const char *key,
                            const char **out)
{
    const char *err = get_str(c, obj, key, 1, out);

    if (!err && !bkm_uuid_valid(*out, 0)) {
        err = fail(c, "\"%s\" must be a lower-case UUID", key);
    }
    return err;
}

/* ---- certificates ---- */

static apr_time_t asn1_time(const ASN1_TIME *t)
{
    struct tm tm;
    apr_time_exp_t xt;
    apr_time_t out = 0;

    memset(&tm, 0, sizeof(tm));
    memset(&xt, 0, sizeof(xt));
    if (ASN1_TIME_to_tm(t, &tm) == 1) {
        xt.tm_year = tm.tm_year;
        xt.tm_mon = tm.tm_mon;
        xt.tm_mday = tm.tm_mday;
        xt.tm_hour = tm.tm_hour;
        xt.tm_min = tm.tm_min;
        xt.tm_sec = tm.tm_sec;
        apr_time_exp_gmt_get(&out, &xt);
    }
    return out;
}

static const char *name_string(apr_pool_t *p, const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    const char *s = "";
    char *data;
    long len;

    if (bio && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        len = BIO_get_mem_data(bio, &data);
        s = apr_pstrmemdup(p, data, (apr_size_t)len);
    }
    BIO_free(bio);
    return s;
}

static const char *serial_string(apr_pool_t *p, const ASN1_INTEGER *serial)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    char *dec = bn ? BN_bn2dec(bn) : NULL;
    const char *s = apr_pstrdup(p, dec ? dec : "");

    OPENSSL_free(dec);
    BN_free(bn);
    return s;
}

const char *bkm_cert_load(const bkm_cert_t **out, apr_pool_t *p,
                          const char *path)
{
    bkm_cert_t *cert;
    BIO *bio;
    X509 *x;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char line[256];
    int has_key = 0;

    bio = BIO_new_file(path, "r");
    if (!bio) {
        return apr_psprintf(p, "cannot read certificate file %s", path);
    }
    /* The server must hold no recipient's private key: refuse a file that
     * carries one rather than silently ignoring it. */
    while (BIO_gets(bio, line, sizeof(line)) > 0) {
        if (strstr(line, "PRIVATE KEY")) {
            has_key = 1;
        }
    }
    if (has_key) {
        BIO_free(bio);
        return apr_psprintf(p,
                            "%s holds a private key; give the "
                            "certificate alone",
                            path);
    }
    (void)BIO_reset(bio);
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!x) {
        return apr_psprintf(p, "%s is not a PEM X.509 certificate", path);
    }

    cert = apr_pcalloc(p, sizeof(*cert));
    cert->path = apr_pstrdup(p, path);
    X509_digest(x, EVP_sha256(), md, &mdlen);
    cert->sha256 = bkm_hex(p, md, mdlen);
    cert->subject = name_string(p, X509_get_subject_name(x));
    cert->issuer = name_string(p, X509_get_issuer_name(x));
    cert->serial = serial_string(p, X509_get0_serialNumber(x));
    cert->not_before = asn1_time(X509_get0_notBefore(x));
    cert->not_after = asn1_time(X509_get0_notAfter(x));
    bio = BIO_new(BIO_s_mem());
    if (bio && PEM_write_bio_X509(bio, x) == 1) {
        char *data;
        long len = BIO_get_mem_data(bio, &data);
        cert->pem = apr_pstrmemdup(p, data, (apr_size_t)len);
    }
    BIO_free(bio);
    X509_free(x);
    if (!cert->pem) {
        return apr_psprintf(p, "%s: cannot re-encode certificate", path);
    }
    *out = cert;
    return NULL;
}

static const char *get_cert(bkm_ctx_t *c, json_t *obj, const char *key,
                            const bkm_cert_t **out)
{
    const char *rel, *path, *err;

    *out = NULL;
    if ((err = get_str(c, obj, key, 0, &rel)) || !rel) {
        return err;
    }
    if (apr_filepath_merge((char **)&path, c->dir, rel, APR_FILEPATH_NATIVE,
                           c->p)
        != APR_SUCCESS) {
        return fail(c, "\"%s\": bad path %s", key, rel);
    }
    if ((err = bkm_cert_load(out, c->p, path))) {
        return fail(c, "\"%s\": %s", key, err);
    }
    return NULL;
}

/* A channel's certificates: one file name (as before rotation was
 * possible) or an array of one to BKM_SERTIFIKATER_MAX distinct ones (the
 * current and the next during a key rotation; their validity is the
 * certificates' own notBefore/notAfter).  *out stays NULL when the key is
 * absent; *first is the first listed. */
static const char *get_certs(bkm_ctx_t *c, json_t *obj, const char *key,
                             apr_array_header_t **out,
                             const bkm_cert_t **first)
{
    json_t *v = json_object_get(obj, key), *item;
    const char *err, *where = c->where;
    size_t i;
    int j;

    *out = NULL;
    *first = NULL;
    if (!v) {
        return NULL;
    }
    if (json_is_string(v)) {
        if ((err = get_cert(c, obj, key, first))) {
            return err;
        }
        *out = apr_array_make(c->p, 1, sizeof(const bkm_cert_t *));
        APR_ARRAY_PUSH(*out, const bkm_cert_t *) = *first;
        return NULL;
    }
    if (!json_is_array(v) || json_array_size(v) < 1
        || json_array_size(v) > BKM_SERTIFIKATER_MAX) {
        return fail(c,
                    "\"%s\" must be a file name or an array of 1 to %d "
                    "file names",
                    key, BKM_SERTIFIKATER_MAX);
    }
    *out = apr_array_make(c->p, (int)json_array_size(v),
                          sizeof(const bkm_cert_t *));
    json_array_foreach(v, i, item) {
        json_t *holder = json_pack("{s:O}", key, item);
        const bkm_cert_t *cert;

        c->where = apr_psprintf(c->p, "%s[%d]", where, (int)i);
        err = get_cert(c, holder, key, &cert);
        json_decref(holder);
        if (err) {
            return err;
        }
        for (j = 0; j < (*out)->nelts; j++) {
            if (strcmp(APR_ARRAY_IDX(*out, j, const bkm_cert_t *)->sha256,
                       cert->sha256)
                == 0) {
                return fail(c, "\"%s\": %s is listed twice", key, cert->path);
            }
        }
        APR_ARRAY_PUSH(*out, const bkm_cert_t *) = cert;
    }
    c->where = where;
    *first = APR_ARRAY_IDX(*out, 0, const bkm_cert_t *);
    return NULL;
}

/* ---- entries ---- */

static const char *parse_adresse(bkm_ctx_t *c, json_t *obj,
                                 bkm_postadresse_t *a)
{
    static const char *const keys[] = { "mottaker", "adresselinjer",
                                        "postnummer", "poststed", NULL };
    const char *err, *where = c->where;
    json_t *lines, *v;
    size_t i;

    c->where = apr_pstrcat(c->p, where, " postadresse", NULL);
    if ((err = only_keys(c, obj, keys))
        || (err = get_str(c, obj, "mottaker", 1, &a->mottaker))
        || (err = get_array(c, obj, "adresselinjer", 1, &lines))
        || (err = get_str(c, obj, "postnummer", 1, &a->postnummer))
        || (err = get_str(c, obj, "poststed", 1, &a->poststed))) {
        return err;
    }
    if (!all_digits(a->postnummer, 4)) {
        return fail(c, "\"postnummer\" must be four digits");
    }
    if (json_array_size(lines) < 1 || json_array_size(lines) > 3) {
        return fail(c, "\"adresselinjer\" must hold one to three lines");
    }
    a->adresselinjer = apr_array_make(c->p, 3, sizeof(const char *));
    json_array_foreach(lines, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0) {
            return fail(c, "\"adresselinjer\" must be non-empty strings");
        }
        APR_ARRAY_PUSH(a->adresselinjer,
                       const char *) = apr_pstrdup(c->p,
                                                   json_string_value(v));
    }
    c->where = where;
    return NULL;
}

/* Letter post must be possible for every district: what the print
 * manifest will say is checked now (bkm_printjob.h). */
static const char *printable(bkm_ctx_t *c, const bkm_postadresse_t *a,
                             const char *navn)
{
    const char *err = bkm_printjob_check_adresse(c->p, a);

    if (!err) {
        err = bkm_printjob_check_text(c->p, "bydelsnavn", navn);
    }
    return err ? fail(c, "cannot be printed on a letter: %s", err) : NULL;
}

static const char *add_konto(bkm_ctx_t *c, bkm_registry_t *reg,
                             const bkm_konto_t *konto)
{
    if (apr_hash_get(reg->konto_by_id, konto->id, APR_HASH_KEY_STRING)) {
        return fail(c, "kontoId %s is used twice", konto->id);
    }
    apr_hash_set(reg->konto_by_id, konto->id, APR_HASH_KEY_STRING, konto);
    return NULL;
}

/* "HH:MM-HH:MM", from before to; minutes after midnight. */
static int parse_window(const char *s, bkm_calendar_t *cal)
{
    int h1, m1, h2, m2, n = 0;

    if (strlen(s) != 11
        || sscanf(s, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &n) != 4
        || n != 11 || !apr_isdigit(s[0]) || !apr_isdigit(s[6]) || h1 > 24
        || h2 > 24 || m1 > 59 || m2 > 59) {
        return 0;
    }
    cal->from_min = h1 * 60 + m1;
    cal->to_min = h2 * 60 + m2;
    return cal->from_min < cal->to_min && cal->to_min <= 1440;
}

/* Office hours and stored-receipts of a district. */
static const char *parse_kvittering(bkm_ctx_t *c, json_t *obj, bkm_bydel_t *b)
{
    const char *err, *vindu, *where = c->where;
    json_t *certs, *v;
    size_t i;

    b->kontortid.from_min = 0;
    b->kontortid.to_min = 1440;
    if ((err = get_str(c, obj, "kontortid", 0, &vindu))) {
        return err;
    }
    if (vindu && !parse_window(vindu, &b->kontortid)) {
        return fail(c,
                    "\"kontortid\" must be \"HH:MM-HH:MM\" with the "
                    "start before the end, e.g. \"08:00-16:00\"");
    }
    if ((err = get_bool(c, obj, "krevLagringskvittering", 0,
                        &b->krev_lagringskvittering))
        || (err = get_bool(c, obj, "avvisLagringskvitteringV1", 0,
                           &b->avvis_lagringskvittering_v1))
        || (err = get_array(c, obj, "kvitteringssertifikater", 0, &certs))) {
        return err;
    }
    b->kvitteringssertifikater = apr_array_make(c->p, 1,
                                                sizeof(const bkm_cert_t *));
    json_array_foreach(certs, i, v) {
        json_t *holder = json_pack("{s:O}", "sertifikat", v);
        const bkm_cert_t *cert;

        c->where = apr_psprintf(c->p, "%s kvitteringssertifikater[%d]", where,
                                (int)i);
        err = get_cert(c, holder, "sertifikat", &cert);
        json_decref(holder);
        if (err) {
            return err;
        }
        if (!cert) {
            return fail(c, "must be a file name");
        }
        if ((err = bkm_lagringskvittering_check_cert(c->p, cert->pem))) {
            return fail(c, "%s: %s", cert->path, err);
        }
        APR_ARRAY_PUSH(b->kvitteringssertifikater, const bkm_cert_t *) = cert;
    }
    c->where = where;
    if (b->krev_lagringskvittering && !b->kvitteringssertifikater->nelts) {
        return fail(c,
                    "\"krevLagringskvittering\" needs at least one "
                    "certificate in \"kvitteringssertifikater\"");
    }
    if (b->avvis_lagringskvittering_v1
        && !b->kvitteringssertifikater->nelts) {
        return fail(c,
                    "\"avvisLagringskvitteringV1\" needs at least one "
                    "certificate in \"kvitteringssertifikater\"");
    }
    return NULL;
}

/* "kanal" and "stottetVersjon", from their names. */
static const char *parse_kanal(bkm_ctx_t *c, bkm_bydel_t *b,
                               const char *kanal, const char *versjon)
{
    if (strcmp(kanal, "fagsystem") == 0) {
        b->kanal = BKM_KANAL_FAGSYSTEM;
    }
    else if (strcmp(kanal, "manuell") == 0) {
        b->kanal = BKM_KANAL_MANUELL;
    }
    else {
        return fail(c, "\"kanal\" must be \"fagsystem\" or \"manuell\"");
    }
    if (strcmp(versjon, "V1") == 0) {
        b->versjon = 1;
    }
    else if (strcmp(versjon, "V2") == 0) {
        b->versjon = 2;
    }
    else {
        return fail(c, "\"stottetVersjon\" must be \"V1\" or \"V2\"");
    }
    return NULL;
}

/* A plain address, local@domain, as the To: header of a reminder carries
 * it to sendmail -t: printable ASCII without spaces, quotes, brackets,
 * commas or semicolons (no display name, no second recipient, no header
 * break), a domain of letters, digits, hyphens and dots. */
static int epost_valid(const char *a)
{
    const char *at = strchr(a, '@'), *p;

    if (!at || at == a || strchr(at + 1, '@') || strlen(a) > 254 || !at[1]
        || at[1] == '.' || a[strlen(a) - 1] == '.' || !strchr(at + 1, '.')) {
        return 0;
    }
    for (p = a; p < at; p++) {
        if (*p <= ' ' || *p > '~' || strchr("\"(),:;<>[\\]", *p)) {
            return 0;
        }
    }
    for (p = at + 1; *p; p++) {
        if (!apr_isalnum(*p) && *p != '-' && *p != '.') {
            return 0;
        }
    }
    return !strstr(at, "..");
}

/* A phone number as people write it: digits with single spaces between
 * groups, optionally a leading "+" and country code; 3 to 15 digits (ITU
 * E.164).  Sets its tel: URI (RFC 3966: the digits, "+" kept). */
static const char *parse_telefon(bkm_ctx_t *c, json_t *obj, const char *key,
                                 const char **out, const char **uri)
{
    const char *err, *t;
    char *u, *o;
    int digits = 0;

    *uri = NULL;
    if ((err = get_str(c, obj, key, 0, out)) || !*out) {
        return err;
    }
    u = o = apr_palloc(c->p, strlen(*out) + 5);
    o = apr_cpystrn(o, "tel:", 5);
    for (t = *out; *t; t++) {
        if (apr_isdigit(*t)) {
            *o++ = *t;
            digits++;
        }
        else if (*t == '+' && t == *out) {
            *o++ = '+';
        }
        else if (*t != ' ' || t == *out || t[1] == ' ' || !t[1]) {
            digits = -100;
        }
    }
    *o = '\0';
    if (digits < 3 || digits > 15) {
        return fail(c,
                    "\"%s\" must be a phone number of 3 to 15 digits, "
                    "optionally with a leading + and single spaces between "
                    "groups (e.g. \"+47 51 50 70 90\")",
                    key);
    }
    *uri = u;
    return NULL;
}

/* "driftsansvarlig": who runs the service. */
static const char *parse_drift(bkm_ctx_t *c, json_t *obj, bkm_registry_t *reg)
{
    static const char *const keys[] = { "navn", "epost", "telefon",
                                        "nettside", NULL };
    bkm_drift_t *d = apr_pcalloc(c->p, sizeof(*d));
    const char *err;

    c->where = "driftsansvarlig";
    if (!json_is_object(obj)) {
        return fail(c, "must be an object");
    }
    if ((err = only_keys(c, obj, keys))
        || (err = get_str(c, obj, "navn", 1, &d->navn))
        || (err = get_str(c, obj, "epost", 1, &d->epost))
        || (err = parse_telefon(c, obj, "telefon", &d->telefon,
                                &d->telefon_uri))
        || (err = get_str(c, obj, "nettside", 0, &d->nettside))) {
        return err;
    }
    if (!epost_valid(d->epost)) {
        return fail(c,
                    "\"epost\" must be one plain address such as "
                    "kontakt@example.no");
    }
    if (d->nettside
        && (strncmp(d->nettside, "https://", 8) != 0 || !d->nettside[8]
            || strpbrk(d->nettside, " \"'<>\\"))) {
        return fail(c, "\"nettside\" must be an https:// address");
    }
    reg->drift = d;
    return NULL;
}

/* "kontaktEpost": the district's contact for reminders, or none. */
static const char *parse_kontakt(bkm_ctx_t *c, json_t *obj, bkm_bydel_t *b)
{
    const char *err;

    if ((err = get_str(c, obj, "kontaktEpost", 0, &b->kontakt_epost))) {
        return err;
    }
    if (b->kontakt_epost && !epost_valid(b->kontakt_epost)) {
        return fail(c,
                    "\"kontaktEpost\" must be one plain address such as "
                    "barnevern@kommune.no (printable ASCII, no spaces, "
                    "names or lists)");
    }
    return NULL;
}

/* "kryptering": aes-256-cbc (the default) or aes-256-gcm. */
static const char *parse_kryptering(bkm_ctx_t *c, json_t *obj, bkm_bydel_t *b)
{
    const char *err, *krypt;

    if ((err = get_str(c, obj, "kryptering", 0, &krypt))) {
        return err;
    }
    if (krypt && strcmp(krypt, "aes-256-gcm") == 0) {
        b->gcm = 1;
    }
    else if (krypt && strcmp(krypt, "aes-256-cbc") != 0) {
        return fail(c,
                    "\"kryptering\" must be \"aes-256-cbc\" (the "
                    "default) or \"aes-256-gcm\"");
    }
    return NULL;
}

/* "sertifikater": the channel's certificate is required, print's is the
 * registry's unless the district has its own.  Leaves c->where at the
 * certificates (the caller puts it back). */
static const char *parse_sertifikater(bkm_ctx_t *c, bkm_registry_t *reg,
                                      json_t *obj, bkm_bydel_t *b)
{
    static const char *const cert_keys[] = { "fagsystem", "manuell", "print",
                                             NULL };
    const char *err;
    json_t *certs;

    if (!(certs = json_object_get(obj, "sertifikater"))) {
        return fail(c, "\"sertifikater\" is missing");
    }
    c->where = apr_pstrcat(c->p, c->where, " sertifikater", NULL);
    if ((err = only_keys(c, certs, cert_keys))
        || (err = get_certs(c, certs, "fagsystem", &b->fagsystem_sertifikater,
                            &b->cert_fagsystem))
        || (err = get_certs(c, certs, "manuell", &b->manuell_sertifikater,
                            &b->cert_manuell))
        || (err = get_certs(c, certs, "print", &b->print_sertifikater,
                            &b->cert_print))) {
        return err;
    }
    if (b->kanal == BKM_KANAL_FAGSYSTEM && !b->cert_fagsystem) {
        return fail(c, "kanal fagsystem needs the \"fagsystem\" certificate");
    }
    if (b->kanal == BKM_KANAL_MANUELL && !b->cert_manuell) {
        return fail(c, "kanal manuell needs the \"manuell\" certificate");
    }
    if (!b->cert_print) {
        b->cert_print = reg->print_cert;
        b->print_sertifikater = reg->print_sertifikater;
    }
    return NULL;
}

static const char *parse_bydel(bkm_ctx_t *c, bkm_registry_t *reg,
                               bkm_kommune_t *k, json_t *obj)
{
    static const char *const keys[] = { "bydelsnummer",
                                        "bydelsnavn",
                                        "standardMottaker",
                                        "kanal",
                                        "stottetVersjon",
                                        "kontoId",
                                        "postadresse",
                                        "sertifikater",
                                        "svarfrist",
                                        "kryptering",
                                        "kontortid",
                                        "krevLagringskvittering",
                                        "kvitteringssertifikater",
                                        "avvisLagringskvitteringV1",
                                        "kontaktEpost",
                                        NULL };
    bkm_bydel_t *b = apr_pcalloc(c->p, sizeof(*b));
    bkm_konto_t *konto;
    const char *err, *kanal, *versjon, *frist, *where = c->where;
    json_t *adr;

    b->kommune = k;
    if ((err = only_keys(c, obj, keys))
        || (err = get_str(c, obj, "bydelsnummer", 1, &b->nummer))) {
        return err;
    }
    if (!all_digits(b->nummer, 2)) {
        return fail(c, "\"bydelsnummer\" must be two digits");
    }
    c->where = apr_psprintf(c->p, "%s (%s)", where, b->nummer);
    if ((err = get_str(c, obj, "bydelsnavn", 1, &b->navn))
        || (err = get_bool(c, obj, "standardMottaker", 1,
                           &b->standard_mottaker))
        || (err = get_str(c, obj, "kanal", 1, &kanal))
        || (err = get_str(c, obj, "stottetVersjon", 1, &versjon))
        || (err = get_uuid(c, obj, "kontoId", &b->konto_id))
        || (err = get_str(c, obj, "svarfrist", 0, &frist))
        || (err = parse_kanal(c, b, kanal, versjon))) {
        return err;
    }
    if (frist && (err = bkm_duration_parse(&b->svarfrist, frist, 0))) {
        return fail(c, "\"svarfrist\": %s", err);
    }
    if ((err = parse_kvittering(c, obj, b))
        || (err = parse_kryptering(c, obj, b))
        || (err = parse_kontakt(c, obj, b))) {
        return err;
    }
    if (!(adr = json_object_get(obj, "postadresse"))) {
        return fail(c, "\"postadresse\" is missing (letter post needs it)");
    }
    if ((err = parse_adresse(c, adr, &b->adresse))
        || (err = printable(c, &b->adresse, b->navn))
        || (err = parse_sertifikater(c, reg, obj, b))) {
        return err;
    }
    c->where = where;

    konto = apr_pcalloc(c->p, sizeof(*konto));
    konto->id = b->konto_id;
    konto->type = b->kanal == BKM_KANAL_FAGSYSTEM ? "fagsystem" : "manuell";
    konto->bydel = b;
    if ((err = add_konto(c, reg, konto))) {
        return err;
    }
    APR_ARRAY_PUSH(k->bydeler, const bkm_bydel_t *) = b;
    return NULL;
}

static const char *parse_kommune(bkm_ctx_t *c, bkm_registry_t *reg,
                                 json_t *obj)
{
    static const char *const keys[] = { "kommunenummer", "navn",
                                        "navnSprak",     "aktiv",
                                        "postadresse",   "bydeler",
                                        "telefon",       NULL };
    bkm_kommune_t *k = apr_pcalloc(c->p, sizeof(*k));
    const char *err, *where = c->where, *lang;
    json_t *bydeler, *v, *sprak;
    size_t i, j;
    int standard = 0;

    if ((err = only_keys(c, obj, keys))
        || (err = get_str(c, obj, "kommunenummer", 1, &k->nummer))) {
        return err;
    }
    if (!all_digits(k->nummer, 4)) {
        return fail(c, "\"kommunenummer\" must be four digits");
    }
    if (!bkm_kommunenummer_known(k->nummer)) {
        return fail(c,
                    "unknown municipality number %s (no current county "
                    "starts with %.2s)",
                    k->nummer, k->nummer);
    }
    if (apr_hash_get(reg->kommune_by_nr, k->nummer, APR_HASH_KEY_STRING)) {
        return fail(c, "municipality %s is listed twice", k->nummer);
    }
    c->where = apr_psprintf(c->p, "%s (%s)", where, k->nummer);
    if ((err = get_str(c, obj, "navn", 1, &k->navn))
        || (err = get_bool(c, obj, "aktiv", 1, &k->aktiv))
        || (err = get_array(c, obj, "bydeler", 0, &bydeler))) {
        return err;
    }
    if ((err = bkm_printjob_check_text(c->p, "navn", k->navn))) {
        return fail(c, "cannot be printed on a letter: %s", err);
    }
    k->navn_sprak = apr_table_make(c->p, 2);
    if ((sprak = json_object_get(obj, "navnSprak"))) {
        if (!json_is_object(sprak)) {
            return fail(c, "\"navnSprak\" must be an object");
        }
        json_object_foreach(sprak, lang, v) {
            if (!json_is_string(v) || json_string_length(v) == 0) {
                return fail(c,
                            "\"navnSprak\".%s must be a non-empty "
                            "string",
                            lang);
            }
            apr_table_set(k->navn_sprak, lang, json_string_value(v));
        }
    }
    if ((err = parse_telefon(c, obj, "telefon", &k->telefon,
                             &k->telefon_uri))) {
        return err;
    }
    if ((v = json_object_get(obj, "postadresse"))) {
        bkm_postadresse_t *a = apr_pcalloc(c->p, sizeof(*a));
        if ((err = parse_adresse(c, v, a))) {
            return err;
        }
        k->adresse = a;
    }
    k->bydeler = apr_array_make(c->p, 4, sizeof(const bkm_bydel_t *));
    if (k->aktiv && json_array_size(bydeler) == 0) {
        return fail(c,
                    "an active municipality needs at least one district "
                    "(\"00\" when it has none)");
    }
    json_array_foreach(bydeler, i, v) {
        const bkm_bydel_t *b;
        c->where = apr_psprintf(c->p, "%s (%s) bydeler[%d]", where, k->nummer,
                                (int)i);
        if ((err = parse_bydel(c, reg, k, v))) {
            return err;
        }
        b = APR_ARRAY_IDX(k->bydeler, k->bydeler->nelts - 1,
                          const bkm_bydel_t *);
        for (j = 0; j + 1 < (size_t)k->bydeler->nelts; j++) {
            if (strcmp(APR_ARRAY_IDX(k->bydeler, j, const bkm_bydel_t *)
                           ->nummer,
                       b->nummer)
                == 0) {
                return fail(c, "district %s is listed twice", b->nummer);
            }
        }
        if (strcmp(b->nummer, "00") == 0 && json_array_size(bydeler) > 1) {
            return fail(c,
                        "district 00 means \"no districts\": it must be "
                        "the only one");
        }
        standard += b->standard_mottaker;
    }
    c->where = apr_psprintf(c->p, "%s (%s)", where, k->nummer);
    if (k->bydeler->nelts > 0 && standard != 1) {
        return fail(c,
                    "exactly one district must be standardMottaker "
                    "(found %d)",
                    standard);
    }
    c->where = where;
    apr_hash_set(reg->kommune_by_nr, k->nummer, APR_HASH_KEY_STRING, k);
    APR_ARRAY_PUSH(reg->kommuner, const bkm_kommune_t *) = k;
    return NULL;
}

static const char *parse_integrasjon(bkm_ctx_t *c, bkm_registry_t *reg,
                                     json_t *obj)
{
    static const char *const keys[] = {
        "integrasjonId", "navn",      "organisasjonsnummer", "passordHash",
        "kontoer",       "produsent", "fiksOrgId",           NULL
    };
    bkm_integrasjon_t *in = apr_pcalloc(c->p, sizeof(*in));
    const char *err, *h;
    json_t *kontoer, *v;
    size_t i;

    if ((err = only_keys(c, obj, keys))
        || (err = get_uuid(c, obj, "integrasjonId", &in->id))
        || (err = get_str(c, obj, "navn", 1, &in->navn))
        || (err = get_str(c, obj, "organisasjonsnummer", 1, &in->orgnr))
        || (err = get_str(c, obj, "passordHash", 1, &in->passord_hash))
        || (err = get_array(c, obj, "kontoer", 1, &kontoer))
        || (err = get_bool(c, obj, "produsent", 0, &in->produsent))
        || (json_object_get(obj, "fiksOrgId")
            && (err = get_uuid(c, obj, "fiksOrgId", &in->fiks_org_id)))) {
        return err;
    }
    if (!all_digits(in->orgnr, 9)) {
        return fail(c, "\"organisasjonsnummer\" must be nine digits");
    }
    /* bcrypt only ($2a$/$2b$/$2y$, cost, 53 characters of salt + hash):
     * APR can check weaker schemes too, but they must not be used here. */
    h = in->passord_hash;
    if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2])
        || h[3] != '$' || !apr_isdigit(h[4]) || !apr_isdigit(h[5])
        || h[6] != '$') {
        return fail(c, "\"passordHash\" must be a bcrypt hash (htpasswd -B)");
    }
    if (apr_hash_get(reg->integrasjon_by_id, in->id, APR_HASH_KEY_STRING)) {
        return fail(c, "integrasjonId %s is used twice", in->id);
    }
    in->kontoer = apr_array_make(c->p, 2, sizeof(const bkm_konto_t *));
    json_array_foreach(kontoer, i, v) {
        const bkm_konto_t *konto;
        if (!json_is_string(v)
            || !(konto = apr_hash_get(reg->konto_by_id, json_string_value(v),
                                      APR_HASH_KEY_STRING))) {
            return fail(c, "kontoer[%d] is not a kontoId of this registry",
                        (int)i);
        }
        APR_ARRAY_PUSH(in->kontoer, const bkm_konto_t *) = konto;
    }
    apr_hash_set(reg->integrasjon_by_id, in->id, APR_HASH_KEY_STRING, in);
    return NULL;
}

/* The dummy hash: as costly as the costliest real one (bcrypt's cost is
 * the two digits after "$2y$"), so that timing does not tell a made-up
 * IntegrasjonId from a real one.  Integrations whose hashes are cheaper
 * than the others' are still told apart from unknown ids by a careful
 * clock: give every integration the same cost (htpasswd -B -C 10). */
static const char *make_dummy_hash(apr_pool_t *p, bkm_registry_t *reg)
{
    apr_hash_index_t *hi;
    unsigned char salt[16], pw[16];
    char out[64], hex[33];
    int cost = 0, i;

    for (hi = apr_hash_first(p, reg->integrasjon_by_id); hi;
         hi = apr_hash_next(hi)) {
        const bkm_integrasjon_t *in = apr_hash_this_val(hi);
        int c = (in->passord_hash[4] - '0') * 10
                + (in->passord_hash[5] - '0');
        if (c > cost) {
            cost = c;
        }
    }
    if (cost == 0) {
        cost = 10;
    }
    if (cost < 4 || cost > 31) {
        return "a passordHash has a bcrypt cost outside 04-31";
    }
    if (apr_generate_random_bytes(salt, sizeof(salt)) != APR_SUCCESS
        || apr_generate_random_bytes(pw, sizeof(pw)) != APR_SUCCESS) {
        return "no random bytes for the dummy password hash";
    }
    for (i = 0; i < 16; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", pw[i]);
    }
    if (apr_bcrypt_encode(hex, (unsigned int)cost, salt, sizeof(salt), out,
                          sizeof(out))
        != APR_SUCCESS) {
        return "cannot make the dummy password hash";
    }
    reg->dummy_hash = apr_pstrdup(p, out);
    return NULL;
}

static int kommune_cmp(const void *a, const void *b)
{
    return strcmp((*(const bkm_kommune_t *const *)a)->nummer,
                  (*(const bkm_kommune_t *const *)b)->nummer);
}

const char *bkm_registry_load(bkm_registry_t **out, apr_pool_t *p,
                              const char *path)
{
    static const char *const keys[] = { "print", "kommuner", "integrasjoner",
                                        "driftsansvarlig", NULL };
    static const char *const print_keys[] = { "kontoId", "sertifikat", NULL };
    bkm_ctx_t c;
    bkm_registry_t *reg;
    json_error_t jerr;
    json_t *root, *print, *list, *v;
    const char *err = NULL;
    char *dir, *slash;
    size_t i;

    memset(&c, 0, sizeof(c));
    c.p = p;
    dir = apr_pstrdup(p, path);
    slash = strrchr(dir, '/');
    c.dir = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";

    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        return apr_psprintf(p, "registry %s: line %d column %d: %s", path,
                            jerr.line, jerr.column, jerr.text);
    }
    reg = apr_pcalloc(p, sizeof(*reg));
    reg->path = apr_pstrdup(p, path);
    reg->kommuner = apr_array_make(p, 16, sizeof(const bkm_kommune_t *));
    reg->kommune_by_nr = apr_hash_make(p);
    reg->konto_by_id = apr_hash_make(p);
    reg->integrasjon_by_id = apr_hash_make(p);

    if ((err = only_keys(&c, root, keys))) {
        goto done;
    }
    c.where = "print";
    if (!(print = json_object_get(root, "print"))) {
        err = "\"print\" is missing (the national print provider)";
        goto done;
    }
    if ((err = only_keys(&c, print, print_keys))
        || (err = get_uuid(&c, print, "kontoId", &reg->print_konto.id))
        || (err = get_certs(&c, print, "sertifikat", &reg->print_sertifikater,
                            &reg->print_cert))) {
        goto done;
    }
    if (!reg->print_cert) {
        err = fail(&c, "\"sertifikat\" is missing");
        goto done;
    }
    reg->print_konto.type = "print";
    if ((err = add_konto(&c, reg, &reg->print_konto))) {
        goto done;
    }
    c.where = NULL;
    if ((err = get_array(&c, root, "kommuner", 1, &list))) {
        goto done;
    }
    json_array_foreach(list, i, v) {
        c.where = apr_psprintf(p, "kommuner[%d]", (int)i);
        if ((err = parse_kommune(&c, reg, v))) {
            goto done;
        }
    }
    c.where = NULL;
    if ((err = get_array(&c, root, "integrasjoner", 0, &list))) {
        goto done;
    }
    json_array_foreach(list, i, v) {
        c.where = apr_psprintf(p, "integrasjoner[%d]", (int)i);
        if ((err = parse_integrasjon(&c, reg, v))) {
            goto done;
        }
    }
    if ((v = json_object_get(root, "driftsansvarlig"))
        && (err = parse_drift(&c, v, reg))) {
        goto done;
    }
    c.where = NULL;
    if ((err = make_dummy_hash(p, reg))) {
        goto done;
    }
    qsort(reg->kommuner->elts, reg->kommuner->nelts,
          sizeof(const bkm_kommune_t *), kommune_cmp);
    *out = reg;

done:
    json_decref(root);
    return err ? apr_psprintf(p, "registry %s: %s", path, err) : NULL;
}

const bkm_kommune_t *bkm_registry_kommune(const bkm_registry_t *reg,
                                          const char *nummer)
{
    return reg ? apr_hash_get(reg->kommune_by_nr, nummer, APR_HASH_KEY_STRING)
               : NULL;
}

const bkm_bydel_t *bkm_kommune_bydel(const bkm_kommune_t *k,
                                     const char *nummer)
{
    int i;

    for (i = 0; k && i < k->bydeler->nelts; i++) {
        const bkm_bydel_t *b = APR_ARRAY_IDX(k->bydeler, i,
                                             const bkm_bydel_t *);
        if (strcmp(b->nummer, nummer) == 0) {
            return b;
        }
    }
    return NULL;
}

const char *bkm_kommune_navn(const bkm_kommune_t *k, const char *lang)
{
    const char *n = lang ? apr_table_get(k->navn_sprak, lang) : NULL;

    return n ? n : k->navn;
}
