/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Control messages (issue 12, item 7): so that a broken or lying case
 * system is found within a day, not after three years, the escalation
 * pass sends each case-system district, every BekymringControlInterval, a
 * synthetic report of its own message type (BKM_TYPE_KONTROLL,
 * schema/kontrollmelding/README.md) sealed exactly as a real one: an
 * ASiC-E container to the district's case-system certificate, signed by
 * the portal.  It must come back with a verified stored-receipt before
 * the district's deadline, or the pass raises an alert (BKM03220).
 *
 * What keeps it from being taken for a report:
 *   - never printed: it has no print ciphertext, its escalation deadline
 *     is "never" (the pass judges it by bkm_kontrollmelding.frist
 *     instead), and the print order's SQL refuses kilde 'kontroll';
 *   - never counted or shown: the statistics, the reconciliation counts,
 *     the overview and its search leave kilde 'kontroll' out;
 *   - its own type on the wire, and a body that says what it is.
 *
 * Only districts that can answer with a verified stored-receipt get one:
 * kanal fagsystem with receipt certificates (kvitteringssertifikater).
 *
 * Two nodes may run the pass at once: a control message is made only by
 * the node whose conditional UPDATE moved the district's "neste" (the
 * claim) in the transaction that stores the message; the other finds
 * nothing to move and rolls back.  A judgement is one conditional UPDATE
 * the same way.
 */
#include "mod_bekymring_private.h"
#include "report/kontrollmelding.h"
#include "server/config.h"
#include "server/db.h"
#include "server/http.h"
#include "bkm_db.h"
#include "bkm_leveranse.h"
#include "bkm_log.h"
#include "bkm_registry.h"
#include "bkm_seal.h"
#include "bkm_lagring.h"
#include "bkm_ids.h"
#include "bkm_pdf.h"
#include "bkm_digest.h"
#include "bkm_time.h"

#include <apr_strings.h>
#include <apr_hash.h>

/* This file's statements, prepared on every connection (the table is
 * handed to mod_dbd by server/db.c). */
#define BKM_SQL_KONTROLLMELDING_ALLE "bkm_kontrollmelding_alle"
#define BKM_SQL_KONTROLLMELDING_NY "bkm_kontrollmelding_ny"
#define BKM_SQL_KONTROLLMELDING_TA "bkm_kontrollmelding_ta"
#define BKM_SQL_KONTROLLMELDING_MELDING_INSERT \
    "bkm_kontrollmelding_melding_insert"
#define BKM_SQL_KONTROLLMELDING_DUE "bkm_kontrollmelding_due"
#define BKM_SQL_KONTROLLMELDING_AVGJOR "bkm_kontrollmelding_avgjor"

const bkm_sql_t bkm_kontrollmelding_sql[] = {
    /* Control messages (0012_avstemming.sql). */
    { BKM_SQL_KONTROLLMELDING_ALLE,
      "SELECT kommunenummer, bydelsnummer, neste FROM bkm_kontrollmelding_plan" },
    { BKM_SQL_KONTROLLMELDING_NY,
      "INSERT INTO bkm_kontrollmelding_plan (kommunenummer, bydelsnummer, neste) "
      "VALUES (%s, %s, %lld) ON CONFLICT DO NOTHING" },
    { BKM_SQL_KONTROLLMELDING_TA,
      "UPDATE bkm_kontrollmelding_plan SET neste = %lld WHERE kommunenummer = %s "
      "AND bydelsnummer = %s AND neste <= %lld" },
    { BKM_SQL_KONTROLLMELDING_MELDING_INSERT,
      "INSERT INTO bkm_kontrollmelding (melding_id, kommunenummer, "
      "bydelsnummer, opprettet, frist) VALUES (%s, %s, %s, %lld, %lld)" },
    { BKM_SQL_KONTROLLMELDING_DUE,
      "SELECT k.melding_id, k.kommunenummer, k.bydelsnummer, l.svar, "
      "l.svar_tid, k.frist FROM bkm_kontrollmelding k LEFT JOIN "
      "bkm_leveranse l ON l.melding_id = k.melding_id "
      "AND l.mottaker = 'fagsystem' WHERE k.utfall IS NULL "
      "AND k.frist <= %lld ORDER BY k.frist LIMIT %d" },
    { BKM_SQL_KONTROLLMELDING_AVGJOR,
      "UPDATE bkm_kontrollmelding SET utfall = %s, avgjort = %lld "
      "WHERE melding_id = %s AND utfall IS NULL" },
    { NULL, NULL }
};

#define BKM_TIME_NEVER APR_INT64_C(0x7fffffffffffffff)
#define BKM_KONTROLL_BATCH 100

static int eligible(const bkm_bydel_t *b)
{
    return b->kanal == BKM_KANAL_FAGSYSTEM && b->cert_fagsystem && b->konto_id
           && b->kvitteringssertifikater
           && b->kvitteringssertifikater->nelts > 0;
}

/* The control message's content (tied to @p p), and as text in *json:
 * what it is, for whoever opens it, and a nonce. */
static json_t *control_content(apr_pool_t *p, const bkm_bydel_t *b,
                               const char *id, const char *ref,
                               apr_time_t now, apr_time_t frist,
                               const char **json)
{
    json_t *j;
    char *txt;

    j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                  "kontrollmelding",
                  "Kontrollmelding fra "
                  "bekymringsmeldingsportalen: ikke en bekymringsmelding. "
                  "Svar med lagringskvittering; ikke saksbehandle.",
                  "meldingId", id, "referanse", ref, "kommunenummer",
                  b->kommune->nummer, "bydelsnummer", b->nummer, "opprettet",
                  bkm_time_utc(p, now), "frist", bkm_time_utc(p, frist),
                  "nonce", bkm_uuid(p));
    txt = json_dumps(bkm_json_own(p, j), JSON_COMPACT);
    *json = apr_pstrdup(p, txt ? txt : "{}");
    free(txt);
    return j;
}

/* Seal the control message as a report is sealed, into @p sealed.  Its
 * case system's copy, or NULL after logging why not. */
static const bkm_sealed_t *seal_control(bkm_db_t *db, const bkm_srv_cfg_t *c,
                                        const bkm_bydel_t *b, apr_time_t now,
                                        json_t *j, const char *json,
                                        const char *ref, bkm_sealed_t *sealed)
{
    apr_pool_t *p = db->pool;
    const bkm_sealed_t *fs = NULL;
    const unsigned char *pdf;
    apr_size_t pdf_len;
    const char *err;
    int i, n = 0;

    /* A PDF that says what this is, in the container where a report has
     * its PDF (vendors' systems expect one). */
    err = bkm_pdf_render(p, j, BKM_TYPE_KONTROLL, ref, &pdf, &pdf_len);
    if (!err) {
        err = bkm_seal_report(p, c->signer, b, now, json, strlen(json), pdf,
                              pdf_len, sealed, &n);
    }
    for (i = 0; !err && i < n; i++) {
        if (strcmp(sealed[i].mottaker, "fagsystem") == 0) {
            fs = &sealed[i];
        }
    }
    if (err || !fs) {
        ap_log_error(
            APLOG_MARK, APLOG_ERR, 0, bkm_db_server(db),
            BKMLOGNO(03221) "control message for %s/%s not sealed: %s",
            b->kommune->nummer, b->nummer, err ? err : "no copy");
        return NULL;
    }
    return fs;
}

/* Store a claimed control message as a report for the case system, its
 * ciphertext, its delivery, its deadline and its first event.  0, else the failed statement's status.  Inside the
 * claim's transaction. */
static int store_control(bkm_db_t *db, const bkm_bydel_t *b, const char *id,
                         const char *ref, apr_time_t now, apr_time_t frist,
                         const bkm_sealed_t *fs)
{
    apr_pool_t *p = db->pool;
    const char *t = apr_off_t_toa(p, now);
    int rv;

    {
        const char *m[15] = { id,
                              ref,
                              BKM_TYPE_KONTROLL,
                              "1",
                              "kontroll",
                              NULL,
                              NULL,
                              b->kommune->nummer,
                              b->nummer,
                              "fagsystem",
                              "AKSEPTERT",
                              t,
                              t,
                              NULL,
                              apr_off_t_toa(p, BKM_TIME_NEVER) };
        rv = bkm_db_run(db, BKM_SQL_MELDING_INSERT, NULL, 15, m);
    }
    if (rv == 0) {
        apr_int64_t len = (apr_int64_t)fs->len;
        apr_size_t size = fs->len;
        const void *v[9] = { id,
                             fs->mottaker,
                             fs->innholdstype,
                             bkm_sha256_hex(p, fs->data, fs->len),
                             &len,
                             fs->data,
                             &size,
                             "bkm_chiffer",
                             "innhold" };
        rv = bkm_db_run_binary(db, BKM_SQL_CHIFFER_INSERT, v);
    }
    if (rv == 0) {
        const char *l[6] = { bkm_uuid(p),       id, b->konto_id, "fagsystem",
                             BKM_TYPE_KONTROLL, t };
        rv = bkm_db_run(db, BKM_SQL_LEVERANSE_INSERT, NULL, 6, l);
    }
    if (rv == 0) {
        const char *k[5] = { id, b->kommune->nummer, b->nummer, t,
                             apr_off_t_toa(p, frist) };
        rv = bkm_db_run(db, BKM_SQL_KONTROLLMELDING_MELDING_INSERT, NULL, 5,
                        k);
    }
    if (rv == 0) {
        rv = bkm_event(db, id, now, "KONTROLL_SENDT", "AKSEPTERT", "kontroll",
                       "Kontrollmelding laget; må komme tilbake "
                       "med verifisert lagringskvittering innen fristen");
    }
    return rv;
}

/* Seal and store one control message for @p b, if this node claims it. */
static int make_one(bkm_db_t *db, const bkm_bydel_t *b, apr_time_t now,
                    apr_interval_time_t every, int *made)
{
    const bkm_srv_cfg_t *c = bkm_srv_cfg(bkm_db_server(db));
    apr_pool_t *p = db->pool;
    const char *id = bkm_uuid(p), *ref = bkm_reference(p);
    const char *t = apr_off_t_toa(p, now);
    apr_time_t frist = bkm_cfg_deadline(bkm_db_server(db), b, now);
    bkm_sealed_t sealed[BKM_SEAL_MAX];
    const bkm_sealed_t *fs;
    const char *json;
    int n = 0, rv;
    json_t *j;

    j = control_content(p, b, id, ref, now, frist, &json);
    if (!c->signer) {
        return 0; /* no portal certificate: nothing can be sealed */
    }
    if (!(fs = seal_control(db, c, b, now, j, json, ref, sealed))) {
        return 0;
    }
    if ((rv = bkm_db_begin(db)) != 0) {
        return -1;
    }
    {
        const char *claim[4] = { apr_off_t_toa(p, now + every),
                                 b->kommune->nummer, b->nummer, t };
        rv = bkm_db_run(db, BKM_SQL_KONTROLLMELDING_TA, &n, 4, claim);
        if (rv == 0 && n != 1) {
            bkm_db_rollback(db); /* another node's, or not due */
            return 0;
        }
    }
    if (rv == 0) {
        rv = store_control(db, b, id, ref, now, frist, fs);
    }
    if ((rv = bkm_db_end(db, rv)) != 0) {
        ap_log_error(
            APLOG_MARK, APLOG_ERR, 0, bkm_db_server(db),
            BKMLOGNO(03222) "control message for %s/%s not stored: %s",
            b->kommune->nummer, b->nummer,
            db->error ? db->error : "database error");
        return -1;
    }
    (*made)++;
    return 0;
}

static int make_due(bkm_db_t *db, apr_time_t now, int *made)
{
    const bkm_srv_cfg_t *c = bkm_srv_cfg(bkm_db_server(db));
    apr_interval_time_t every = bkm_cfg_control_interval(c);
    apr_hash_t *neste = apr_hash_make(db->pool);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int i, j;

    if (!every || !c->registry) {
        return 0;
    }
    /* One row per district (a few hundred): read them all at once. */
    if (bkm_db_select(db, BKM_SQL_KONTROLLMELDING_ALLE, &res, 0, NULL) != 0) {
        return -1;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        apr_hash_set(neste,
                     apr_pstrcat(db->pool, bkm_db_value(db, row, 0), "/",
                                 bkm_db_value(db, row, 1), NULL),
                     APR_HASH_KEY_STRING, bkm_db_value(db, row, 2));
    }
    for (i = 0; i < c->registry->kommuner->nelts; i++) {
        const bkm_kommune_t *k = APR_ARRAY_IDX(c->registry->kommuner, i,
                                               const bkm_kommune_t *);
        if (!k->aktiv) {
            continue;
        }
        for (j = 0; j < k->bydeler->nelts; j++) {
            const bkm_bydel_t *b = APR_ARRAY_IDX(k->bydeler, j,
                                                 const bkm_bydel_t *);
            const char *key, *at;

            if (!eligible(b)) {
                continue;
            }
            key = apr_pstrcat(db->pool, k->nummer, "/", b->nummer, NULL);
            at = apr_hash_get(neste, key, APR_HASH_KEY_STRING);
            if (!at) {
                /* First time: due now (two nodes may both insert; one
                 * row stays). */
                const char *a[3] = { k->nummer, b->nummer,
                                     apr_off_t_toa(db->pool, now) };
                if (bkm_db_run(db, BKM_SQL_KONTROLLMELDING_NY, NULL, 3, a)
                    != 0) {
                    return -1;
                }
            }
            else if (apr_atoi64(at) > now) {
                continue;
            }
            if (make_one(db, b, now, every, made) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Judge the control messages whose deadline passed. */
static int judge_due(bkm_db_t *db, apr_time_t now, int *failed)
{
    const char *args[2] = { apr_off_t_toa(db->pool, now),
                            apr_itoa(db->pool, BKM_KONTROLL_BATCH) };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *due = apr_array_make(db->pool, 4, sizeof(char *));
    int i, rv = 0;

    if (bkm_db_select(db, BKM_SQL_KONTROLLMELDING_DUE, &res, 2, args) != 0) {
        return -1;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        const char *svar = bkm_db_value(db, row, 3);
        const char *tid = bkm_db_value(db, row, 4);
        const char *frist = bkm_db_value(db, row, 5);
        int ok = svar && strcmp(svar, "lagret") == 0 && tid
                 && apr_atoi64(tid) <= apr_atoi64(frist);
        /* id, district, verdict */
        APR_ARRAY_PUSH(due, const char *) = bkm_db_value(db, row, 0);
        APR_ARRAY_PUSH(due, const char *) =
            apr_pstrcat(db->pool, bkm_db_value(db, row, 1), "/",
                        bkm_db_value(db, row, 2), NULL);
        APR_ARRAY_PUSH(due, const char *) = ok ? "verifisert" : "feilet";
    }
    if (!due->nelts) {
        return 0;
    }
    if ((rv = bkm_db_begin(db)) != 0) {
        return -1;
    }
    for (i = 0; rv == 0 && i < due->nelts; i += 3) {
        const char *id = APR_ARRAY_IDX(due, i, const char *);
        const char *bydel = APR_ARRAY_IDX(due, i + 1, const char *);
        const char *utfall = APR_ARRAY_IDX(due, i + 2, const char *);
        const char *a[3] = { utfall, args[0], id };
        int n = 0;

        rv = bkm_db_run(db, BKM_SQL_KONTROLLMELDING_AVGJOR, &n, 3, a);
        if (rv != 0 || n != 1) {
            continue; /* another node judged it */
        }
        if (strcmp(utfall, "feilet") == 0) {
            (*failed)++;
            rv = bkm_event(db, id, now, "KONTROLL_FEILET", "AKSEPTERT",
                           "kontroll",
                           "Kontrollmeldingen kom ikke tilbake "
                           "med verifisert lagringskvittering innen "
                           "fristen");
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, bkm_db_server(db),
                         BKMLOGNO(03220)
                         "ALERT kontrollmelding: district %s did not "
                         "return control message %s with a verified "
                         "stored-receipt before its deadline", bydel, id);
        }
        else {
            rv = bkm_event(db, id, now, "KONTROLL_VERIFISERT", "LEVERT",
                           "kontroll",
                           "Kontrollmeldingen kom tilbake med "
                           "verifisert lagringskvittering innen fristen");
        }
    }
    return bkm_db_end(db, rv) == 0 ? 0 : -1;
}

apr_status_t bkm_kontrollmelding_pass(bkm_db_t *db, apr_time_t now,
                                      int *laget, int *feilet)
{
    *laget = *feilet = 0;
    if (judge_due(db, now, feilet) != 0) {
        return APR_EGENERAL;
    }
    return make_due(db, now, laget) != 0 ? APR_EGENERAL : APR_SUCCESS;
}
