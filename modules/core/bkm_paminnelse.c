/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reminders before letter post (issue 16, item 6; the incumbent mailed
 * them).  A step of the escalation pass, after its letter post: what is
 * past its deadline has gone to print already, so what is left and near
 * its deadline is reminded.
 *
 * Exactly once per report and deadline, on any number of nodes: a node
 * claims a report with one conditional update (paminnelse := frist, 0015_
 * paminnelse.sql) that only one node's can match, sends, and then marks it
 * sent together with its timeline event.  A mail that fails releases the
 * claim, so the next pass tries again; a claim whose node died between
 * claiming and marking is taken over after BKM_PAMINNELSE_LEASE (then the
 * mail may go twice: the one case where once cannot be promised, since
 * sendmail and the database do not commit together).  A report put back in
 * the queue has a new frist, unlike its paminnelse: its new deadline gets
 * a reminder of its own.
 *
 * Which reports are due depends on their district (its deadline and
 * office hours): one SELECT over the deadline index up to the latest bound
 * of all districts, then each row against its own district's bound.
 */
#include "bkm_paminnelse.h"
#include "bkm_calendar.h"
#include "bkm_leveranse.h"
#include "bkm_log.h"
#include "bkm_time.h"

#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>

/* Not yet reminded for this deadline, or claimed by a node that never
 * marked it sent and whose claim ran out (the last argument). */
#define NOT_REMINDED \
    "(paminnelse IS NULL OR paminnelse <> frist " \
    "OR (paminnelse_sendt IS NULL AND paminnelse_tid <= %lld))"

const bkm_sql_t bkm_paminnelse_sql[] = {
    /* Keyset by (frist, id): the rows after the last one read. */
    { BKM_SQL_PAMINNELSE_DUE,
      "SELECT id, referanse, kommunenummer, bydelsnummer, frist, tilstand "
      "FROM bkm_melding WHERE frist IS NOT NULL AND frist > %lld "
      "AND frist <= %lld AND (frist > %lld OR (frist = %lld AND id > %s)) "
      "AND levert IS NULL AND kilde <> 'kontroll' AND " NOT_REMINDED " "
      "ORDER BY frist, id LIMIT %d" },
    { BKM_SQL_PAMINNELSE_CLAIM,
      "UPDATE bkm_melding SET paminnelse = frist, paminnelse_tid = %lld, "
      "paminnelse_sendt = NULL WHERE id = %s AND frist = %lld "
      "AND levert IS NULL AND " NOT_REMINDED },
    { BKM_SQL_PAMINNELSE_RELEASE,
      "UPDATE bkm_melding SET paminnelse = NULL, paminnelse_tid = NULL "
      "WHERE id = %s AND paminnelse = %lld AND paminnelse_tid = %lld "
      "AND paminnelse_sendt IS NULL" },
    { BKM_SQL_PAMINNELSE_SENT,
      "UPDATE bkm_melding SET paminnelse_sendt = %lld WHERE id = %s "
      "AND paminnelse = %lld AND paminnelse_tid = %lld "
      "AND paminnelse_sendt IS NULL" },
    { NULL, NULL }
};

apr_time_t bkm_paminnelse_bound(const bkm_levering_policy_t *pol,
                                const bkm_bydel_t *b, int prosent,
                                apr_time_t now)
{
    apr_interval_time_t frist = b->svarfrist, span;

    if (!frist) {
        frist = b->kanal == BKM_KANAL_FAGSYSTEM ? pol->receipt_deadline
                                                : pol->manual_deadline;
    }
    span = bkm_business_span(frist, &b->kontortid);
    return bkm_business_deadline(now, span / 100 * (100 - prosent),
                                 &b->kontortid);
}

/* Each district's bound (by its address), and the latest of them. */
static apr_time_t bounds(bkm_db_t *db, const bkm_paminnelse_policy_t *pol,
                         apr_time_t now, apr_hash_t *by)
{
    apr_time_t latest = now;
    int i, j;

    for (i = 0; i < pol->registry->kommuner->nelts; i++) {
        const bkm_kommune_t *k = APR_ARRAY_IDX(pol->registry->kommuner, i,
                                               const bkm_kommune_t *);
        for (j = 0; j < k->bydeler->nelts; j++) {
            const bkm_bydel_t *b = APR_ARRAY_IDX(k->bydeler, j,
                                                 const bkm_bydel_t *);
            const bkm_bydel_t **key;
            apr_time_t *t;

            if (!b->kontakt_epost) {
                continue;
            }
            /* keyed by the district's address (kept: the hash keeps the
             * key's pointer) */
            key = apr_palloc(db->pool, sizeof(*key));
            *key = b;
            t = apr_palloc(db->pool, sizeof(*t));
            *t = bkm_paminnelse_bound(pol->delivery, b, pol->prosent, now);
            apr_hash_set(by, key, sizeof(*key), t);
            if (*t > latest) {
                latest = *t;
            }
        }
    }
    return latest;
}

static const char *norsk_tid(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;

    bkm_time_oslo(&x, t);
    return apr_psprintf(p, "%02d.%02d.%04d kl. %02d:%02d", x.tm_mday,
                        x.tm_mon + 1, x.tm_year + 1900, x.tm_hour, x.tm_min);
}

/* Claim, send, mark: *sent 1 when this call's mail went out, *failed 1
 * when it failed. */
static apr_status_t remind(bkm_db_t *db, const bkm_paminnelse_policy_t *pol,
                           apr_time_t now, const bkm_paminnelse_t *p,
                           const char *tilstand, int *sent, int *failed)
{
    const char *t = apr_off_t_toa(db->pool, now);
    const char *f = apr_off_t_toa(db->pool, p->frist);
    const char *lease = apr_off_t_toa(db->pool, now - BKM_PAMINNELSE_LEASE);
    const char *claim[4] = { t, p->melding_id, f, lease };
    const char *mark[4] = { t, p->melding_id, f, t };
    const char *release[3] = { p->melding_id, f, t };
    apr_status_t rv;
    int n = 0;

    if ((rv = bkm_db_begin(db))) {
        return rv;
    }
    rv = bkm_db_run(db, BKM_SQL_PAMINNELSE_CLAIM, &n, 4, claim);
    if ((rv = bkm_db_end(db, rv)) || n != 1) {
        return rv; /* another node's, or confirmed meanwhile */
    }
    if (pol->send(pol->baton, p, db->pool) != APR_SUCCESS) {
        bkm_log_perror(BKM_LOG_MARK, BKM_LOG_WARNING, 0, pol->log,
                       BKMLOGNO(05400) "reminder for report %s not sent; "
                       "the next pass tries again", p->melding_id);
        *failed = 1;
        if ((rv = bkm_db_begin(db))) {
            return rv;
        }
        rv = bkm_db_run(db, BKM_SQL_PAMINNELSE_RELEASE, NULL, 3, release);
        return bkm_db_end(db, rv);
    }
    if ((rv = bkm_db_begin(db))) {
        return rv;
    }
    rv = bkm_db_run(db, BKM_SQL_PAMINNELSE_SENT, &n, 4, mark);
    if (rv == APR_SUCCESS && n == 1) {
        rv = bkm_event(
            db, p->melding_id, now, BKM_PAMINNELSE_EVENT, tilstand,
            "eskalering",
            apr_pstrcat(db->pool,
                        "Påminnelse sendt på e-post til bydelens "
                        "kontaktadresse: ikke bekreftet mottatt, frist ",
                        norsk_tid(db->pool, p->frist), NULL));
        *sent = 1;
    }
    return bkm_db_end(db, rv);
}

apr_status_t bkm_paminnelse_run(bkm_db_t *db,
                                const bkm_paminnelse_policy_t *pol,
                                apr_time_t now, int *sendt, int *feilet)
{
    apr_hash_t *by;
    apr_time_t latest, last_f = now;
    const char *last_id = "";
    apr_status_t rv;
    int got;

    *sendt = *feilet = 0;
    if (pol->prosent <= 0 || !pol->registry || !pol->send) {
        return APR_SUCCESS;
    }
    by = apr_hash_make(db->pool);
    latest = bounds(db, pol, now, by);
    if (latest <= now) {
        return APR_SUCCESS; /* no district has a contact */
    }
    do {
        const char *lease = apr_off_t_toa(db->pool,
                                          now - BKM_PAMINNELSE_LEASE);
        const char *lf = apr_off_t_toa(db->pool, last_f);
        const char *args[7] = { apr_off_t_toa(db->pool, now),
                                apr_off_t_toa(db->pool, latest),
                                lf,
                                lf,
                                last_id,
                                lease,
                                apr_itoa(db->pool, pol->select_limit) };
        apr_array_header_t *rows;
        apr_dbd_results_t *res = NULL;
        apr_dbd_row_t *row = NULL;
        int i;

        if (bkm_db_select(db, BKM_SQL_PAMINNELSE_DUE, &res, 7, args)) {
            return APR_EGENERAL;
        }
        /* Read them all before writing: a result set stays open no
         * longer than its SELECT. */
        rows = apr_array_make(db->pool, 16, sizeof(const char *) * 6);
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            const char **r = apr_array_push(rows);
            for (i = 0; i < 6; i++) {
                r[i] = bkm_db_value(db, row, i);
            }
        }
        got = rows->nelts;
        for (i = 0; i < rows->nelts; i++) {
            const char **r = (const char **)(rows->elts + i * rows->elt_size);
            const bkm_kommune_t *k = bkm_registry_kommune(pol->registry,
                                                          r[2]);
            bkm_paminnelse_t p;
            apr_time_t *bound;
            int s = 0, f = 0;

            last_id = r[0];
            last_f = apr_atoi64(r[4]);
            memset(&p, 0, sizeof(p));
            p.bydel = k ? bkm_kommune_bydel(k, r[3]) : NULL;
            if (!p.bydel
                || !(bound = apr_hash_get(by, &p.bydel, sizeof(p.bydel)))
                || last_f > *bound) {
                continue; /* no contact, or not yet due */
            }
            p.melding_id = r[0];
            p.referanse = r[1];
            p.frist = last_f;
            if ((rv = remind(db, pol, now, &p, r[5], &s, &f))) {
                return rv;
            }
            *sendt += s;
            *feilet += f;
        }
    } while (got == pol->select_limit);
    if (*sendt || *feilet) {
        bkm_log_perror(BKM_LOG_MARK, *feilet ? BKM_LOG_WARNING
                                             : BKM_LOG_NOTICE, 0, pol->log,
                       BKMLOGNO(05401) "reminders before letter post: %d "
                       "sent, %d failed (tried again next pass)", *sendt,
                       *feilet);
    }
    return APR_SUCCESS;
}
