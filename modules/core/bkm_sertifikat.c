/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key rotation without a gap (issue 16, item 5): bkm_sertifikat.h says the
 * rules.  The counts live in this process's memory (atomics), as
 * bkm_avvik's do.
 */
#include "bkm_sertifikat.h"
#include "bkm_log.h"
#include "bkm_time.h"

#include <string.h>
#include <apr_atomic.h>
#include <apr_strings.h>

#define BKM_SERTIFIKAT_N 3

static apr_uint32_t sertifikat_counts[BKM_SERTIFIKAT_N];

int bkm_sertifikat_gyldig(const bkm_cert_t *c, apr_time_t t)
{
    return c && t >= c->not_before && t < c->not_after;
}

int bkm_sertifikat_antall(const apr_array_header_t *list,
                          const bkm_cert_t *single)
{
    return list ? list->nelts : single ? 1 : 0;
}

const bkm_cert_t *bkm_sertifikat_nr(const apr_array_header_t *list,
                                    const bkm_cert_t *single, int i)
{
    if (list) {
        return i >= 0 && i < list->nelts
                   ? APR_ARRAY_IDX(list, i, const bkm_cert_t *)
                   : NULL;
    }
    return i == 0 ? single : NULL;
}

const bkm_cert_t *bkm_sertifikat_velg(const apr_array_header_t *list,
                                      const bkm_cert_t *single, apr_time_t t)
{
    const bkm_cert_t *best = NULL, *latest = NULL;
    int i, n = bkm_sertifikat_antall(list, single);

    for (i = 0; i < n; i++) {
        const bkm_cert_t *c = bkm_sertifikat_nr(list, single, i);

        if (!latest || c->not_after > latest->not_after) {
            latest = c;
        }
        if (!bkm_sertifikat_gyldig(c, t)) {
            continue;
        }
        if (!best || c->not_before > best->not_before
            || (c->not_before == best->not_before
                && c->not_after > best->not_after)) {
            best = c;
        }
    }
    return best ? best : latest;
}

apr_array_header_t *bkm_sertifikat_gyldige_pem(apr_pool_t *p,
                                               const apr_array_header_t *list,
                                               apr_time_t t)
{
    apr_array_header_t *out = apr_array_make(p, 2, sizeof(const char *));
    int i;

    for (i = 0; list && i < list->nelts; i++) {
        const bkm_cert_t *c = APR_ARRAY_IDX(list, i, const bkm_cert_t *);

        if (bkm_sertifikat_gyldig(c, t)) {
            APR_ARRAY_PUSH(out, const char *) = c->pem;
        }
    }
    return out;
}

int bkm_sertifikat_publisert(const apr_array_header_t *list,
                             const bkm_cert_t *single, const bkm_cert_t *c,
                             apr_time_t t)
{
    return c->not_after > t || c == bkm_sertifikat_velg(list, single, t);
}

void bkm_sertifikat_kanal(const bkm_bydel_t *b, const char *mottaker,
                          const apr_array_header_t **list,
                          const bkm_cert_t **single)
{
    if (strcmp(mottaker, "fagsystem") == 0) {
        *list = b->fagsystem_sertifikater;
        *single = b->cert_fagsystem;
    }
    else if (strcmp(mottaker, "manuell") == 0) {
        *list = b->manuell_sertifikater;
        *single = b->cert_manuell;
    }
    else {
        *list = b->print_sertifikater;
        *single = b->cert_print;
    }
}

/* The certificate that takes over from @p c: another of the channel that
 * is valid when @p c expires. */
static const bkm_cert_t *neste(const apr_array_header_t *list,
                               const bkm_cert_t *c)
{
    const bkm_cert_t *best = NULL;
    int i;

    for (i = 0; list && i < list->nelts; i++) {
        const bkm_cert_t *d = APR_ARRAY_IDX(list, i, const bkm_cert_t *);

        if (d != c && bkm_sertifikat_gyldig(d, c->not_after)
            && (!best || d->not_after > best->not_after)) {
            best = d;
        }
    }
    return best;
}

static void sjekk_kanal(apr_pool_t *p, const char *kanal,
                        const apr_array_header_t *list, apr_time_t now,
                        apr_interval_time_t warn, void *log,
                        bkm_sertifikat_varsel_t *out)
{
    const bkm_cert_t *valgt;
    int i, gyldig = 0;

    if (!list || list->nelts == 0) {
        return;
    }
    for (i = 0; i < list->nelts; i++) {
        const bkm_cert_t *c = APR_ARRAY_IDX(list, i, const bkm_cert_t *);
        const bkm_cert_t *n;

        gyldig += bkm_sertifikat_gyldig(c, now);
        if (c->not_after <= now || c->not_after - now > warn) {
            continue;
        }
        n = neste(list, c);
        out->utloper++;
        apr_atomic_inc32(&sertifikat_counts[0]);
        if (!n) {
            out->uten_neste++;
            apr_atomic_inc32(&sertifikat_counts[1]);
        }
        bkm_log_perror(BKM_LOG_MARK, BKM_LOG_ALERT, 0, log,
                       BKMLOGNO(05201) "ALERT sertifikat-utloper: %s: "
                       "certificate serial %s (%s) expires %s; %s", kanal,
                       c->serial, c->subject,
                       bkm_time_utc(p, c->not_after),
                       n ? apr_psprintf(p, "the next, serial %s, is valid "
                                        "from %s", n->serial,
                                        bkm_time_utc(p, n->not_before))
                         : "no next certificate in the registry");
    }
    if (!gyldig) {
        valgt = bkm_sertifikat_velg(list, NULL, now);
        out->ugyldig++;
        apr_atomic_inc32(&sertifikat_counts[2]);
        bkm_log_perror(BKM_LOG_MARK, BKM_LOG_ALERT, 0, log,
                       BKMLOGNO(05202) "ALERT sertifikat-ugyldig: %s: no "
                       "certificate is valid now; serial %s (valid %s to "
                       "%s) is used", kanal, valgt->serial,
                       bkm_time_utc(p, valgt->not_before),
                       bkm_time_utc(p, valgt->not_after));
    }
}

void bkm_sertifikat_sjekk(apr_pool_t *p, const bkm_registry_t *reg,
                          apr_time_t now, apr_interval_time_t warn, void *log,
                          bkm_sertifikat_varsel_t *out)
{
    int i, j;

    memset(out, 0, sizeof(*out));
    if (!reg || warn <= 0) {
        return;
    }
    sjekk_kanal(p, "print", reg->print_sertifikater, now, warn, log, out);
    for (i = 0; i < reg->kommuner->nelts; i++) {
        const bkm_kommune_t *k = APR_ARRAY_IDX(reg->kommuner, i,
                                               const bkm_kommune_t *);

        for (j = 0; j < k->bydeler->nelts; j++) {
            const bkm_bydel_t *b = APR_ARRAY_IDX(k->bydeler, j,
                                                 const bkm_bydel_t *);
            const char *kanal = apr_psprintf(p, "%s/%s", k->nummer,
                                             b->nummer);

            sjekk_kanal(p, apr_pstrcat(p, kanal, " fagsystem", NULL),
                        b->fagsystem_sertifikater, now, warn, log, out);
            sjekk_kanal(p, apr_pstrcat(p, kanal, " manuell", NULL),
                        b->manuell_sertifikater, now, warn, log, out);
            if (b->print_sertifikater != reg->print_sertifikater) {
                sjekk_kanal(p, apr_pstrcat(p, kanal, " print", NULL),
                            b->print_sertifikater, now, warn, log, out);
            }
            sjekk_kanal(p, apr_pstrcat(p, kanal, " kvittering", NULL),
                        b->kvitteringssertifikater, now, warn, log, out);
        }
    }
}

int bkm_sertifikat_counts(apr_uint32_t *out, int n)
{
    int i;

    for (i = 0; out && i < n && i < BKM_SERTIFIKAT_N; i++) {
        out[i] = apr_atomic_read32(&sertifikat_counts[i]);
    }
    return BKM_SERTIFIKAT_N;
}
