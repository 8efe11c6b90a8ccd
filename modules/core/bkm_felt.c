/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Field rules (bkm_felt.h).  Each rule is written to refuse what a person
 * on a phone mistypes (ten digits, "ring meg", "navn(at)skole.no") and to
 * accept every form of a right value people write (spaces in groups, +47),
 * and each refusal says which rule, so the message can say what to fix.
 */
#include "bkm_felt.h"
#include "bkm_jsonschema.h"

#include <apr_strings.h>
#include <string.h>

/* The blocks of an array that are looked at: the schemas' maxItems. */
#define MAX_BLOCKS 20

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The digits of @p s with spaces between them taken out, into @p out (at
 * most @p max of them); -1 when something else than a digit or a space is
 * there, else the number of digits (which may be more than max). */
static int digits_of(const char *s, char *out, int max)
{
    int n = 0;

    for (; *s; s++) {
        if (*s == ' ') {
            continue;
        }
        if (!is_digit(*s)) {
            return -1;
        }
        if (n < max) {
            out[n] = *s;
        }
        n++;
    }
    return n;
}

/* 11 - (the weighted sum mod 11), 0 for 11; -1 for 10 (no such number). */
static int mod11(const char *d, const int *w, int n)
{
    int i, sum = 0, k;

    for (i = 0; i < n; i++) {
        sum += (d[i] - '0') * w[i];
    }
    k = 11 - sum % 11;
    return k == 11 ? 0 : k == 10 ? -1 : k;
}

const char *bkm_felt_fnr(const char *s)
{
    static const int w1[] = { 3, 7, 6, 1, 8, 9, 4, 5, 2 };
    static const int w2[] = { 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 };
    static const int days[] = {
        31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    char d[11];
    int n = digits_of(s, d, 11), day, month;

    if (n < 0) {
        return "fnr.tegn";
    }
    if (n != 11) {
        return "fnr.lengde";
    }
    day = (d[0] - '0') * 10 + d[1] - '0';
    month = (d[2] - '0') * 10 + d[3] - '0';
    if (day > 40) {
        day -= 40; /* D-number */
    }
    if (month > 80) {
        month -= 80; /* Skatteetaten's synthetic (Tenor, ID-porten) */
    }
    else if (month > 40) {
        month -= 40; /* H-number, NAV's synthetic */
    }
    if (month < 1 || month > 12 || day < 1 || day > days[month - 1]) {
        return "fnr.ugyldig";
    }
    if (mod11(d, w1, 9) != d[9] - '0' || mod11(d, w2, 10) != d[10] - '0') {
        return "fnr.ugyldig";
    }
    return NULL;
}

const char *bkm_felt_orgnr(const char *s)
{
    static const int w[] = { 3, 2, 7, 6, 5, 4, 3, 2 };
    char d[9];
    int n = digits_of(s, d, 9);

    if (n < 0) {
        return "orgnr.tegn";
    }
    if (n != 9) {
        return "orgnr.lengde";
    }
    return mod11(d, w, 8) == d[8] - '0' ? NULL : "orgnr.ugyldig";
}

const char *bkm_felt_postnummer(const bkm_postnummer_t *reg, const char *s)
{
    char d[5];
    int n = digits_of(s, d, 4);

    if (n != 4) {
        return "postnummer.lengde";
    }
    d[4] = '\0';
    return bkm_postnummer_sted(reg, d) ? NULL : "postnummer.finnesikke";
}

const char *bkm_felt_telefon(const char *s)
{
    const char *c = s, *digits;
    char d[16];
    int n = 0, plus = 0, prev_digit = 0;

    /* The protocol's shape, ^[+]?[0-9]+([- ][0-9]+)*$ */
    if (*c == '+') {
        plus = 1;
        c++;
    }
    for (; *c; c++) {
        if (is_digit(*c)) {
            if (n < (int)sizeof(d)) {
                d[n] = *c;
            }
            n++;
            prev_digit = 1;
        }
        else if ((*c == ' ' || *c == '-') && prev_digit && is_digit(c[1])) {
            prev_digit = 0;
        }
        else {
            return "telefon.tegn";
        }
    }
    if (n == 0) {
        return "telefon.tegn";
    }
    if (n > 17) {
        return "telefon.lengde";
    }
    digits = d;
    if (!plus && n >= 2 && d[0] == '0' && d[1] == '0') {
        plus = 1;
        digits += 2;
        n -= 2;
    }
    if (plus && n >= 2 && digits[0] == '4' && digits[1] == '7') {
        digits += 2;
        n -= 2;
        plus = 0;
    }
    if (plus) {
        if (n < 7 || n > 15) {
            return "telefon.lengde";
        }
        /* no country code starts with 0 */
        return digits[0] == '0' ? "telefon.ugyldig" : NULL;
    }
    /* Any 8 digits: the protocol's own example has 12121212, though no
     * Norwegian number starts with 0 or 1. */
    return n == 8 ? NULL : "telefon.lengde";
}

/* æøåÆØÅ in UTF-8: C3 A6, B8, A5, 86, 98, 85 */
static int norwegian_letter(const char *c)
{
    return (unsigned char)c[0] == 0xC3
           && strchr("\xA6\xB8\xA5\x86\x98\x85", c[1]) && c[1];
}

static int ascii_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* One dot-separated part: at least one allowed character; returns its
 * end, or NULL at a character not allowed. */
static const char *email_part(const char *c, int local, int *len)
{
    *len = 0;
    while (*c && *c != '.' && *c != '@') {
        if (norwegian_letter(c)) {
            c += 2;
        }
        else if (ascii_alnum(*c) || *c == '-' || (local && *c == '_')) {
            c++;
        }
        else {
            return NULL;
        }
        (*len)++;
    }
    return c;
}

const char *bkm_felt_epost(const char *s)
{
    const char *at = strchr(s, '@'), *c, *last = NULL;
    int len, parts = 0;

    if (strpbrk(s, " \t\n\r")) {
        return "epost.mellomrom";
    }
    if (!at || at == s || strchr(at + 1, '@')) {
        return "epost.alfa";
    }
    /* The domain first: that part is what people leave out. */
    for (c = at + 1;; c++) {
        const char *start = c;
        if (!(c = email_part(c, 0, &len))) {
            return "epost.tegn";
        }
        if (len == 0) {
            return "epost.domene";
        }
        parts++;
        last = start;
        if (!*c) {
            break;
        }
    }
    if (parts < 2) {
        return "epost.domene";
    }
    for (c = last, len = 0; *c; c++, len++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))) {
            return "epost.domene";
        }
    }
    if (len < 2) {
        return "epost.domene";
    }
    for (c = s;; c++) {
        if (!(c = email_part(c, 1, &len)) || len == 0) {
            /* a character not allowed, or ".kari@", "kari..nordmann@",
             * "kari.@" */
            return "epost.tegn";
        }
        if (*c == '@') {
            break;
        }
    }
    return NULL;
}

static const struct {
    const char *rule, *text;
} messages[] = {
    { "fnr.tegn", "a national identity number has only digits" },
    { "fnr.lengde", "a national identity number has 11 digits" },
    { "fnr.ugyldig",
      "not a national identity number (its date or check digits are "
      "wrong)" },
    { "orgnr.tegn", "an organisation number has only digits" },
    { "orgnr.lengde", "an organisation number has 9 digits" },
    { "orgnr.ugyldig",
      "not an organisation number (its check digit is wrong)" },
    { "postnummer.lengde", "a postcode has 4 digits" },
    { "postnummer.finnesikke", "no such postcode in Norway" },
    { "telefon.tegn",
      "a phone number has only digits, grouped by single spaces or "
      "hyphens, and a + before the country code" },
    { "telefon.lengde",
      "a Norwegian phone number has 8 digits (after +47 or 0047 if "
      "given); another country's has + or 00, the country code and 7 to "
      "15 digits in all" },
    { "telefon.ugyldig", "no country code starts with 0" },
    { "epost.mellomrom", "an e-mail address has no spaces" },
    { "epost.alfa", "an e-mail address has one @ with a name before it" },
    { "epost.domene",
      "an e-mail address has a domain with a dot after its @, such as "
      "skole.no" },
    { "epost.tegn",
      "an e-mail address has letters, digits, \"_\" and \"-\" in parts "
      "separated by single dots" },
    { NULL, NULL }
};

const char *bkm_felt_message(const char *rule)
{
    int i;

    for (i = 0; rule && messages[i].rule; i++) {
        if (strcmp(rule, messages[i].rule) == 0) {
            return messages[i].text;
        }
    }
    return NULL;
}

/* ---- a whole report ---------------------------------------------------- */

typedef enum {
    R_FNR,
    R_ORGNR,
    R_POSTNUMMER,
    R_TELEFON,
    R_EPOST
} rule_e;

typedef struct {
    apr_pool_t *p;
    const bkm_postnummer_t *reg;
    apr_array_header_t *errors;
    int n;
} check_t;

/* Digits only, for the numbers people group with spaces. */
static const char *without_spaces(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;

    for (; *s; s++) {
        if (*s != ' ') {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

/* Trimmed, runs of blanks as one space, no space after a leading + or
 * around a hyphen: "+47  912 34 567" and "+ 47 22 - 33" are what people
 * type, the protocol's pattern has single separators. */
static const char *phone_spaces(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;

    for (; *s; s++) {
        if (*s == ' ' || *s == '\t') {
            if (o == out || o[-1] == ' ' || o[-1] == '-' || o[-1] == '+') {
                continue;
            }
            *o++ = ' ';
        }
        else {
            if (*s == '-' && o > out && o[-1] == ' ') {
                o--;
            }
            *o++ = *s;
        }
    }
    if (o > out && o[-1] == ' ') {
        o--;
    }
    *o = '\0';
    return out;
}

static const char *trimmed(apr_pool_t *p, const char *s)
{
    const char *e;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    return apr_pstrndup(p, s, (apr_size_t)(e - s));
}

/* Text copied from a web page or a document has no-break spaces (U+00A0,
 * U+202F) between digit groups, and a tab is typed for a space: each is a
 * plain space here. */
static const char *plain_spaces(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;

    while (*s) {
        if (s[0] == '\xC2' && s[1] == '\xA0') {
            *o++ = ' ';
            s += 2;
        }
        else if (s[0] == '\xE2' && s[1] == '\x80' && s[2] == '\xAF') {
            *o++ = ' ';
            s += 3;
        }
        else {
            *o++ = *s == '\t' ? ' ' : *s;
            s++;
        }
    }
    *o = '\0';
    return out;
}

static void check_member(check_t *c, json_t *obj, const char *key,
                         const char *pointer, rule_e rule)
{
    json_t *v = json_object_get(obj, key);
    const char *s = json_string_value(v), *canon, *broken, *in;
    bkm_jsonschema_error_t *e;

    if (!s || !*s) {
        return;
    }
    in = plain_spaces(c->p, s);
    switch (rule) {
    case R_FNR:
        canon = without_spaces(c->p, trimmed(c->p, in));
        broken = bkm_felt_fnr(canon);
        break;
    case R_ORGNR:
        canon = without_spaces(c->p, trimmed(c->p, in));
        broken = bkm_felt_orgnr(canon);
        break;
    case R_POSTNUMMER:
        canon = without_spaces(c->p, trimmed(c->p, in));
        broken = bkm_felt_postnummer(c->reg, canon);
        break;
    case R_TELEFON:
        canon = phone_spaces(c->p, in);
        broken = bkm_felt_telefon(canon);
        break;
    default:
        canon = trimmed(c->p, in);
        broken = bkm_felt_epost(canon);
        break;
    }
    if (!broken) {
        if (strcmp(canon, s) != 0) {
            json_object_set_new(obj, key, json_string(canon));
        }
        return;
    }
    e = apr_array_push(c->errors);
    e->pointer = apr_pstrcat(c->p, pointer, "/", key, NULL);
    e->keyword = broken;
    e->message = bkm_felt_message(broken);
    c->n++;
}

static void check_address(check_t *c, json_t *obj, const char *pointer)
{
    json_t *a = json_object_get(obj, "adresse");

    if (json_is_object(a)) {
        check_member(c, a, "postnummer",
                     apr_pstrcat(c->p, pointer, "/adresse", NULL),
                     R_POSTNUMMER);
    }
}

/* Each block (object) of the array @p name, with its pointer. */
static void check_blocks(check_t *c, json_t *report, const char *name,
                         void (*fn)(check_t *, json_t *, const char *))
{
    json_t *a = json_object_get(report, name), *b;
    size_t i;

    json_array_foreach(a, i, b) {
        if (i >= MAX_BLOCKS) {
            break;
        }
        if (json_is_object(b)) {
            fn(c, b, apr_psprintf(c->p, "/%s/%d", name, (int)i));
        }
    }
}

static void check_privat_barn(check_t *c, json_t *b, const char *ptr)
{
    check_address(c, b, ptr);
}

static void check_offentlig_barn(check_t *c, json_t *b, const char *ptr)
{
    check_member(c, b, "fnr", ptr, R_FNR);
    check_member(c, b, "telefonnummer", ptr, R_TELEFON);
    check_address(c, b, ptr);
}

static void check_foresatt(check_t *c, json_t *b, const char *ptr)
{
    check_member(c, b, "telefonnummer", ptr, R_TELEFON);
}

int bkm_felt_check(apr_pool_t *p, json_t *report, const bkm_postnummer_t *reg,
                   apr_array_header_t *errors)
{
    check_t c;
    json_t *m, *v;

    c.p = p;
    c.reg = reg;
    c.errors = errors;
    c.n = 0;
    if (!json_is_object(report)) {
        return 0;
    }
    if (json_is_object(m = json_object_get(report, "privatMelder"))) {
        check_member(&c, m, "telefonnummer", "/privatMelder", R_TELEFON);
        check_address(&c, m, "/privatMelder");
    }
    if (json_is_object(m = json_object_get(report, "offentligMelder"))) {
        check_member(&c, m, "telefonnummer", "/offentligMelder", R_TELEFON);
        check_member(&c, m, "epost", "/offentligMelder", R_EPOST);
        if (json_is_object(v = json_object_get(m, "virksomhet"))) {
            check_member(&c, v, "orgnr", "/offentligMelder/virksomhet",
                         R_ORGNR);
            check_address(&c, v, "/offentligMelder/virksomhet");
        }
    }
    check_blocks(&c, report, "privatBarn", check_privat_barn);
    check_blocks(&c, report, "offentligBarn", check_offentlig_barn);
    check_blocks(&c, report, "foresatte", check_foresatt);
    return c.n;
}
