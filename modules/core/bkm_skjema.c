/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reporter's web forms (bkm_skjema.h).
 *
 * One table says what each form asks: the path in the report, the kind of
 * input, whether the protocol requires it, from which version it exists.
 * Parsing, the report, the error mapping and the page's view all follow
 * the table, so a field is added in one place.  Labels and help come from
 * the catalogues: "felt.<path without indices>", "hjelp.<...>" (optional);
 * address lines share "felt.adresse.<line>".
 */
#include "bkm_skjema.h"
#include "bkm_jsonschema.h"
#include "bkm_utf8.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum {
    F_TEXT,  /* one line */
    F_AREA,  /* free text */
    F_YESNO, /* two radio buttons: true / false */
    F_CHECK  /* a checkbox: absent is false */
} kind_e;

typedef struct {
    unsigned forms;   /* bit 1 << bkm_skjema_type_e */
    const char *path; /* "privatBarn.*.personnavn" */
    kind_e kind;
    const char *input; /* type attribute of <input> */
    const char *autocomplete;
    int required; /* the protocol requires a value */
    int always;   /* in the report even when empty ("") */
    int from_version;
    int login; /* the reporter's name: from the login */
} field_t;

#define P (1u << BKM_SKJEMA_PRIVAT)
#define O (1u << BKM_SKJEMA_OFFENTLIG)

/* An address block under @p base, as adresse.json has it. */
#define ADDRESS(forms, base, ac) \
    { forms, \
      base ".adresse.adresselinje1", \
      F_TEXT, \
      "text", \
      ac "address-line1", \
      1, \
      0, \
      1, \
      0 }, \
        { forms, \
          base ".adresse.adresselinje2", \
          F_TEXT, \
          "text", \
          ac "address-line2", \
          0, \
          0, \
          1, \
          0 }, \
        { forms, \
          base ".adresse.adresselinje3", \
          F_TEXT, \
          "text", \
          ac "address-line3", \
          0, \
          0, \
          1, \
          0 }, \
        { forms, \
          base ".adresse.postnummer", \
          F_TEXT, \
          "text", \
          ac "postal-code", \
          0, \
          0, \
          1, \
          0 }, \
    { \
        forms, base ".adresse.poststed", F_TEXT, "text", \
            ac "address-level2", 0, 0, 1, 0 \
    }

/* In the order the page asks them (and the error summary lists them). */
static const field_t fields[] = {
    /* The private reporter. */
    { P, "privatMelder.personnavn", F_TEXT, "text", "name", 1, 0, 1, 1 },
    { P, "privatMelder.telefonnummer", F_TEXT, "tel", "tel", 0, 0, 1, 0 },
    { P, "privatMelder.adresse.adresselinje1", F_TEXT, "text",
      "street-address", 0, 0, 1, 0 },
    { P, "privatMelder.adresse.adresselinje2", F_TEXT, "text", "off", 0, 0, 1,
      0 },
    { P, "privatMelder.adresse.adresselinje3", F_TEXT, "text", "off", 0, 0, 1,
      0 },
    { P, "privatMelder.adresse.postnummer", F_TEXT, "text", "postal-code", 0,
      0, 1, 0 },
    { P, "privatMelder.adresse.poststed", F_TEXT, "text", "address-level2", 0,
      0, 1, 0 },
    /* The public reporter and the service they work for. */
    { O, "offentligMelder.personnavn", F_TEXT, "text", "name", 1, 0, 1, 1 },
    { O, "offentligMelder.rolle", F_TEXT, "text", "organization-title", 1, 0,
      1, 0 },
    { O, "offentligMelder.telefonnummer", F_TEXT, "tel", "work tel", 1, 0, 1,
      0 },
    { O, "offentligMelder.epost", F_TEXT, "email", "work email", 1, 0, 1, 0 },
    { O, "offentligMelder.virksomhet.navn", F_TEXT, "text", "organization", 1,
      0, 1, 0 },
    { O, "offentligMelder.virksomhet.orgnr", F_TEXT, "text", "off", 0, 0, 1,
      0 },
    ADDRESS(O, "offentligMelder.virksomhet", "section-virksomhet "),
    /* The children. */
    { P, "privatBarn.*.personnavn", F_TEXT, "text", "off", 1, 0, 1, 0 },
    { P, "privatBarn.*.antattAlder", F_TEXT, "text", "off", 0, 0, 1, 0 },
    { P, "privatBarn.*.relasjon", F_TEXT, "text", "off", 0, 0, 1, 0 },
    ADDRESS(P, "privatBarn.*", "section-barn "),
    { O, "offentligBarn.*.personnavn", F_TEXT, "text", "off", 1, 0, 1, 0 },
    { O, "offentligBarn.*.fnr", F_TEXT, "text", "off", 0, 1, 1, 0 },
    { O, "offentligBarn.*.ufoedt", F_CHECK, "checkbox", NULL, 0, 1, 1, 0 },
    { O, "offentligBarn.*.telefonnummer", F_TEXT, "tel", "off", 0, 0, 1, 0 },
    ADDRESS(O, "offentligBarn.*", "section-barn "),
    { O, "offentligBarn.*.orientert", F_YESNO, "radio", NULL, 1, 0, 1, 0 },
    { O, "offentligBarn.*.orientertGrunn", F_TEXT, "text", "off", 0, 0, 1,
      0 },
    /* The guardians. */
    { O, "foresatte.*.personnavn", F_TEXT, "text", "off", 1, 0, 1, 0 },
    { O, "foresatte.*.telefonnummer", F_TEXT, "tel", "off", 0, 0, 1, 0 },
    { O, "foresatte.*.orientert", F_YESNO, "radio", NULL, 1, 0, 1, 0 },
    { O, "foresatte.*.orientertGrunn", F_TEXT, "text", "off", 0, 0, 1, 0 },
    /* The concern. */
    { P, "melding", F_AREA, NULL, NULL, 1, 0, 1, 0 },
    { O, "melding.melding", F_AREA, NULL, NULL, 1, 0, 1, 0 },
    { O, "melding.historie", F_AREA, NULL, NULL, 0, 1, 1, 0 },
    { O, "melding.andreSynspunkter", F_AREA, NULL, NULL, 0, 0, 2, 0 },
    { O, "behovForTolk", F_TEXT, "text", "off", 0, 0, 1, 0 },
    { O, "andreHjelpeinstanser", F_AREA, NULL, NULL, 0, 0, 1, 0 },
    { 0, NULL, 0, NULL, NULL, 0, 0, 0, 0 }
};

/* Names that are not report fields. */
static const char *const control_names[] = { "csrf",    "skjema", "handling",
                                             "kommune", "bydel",  NULL };

#define MAX_PAIRS 600
#define MAX_VALUE (256 * 1024)

const char *bkm_skjema_type_name(bkm_skjema_type_e type)
{
    return type == BKM_SKJEMA_OFFENTLIG ? "offentlig" : "privat";
}

static int asked(const field_t *fd, bkm_skjema_type_e type, int versjon)
{
    return (fd->forms & (1u << type)) && versjon >= fd->from_version;
}

static const char *barn_array(bkm_skjema_type_e type)
{
    return type == BKM_SKJEMA_OFFENTLIG ? "offentligBarn" : "privatBarn";
}

static int max_blocks(const char *array)
{
    return strcmp(array, "foresatte") == 0 ? BKM_SKJEMA_MAX_FORESATTE
                                           : BKM_SKJEMA_MAX_BARN;
}

static apr_status_t release_cleanup(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

static json_t *own(apr_pool_t *p, json_t *j)
{
    if (j) {
        apr_pool_cleanup_register(p, j, release_cleanup,
                                  apr_pool_cleanup_null);
    }
    return j;
}

bkm_skjema_t *bkm_skjema_new(apr_pool_t *p, bkm_skjema_type_e type,
                             int versjon)
{
    bkm_skjema_t *f = apr_pcalloc(p, sizeof(*f));

    f->pool = p;
    f->type = type;
    f->versjon = versjon;
    f->verdier = own(p, json_object());
    f->feil = own(p, json_object());
    f->oppsummering = own(p, json_array());
    f->barn = 1;
    f->foresatte = type == BKM_SKJEMA_OFFENTLIG ? 1 : 0;
    return f;
}

/* The field @p name is an instance of, with its block (array name and
 * index) if it has one.  NULL when this form and version does not ask it. */
static const field_t *field_of(const bkm_skjema_t *f, const char *name,
                               const char **array, int *index)
{
    const field_t *fd;

    for (fd = fields; fd->path; fd++) {
        const char *star = strchr(fd->path, '*');
        if (!asked(fd, f->type, f->versjon)) {
            continue;
        }
        if (!star) {
            if (strcmp(fd->path, name) == 0) {
                return fd;
            }
            continue;
        }
        /* "<array>.*.<rest>" against "<array>.<digits>.<rest>" */
        if (strncmp(fd->path, name, (apr_size_t)(star - fd->path)) == 0) {
            const char *d = name + (star - fd->path), *e = d;
            long i;
            while (apr_isdigit(*e)) {
                e++;
            }
            if (e == d || e - d > 2 || (e - d == 2 && *d == '0')
                || strcmp(e, star + 1) != 0) {
                continue;
            }
            i = strtol(d, NULL, 10);
            if (array) {
                *array = apr_pstrndup(f->pool, fd->path,
                                      (apr_size_t)(star - fd->path - 1));
                if (i >= max_blocks(*array)) {
                    return NULL;
                }
            }
            if (index) {
                *index = (int)i;
            }
            return fd;
        }
    }
    return NULL;
}

static int hexval(char c)
{
    return apr_isdigit(c) ? c - '0' : apr_tolower(c) - 'a' + 10;
}

/* Decode one name or value in place: '+' is a space, %XX a byte. */
static const char *decode(char *s, apr_size_t *len)
{
    char *in = s, *out = s;

    while (*in) {
        if (*in == '+') {
            *out++ = ' ';
            in++;
        }
        else if (*in == '%') {
            if (!apr_isxdigit(in[1]) || !apr_isxdigit(in[2])) {
                return "a malformed percent-escape";
            }
            *out++ = (char)(hexval(in[1]) * 16 + hexval(in[2]));
            in += 3;
        }
        else {
            *out++ = *in++;
        }
    }
    *len = (apr_size_t)(out - s);
    *out = '\0';
    return NULL;
}

/* Strict UTF-8 without control characters but tab and line breaks;
 * CR LF and lone CR become LF.  In a value (@p typed), text pasted from a
 * word processor, a PDF or a terminal brings control characters the
 * person never saw (Word's line break is VT, a page break FF): those
 * three (VT, FF, NEL) become LF and the others are left out, so the page
 * comes back with everything typed instead of a dead end that loses it
 * (issue 14, "nothing typed is lost").  A field's name is never typed:
 * a control character there is still refused. */
static const char *clean_text(char *s, apr_size_t *len, int typed)
{
    apr_size_t i = 0, o = 0;

    while (i < *len) {
        apr_size_t at = i;
        long cp = bkm_utf8_next((const unsigned char *)s, *len, &i);
        if (cp < 0) {
            return "text that is not UTF-8";
        }
        if (cp == '\r') {
            s[o++] = '\n';
            if (i < *len && s[i] == '\n') {
                i++;
            }
            continue;
        }
        if (bkm_utf8_is_control(cp) && cp != '\t' && cp != '\n') {
            if (!typed) {
                return "a control character";
            }
            if (cp == 0x0B || cp == 0x0C || cp == 0x85) {
                s[o++] = '\n';
            }
            continue;
        }
        memmove(s + o, s + at, i - at);
        o += i - at;
    }
    s[o] = '\0';
    *len = o;
    return NULL;
}

static const char *trim(apr_pool_t *p, const char *s)
{
    const char *e;

    while (*s == ' ' || *s == '\t' || *s == '\n') {
        s++;
    }
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n')) {
        e--;
    }
    return apr_pstrndup(p, s, (apr_size_t)(e - s));
}

const char *bkm_skjema_parse(apr_pool_t *p, bkm_skjema_type_e type,
                             int versjon, const char *body, apr_size_t len,
                             bkm_skjema_t **out)
{
    bkm_skjema_t *f = bkm_skjema_new(p, type, versjon);
    char *copy = apr_pstrmemdup(p, body, len), *pair, *last;
    int pairs = 0, max_barn = 0, max_foresatte = 0;

    if (memchr(body, '\0', len)) {
        return "a NUL byte in the form";
    }
    for (pair = apr_strtok(copy, "&", &last); pair;
         pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '='), *name = pair, *value;
        apr_size_t nlen, vlen;
        const char *err, *array = NULL;
        const field_t *fd;
        int i, index = 0, is_control = 0;

        if (++pairs > MAX_PAIRS) {
            return "too many fields";
        }
        if (!eq) {
            return "a field without a value";
        }
        *eq = '\0';
        value = eq + 1;
        if ((err = decode(name, &nlen)) || (err = decode(value, &vlen))) {
            return err;
        }
        if (vlen > MAX_VALUE) {
            return "a field is too long";
        }
        if ((err = clean_text(name, &nlen, 0))
            || (err = clean_text(value, &vlen, 1))) {
            return err;
        }
        for (i = 0; control_names[i]; i++) {
            if (strcmp(name, control_names[i]) == 0) {
                const char **slot[] = { &f->csrf, &f->skjema_id, &f->handling,
                                        &f->kommune, &f->bydel };
                if (*slot[i]) {
                    return apr_psprintf(p, "the field %s twice", name);
                }
                *slot[i] = value;
                is_control = 1;
            }
        }
        if (is_control) {
            continue;
        }
        if (!(fd = field_of(f, name, &array, &index))) {
            /* Never the name: it is the sender's text, and the message
             * goes to the log. */
            return "an unknown field";
        }
        if (json_object_get(f->verdier, name)) {
            return apr_psprintf(p, "the field %s twice", name);
        }
        json_object_set_new(f->verdier, name,
                            json_string(fd->kind == F_AREA ? value
                                                           : trim(p, value)));
        if (array && strcmp(array, "foresatte") == 0) {
            max_foresatte = index + 1 > max_foresatte ? index + 1
                                                      : max_foresatte;
        }
        else if (array) {
            max_barn = index + 1 > max_barn ? index + 1 : max_barn;
        }
    }
    f->barn = max_barn > 0 ? max_barn : 1;
    if (type == BKM_SKJEMA_OFFENTLIG) {
        f->foresatte = max_foresatte > 0 ? max_foresatte : 1;
    }
    *out = f;
    return NULL;
}

/* Rename the values of block @p from of @p array to block @p to (NULL
 * @p to: drop them). */
static void move_block(bkm_skjema_t *f, const char *array, int from, int to)
{
    const char *prefix = apr_psprintf(f->pool, "%s.%d.", array, from);
    apr_size_t plen = strlen(prefix);
    json_t *moved = json_object();
    const char *key;
    void *tmp;
    json_t *v;

    json_object_foreach_safe(f->verdier, tmp, key, v) {
        if (strncmp(key, prefix, plen) == 0) {
            if (to >= 0) {
                json_object_set(moved,
                                apr_psprintf(f->pool, "%s.%d.%s", array, to,
                                             key + plen),
                                v);
            }
            json_object_del(f->verdier, key);
        }
    }
    json_object_update(f->verdier, moved);
    json_decref(moved);
}

const char *bkm_skjema_set_version(bkm_skjema_t *f, int versjon)
{
    const char *key;
    json_t *v;

    f->versjon = versjon;
    json_object_foreach(f->verdier, key, v) {
        if (!field_of(f, key, NULL, NULL)) {
            return apr_psprintf(f->pool,
                                "a field that version %d of the "
                                "form does not have (%.40s)",
                                versjon, key);
        }
    }
    return NULL;
}

int bkm_skjema_apply(bkm_skjema_t *f, const char *handling)
{
    const char *barn = barn_array(f->type);
    int *count, i, at;
    char array[32];

    if (!handling) {
        return 0;
    }
    if (strncmp(handling, "legg-til:", 9) == 0) {
        const char *a = handling + 9;
        count = strcmp(a, barn) == 0 ? &f->barn
                : (f->type == BKM_SKJEMA_OFFENTLIG
                   && strcmp(a, "foresatte") == 0)
                    ? &f->foresatte
                    : NULL;
        if (count && *count < max_blocks(a)) {
            (*count)++;
        }
        return count != NULL;
    }
    if (strncmp(handling, "fjern:", 6) == 0
        && sscanf(handling + 6, "%31[A-Za-z]:%d", array, &at) == 2) {
        count = strcmp(array, barn) == 0 ? &f->barn
                : (f->type == BKM_SKJEMA_OFFENTLIG
                   && strcmp(array, "foresatte") == 0)
                    ? &f->foresatte
                    : NULL;
        if (!count || at < 0 || at >= *count || *count <= 1) {
            return count != NULL;
        }
        move_block(f, array, at, -1);
        for (i = at + 1; i < *count; i++) {
            move_block(f, array, i, i - 1);
        }
        (*count)--;
        return 1;
    }
    return 0;
}

/* The object at a dotted path in @p root, made as needed (arrays for the
 * numeric segments). */
static json_t *parent_of(json_t *root, apr_pool_t *p, const char *path,
                         const char **leaf)
{
    char *copy = apr_pstrdup(p, path), *seg, *next;
    json_t *at = root;

    seg = copy;
    while ((next = strchr(seg, '.'))) {
        json_t *child;
        *next = '\0';
        if (apr_isdigit(*seg)) {
            size_t i = (size_t)strtol(seg, NULL, 10);
            while (json_array_size(at) <= i) {
                json_array_append_new(at, json_object());
            }
            child = json_array_get(at, i);
        }
        else {
            child = json_object_get(at, seg);
            if (!child) {
                child = apr_isdigit(next[1]) ? json_array() : json_object();
                json_object_set_new(at, seg, child);
            }
        }
        at = child;
        seg = next + 1;
    }
    *leaf = path + (seg - copy);
    return at;
}

/* Each field of the form's blocks and top level, by its page name. */
typedef void (*each_fn)(const bkm_skjema_t *f, const field_t *fd,
                        const char *name, void *baton);

static void each_field(const bkm_skjema_t *f, each_fn fn, void *baton)
{
    const field_t *fd;

    for (fd = fields; fd->path; fd++) {
        const char *star = strchr(fd->path, '*');
        int n, i;
        if (!asked(fd, f->type, f->versjon)) {
            continue;
        }
        if (!star) {
            fn(f, fd, fd->path, baton);
            continue;
        }
        n = strncmp(fd->path, "foresatte.", 10) == 0 ? f->foresatte : f->barn;
        for (i = 0; i < n; i++) {
            fn(f, fd,
               apr_psprintf(f->pool, "%.*s%d%s", (int)(star - fd->path),
                            fd->path, i, star + 1),
               baton);
        }
    }
}

static const char *value_of(const bkm_skjema_t *f, const char *name)
{
    const char *v = json_string_value(json_object_get(f->verdier, name));
    return v ? v : "";
}

typedef struct {
    json_t *report;
    const bkm_postnummer_t *postnummer;
} report_baton_t;

static void put_field(const bkm_skjema_t *f, const field_t *fd,
                      const char *name, void *b)
{
    report_baton_t *rb = b;
    const char *v = value_of(f, name), *leaf;
    json_t *parent, *value = NULL;

    if (fd->login) {
        if (!*v) {
            return; /* the server puts the login's name here */
        }
    }
    switch (fd->kind) {
    case F_CHECK:
        value = json_boolean(strcmp(v, "ja") == 0);
        break;
    case F_YESNO:
        if (strcmp(v, "ja") == 0 || strcmp(v, "nei") == 0) {
            value = json_boolean(strcmp(v, "ja") == 0);
        }
        break;
    default:
        if (*v || fd->always) {
            value = json_string(v);
        }
        /* The place of a known postal code nobody typed a place for. */
        if (!*v && rb->postnummer && strstr(name, ".adresse.poststed")) {
            const char *code =
                value_of(f, apr_pstrcat(f->pool,
                                        apr_pstrndup(f->pool, name,
                                                     strlen(name) - 8),
                                        "postnummer", NULL));
            const char *place = bkm_postnummer_sted(rb->postnummer, code);
            if (place) {
                value = json_string(place);
            }
        }
        break;
    }
    if (!value) {
        /* The objects a required field lives in are made even when
         * nothing in them is typed (a block, the workplace and its
         * address), so the field is reported missing, not its whole
         * object silently dropped or only the object's first field
         * marked. */
        if (fd->required && !fd->login) {
            parent_of(rb->report, f->pool, name, &leaf);
        }
        return;
    }
    parent = parent_of(rb->report, f->pool, name, &leaf);
    json_object_set_new(parent, leaf, value);
}

/* An address the reporter may leave out in part or whole: the protocol's
 * address must have its street line, so it is "" when the street is not
 * typed but something else is. */
static void optional_street(const bkm_skjema_t *f, json_t *report)
{
    const field_t *fd;

    for (fd = fields; fd->path; fd++) {
        const char *leaf;
        json_t *parent;
        apr_size_t n = strlen(fd->path);
        if (!asked(fd, f->type, f->versjon) || fd->required
            || strchr(fd->path, '*') || n < 22
            || strcmp(fd->path + n - 22, ".adresse.adresselinje1") != 0) {
            continue;
        }
        parent = report;
        leaf = fd->path;
        while (parent && strchr(leaf, '.')) {
            const char *dot = strchr(leaf, '.');
            parent = json_object_get(parent,
                                     apr_pstrndup(f->pool, leaf,
                                                  (apr_size_t)(dot - leaf)));
            leaf = dot + 1;
        }
        if (json_is_object(parent) && json_object_size(parent)
            && !json_object_get(parent, leaf)) {
            json_object_set_new(parent, leaf, json_string(""));
        }
    }
}

json_t *bkm_skjema_report(const bkm_skjema_t *f,
                          const bkm_postnummer_t *postnummer)
{
    report_baton_t rb;

    rb.report = json_object();
    /* The reporter is always there: the server names them from the login. */
    json_object_set_new(rb.report,
                        f->type == BKM_SKJEMA_OFFENTLIG ? "offentligMelder"
                                                        : "privatMelder",
                        json_object());
    rb.postnummer = postnummer;
    each_field(f, put_field, &rb);
    optional_street(f, rb.report);
    return rb.report;
}

/* ---- members the form does not have (the API) ------------------------- */

/* What the server sets or routes by: a client may send them (the
 * incumbent's form API has kommunenavn and bydelsnavn), the server
 * overwrites all but the route. */
static const char *const server_members[] = { "kommunenummer",
                                              "kommunenavn",
                                              "bydelsnummer",
                                              "bydelsnavn",
                                              "sendingstidspunkt",
                                              "leveringskanal",
                                              NULL };

#define MEMBER_MAX_BLOCKS 20

typedef struct {
    apr_pool_t *p;
    bkm_skjema_type_e type;
    int versjon;
    apr_array_header_t *errors;
    int n;
} members_t;

/* 0: unknown; 1: a field; 2: an object or array on the way to fields. */
static int member_kind(const members_t *m, const char *path)
{
    const field_t *fd;
    apr_size_t n = strlen(path);
    int i;

    if (!strchr(path, '.')) {
        for (i = 0; server_members[i]; i++) {
            if (strcmp(path, server_members[i]) == 0) {
                return 1;
            }
        }
    }
    for (fd = fields; fd->path; fd++) {
        if (!asked(fd, m->type, m->versjon)) {
            continue;
        }
        if (strcmp(fd->path, path) == 0) {
            return 1;
        }
    }
    for (fd = fields; fd->path; fd++) {
        if (asked(fd, m->type, m->versjon) && strncmp(fd->path, path, n) == 0
            && fd->path[n] == '.') {
            return 2;
        }
    }
    return 0;
}

/* RFC 6901: "~" is "~0", "/" is "~1". */
static const char *pointer_token(apr_pool_t *p, const char *key)
{
    char *out = apr_palloc(p, 2 * strlen(key) + 1), *o = out;

    for (; *key; key++) {
        if (*key == '~' || *key == '/') {
            *o++ = '~';
            *o++ = *key == '~' ? '0' : '1';
        }
        else {
            *o++ = *key;
        }
    }
    *o = '\0';
    return out;
}

/* Names a client may give a national id number under. */
static int national_id_name(const char *key)
{
    static const char *const names[] = { "fnr",
                                         "dnr",
                                         "pid",
                                         "fodselsnummer",
                                         "foedselsnummer",
                                         "f\xc3\xb8"
                                         "dselsnummer",
                                         "personnummer",
                                         NULL };
    int i;

    for (i = 0; names[i]; i++) {
        if (strcasecmp(key, names[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static void walk_members(members_t *m, const json_t *v, const char *path,
                         const char *pointer)
{
    const char *key;
    json_t *child;
    size_t i;

    if (json_is_array(v)) {
        json_array_foreach(v, i, child) {
            if (i >= MEMBER_MAX_BLOCKS) {
                break;
            }
            if (json_is_object(child)) {
                walk_members(m, child, apr_pstrcat(m->p, path, ".*", NULL),
                             apr_psprintf(m->p, "%s/%d", pointer, (int)i));
            }
        }
        return;
    }
    json_object_foreach((json_t *)v, key, child) {
        const char *sub = *path ? apr_pstrcat(m->p, path, ".", key, NULL)
                                : key;
        const char *ptr = apr_pstrcat(m->p, pointer, "/",
                                      pointer_token(m->p, key), NULL);
        int kind = member_kind(m, sub);
        if (m->errors->nelts >= BKM_JSONSCHEMA_MAX_ERRORS) {
            return;
        }
        if (!kind) {
            bkm_jsonschema_error_t *e = apr_array_push(m->errors);
            e->pointer = ptr;
            e->keyword = "additionalProperties";
            e->message = national_id_name(key)
                             ? "the form asks no national identity number "
                               "here (the reporter's is never sent)"
                             : "the form has no such field";
            m->n++;
        }
        else if (kind == 2
                 && (json_is_object(child) || json_is_array(child))) {
            walk_members(m, child, sub, ptr);
        }
    }
}

int bkm_skjema_check_members(apr_pool_t *p, bkm_skjema_type_e type,
                             int versjon, const json_t *report,
                             apr_array_header_t *errors)
{
    members_t m;

    m.p = p;
    m.type = type;
    m.versjon = versjon;
    m.errors = errors;
    m.n = 0;
    if (json_is_object(report)) {
        walk_members(&m, report, "", "");
    }
    return m.n;
}

/* ---- errors ---------------------------------------------------------- */

/* The key of a field's texts: its path without indices, with address
 * lines shared by every address. */
static const char *text_key(apr_pool_t *p, const char *prefix,
                            const field_t *fd)
{
    const char *addr = strstr(fd->path, ".adresse.");
    char *key, *star;

    if (addr) {
        /* A child's address has help of its own ("where the child
         * lives"); labels are the same for every address. */
        int barn = (strcmp(prefix, "hjelp") == 0
                    || strcmp(prefix, "feil") == 0)
                   && strncmp(fd->path + strcspn(fd->path, "."), ".*.", 3)
                          == 0;
        return apr_pstrcat(p, prefix, barn ? ".barn" : "", ".adresse.",
                           addr + 9, NULL);
    }
    key = apr_pstrcat(p, prefix, ".", fd->path, NULL);
    while ((star = strstr(key, ".*"))) {
        memmove(star, star + 2, strlen(star + 2) + 1);
    }
    return key;
}

static const char *label_of(const bkm_skjema_t *f, const field_t *fd,
                            const bkm_i18n_t *i18n, const char *lang)
{
    return bkm_i18n_text(i18n, lang, text_key(f->pool, "felt", fd));
}

static int has_text(const bkm_i18n_t *i18n, const char *key)
{
    return json_object_get(bkm_i18n_texts(i18n, "nb"), key) != NULL;
}

static const char *dom_id(apr_pool_t *p, const char *name)
{
    char *id = apr_pstrcat(p, "f-", name, NULL), *c;

    for (c = id; *c; c++) {
        if (*c == '.') {
            *c = '-';
        }
    }
    return id;
}

/* Whose field it is, for the summary: "Barn 2", "Arbeidsstedet ditt",
 * "Om deg" -- or NULL when the label says it alone. */
static const char *context_of(const bkm_skjema_t *f, const char *name,
                              const bkm_i18n_t *i18n, const char *lang)
{
    const char *dot = strchr(name, '.');

    if (dot && apr_isdigit(dot[1])) {
        int nr = atoi(dot + 1) + 1;
        return apr_psprintf(f->pool, "%s %d",
                            bkm_i18n_text(i18n, lang,
                                          strncmp(name, "foresatte.", 10) == 0
                                              ? "skjema.foresatt"
                                              : "skjema.barn"),
                            nr);
    }
    if (strstr(name, ".virksomhet.")) {
        return bkm_i18n_text(i18n, lang, "skjema.virksomhet");
    }
    if (strstr(name, "Melder.adresse.")) {
        return bkm_i18n_text(i18n, lang, "skjema.du");
    }
    return NULL;
}

typedef struct {
    const bkm_i18n_t *i18n;
    const char *lang;
    json_t *list;
} summary_baton_t;

/* Whether @p tekst is one of the messages that fit any field. */
static int generic(const bkm_i18n_t *i18n, const char *lang,
                   const char *tekst)
{
    static const char *const keys[] = { "feil.required",  "feil.minLength",
                                        "feil.maxLength", "feil.pattern",
                                        "feil.ugyldig",   NULL };
    int i;

    for (i = 0; keys[i]; i++) {
        if (strcmp(tekst, bkm_i18n_text(i18n, lang, keys[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

static void summarize_field(const bkm_skjema_t *f, const field_t *fd,
                            const char *name, void *b)
{
    summary_baton_t *sb = b;
    const char *tekst = json_string_value(json_object_get(f->feil, name));
    const char *id, *context;

    if (!tekst) {
        return;
    }
    id = apr_pstrcat(f->pool, dom_id(f->pool, name),
                     fd->kind == F_YESNO ? "-ja" : "", NULL);
    context = context_of(f, name, sb->i18n, sb->lang);
    /* The summary says what the field says (GOV.UK, Designsystemet), in
     * its block ("Barn 2: ..."); a message that does not name its field
     * ("Sjekk at det er skrevet riktig.") gets the field's label. */
    json_array_append_new(
        sb->list,
        json_pack("{s:s, s:s, s:s}", "id", id, "href",
                  apr_pstrcat(f->pool, "#", id, NULL), "tekst",
                  apr_pstrcat(f->pool, context ? context : "",
                              context ? ": " : "",
                              generic(sb->i18n, sb->lang, tekst)
                                  ? apr_pstrcat(f->pool,
                                                label_of(f, fd, sb->i18n,
                                                         sb->lang),
                                                " – ", NULL)
                                  : "",
                              tekst, NULL)));
}

/* The summary lists the errors in the order of the page, then any that
 * belong to no field. */
static void summarize(bkm_skjema_t *f, const bkm_i18n_t *i18n,
                      const char *lang)
{
    summary_baton_t sb;
    json_t *old = f->oppsummering, *item;
    size_t i;

    sb.i18n = i18n;
    sb.lang = lang;
    sb.list = json_array();
    each_field(f, summarize_field, &sb);
    json_array_foreach(old, i, item) {
        if (strcmp(json_string_value(json_object_get(item, "id")), "skjema")
            == 0) {
            json_array_append(sb.list, item);
        }
    }
    json_array_clear(old);
    json_array_extend(old, sb.list);
    json_decref(sb.list);
}

void bkm_skjema_add_error(bkm_skjema_t *f, const char *name,
                          const char *tekst, const bkm_i18n_t *i18n,
                          const char *lang)
{
    if (!name) {
        json_array_append_new(f->oppsummering,
                              json_pack("{s:s, s:s, s:s}", "id", "skjema",
                                        "href", "#skjema", "tekst", tekst));
    }
    else if (!json_object_get(f->feil, name)) {
        /* one message a field: the first */
        json_object_set_new(f->feil, name, json_string(tekst));
    }
    summarize(f, i18n, lang);
}

typedef struct {
    const char *prefix; /* "privatBarn.0." */
    const char *found;
} first_baton_t;

static void first_under(const bkm_skjema_t *f, const field_t *fd,
                        const char *name, void *b)
{
    first_baton_t *fb = b;

    if (!fb->found && !fd->login
        && strncmp(name, fb->prefix, strlen(fb->prefix)) == 0) {
        fb->found = name;
    }
}

/* A pointer as a page name: "/privatBarn/0/personnavn" is
 * "privatBarn.0.personnavn". */
static const char *dotted(apr_pool_t *p, const char *ptr)
{
    char *name = apr_pstrdup(p, *ptr == '/' ? ptr + 1 : ptr), *c;

    for (c = name; *c; c++) {
        if (*c == '/') {
            *c = '.';
        }
    }
    return name;
}

/* The page name of the field an error belongs to: the pointer itself, or
 * for a missing or too short object or array its first field. */
static const char *field_for_pointer(const bkm_skjema_t *f, const char *ptr)
{
    char *name = apr_pstrdup(f->pool, *ptr == '/' ? ptr + 1 : ptr), *c;
    first_baton_t fb;

    for (c = name; *c; c++) {
        if (*c == '/') {
            *c = '.';
        }
    }
    if (field_of(f, name, NULL, NULL)) {
        return name;
    }
    fb.prefix = *name ? apr_pstrcat(f->pool, name, ".", NULL) : "";
    fb.found = NULL;
    each_field(f, first_under, &fb);
    return fb.found;
}

void bkm_skjema_set_errors(bkm_skjema_t *f, const apr_array_header_t *errors,
                           const bkm_i18n_t *i18n, const char *lang)
{
    int i, general = 0;

    for (i = 0; i < errors->nelts; i++) {
        const bkm_jsonschema_error_t *e =
            &APR_ARRAY_IDX(errors, i, bkm_jsonschema_error_t);
        const char *name = field_for_pointer(f, e->pointer);
        const field_t *fd = name ? field_of(f, name, NULL, NULL) : NULL;
        const char *leaf, *key, *keyword;

        if (!fd) {
            if (!general++) {
                json_array_append_new(
                    f->oppsummering,
                    json_pack("{s:s, s:s, s:s}", "id", "skjema", "href",
                              "#skjema", "tekst",
                              bkm_i18n_text(i18n, lang, "feil.ukjent")));
            }
            continue;
        }
        /* An object or array that is missing or too short: its first
         * field is what is missing.  (The pointer is compared as a page
         * name: compared with its slashes, every error was "required",
         * so "ring meg" as a phone number was "Fyll ut feltet.") */
        keyword = strcmp(name, dotted(f->pool, e->pointer)) == 0 ? e->keyword
                                                                 : "required";
        /* An empty text where one is required says the same as none. */
        if (strcmp(keyword, "minLength") == 0) {
            keyword = "required";
        }
        leaf = strrchr(fd->path, '.') ? strrchr(fd->path, '.') + 1 : fd->path;
        /* The most specific text there is: this field's ("Skriv barnets
         * navn"), any field of its name's, the rule's ("fnr.lengde"). */
        key = apr_pstrcat(f->pool, text_key(f->pool, "feil", fd), ".",
                          keyword, NULL);
        if (!has_text(i18n, key)) {
            key = apr_pstrcat(f->pool, "feil.", leaf, ".", keyword, NULL);
        }
        if (!has_text(i18n, key)) {
            key = apr_pstrcat(f->pool, "feil.", keyword, NULL);
        }
        if (!has_text(i18n, key)) {
            key = "feil.ugyldig";
        }
        if (!json_object_get(f->feil, name)) {
            json_object_set_new(f->feil, name,
                                json_string(bkm_i18n_text(i18n, lang, key)));
        }
    }
    summarize(f, i18n, lang);
}

/* ---- the page's view ------------------------------------------------- */

typedef struct {
    json_t *felt;
    const bkm_i18n_t *i18n;
    const char *lang;
} view_baton_t;

static void view_field(const bkm_skjema_t *f, const field_t *fd,
                       const char *name, void *b)
{
    view_baton_t *vb = b;
    apr_pool_t *p = f->pool;
    const char *id = dom_id(p, name), *leaf, *v = value_of(f, name);
    const char *help_key = text_key(p, "hjelp", fd);
    const char *feil = json_string_value(json_object_get(f->feil, name));
    const char *describedby = NULL;
    json_t *o = json_object(), *parent;

    json_object_set_new(o, "navn", json_string(name));
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "verdi", json_string(v));
    json_object_set_new(o, "etikett",
                        json_string(label_of(f, fd, vb->i18n, vb->lang)));
    json_object_set_new(o, "pakrevd", json_boolean(fd->required));
    if (fd->required) {
        json_object_set_new(o, "pakrevdaria", json_string("true"));
    }
    if (fd->input) {
        json_object_set_new(o, "type", json_string(fd->input));
    }
    if (fd->autocomplete) {
        json_object_set_new(o, "autocomplete",
                            json_string(strstr(fd->autocomplete, "section-")
                                            ? "off"
                                            : fd->autocomplete));
    }
    if (has_text(vb->i18n, help_key)) {
        json_object_set_new(o, "beskrivelse",
                            json_string(bkm_i18n_text(vb->i18n, vb->lang,
                                                      help_key)));
        json_object_set_new(o, "beskrivelseid",
                            json_string(apr_pstrcat(p, id, "-hjelp", NULL)));
        describedby = apr_pstrcat(p, id, "-hjelp", NULL);
    }
    if (feil) {
        json_object_set_new(o, "feil", json_string(feil));
        json_object_set_new(o, "feilid",
                            json_string(apr_pstrcat(p, id, "-feil", NULL)));
        json_object_set_new(o, "ugyldig", json_string("true"));
        describedby = apr_pstrcat(p, describedby ? describedby : "",
                                  describedby ? " " : "", id, "-feil", NULL);
    }
    if (describedby) {
        json_object_set_new(o, "beskrevetav", json_string(describedby));
    }
    /* Digits only: the phone's number pad (GOV.UK: inputmode, not
     * type=number, which drops leading zeros and scrolls). */
    leaf = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
    if (strcmp(leaf, "fnr") == 0 || strcmp(leaf, "orgnr") == 0) {
        json_object_set_new(o, "inputmode", json_string("numeric"));
    }
    if (strstr(name, ".adresse.postnummer")) {
        json_object_set_new(
            o, "postnummerfor",
            json_string(apr_pstrcat(p, apr_pstrndup(p, id, strlen(id) - 10),
                                    "poststed", NULL)));
        json_object_set_new(o, "inputmode", json_string("numeric"));
    }
    switch (fd->kind) {
    case F_AREA:
        json_object_set_new(o, "tekstomrade", json_true());
        break;
    case F_CHECK:
        json_object_set_new(o, "avkrysning", json_true());
        json_object_set_new(o, "valgt", json_boolean(strcmp(v, "ja") == 0));
        break;
    case F_YESNO:
        json_object_set_new(o, "janei", json_true());
        json_object_set_new(o, "ja", json_boolean(strcmp(v, "ja") == 0));
        json_object_set_new(o, "nei", json_boolean(strcmp(v, "nei") == 0));
        json_object_set_new(o, "jaid",
                            json_string(apr_pstrcat(p, id, "-ja", NULL)));
        json_object_set_new(o, "neiid",
                            json_string(apr_pstrcat(p, id, "-nei", NULL)));
        break;
    default:
        json_object_set_new(o, "linje", json_true());
        break;
    }
    parent = parent_of(vb->felt, p, name, &leaf);
    json_object_set_new(parent, leaf, o);
}

/* Each block: its number (from 1), and its remove button when there is
 * more than one. */
static void number_blocks(apr_pool_t *p, json_t *felt, const char *array)
{
    json_t *blocks = json_object_get(felt, array), *b;
    size_t i, n = json_array_size(blocks);

    json_array_foreach(blocks, i, b) {
        json_object_set_new(b, "nr", json_integer((json_int_t)i + 1));
        if (n > 1) {
            json_object_set_new(b, "fjern",
                                json_string(apr_psprintf(p, "fjern:%s:%d",
                                                         array, (int)i)));
        }
    }
}

json_t *bkm_skjema_view(const bkm_skjema_t *f, const bkm_i18n_t *i18n,
                        const char *lang)
{
    view_baton_t vb;
    json_t *view = json_object();
    const char *barn = barn_array(f->type);

    vb.felt = json_object();
    vb.i18n = i18n;
    vb.lang = lang;
    each_field(f, view_field, &vb);
    number_blocks(f->pool, vb.felt, barn);
    number_blocks(f->pool, vb.felt, "foresatte");
    json_object_set_new(view, "felt", vb.felt);
    if (f->barn < BKM_SKJEMA_MAX_BARN) {
        json_object_set_new(view, "leggTilBarn",
                            json_string(apr_pstrcat(f->pool, "legg-til:",
                                                    barn, NULL)));
    }
    if (f->type == BKM_SKJEMA_OFFENTLIG
        && f->foresatte < BKM_SKJEMA_MAX_FORESATTE) {
        json_object_set_new(view, "leggTilForesatt",
                            json_string("legg-til:foresatte"));
    }
    json_object_set(view, "feil", f->oppsummering);
    return view;
}

/* ---- the check page (issue 14) ----------------------------------------- */

typedef struct {
    const bkm_i18n_t *i18n;
    const char *lang;
    const bkm_postnummer_t *postnummer;
    json_t *deler; /* [{tittel, rader: [...]}] */
    json_t *parts; /* tittel -> its rader, while building */
    json_t *rader;
} summary_view_baton_t;

/* The part of the page a field belongs to: its catalogue title and, for a
 * block, its number ("Barn 2"). */
static const char *part_of(const bkm_skjema_t *f, const char *name,
                           const bkm_i18n_t *i18n, const char *lang)
{
    const char *dot = strchr(name, '.');

    if (dot && apr_isdigit(dot[1])) {
        return context_of(f, name, i18n, lang);
    }
    if (strstr(name, ".virksomhet.")) {
        return bkm_i18n_text(i18n, lang, "skjema.virksomhet");
    }
    if (strstr(name, "Melder.")) {
        return bkm_i18n_text(i18n, lang, "skjema.du");
    }
    if (strncmp(name, "melding", 7) == 0) {
        return bkm_i18n_text(i18n, lang, "skjema.bekymring");
    }
    return bkm_i18n_text(i18n, lang, "skjema.andre");
}

/* An address as the check page shows it: its lines, then postal code and
 * place (the place the server fills in when none was typed). */
static const char *address_text(const bkm_skjema_t *f, const char *prefix,
                                const bkm_postnummer_t *postnummer)
{
    static const char *const lines[] = { "adresselinje1", "adresselinje2",
                                         "adresselinje3", NULL };
    const char *out = "", *code, *place;
    int i;

    for (i = 0; lines[i]; i++) {
        const char *v = value_of(f, apr_pstrcat(f->pool, prefix, lines[i],
                                                NULL));
        if (*v) {
            out = apr_pstrcat(f->pool, out, *out ? "\n" : "", v, NULL);
        }
    }
    code = value_of(f, apr_pstrcat(f->pool, prefix, "postnummer", NULL));
    place = value_of(f, apr_pstrcat(f->pool, prefix, "poststed", NULL));
    if (!*place && postnummer) {
        place = bkm_postnummer_sted(postnummer, code);
        place = place ? place : "";
    }
    if (*code || *place) {
        out = apr_pstrcat(f->pool, out, *out ? "\n" : "", code,
                          *code && *place ? " " : "", place, NULL);
    }
    return out;
}

static void summary_row(const bkm_skjema_t *f, const field_t *fd,
                        const char *name, void *b)
{
    summary_view_baton_t *sb = b;
    const char *v = value_of(f, name), *del, *shown = v, *addr;
    const char *label, *felt = name;
    int multiline = fd->kind == F_AREA;
    json_t *row;

    if (fd->login && !*v) {
        return; /* the login's name: the page shows it apart */
    }
    label = label_of(f, fd, sb->i18n, sb->lang);
    /* An address is one answer (its first line is where "Endre" goes). */
    if ((addr = strstr(name, ".adresse."))) {
        const char *prefix = apr_pstrndup(f->pool, name,
                                          (apr_size_t)(addr - name) + 9);
        if (strcmp(addr + 9, "adresselinje1") != 0) {
            return;
        }
        shown = address_text(f, prefix, sb->postnummer);
        label = bkm_i18n_text(sb->i18n, sb->lang, "skjema.adresse");
        felt = apr_pstrndup(f->pool, prefix, strlen(prefix) - 1);
        multiline = 1;
    }
    del = part_of(f, name, sb->i18n, sb->lang);
    sb->rader = json_object_get(sb->parts, del);
    if (!sb->rader) {
        sb->rader = json_array();
        json_object_set_new(sb->parts, del, sb->rader);
        json_array_append_new(sb->deler, json_pack("{s:s, s:O}", "tittel",
                                                   del, "rader", sb->rader));
    }
    switch (fd->kind) {
    case F_CHECK:
        shown = bkm_i18n_text(sb->i18n, sb->lang,
                              strcmp(v, "ja") == 0 ? "skjema.ja"
                                                   : "skjema.nei");
        break;
    case F_YESNO:
        shown = strcmp(v, "ja") == 0
                    ? bkm_i18n_text(sb->i18n, sb->lang, "skjema.ja")
                : strcmp(v, "nei") == 0
                    ? bkm_i18n_text(sb->i18n, sb->lang, "skjema.nei")
                    : "";
        break;
    default:
        break;
    }
    row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "navn", name, "felt",
                    felt, "etikett", label, "verdi", shown, "id",
                    apr_pstrcat(f->pool, dom_id(f->pool, name),
                                fd->kind == F_YESNO ? "-ja" : "", NULL),
                    "flerlinjet", multiline);
    if (!*shown) {
        json_object_set_new(row, "tom", json_true());
    }
    json_array_append_new(sb->rader, row);
}

json_t *bkm_skjema_summary(const bkm_skjema_t *f,
                           const bkm_postnummer_t *postnummer,
                           const bkm_i18n_t *i18n, const char *lang)
{
    summary_view_baton_t sb;

    memset(&sb, 0, sizeof(sb));
    sb.i18n = i18n;
    sb.lang = lang;
    sb.postnummer = postnummer;
    sb.deler = json_array();
    sb.parts = json_object();
    each_field(f, summary_row, &sb);
    json_decref(sb.parts);
    return sb.deler;
}

static void hidden_field(const bkm_skjema_t *f, const field_t *fd,
                         const char *name, void *b)
{
    if (fd->login && !*value_of(f, name)) {
        return; /* the login names the reporter: no field to carry */
    }
    if (fd->kind == F_CHECK && strcmp(value_of(f, name), "ja") != 0) {
        return; /* as the browser posts a box not ticked: not at all */
    }
    json_array_append_new((json_t *)b, json_pack("{s:s, s:s}", "navn", name,
                                                 "verdi", value_of(f, name)));
}

json_t *bkm_skjema_hidden(const bkm_skjema_t *f)
{
    json_t *list = json_array();

    each_field(f, hidden_field, list);
    return list;
}

const char *bkm_skjema_dom_id(apr_pool_t *p, const bkm_skjema_t *f,
                              const char *name)
{
    const field_t *fd = field_of(f, name, NULL, NULL);

    return fd ? apr_pstrcat(p, dom_id(p, name),
                            fd->kind == F_YESNO ? "-ja" : "", NULL)
              : NULL;
}

json_t *bkm_skjema_set_version_keeping(bkm_skjema_t *f, int versjon,
                                       const bkm_i18n_t *i18n,
                                       const char *lang)
{
    json_t *left = json_array();
    const field_t *fd;
    const char *key;
    void *tmp;
    json_t *v;

    f->versjon = versjon;
    json_object_foreach_safe(f->verdier, tmp, key, v) {
        if (field_of(f, key, NULL, NULL)) {
            continue;
        }
        /* Its label from the field of any version that has it. */
        for (fd = fields; fd->path; fd++) {
            if ((fd->forms & (1u << f->type)) && strcmp(fd->path, key) == 0) {
                break;
            }
        }
        if (*json_string_value(v)) {
            json_array_append_new(left,
                                  json_pack("{s:s, s:s}", "etikett",
                                            fd->path
                                                ? label_of(f, fd, i18n, lang)
                                                : key,
                                            "verdi", json_string_value(v)));
        }
        json_object_del(f->verdier, key);
    }
    return left;
}
