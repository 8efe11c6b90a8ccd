/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The report PDF, checked from the outside with poppler-utils: pdftotext
 * must find every value of the report (so nothing is lost or garbled),
 * pdfinfo the page count and metadata, pdffonts the embedded fonts.  The
 * reports are written here, derived from the examples of the protocol
 * (fiks-bekymringsmelding-protokoll/schema/examples), with Norwegian and
 * Sami letters in them.
 */
#include "unit.h"
#include "bkm_pdf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_thread_proc.h>
#include <jansson.h>

#define REF "BM-7K4Q-9XHT"
#define T_PRIVAT_V1 "no.ks.fiks.bekymringsmelding.privat.v1"
#define T_PRIVAT_V2 "no.ks.fiks.bekymringsmelding.privat.v2"
#define T_OFFENTLIG_V1 "no.ks.fiks.bekymringsmelding.offentlig.v1"
#define T_OFFENTLIG_V2 "no.ks.fiks.bekymringsmelding.offentlig.v2"

/* The Norwegian and Sami letters that must survive, and names with all of
 * them.  (pdftotext joins one-letter words: the letters alone are compared
 * without the spaces; pdftotext -bbox shows them as separate words.) */
#define LETTERS "Æ Ø Å æ ø å Á á Č č Đ đ Ŋ ŋ Š š Ŧ ŧ Ž ž"
#define NAME1 "Ærlig Øystein Åsmund Bjørnæs-Kåsa"
#define NAME2 "Ánde Čoavddáš Đuođđa Ŋuolláš Šuoššjávri Ŧeahkká Žiehččá"

/* JSON with ' for " (none of the texts needs an apostrophe). */
static const char *privat_json =
    "{'kommunenummer': '1201', 'kommunenavn': 'Bergen',"
    " 'bydelsnummer': '02', 'bydelsnavn': 'Bergenhus',"
    " 'privatMelder': {'personnavn': 'Navnesen Navn Mellomnavn',"
    "   'telefonnummer': '+47 999 99 999',"
    "   'adresse': {'adresselinje1': 'Rosenkrantzgaten 3',"
    "     'adresselinje2': 'Leilighet H0201', 'adresselinje3': '',"
    "     'postnummer': '5003', 'poststed': 'Bergen'}},"
    " 'privatBarn': ["
    "   {'personnavn': 'Barn Barnesen', 'antattAlder': '10',"
    "    'relasjon': 'Nabo, fritekstfelt',"
    "    'adresse': {'adresselinje1': 'Rådhusgaten 10', 'adresselinje2': '',"
    "      'adresselinje3': '', 'postnummer': '5020', 'poststed': 'Bergen'}},"
    "   {'personnavn': 'Áile Ŋuoraš Đuođđa', 'antattAlder': 'omtrent 4 år',"
    "    'relasjon': 'Besteforelder',"
    "    'adresse': {'adresselinje1': 'Čáhppesjávrri 7',"
    "      'postnummer': '9520', 'poststed': 'Guovdageaidnu'}}],"
    " 'melding': 'Her kommer selve innholdet i bekymringsmeldingen!\\n\\n"
    "Et nytt avsnitt: barnet virker sliten og sulten om morgenen.',"
    " 'sendingstidspunkt': '2020-03-17T00:31:56',"
    " 'leveringskanal': 'Fagsystem'}";

static const char *offentlig_json =
    "{'kommunenummer': '1201', 'kommunenavn': 'Bergen',"
    " 'bydelsnummer': '02', 'bydelsnavn': 'Bergenhus',"
    " 'offentligMelder': {'personnavn': 'Navnesen Navn Mellomnavn',"
    "   'rolle': 'Lærer', 'telefonnummer': '99999999',"
    "   'epost': 'lærer@skole.no',"
    "   'virksomhet': {'navn': 'Lærerskolen', 'orgnr': '123455789',"
    "     'adresse': {'adresselinje1': 'Rosenkrantzgaten 3',"
    "       'adresselinje2': 'Postboks 7800', 'adresselinje3': '',"
    "       'postnummer': '5003', 'poststed': 'Bergen'}}},"
    " 'offentligBarn': ["
    "   {'fnr': '28071364498', 'ufoedt': false, 'personnavn': 'Barn Barnesen',"
    "    'telefonnummer': '12121212',"
    "    'adresse': {'adresselinje1': 'Rådhusgaten 10', 'adresselinje2': '',"
    "      'adresselinje3': '', 'postnummer': '5020', 'poststed': 'Bergen'},"
    "    'orientert': false,"
    "    'orientertGrunn': 'Synes det er vanskelig å snakke om dette.'},"
    "   {'fnr': '', 'ufoedt': true, 'personnavn': 'Ufødt Barnesen',"
    "    'adresse': {'adresselinje1': 'Rådhusgaten 10',"
    "      'postnummer': '5020', 'poststed': 'Bergen'},"
    "    'orientert': false, 'orientertGrunn': 'Ikke født ennå.'}],"
    " 'foresatte': ["
    "   {'personnavn': 'Foresatt Šámi Žeađđu', 'telefonnummer': '45444342',"
    "    'orientert': true, 'orientertGrunn': ''},"
    "   {'personnavn': 'Ŧeahkká Čuđe', 'orientert': false,"
    "    'orientertGrunn': 'Fare for at barnet blir straffet.'}],"
    " 'behovForTolk': 'Ja, nordsamisk tolk for mor.',"
    " 'andreHjelpeinstanser': 'Helsesykepleier på skolen er kontaktet.',"
    " 'melding': {"
    "   'melding': 'Her kommer selve innholdet i bekymringsmeldingen!',"
    "   'historie': 'Her kommer selve historien i bekymringsmeldingen!'"
    "   ANDRE},"
    " 'sendingstidspunkt': '2020-03-16T13:29:33',"
    " 'leveringskanal': 'Fagsystem'}";

static json_t *doc(const char *q)
{
    char *s = apr_pstrdup(bkm_test_pool, q), *c;
    json_error_t e;
    json_t *j;

    for (c = s; *c; c++) {
        if (*c == '\'') {
            *c = '"';
        }
    }
    j = json_loads(s, 0, &e);
    ck_assert_msg(j != NULL, "test JSON: %s at %d", e.text, e.position);
    return j;
}

static json_t *offentlig(int v2)
{
    const char *andre =
        v2 ? ", 'andreSynspunkter': 'Her kommer andre synspunkter!'" : "";
    const char *s = offentlig_json;
    const char *at = strstr(s, "ANDRE");

    return doc(apr_pstrcat(bkm_test_pool,
                           apr_pstrndup(bkm_test_pool, s, at - s), andre,
                           at + 5, NULL));
}

/* Renders, checks the magic, writes the PDF; returns its file name. */
static const char *render(const json_t *j, const char *type, const char *name)
{
    const unsigned char *pdf = NULL;
    apr_size_t len = 0;
    const char *err, *path;
    FILE *f;

    err = bkm_pdf_render(bkm_test_pool, j, type, REF, &pdf, &len);
    ck_assert_msg(err == NULL, "render: %s", err);
    ck_assert(len > 1000);
    ck_assert_msg(memcmp(pdf, "%PDF-", 5) == 0, "not a PDF");
    path = apr_psprintf(bkm_test_pool, "%s/%s.pdf", bkm_test_dir(), name);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(pdf, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

/* A command's standard output; the command must succeed. */
static char *run(const char *fmt, ...)
{
    va_list ap;
    const char *cmd;
    char *out, *text;
    size_t len = 0, cap = 65536, n;
    FILE *f;

    va_start(ap, fmt);
    cmd = apr_pvsprintf(bkm_test_pool, fmt, ap);
    va_end(ap);
    f = popen(cmd, "r");
    ck_assert_msg(f != NULL, "popen %s", cmd);
    out = malloc(cap);
    while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            out = realloc(out, cap);
        }
    }
    out[len] = '\0';
    ck_assert_msg(pclose(f) == 0, "failed: %s", cmd);
    text = apr_pstrmemdup(bkm_test_pool, out, len);
    free(out);
    return text;
}

/* Whitespace runs (including page breaks) as one space, none at the ends. */
static const char *squash(const char *s)
{
    char *out = apr_palloc(bkm_test_pool, strlen(s) + 1), *o = out;

    for (; *s; s++) {
        if (apr_isspace(*s)) {
            if (o > out && o[-1] != ' ') {
                *o++ = ' ';
            }
        }
        else {
            *o++ = *s;
        }
    }
    if (o > out && o[-1] == ' ') {
        o--;
    }
    *o = '\0';
    return out;
}

static const char *strip(const char *s)
{
    char *out = apr_palloc(bkm_test_pool, strlen(s) + 1), *o = out;

    for (; *s; s++) {
        if (!apr_isspace(*s)) {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

static const char *text_of(const char *pdf)
{
    return squash(run("pdftotext -layout -enc UTF-8 %s -", pdf));
}

static int pages_of(const char *pdf)
{
    const char *info = run("pdfinfo %s", pdf), *at = strstr(info, "Pages:");

    ck_assert_ptr_nonnull(at);
    return atoi(at + 6);
}

#define HAS(text, s) \
    ck_assert_msg(strstr((text), (s)) != NULL, "missing \"%s\"", (s))
#define HAS_NOT(text, s) \
    ck_assert_msg(strstr((text), (s)) == NULL, "unexpected \"%s\"", (s))

/* Every non-empty string in the report appears in the text. */
static void check_leaves(const json_t *v, const char *key, const char *text)
{
    const char *k, *s;
    json_t *m;
    size_t i;

    if (json_is_string(v)) {
        s = squash(json_string_value(v));
        if (*s && strcmp(key, "sendingstidspunkt") != 0) {
            ck_assert_msg(strstr(text, s) != NULL, "%s \"%s\" missing", key,
                          s);
        }
    }
    else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, m) {
            check_leaves(m, k, text);
        }
    }
    else if (json_is_array(v)) {
        for (i = 0; i < json_array_size(v); i++) {
            check_leaves(json_array_get(v, i), key, text);
        }
    }
}

static const char *const labels_common[] = { "Referansenummer " REF,
                                             "Kommune 1201 Bergen",
                                             "Bydel 02 Bergenhus",
                                             "Leveringskanal Fagsystem",
                                             "Melder",
                                             "Navn",
                                             "Telefon",
                                             "Adresse",
                                             "Barn",
                                             "Barn 1 av 2",
                                             "Barn 2 av 2",
                                             "Bekymringen",
                                             "Referanse " REF,
                                             "side 1 av ",
                                             NULL };
static const char *const labels_privat[] = {
    "Bekymringsmelding – privat melder",
    "Antatt alder 10",
    "Relasjon til barnet Nabo, fritekstfelt",
    "Sendt 17.03.2020 kl. 00:31:56",
    "Adresse Rosenkrantzgaten 3 Leilighet H0201 5003 Bergen",
    NULL
};
static const char *const labels_offentlig[] = {
    "Bekymringsmelding – offentlig melder",
    "Rolle Lærer",
    "E-post lærer@skole.no",
    "Virksomhet Lærerskolen",
    "Organisasjonsnummer 123455789",
    "Virksomhetens adresse Rosenkrantzgaten 3 Postboks 7800 5003 Bergen",
    "Fødselsnummer 28071364498",
    "Ufødt Nei",
    "Ufødt Ja",
    "Orientert om meldingen Nei",
    "Orientert om meldingen Ja",
    "Begrunnelse Synes det er",
    "Foresatte",
    "Foresatt 1 av 2",
    "Foresatt 2 av 2",
    "Historikk",
    "Behov for tolk",
    "Andre hjelpeinstanser",
    "Sendt 16.03.2020 kl. 13:29:33",
    NULL
};

static const struct {
    const char *type;
    int offentlig, v2;
} types[] = { { T_PRIVAT_V1, 0, 0 },
              { T_PRIVAT_V2, 0, 1 },
              { T_OFFENTLIG_V1, 1, 0 },
              { T_OFFENTLIG_V2, 1, 1 } };

/* 1. Each type renders every value, the labels, the reference, the page. */
START_TEST(every_field)
{
    json_t *j = types[_i].offentlig ? offentlig(types[_i].v2)
                                    : doc(privat_json);
    const char *pdf = render(j, types[_i].type,
                             apr_psprintf(bkm_test_pool, "type%d", _i));
    const char *text = text_of(pdf);
    const char *const *l;

    check_leaves(j, "", text);
    for (l = labels_common; *l; l++) {
        HAS(text, *l);
    }
    for (l = types[_i].offentlig ? labels_offentlig : labels_privat; *l;
         l++) {
        HAS(text, *l);
    }
    if (types[_i].offentlig && types[_i].v2) {
        HAS(text, "Andres synspunkter Her kommer andre synspunkter!");
    }
    else {
        HAS_NOT(text, "Andres synspunkter");
    }
    /* Empty optional values leave no row behind. */
    HAS_NOT(text, "Andre opplysninger");
    HAS_NOT(text, "Begrunnelse Foresatt");
    json_decref(j);
}
END_TEST

/* 2. Norwegian and Sami letters in names survive. */
START_TEST(letters)
{
    json_t *j = doc(privat_json);
    const char *text;

    json_object_set_new(json_object_get(j, "privatMelder"), "personnavn",
                        json_string(LETTERS));
    json_object_set_new(json_array_get(json_object_get(j, "privatBarn"), 0),
                        "personnavn", json_string(NAME1));
    json_object_set_new(json_array_get(json_object_get(j, "privatBarn"), 1),
                        "relasjon", json_string(NAME2));
    text = text_of(render(j, T_PRIVAT_V2, "letters"));
    HAS(strip(text), strip("Navn " LETTERS));
    HAS(text, "Navn " NAME1);
    HAS(text, "Relasjon til barnet " NAME2);
    HAS(text, "Navn Áile Ŋuoraš Đuođđa");
    HAS(text, "Adresse Čáhppesjávrri 7 9520 Guovdageaidnu");
    json_decref(j);
}
END_TEST

/* 3. Markup in report text is shown as typed, never interpreted. */
START_TEST(markup_injection)
{
    static const char *const evil[] = {
        "<b>fet</b> & <span foreground=\"red\">x</span>",
        "<i>kursiv</i> &amp; &lt;tag&gt; </span> <span font=\"DejaVu Sans "
        "Mono 40\">stor</span> <",
        "<markup><span size=\"1\">liten</span></markup>"
    };
    json_t *j = offentlig(1);
    json_t *barn0 = json_array_get(json_object_get(j, "offentligBarn"), 0);
    const char *pdf, *text, *fonts;

    json_object_set_new(json_object_get(j, "offentligMelder"), "personnavn",
                        json_string(evil[0]));
    json_object_set_new(json_object_get(j, "melding"), "melding",
                        json_string(evil[1]));
    json_object_set_new(barn0, "orientertGrunn", json_string(evil[2]));
    pdf = render(j, T_OFFENTLIG_V2, "markup");
    text = text_of(pdf);
    HAS(text, apr_pstrcat(bkm_test_pool, "Navn ", evil[0], NULL));
    /* Long enough to wrap (after a "/"): compared without whitespace. */
    HAS(strip(text),
        strip(apr_pstrcat(bkm_test_pool, "Bekymringen ", evil[1], NULL)));
    HAS(text, apr_pstrcat(bkm_test_pool, "Begrunnelse ", evil[2], NULL));
    /* Interpreted markup would have pulled in these faces. */
    fonts = run("pdffonts %s", pdf);
    HAS_NOT(fonts, "Mono");
    HAS_NOT(fonts, "Oblique");
    HAS_NOT(fonts, "Italic");
    json_decref(j);
}
END_TEST

/* 20,000 characters: words, Norwegian words, paragraphs, and words of 1,500
 * characters with no place to break. */
static const char *long_text(void)
{
    static const char *const words[] = {
        "barnet", "sier", "at",    "hjemme", "er",  "det", "ofte",
        "bråk",   "og",   "hun",   "gruer",  "seg", "til", "å",
        "gå",     "hjem", "Ærlig", "Øyvind", "Åse"
    };
    char *buf = apr_palloc(bkm_test_pool, 24000);
    size_t n = 0, chars = 0;
    int w, k;

    for (w = 0; chars < 20000; w++) {
        const char *sep = w == 0 ? "" : w % 97 == 0 ? "\n\n" : " ";
        char word[1600];

        if (w % 150 == 75) {
            k = snprintf(word, sizeof(word), "LANGT%d", w);
            while (k < 1500) {
                k += snprintf(word + k, sizeof(word) - k, "%c%d",
                              'a' + k % 26, k);
            }
        }
        else {
            snprintf(word, sizeof(word), "%s%d", words[w % 19], w);
        }
        k = snprintf(buf + n, 24000 - n, "%s%s", sep, word);
        for (; k > 0; k--, n++) {
            chars += ((unsigned char)buf[n] & 0xc0) != 0x80;
        }
    }
    ck_assert(chars >= 20000 && chars < 21600);
    return buf;
}

/* The text of every page without the running header (above y=50) and the
 * footer (below y=790), which interrupt the text at each page break. */
static const char *body_of(const char *pdf)
{
    return run("pdftotext -enc UTF-8 -x 0 -y 50 -W 596 -H 740 %s -", pdf);
}

/* 4. A long text breaks across pages (inside a paragraph, and inside
 * words), and every character of it arrives; every page has its footer. */
START_TEST(long_melding)
{
    json_t *j = doc(privat_json);
    const char *melding = long_text(), *pdf, *body, *page;
    int n, i;

    json_object_set_new(j, "melding", json_string(melding));
    pdf = render(j, T_PRIVAT_V2, "long");
    n = pages_of(pdf);
    ck_assert_int_gt(n, 2);
    for (i = 1; i <= n; i++) {
        page = squash(run("pdftotext -enc UTF-8 -f %d -l %d %s -", i, i,
                          pdf));
        HAS(page, apr_psprintf(bkm_test_pool,
                               "Referanse " REF " side %d av "
                               "%d",
                               i, n));
    }
    body = body_of(pdf);
    HAS(strip(body),
        apr_pstrcat(bkm_test_pool, "Bekymringen", strip(melding), NULL));
    HAS_NOT(body, "side 1 av");
    json_decref(j);
}
END_TEST

/* One "word" of 100,000 characters: pango alone needs time quadratic in
 * its length (about 8 s here); the renderer must stay linear.  Accents
 * written as combining marks must stay on their letters. */
START_TEST(long_word)
{
    static const char *const part[] = { "abcdefghij", "klmnopqrst",
                                        "uvwxyzæøå", "a\xcc\x81o\xcc\x88Zz" };
    json_t *j = doc(privat_json);
    char *word = apr_palloc(bkm_test_pool, 120000);
    const char *pdf, *body;
    size_t n = 0;
    int i = 0;

    while (n < 100000) {
        n += strlen(strcpy(word + n, part[i++ % 4]));
    }
    json_object_set_new(j, "melding", json_string(word));
    /* How long it takes is make bench's business (bench_seal), not a
     * test's: here, that it renders at all and loses nothing. */
    pdf = render(j, T_PRIVAT_V2, "longword");
    ck_assert_int_gt(pages_of(pdf), 10);
    body = body_of(pdf);
    HAS(strip(body), word);
    HAS_NOT(body, "\xe2\x97\x8c"); /* a dotted circle: a lone mark */
    json_decref(j);
}
END_TEST

/* 5. The fonts are embedded (and subset). */
START_TEST(fonts_embedded)
{
    json_t *j = offentlig(1);
    const char *fonts = run("pdffonts %s",
                            render(j, T_OFFENTLIG_V2, "fonts"));
    const char *line = strstr(fonts, "\n---"), *dash;
    int emb = 0, n = 0;

    ck_assert_ptr_nonnull(line);
    /* The emb column starts after the third run of dashes. */
    for (dash = line + 1; n < 3; dash++) {
        if (*dash == ' ') {
            n++;
        }
    }
    emb = dash - (line + 1);
    HAS(fonts, "DejaVuSans");
    for (n = 0, line = strchr(line + 1, '\n'); line && line[1];
         line = strchr(line + 1, '\n')) {
        ck_assert_msg(strncmp(line + 1 + emb, "yes yes", 7) == 0,
                      "not embedded and subset: %.60s", line + 1);
        n++;
    }
    ck_assert_int_gt(n, 1);
    json_decref(j);
}
END_TEST

/* Members the schema does not name are shown as "key value", not lost. */
START_TEST(unknown_members)
{
    json_t *j = doc(privat_json), *o = offentlig(0);
    const char *text, *pdf;
    char *long_key;
    int i;

    json_object_set_new(j, "ekstraFelt", json_string("ekstra verdi"));
    json_object_set_new(j, "antall", json_integer(3));
    json_object_set_new(j, "flagg", json_true());
    json_object_set_new(j, "tom", json_null());
    json_object_set_new(j, "liste", json_pack("[s,i]", "a", 2));
    json_object_set_new(json_array_get(json_object_get(j, "privatBarn"), 0),
                        "kallenavn", json_string("Lillemann"));
    json_object_set_new(json_object_get(json_object_get(j, "privatMelder"),
                                        "adresse"),
                        "kommentar", json_string("bak huset"));
    /* A name too long for the label column, even for a page. */
    long_key = apr_palloc(bkm_test_pool, 6001);
    for (i = 0; i < 6000; i++) {
        long_key[i] = "nøkkel"[i % 7];
    }
    long_key[6000] = '\0';
    json_object_set_new(j, long_key, json_string("verdien til nøkkelen"));
    pdf = render(j, T_PRIVAT_V1, "unknown");
    HAS(strip(body_of(pdf)),
        apr_pstrcat(bkm_test_pool, long_key, "verdientilnøkkelen", NULL));
    text = text_of(pdf);
    HAS(text,
        "Andre opplysninger ekstraFelt ekstra verdi antall 3 flagg Ja "
        "liste [\"a\",2]");
    HAS(text, "kallenavn Lillemann");
    HAS(text, "kommentar: bak huset");
    HAS_NOT(text, " tom "); /* null: nothing to show */

    /* andreSynspunkter is not a v1 field: shown, but as an extra member. */
    json_object_set_new(json_object_get(o, "melding"), "andreSynspunkter",
                        json_string("Synspunkt i v1"));
    json_object_set_new(json_object_get(json_object_get(o, "offentligMelder"),
                                        "virksomhet"),
                        "avdeling", json_string("Avdeling Nord"));
    text = text_of(render(o, T_OFFENTLIG_V1, "unknown1"));
    HAS(text, "Andre opplysninger melding.andreSynspunkter Synspunkt i v1");
    HAS(text, "virksomhet.avdeling Avdeling Nord");
    HAS_NOT(text, "Andres synspunkter");
    json_decref(j);
    json_decref(o);
}
END_TEST

/* Shapes a validator would refuse do not crash the renderer. */
START_TEST(odd_shapes)
{
    static const char *const odd[] = {
        "{}",
        "{'privatMelder': 5, 'privatBarn': 'x', 'melding': {'a': 1},"
        " 'kommunenummer': null, 'sendingstidspunkt': 'i går'}",
        "{'privatBarn': [1, null, 'x', [], {}], 'melding': [1, 2.5]}",
        "{'offentligBarn': [{'adresse': 'gate'}], 'foresatte': 'alle',"
        " 'offentligMelder': {'virksomhet': [1]}, 'melding': 'bare tekst',"
        " 'sendingstidspunkt': '2020-03-16T13:29:33.250+01:00'}",
        "{'melding': 'a\\u0001\\u0007b\\r\\nc\\u0085d\\te\\u202eprivat "
        "محمد عبد الله'}"
    };
    const char *text;
    json_t *j;
    size_t i;

    for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        j = doc(odd[i]);
        text = text_of(render(j, i == 3 ? T_OFFENTLIG_V2 : T_PRIVAT_V2,
                              apr_psprintf(bkm_test_pool, "odd%d", (int)i)));
        HAS(text, "side 1 av 1");
        json_decref(j);
        if (i == 1) {
            HAS(text, "Sendt i går");
        }
        if (i == 4) {
            HAS(text, "Bekymringen a b c d eprivat");
            HAS_NOT(text, "tavirp"); /* no override to reverse it */
        }
        if (i == 3) {
            HAS(text, "Sendt 16.03.2020 kl. 13:29:33 (UTC+01:00)");
            HAS(text, "Adresse gate");
            HAS(text, "Bekymringen bare tekst");
        }
    }
}
END_TEST

START_TEST(errors)
{
    json_t *j = doc(privat_json), *a = json_array();
    const unsigned char *pdf = (const unsigned char *)"x";
    apr_size_t len = 1;
    const char *err;

    err = bkm_pdf_render(bkm_test_pool, j,
                         "no.ks.fiks.bekymringsmelding."
                         "privat.v3",
                         REF, &pdf, &len);
    ck_assert_msg(err && strstr(err, "privat.v3"), "%s", err);
    ck_assert_ptr_null(pdf);
    ck_assert_uint_eq(len, 0);
    err = bkm_pdf_render(bkm_test_pool, j, NULL, REF, &pdf, &len);
    ck_assert_ptr_nonnull(err);
    err = bkm_pdf_render(bkm_test_pool, a, T_PRIVAT_V1, REF, &pdf, &len);
    ck_assert_msg(err && strstr(err, "object"), "%s", err);
    err = bkm_pdf_render(bkm_test_pool, j, T_PRIVAT_V1, "", &pdf, &len);
    ck_assert_msg(err && strstr(err, "reference"), "%s", err);
    ck_assert_ptr_null(pdf);
    json_decref(j);
    json_decref(a);
}
END_TEST

/* The portal's control message: a page that says it is no report, with
 * its text and its fields. */
START_TEST(kontroll)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "kontrollmelding",
                          "Kontrollmelding: ikke en bekymringsmelding.",
                          "kommunenummer", "0301", "bydelsnummer", "16",
                          "nonce", "abc123");
    const char *text = text_of(render(j,
                                      "no.ks.fiks.bekymringsmelding."
                                      "kontroll.v1",
                                      "kontroll"));

    HAS(text, "Kontrollmelding – ikke en bekymringsmelding");
    HAS(text, "Kontrollmelding: ikke en bekymringsmelding.");
    HAS(text, "nonce abc123");
    HAS_NOT(text, "Melder");
    json_decref(j);
}
END_TEST

/* Metadata: the reference number, and no personal data. */
START_TEST(metadata)
{
    json_t *j = offentlig(1);
    const char *info = run("pdfinfo %s", render(j, T_OFFENTLIG_V2, "meta"));

    HAS(info, "Title:           Bekymringsmelding " REF);
    HAS(info, "Creator:         mod_bekymring");
    HAS(info, "Page size:       595.276 x 841.89 pts (A4)");
    HAS_NOT(info, "Navnesen");
    HAS_NOT(info, "Barnesen");
    HAS_NOT(info, "Bergen");
    json_decref(j);
}
END_TEST

/* One font family for everything: the reporter's own text too (it was
 * DejaVu Serif beside the labels' DejaVu Sans).  Every font pdffonts
 * lists is a face of DejaVu Sans, embedded. */
START_TEST(one_family)
{
    json_t *j = offentlig(1);
    const char *fonts = run("pdffonts %s",
                            render(j, T_OFFENTLIG_V2, "family"));
    const char *line = strstr(fonts, "\n---");
    int n = 0;

    ck_assert_ptr_nonnull(line);
    HAS_NOT(fonts, "Serif");
    for (line = strchr(line + 1, '\n'); line && line[1];
         line = strchr(line + 1, '\n')) {
        /* "ABCDEF+DejaVuSans" or "ABCDEF+DejaVuSans-Bold" */
        const char *plus = strchr(line + 1, '+');
        ck_assert_msg(plus && strncmp(plus + 1, "DejaVuSans", 10) == 0
                          && (plus[11] == ' ' || plus[11] == '-'),
                      "another family: %.60s", line + 1);
        n++;
    }
    ck_assert_int_gt(n, 1);
    json_decref(j);
}
END_TEST

/* Tagged PDF: the catalog says it is marked, and the structure tree holds
 * the document, its title (H1), its sections (H2), one child (H3) and
 * paragraphs, in reading order, with the reporter's text in them. */
START_TEST(tagged)
{
    json_t *j = offentlig(1);
    const char *pdf = render(j, T_OFFENTLIG_V2, "tagged");
    const char *info = run("pdfinfo %s", pdf);
    const char *tree = run("pdfinfo -struct-text %s", pdf);
    const char *h1, *h2, *p;

    HAS(info, "Tagged:          yes");
    HAS(tree, "Document");
    h1 = strstr(tree, "H1");
    ck_assert_msg(h1 != NULL, "no H1 in %.400s", tree);
    h2 = strstr(h1, "H2");
    ck_assert_msg(h2 != NULL, "no H2 after the H1");
    HAS(tree, "H3");
    p = strstr(h2, "P ");
    ck_assert_msg(p != NULL, "no P after the first H2");
    /* The whole title: text after a ligature glyph went missing from
     * the structure's text (see bkm_pdf.c). */
    HAS(tree, "\"Bekymringsmelding \xe2\x80\x93 offentlig melder\"");
    HAS(tree, "Her kommer selve innholdet i bekymringsmeldingen!");
    /* The running header and footer are not part of the document. */
    HAS_NOT(tree, "side 1 av");
    json_decref(j);
}
END_TEST

/* The document's language is in the catalog (/Lang), so a screen reader
 * reads it as Norwegian, and the file is still sound (qpdf --check: the
 * language is added as an incremental update, which cairo 1.16 cannot
 * write itself). */
START_TEST(language)
{
    json_t *j = doc(privat_json);
    const char *pdf = render(j, T_PRIVAT_V2, "lang");
    const char *check = run("qpdf --check %s 2>&1", pdf);
    const char *root = run("qpdf --show-object=trailer %s 2>&1", pdf);
    const char *num;
    int obj;

    HAS(check, "No syntax or stream encoding errors found");
    HAS_NOT(check, "WARNING");
    num = strstr(root, "/Root ");
    ck_assert_msg(num != NULL, "no /Root in %s", root);
    obj = atoi(num + 6);
    HAS(run("qpdf --show-object=%d %s", obj, pdf), "/Lang (nb)");
    /* pdfinfo still reads it (the incremental update chains to cairo's
     * cross-reference table). */
    HAS(run("pdfinfo %s", pdf), "Title:           Bekymringsmelding " REF);
    json_decref(j);
}
END_TEST

/* Threads render at once (each with its own font map) and agree. */
typedef struct {
    const json_t *j;
    apr_size_t len[5];
    const char *err;
} job_t;

static void *APR_THREAD_FUNC render_job(apr_thread_t *t, void *arg)
{
    job_t *job = arg;
    apr_pool_t *p;
    const unsigned char *pdf;
    int i;

    apr_pool_create(&p, NULL);
    for (i = 0; i < 5 && !job->err; i++) {
        job->err = bkm_pdf_render(p, job->j, T_OFFENTLIG_V2, REF, &pdf,
                                  &job->len[i]);
    }
    apr_pool_destroy(p);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

START_TEST(threads)
{
    json_t *j = offentlig(1);
    const unsigned char *pdf;
    apr_size_t len;
    apr_thread_t *t[4];
    apr_status_t rv;
    job_t job[4];
    int i, k;

    ck_assert_ptr_null(bkm_pdf_render(bkm_test_pool, j, T_OFFENTLIG_V2, REF,
                                      &pdf, &len));
    for (i = 0; i < 4; i++) {
        memset(&job[i], 0, sizeof(job[i]));
        job[i].j = j;
        ck_assert_int_eq(apr_thread_create(&t[i], NULL, render_job, &job[i],
                                           bkm_test_pool),
                         APR_SUCCESS);
    }
    for (i = 0; i < 4; i++) {
        apr_thread_join(&rv, t[i]);
        ck_assert_msg(job[i].err == NULL, "%s", job[i].err);
        for (k = 0; k < 5; k++) {
            ck_assert_uint_eq(job[i].len[k], len);
        }
    }
    json_decref(j);
}
END_TEST

/* Issue 17, item 6: child_init warms font maps, and a report rendered
 * afterwards in a thread that never rendered -- as a worker thread's
 * first report -- makes no new one (each thread made its own before, and
 * paid 6-9 ms for its fonts). */
static void *APR_THREAD_FUNC one_render(apr_thread_t *t, void *arg)
{
    job_t *job = arg;
    apr_pool_t *p;
    const unsigned char *pdf;

    apr_pool_create(&p, NULL);
    job->err = bkm_pdf_render(p, job->j, T_OFFENTLIG_V2, REF, &pdf,
                              &job->len[0]);
    apr_pool_destroy(p);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

START_TEST(warm)
{
    json_t *j = offentlig(1);
    apr_thread_t *t;
    apr_status_t rv;
    job_t job;
    unsigned int made;
    int i;

    ck_assert_uint_eq(bkm_pdf_warm(2), 2);
    made = bkm_pdf_kit_count();
    ck_assert_uint_ge(made, 2);
    for (i = 0; i < 3; i++) {
        memset(&job, 0, sizeof(job));
        job.j = j;
        ck_assert_int_eq(apr_thread_create(&t, NULL, one_render, &job,
                                           bkm_test_pool),
                         APR_SUCCESS);
        apr_thread_join(&rv, t);
        ck_assert_msg(job.err == NULL, "%s", job.err);
        ck_assert_uint_eq(bkm_pdf_kit_count(), made);
    }
    json_decref(j);
}
END_TEST

/* The PDF with its creation time masked (cairo writes the second). */
static char *undated(const unsigned char *pdf, apr_size_t len)
{
    char *s = apr_pstrmemdup(bkm_test_pool, (const char *)pdf, len);
    char *d = s;

    while ((d = memmem(d, len - (apr_size_t)(d - s), "(D:", 3))) {
        for (d += 3; *d >= '0' && *d <= '9'; d++) {
            *d = '0';
        }
    }
    return s;
}

/* A font map's PDF buffer is kept from one render to the next (and wiped
 * after each): a report rendered after a bigger one is byte for byte
 * what it was. */
START_TEST(buffer_reuse)
{
    json_t *small = doc(privat_json), *big = doc(privat_json);
    const unsigned char *pdf;
    apr_size_t len, len2, n;
    char *word = apr_palloc(bkm_test_pool, 120001), *first;
    int round;

    for (n = 0; n < 120000; n++) {
        word[n] = n % 7 ? (char)('a' + n % 26) : ' ';
    }
    word[n] = '\0';
    json_object_set_new(big, "melding", json_string(word));
    ck_assert_ptr_null(bkm_pdf_render(bkm_test_pool, small, T_PRIVAT_V2, REF,
                                      &pdf, &len));
    first = undated(pdf, len);
    for (round = 0; round < 2; round++) {
        ck_assert_ptr_null(bkm_pdf_render(bkm_test_pool, big, T_PRIVAT_V2,
                                          REF, &pdf, &len2));
        ck_assert_uint_gt(len2, len);
        ck_assert_ptr_null(bkm_pdf_render(bkm_test_pool, small, T_PRIVAT_V2,
                                          REF, &pdf, &len2));
        ck_assert_uint_eq(len2, len);
        ck_assert(memcmp(undated(pdf, len2), first, len) == 0);
    }
    json_decref(small);
    json_decref(big);
}
END_TEST

Suite *bkm_suite_pdf(void)
{
    Suite *s = suite_create("pdf");
    TCase *tc = tcase_create("render");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, every_field, 0, 4);
    tcase_add_test(tc, letters);
    tcase_add_test(tc, kontroll);
    tcase_add_test(tc, markup_injection);
    tcase_add_test(tc, long_melding);
    tcase_add_test(tc, long_word);
    tcase_add_test(tc, fonts_embedded);
    tcase_add_test(tc, unknown_members);
    tcase_add_test(tc, odd_shapes);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, metadata);
    tcase_add_test(tc, one_family);
    tcase_add_test(tc, tagged);
    tcase_add_test(tc, language);
    tcase_add_test(tc, threads);
    tcase_add_test(tc, warm);
    tcase_add_test(tc, buffer_reuse);
    suite_add_tcase(s, tc);
    return s;
}
