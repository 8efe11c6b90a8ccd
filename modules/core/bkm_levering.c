/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The delivery state machine (ARCHITECTURE §2), with no httpd and no
 * database, so that every pair of state and event can be tested
 * (t/unit/test_levering.c).
 *
 *   AKSEPTERT --hentet--> SENDT_FAGSYSTEM --mottatt/lagret--> LEVERT
 *       |                      |  (only after a complete fetch; where the
 *       |                      |   district requires stored-receipts, only
 *       |                      |   a verified one delivers)
 *       |                 feilet: AVVIST_FAGSYSTEM, print ordered
 *       +--frist-----+---------+
 *                    v
 *               SENDT_PRINT --print mottatt--> LEVERT
 *                    +-------print feilet----> AVVIST_PRINT (+ oppfolging)
 *
 * A receipt is first judged against the answer the message already has
 * (the same again is a repeat, another is a contradiction), then against
 * the fetch: nobody can have received, let alone stored, what never went
 * out in full, so mottatt and a stored-receipt for a message not fetched
 * completely are refused and recorded, and the deadline keeps running
 * (issue 12: the 2023 failure was a case system answering "received" for
 * reports it never had).  feilet needs no fetch: a case system that cannot
 * even download must be able to say so, and feilet only hastens letter
 * post -- it can never make a report count as delivered.
 */
#include "bkm_levering.h"
#include "bkm_calendar.h"

#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>

static const char *const ds_names[BKM_DS_COUNT] = {
    "AKSEPTERT",   "SENDT_FAGSYSTEM", "AVVIST_FAGSYSTEM",
    "SENDT_PRINT", "AVVIST_PRINT",    "LEVERT"
};

const char *bkm_ds_name(bkm_ds_e s)
{
    return (unsigned)s < BKM_DS_COUNT ? ds_names[s] : "?";
}

int bkm_ds_parse(const char *name)
{
    int i;

    for (i = 0; name && i < BKM_DS_COUNT; i++) {
        if (strcmp(name, ds_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const char *bkm_du_name(bkm_du_e u)
{
    static const char *const names[] = { "applied", "repeat", "contradiction",
                                         "not-fetched", "refused" };
    return (unsigned)u < sizeof(names) / sizeof(names[0]) ? names[u] : "?";
}

/* Nothing changes: the state stays as it is. */
static void keep(const bkm_dfakta_t *f, bkm_du_e utfall, bkm_dvalg_t *out)
{
    memset(out, 0, sizeof(*out));
    out->utfall = utfall;
    out->tilstand = f->tilstand;
    out->levert = f->levert;
    out->oppfolging = f->oppfolging;
}

/* A receipt's kind as an answer. */
static bkm_da_e kind(bkm_de_e e)
{
    switch (e) {
    case BKM_DE_MOTTATT:
    case BKM_DE_PRINT_MOTTATT:
        return BKM_DA_MOTTATT;
    case BKM_DE_LAGRET:
        return BKM_DA_LAGRET;
    default:
        return BKM_DA_FEILET;
    }
}

/* A receipt against the answer given before: the same again changes
 * nothing, and neither does a plain mottatt after a stored-receipt (it
 * says less, not otherwise); a stored-receipt may follow a plain mottatt.
 * Anything else contradicts: feilet after mottatt, a stored-receipt with
 * another record id, and a feilet with another text (the first text is
 * what the people who follow up read; a second one answered "gjentatt"
 * would be dropped unseen). */
static bkm_du_e judge(const bkm_dfakta_t *f, bkm_da_e svar)
{
    if (f->svar == BKM_DA_INGEN) {
        return BKM_DU_ANVENDT;
    }
    if (f->svar == svar) {
        return svar == BKM_DA_MOTTATT || f->samme ? BKM_DU_GJENTATT
                                                  : BKM_DU_MOTSTRIDENDE;
    }
    if (svar == BKM_DA_MOTTATT && f->svar == BKM_DA_LAGRET) {
        return BKM_DU_GJENTATT;
    }
    if (svar == BKM_DA_LAGRET && f->svar == BKM_DA_MOTTATT) {
        return BKM_DU_ANVENDT;
    }
    return BKM_DU_MOTSTRIDENDE;
}

/* The contradiction's text (the timeline's and the 409's). */
static const char *contradiction(const bkm_dfakta_t *f, bkm_da_e svar)
{
    if (f->svar == BKM_DA_FEILET && svar == BKM_DA_FEILET) {
        return "this message was already answered feilet, with another "
               "text";
    }
    return f->svar == BKM_DA_FEILET ? "this message was already answered "
                                      "feilet"
           : f->svar == BKM_DA_LAGRET
               ? "this message was already answered "
                 "lagret"
               : "this message was already answered mottatt";
}

/* The recipient's (not the print provider's) receipt, judged new. */
static void recipient_receipt(const bkm_dfakta_t *f, bkm_de_e e,
                              bkm_dvalg_t *out)
{
    out->svar = kind(e);
    if (e == BKM_DE_FEILET) {
        out->hendelse = "AVVIST_FAGSYSTEM";
        out->tekst = "Fagsystemet meldte feil; sendes som brevpost";
        if (!f->levert && f->frist) {
            out->tilstand = BKM_DS_AVVIST_FAGSYSTEM;
            out->bestill_print = 1;
        }
        else {
            out->skriv_tilstand = 1;
        }
        return;
    }
    if (e == BKM_DE_MOTTATT && f->krev_lagring) {
        /* Recorded as said, but only a verified receipt delivers here. */
        out->hendelse = "KVITTERT";
        out->tekst =
            "Mottatt-kvittering uten lagringskvittering; bydelen "
            "krever lagringskvittering, eskalering fortsetter";
        return;
    }
    if (e == BKM_DE_LAGRET) {
        out->hendelse = "LAGRING_VERIFISERT";
        out->tekst =
            "Lagringskvittering med riktig SHA-256 og gyldig "
            "signatur";
    }
    else {
        out->hendelse = "KVITTERT";
        out->tekst = f->manuell ? "Bekreftet lagret av mottakeren (manuell "
                                  "nedlasting)"
                                : "Mottatt-kvittering fra fagsystemet";
    }
    if (!f->frist) {
        /* Print was ordered before this first receipt came (nothing else
         * clears the deadline): delivered twice, nothing lost; the print
         * job stays. */
        out->hendelse = "SEN_KVITTERING";
        out->tekst =
            "Kvittering etter at brevpost var bestilt; levert to "
            "ganger";
    }
    out->tilstand = BKM_DS_LEVERT;
    out->levert = 1;
    out->oppfolging = 0;
    out->skriv_tilstand = 1;
}

static void receipt(const bkm_dfakta_t *f, bkm_de_e e, bkm_dvalg_t *out)
{
    bkm_da_e svar = kind(e);
    bkm_du_e u = judge(f, svar);

    keep(f, u, out);
    if (u == BKM_DU_GJENTATT) {
        return;
    }
    if (u == BKM_DU_MOTSTRIDENDE) {
        out->hendelse = "KVITTERING_AVVIST";
        out->tekst = contradiction(f, svar);
        return;
    }
    if ((e == BKM_DE_MOTTATT || e == BKM_DE_LAGRET) && !f->hentet) {
        out->utfall = BKM_DU_IKKE_HENTET;
        out->hendelse = "KVITTERING_AVVIST";
        out->tekst =
            "a receipt for a message not completely fetched; the "
            "deadline keeps running";
        return;
    }
    if (e == BKM_DE_PRINT_FEILET) {
        out->svar = svar;
        out->hendelse = "AVVIST_PRINT";
        out->tekst =
            "Printleverandøren kunne ikke skrive ut; må følges "
            "opp manuelt";
        out->skriv_tilstand = 1;
        if (!f->levert) {
            out->tilstand = BKM_DS_AVVIST_PRINT;
            out->oppfolging = 1;
        }
        return;
    }
    if (e == BKM_DE_PRINT_MOTTATT) {
        out->svar = svar;
        out->hendelse = "LEVERT";
        out->tekst = "Levert til posten av printleverandøren";
        out->tilstand = BKM_DS_LEVERT;
        out->levert = 1;
        out->oppfolging = 0;
        out->skriv_tilstand = 1;
        return;
    }
    recipient_receipt(f, e, out);
}

void bkm_levering_next(const bkm_dfakta_t *f, bkm_de_e e, bkm_dvalg_t *out)
{
    switch (e) {
    case BKM_DE_HENTET:
        keep(f, f->hentet ? BKM_DU_GJENTATT : BKM_DU_ANVENDT, out);
        if (f->hentet) {
            return; /* the first complete fetch is the one recorded */
        }
        if (f->tilstand == BKM_DS_AKSEPTERT) {
            out->tilstand = BKM_DS_SENDT_FAGSYSTEM;
            out->skriv_tilstand = 1;
        }
        out->hendelse = "HENTET";
        out->tekst = f->manuell ? "Lastet ned for manuelt mottak"
                                : "Hentet av mottakerens fagsystem";
        return;
    case BKM_DE_PRINT_HENTET:
        keep(f, f->hentet ? BKM_DU_GJENTATT : BKM_DU_ANVENDT, out);
        if (!f->hentet) {
            out->hendelse = "HENTET_PRINT";
            out->tekst = "Hentet av printleverandøren";
        }
        return;
    case BKM_DE_MOTTATT:
    case BKM_DE_LAGRET:
    case BKM_DE_FEILET:
    case BKM_DE_PRINT_MOTTATT:
    case BKM_DE_PRINT_FEILET:
        receipt(f, e, out);
        return;
    case BKM_DE_FRIST:
        keep(f, f->frist && !f->levert ? BKM_DU_ANVENDT : BKM_DU_NEKTET, out);
        if (out->utfall == BKM_DU_ANVENDT) {
            out->tilstand = BKM_DS_SENDT_PRINT;
            out->bestill_print = 1;
            out->hendelse = "SENDT_PRINT";
            /* The escalation pass applies this rule in SQL, over many
             * reports at once (FRIST_DUE and one conditional UPDATE each,
             * core/bkm_eskalering.c); the same rule, the same text. */
            out->tekst = "Ingen bekreftelse innen fristen; brevpost bestilt";
        }
        return;
    case BKM_DE_HANDTERT:
        keep(f, f->levert ? BKM_DU_NEKTET : BKM_DU_ANVENDT, out);
        if (!f->levert) {
            /* Handled outside the portal: delivered, nothing escalates. */
            out->tilstand = BKM_DS_LEVERT;
            out->levert = 1;
            out->oppfolging = 0;
            out->skriv_tilstand = 1;
            out->hendelse = "HANDTERT_MANUELT";
            out->tekst = "Markert som håndtert manuelt; eskalering stoppet";
        }
        return;
    case BKM_DE_TILBAKE:
        keep(f,
             !f->levert && f->frist
                     && (f->tilstand == BKM_DS_SENDT_FAGSYSTEM
                         || f->tilstand == BKM_DS_AKSEPTERT)
                 ? BKM_DU_ANVENDT
                 : BKM_DU_NEKTET,
             out);
        if (out->utfall == BKM_DU_ANVENDT) {
            /* Waiting again as if new; the deadline runs from now. */
            out->tilstand = BKM_DS_AKSEPTERT;
            out->ny_frist = 1;
            out->hendelse = "LAGT_TILBAKE";
            out->tekst = "Lagt tilbake til fagsystemet; ny frist";
        }
        return;
    case BKM_DE_PRINT_PA_NYTT:
        keep(f,
             f->tilstand == BKM_DS_AVVIST_PRINT ? BKM_DU_ANVENDT
                                                : BKM_DU_NEKTET,
             out);
        if (out->utfall == BKM_DU_ANVENDT) {
            out->tilstand = BKM_DS_SENDT_PRINT;
            out->levert = 0;
            out->oppfolging = 0;
            out->skriv_tilstand = 1;
            out->hendelse = "PRINT_PA_NYTT";
            out->tekst = "Brevpost bestilt på nytt";
        }
        return;
    default:
        keep(f, BKM_DU_NEKTET, out);
        return;
    }
}

/* ---- deadlines ----------------------------------------------------------- */

const char *bkm_kanal_name(bkm_kanal_e kanal)
{
    return kanal == BKM_KANAL_FAGSYSTEM ? "fagsystem" : "manuell";
}

apr_time_t bkm_levering_deadline(const bkm_levering_policy_t *pol,
                                 const bkm_bydel_t *b, apr_time_t from)
{
    apr_interval_time_t frist = b->svarfrist;

    if (!frist) {
        frist = b->kanal == BKM_KANAL_FAGSYSTEM ? pol->receipt_deadline
                                                : pol->manual_deadline;
    }
    return bkm_business_deadline(from,
                                 bkm_business_span(frist, &b->kontortid),
                                 &b->kontortid);
}

/* ---- receipts ------------------------------------------------------------ */

bkm_du_e bkm_kvittering_fits(const bkm_lagringskvittering_t *lk,
                             const char *id, const char *melding_id,
                             const char *sha256, int hentet, const char **why)
{
    if (strcmp(lk->melding_id, id) != 0
        || strcmp(lk->bekymringsmelding_id, melding_id) != 0) {
        *why = "the stored-receipt names another message";
        return BKM_DU_NEKTET;
    }
    if (!sha256 || strcmp(lk->sha256, sha256) != 0) {
        *why =
            "the stored-receipt's sha256 is not that of the ciphertext "
            "of this message";
        return BKM_DU_NEKTET;
    }
    if (!hentet) {
        *why = "a stored-receipt for content this account never fetched";
        return BKM_DU_IKKE_HENTET;
    }
    *why = NULL;
    return BKM_DU_ANVENDT;
}

const char *bkm_kvittering_refusal(const bkm_kvittering_t *k,
                                   const char **why)
{
    switch (k->utfall) {
    case BKM_KVITTERING_IKKE_HENTET:
        /* Nobody can have received what never went out in full: the
         * deadline keeps running, and letter post follows (issue 12). */
        *why =
            "mottatt for a message this account has not fetched "
            "completely (every byte of its ciphertext, in one answer or "
            "in ranges that cover it); the deadline keeps running";
        return "ikke-hentet";
    case BKM_KVITTERING_MOTSTRIDENDE:
        *why = k->hvorfor;
        return "motstridende-kvittering";
    default:
        *why = NULL;
        return NULL;
    }
}

/* ---- byte ranges ------------------------------------------------------ */

/* A non-negative decimal of at most 18 digits (no overflow), advancing
 * @p s; -1 if there is none. */
static apr_off_t number(const char **s)
{
    apr_off_t v = 0;
    int n = 0;

    while (**s >= '0' && **s <= '9' && n < 18) {
        v = v * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    return n == 0 || (**s >= '0' && **s <= '9') ? -1 : v;
}

int bkm_range_parse(const char *h, apr_off_t size, apr_off_t *start,
                    apr_off_t *end)
{
    apr_off_t a = -1, b = -1;

    if (!h || strncasecmp(h, "bytes=", 6) != 0 || strchr(h, ',')) {
        return 0;
    }
    h += 6;
    while (*h == ' ' || *h == '\t') {
        h++;
    }
    if (*h == '-') {
        h++;
        if ((b = number(&h)) < 0 || *h) {
            return 0;
        }
        if (b == 0 || size == 0) {
            return -1;
        }
        *start = b >= size ? 0 : size - b;
        *end = size - 1;
        return 1;
    }
    if ((a = number(&h)) < 0 || *h++ != '-') {
        return 0;
    }
    if (*h && ((b = number(&h)) < 0 || *h || b < a)) {
        return 0;
    }
    if (a >= size) {
        return -1;
    }
    *start = a;
    *end = b < 0 || b >= size ? size - 1 : b;
    return 1;
}

typedef struct {
    apr_off_t a, b;
} span_t;

static int by_start(const void *x, const void *y)
{
    const span_t *s = x, *t = y;
    return s->a < t->a ? -1 : s->a > t->a;
}

int bkm_range_cover(apr_pool_t *p, const char *dekket, apr_off_t start,
                    apr_off_t end, apr_off_t size, const char **out)
{
    span_t s[BKM_RANGES_MAX + 1];
    const char *c = dekket;
    char *buf, *w;
    int n = 0, i, m;

    /* The ranges so far; a malformed list is dropped whole. */
    while (c && *c && n < BKM_RANGES_MAX) {
        apr_off_t a = number(&c), b;
        if (a < 0 || *c++ != '-' || (b = number(&c)) < a
            || (*c && *c != ',')) {
            n = 0;
            break;
        }
        s[n].a = a;
        s[n].b = b;
        n++;
        if (*c == ',') {
            c++;
        }
    }
    if (start >= 0 && end >= start) {
        s[n].a = start;
        s[n].b = end;
        n++;
    }
    qsort(s, n, sizeof(s[0]), by_start);
    /* Merged: touching ranges (b + 1 == next a) become one. */
    for (i = 1, m = n ? 1 : 0; i < n; i++) {
        if (s[i].a <= s[m - 1].b + 1) {
            if (s[i].b > s[m - 1].b) {
                s[m - 1].b = s[i].b;
            }
        }
        else {
            s[m++] = s[i];
        }
    }
    if (m > BKM_RANGES_MAX) {
        m = BKM_RANGES_MAX;
    }
    w = buf = apr_palloc(p, (apr_size_t)m * 40 + 1);
    *w = '\0';
    for (i = 0; i < m; i++) {
        w += apr_snprintf(w, 40, "%s%" APR_OFF_T_FMT "-%" APR_OFF_T_FMT,
                          i ? "," : "", s[i].a, s[i].b);
    }
    *out = buf;
    return m == 1 && s[0].a == 0 && s[0].b >= size - 1;
}
