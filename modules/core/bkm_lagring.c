/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reports into the database: metadata, ciphertexts and the first timeline
 * event in one transaction, so a report is either wholly stored or not at
 * all (answered 503) -- never half.
 *
 * A transaction that fails because the database restarted (PostgreSQL
 * forgets our prepared statements; see server/db.c) is run once more
 * after preparing them again.  An idempotency key the integration already
 * used with the same request is not an error: the first report is
 * answered; with another request it is (APR_EMISMATCH, nothing stored).
 * A reference number that is taken fails the insert like any error: the
 * caller draws a new one (the PDF shows it, so it must be rendered
 * again).
 *
 * No httpd: the escalation deadline comes from the policy the glue read
 * from its configuration, and t/unit/test_lagring.c stores on a real SQLite
 * file.
 */
#include "bkm_lagring.h"
#include "bkm_leveranse.h"
#include "bkm_box.h"
#include "bkm_digest.h"
#include "bkm_ids.h"
#include "bkm_kjede.h"
#include "bkm_avvik.h"
#include "bkm_log.h"

#include <string.h>
#include <apr_strings.h>

#define BKM_LAGRING_ATTEMPTS 2

const bkm_sql_t bkm_lagring_sql[] = {
    { BKM_SQL_MELDING_INSERT,
      "INSERT INTO bkm_melding (id, referanse, meldingstype, versjon, kilde, "
      "integrasjon_id, fra_org, kommunenummer, bydelsnummer, kanal, "
      "tilstand, mottatt, endret, idempotensnokkel, frist) VALUES (%s, %s, "
      "%s, %d, %s, %s, %s, %s, %s, %s, %s, %lld, %lld, %s, %lld)" },
    /* An integration's report with its idempotency key's fingerprint and
     * expiry in the same statement (issue 17: one statement a report
     * fewer than the insert and an UPDATE). */
    { BKM_SQL_MELDING_INSERT_IDEM,
      "INSERT INTO bkm_melding (id, referanse, meldingstype, versjon, kilde, "
      "integrasjon_id, fra_org, kommunenummer, bydelsnummer, kanal, "
      "tilstand, mottatt, endret, idempotensnokkel, frist, "
      "idempotens_fingeravtrykk, idempotens_utloper) VALUES (%s, %s, %s, "
      "%d, %s, %s, %s, %s, %s, %s, %s, %lld, %lld, %s, %lld, %s, %lld)" },
    { BKM_SQL_CHIFFER_INSERT,
      "INSERT INTO bkm_chiffer (melding_id, mottaker, innholdstype, sha256, "
      "storrelse, innhold) VALUES (%s, %s, %s, %s, %lld, %pDb)" },
    { BKM_SQL_MELDING_BY_KEY,
      "SELECT id, referanse FROM bkm_melding WHERE integrasjon_id = %s "
      "AND idempotensnokkel = %s" },
    { BKM_SQL_LEVERANSE_INSERT,
      "INSERT INTO bkm_leveranse (id, melding_id, konto_id, mottaker, "
      "meldingstype, opprettet) VALUES (%s, %s, %s, %s, %s, %lld)" },
    /* The reporter's web pages (0004_skjema.sql). */
    { BKM_SQL_MELDING_BY_SKJEMA,
      "SELECT id, referanse FROM bkm_melding WHERE integrasjon_id IS NULL "
      "AND idempotensnokkel = %s" },
    { BKM_SQL_KOPI_INSERT,
      "INSERT INTO bkm_kopi (melding_id, nokkel_sha256, innhold, utloper) "
      "VALUES (%s, %s, %pDb, %lld)" },
    { BKM_SQL_KOPI_INSERT_TOM,
      "INSERT INTO bkm_kopi (melding_id, nokkel_sha256, utloper) "
      "VALUES (%s, %s, %lld)" },
    /* Issue 12: an integration's idempotency key with the fingerprint of
     * the request it came with, until it expires. */
    { BKM_SQL_MELDING_BY_KEY_FP,
      "SELECT id, referanse, idempotens_fingeravtrykk FROM bkm_melding "
      "WHERE integrasjon_id = %s AND idempotensnokkel = %s" },
    /* The report's proof-of-possession secret (issue 12, item 4:
     * 0011_besittelse.sql). */
    { BKM_SQL_BESITTELSE_INSERT,
      "INSERT INTO bkm_besittelse (melding_id, hemmelighet, utfordring) "
      "VALUES (%s, %s, %s)" },
    { NULL, NULL }
};

const char *bkm_idempotency_fingerprint(apr_pool_t *p, const char *method,
                                        const char *path,
                                        const char *body_sha256)
{
    const char *all = apr_pstrcat(p, method, "\n", path, "\n", body_sha256,
                                  "\n", NULL);

    return bkm_sha256_hex(p, all, strlen(all));
}

/* The first report stored under this integration's idempotency key, or
 * for the web form (no integration) under this form's one-time token.
 * @return 0 none, 1 found (m->id and m->referanse are its), 2 found but
 * stored for another request (its fingerprint differs, or it has none:
 * stored before fingerprints were kept). */
static int find_by_key(bkm_db_t *db, bkm_melding_t *m)
{
    const char *args[2] = { m->integrasjon_id, m->idempotensnokkel };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *fp = NULL;
    int found = 0;

    if (!m->idempotensnokkel
        || (m->integrasjon_id
                ? bkm_db_select(db, BKM_SQL_MELDING_BY_KEY_FP, &res, 2, args)
                : bkm_db_select(db, BKM_SQL_MELDING_BY_SKJEMA, &res, 1,
                                args + 1))) {
        return 0;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        if (found) {
            continue; /* drained */
        }
        m->id = bkm_db_value(db, row, 0);
        m->referanse = bkm_db_value(db, row, 1);
        fp = m->integrasjon_id ? bkm_db_value(db, row, 2) : NULL;
        found = 1;
    }
    /* The IETF httpapi Idempotency-Key draft: a key answers only the
     * request it came with.  Answered with the first report's 201, a
     * different report sent under a reused key was believed stored and
     * lost (issue 12). */
    if (found && m->integrasjon_id
        && (!fp || !m->idempotens_fingeravtrykk
            || strcmp(fp, m->idempotens_fingeravtrykk) != 0)) {
        return 2;
    }
    return found;
}

/* The receipt's key hash, and a public reporter's sealed PDF. */
static apr_status_t insert_copy(bkm_db_t *db, const bkm_melding_t *m)
{
    const char *hash = bkm_sha256_hex(db->pool, m->kopi_nokkel, BKM_BOX_KEY);
    apr_int64_t utloper = m->kopi_utloper;
    apr_size_t size = m->kopi_len;

    if (m->kopi) {
        const void *v[7] = { m->id,      hash,      m->kopi, &size,
                             "bkm_kopi", "innhold", &utloper };
        return bkm_db_run_binary(db, BKM_SQL_KOPI_INSERT, v);
    }
    else {
        const char *args[3] = { m->id, hash,
                                apr_off_t_toa(db->pool, m->kopi_utloper) };
        return bkm_db_run(db, BKM_SQL_KOPI_INSERT_TOM, NULL, 3, args);
    }
}

static apr_status_t insert_all(bkm_db_t *db, const bkm_levering_policy_t *pol,
                               const bkm_melding_t *m, const bkm_sealed_t *c,
                               int nc)
{
    const bkm_bydel_t *b = m->bydel;
    apr_pool_t *p = db->pool;
    const char *tid = apr_off_t_toa(p, m->mottatt);
    const char *kanal = bkm_kanal_name(b->kanal);
    const int idem = m->integrasjon_id && m->idempotensnokkel;
    const char *melding[17] = {
        m->id,
        m->referanse,
        m->meldingstype,
        apr_itoa(p, m->versjon),
        m->kilde,
        m->integrasjon_id,
        m->fra_org,
        b->kommune->nummer,
        b->nummer,
        kanal,
        "AKSEPTERT",
        tid,
        tid,
        m->idempotensnokkel,
        apr_off_t_toa(p, bkm_levering_deadline(pol, b, m->mottatt)),
        idem ? m->idempotens_fingeravtrykk : NULL,
        idem ? apr_off_t_toa(p, m->mottatt + BKM_IDEMPOTENCY_TTL) : NULL
    };
    const char *leveranse[6] = { bkm_uuid(p), m->id,           b->konto_id,
                                 kanal,       m->meldingstype, tid };
    apr_status_t rv;
    int i;

    if ((rv = idem ? bkm_db_run(db, BKM_SQL_MELDING_INSERT_IDEM, NULL, 17,
                                melding)
                   : bkm_db_run(db, BKM_SQL_MELDING_INSERT, NULL, 15,
                                melding))) {
        return rv;
    }
    for (i = 0; i < nc; i++) {
        /* The binary variant: the ciphertext goes in as a blob. */
        apr_int64_t len = (apr_int64_t)c[i].len;
        apr_size_t size = c[i].len;
        const void *v[9] = { m->id,
                             c[i].mottaker,
                             c[i].innholdstype,
                             bkm_sha256_hex(p, c[i].data, c[i].len),
                             &len,
                             c[i].data,
                             &size,
                             "bkm_chiffer",
                             "innhold" };
        if ((rv = bkm_db_run_binary(db, BKM_SQL_CHIFFER_INSERT, v))) {
            return rv;
        }
    }
    if ((rv = bkm_db_run(db, BKM_SQL_LEVERANSE_INSERT, NULL, 6, leveranse))) {
        return rv;
    }
    if (m->besittelse) {
        const char *b[3] = { m->id, m->besittelse, m->besittelse_cms };
        if ((rv = bkm_db_run(db, BKM_SQL_BESITTELSE_INSERT, NULL, 3, b))) {
            return rv;
        }
    }
    if (m->kopi_nokkel && (rv = insert_copy(db, m))) {
        return rv;
    }
    /* The report's first event: its chain starts here (no query for a
     * previous row; bkm_kjede_forste), and bkm_event's assurance check
     * (bkm_avvik.h) as for every event. */
    if ((rv = bkm_kjede_forste(db, m->id, m->mottatt, "AKSEPTERT",
                               "AKSEPTERT", m->aktor,
                               "Mottatt og lagret kryptert"))) {
        return rv;
    }
    return bkm_avvik_note(db, m->id, tid, "AKSEPTERT");
}

apr_status_t bkm_lagring_melding(bkm_db_t *db,
                                 const bkm_levering_policy_t *pol,
                                 bkm_melding_t *m, const bkm_sealed_t *c,
                                 int nc)
{
    apr_status_t rv;
    int attempt, found;

    for (attempt = 0; attempt < BKM_LAGRING_ATTEMPTS; attempt++) {
        if ((found = find_by_key(db, m)) != 0) {
            return found == 2 ? APR_EMISMATCH : APR_EEXIST;
        }
        rv = bkm_db_begin(db);
        if (rv == 0) {
            rv = bkm_db_end(db, insert_all(db, pol, m, c, nc));
        }
        if (rv == 0) {
            return APR_SUCCESS;
        }
        /* Logged with the driver's message, which names the constraint or
         * the connection problem but carries no values. */
        bkm_log_perror(BKM_LOG_MARK, BKM_LOG_WARNING, 0, db->log,
                       BKMLOGNO(00601) "storing report %s failed (attempt "
                       "%d): %s", m->id, attempt + 1,
                       db->error ? db->error : "unknown error");
        if (attempt == 0) {
            bkm_db_reprepare(db);
        }
    }
    if ((found = find_by_key(db, m)) != 0) {
        /* a concurrent request with the same key won */
        return found == 2 ? APR_EMISMATCH : APR_EEXIST;
    }
    bkm_log_perror(BKM_LOG_MARK, BKM_LOG_ERR, 0, db->log,
                   BKMLOGNO(00602) "report %s not stored: nothing was kept",
                   m->id);
    return APR_EGENERAL;
}
