/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tamper-evident trail: chains of SHA-256 over the timelines and the
 * audit, their anchors and the walk that checks them (bkm_kjede.h says
 * what is hashed, byte for byte).
 */
#include "bkm_kjede.h"
#include "bkm_digest.h"
#include "bkm_ids.h"

#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/evp.h>

#define BKM_SQL_KJEDE_SISTE "kjede_hendelse_siste"
#define BKM_SQL_KJEDE_HENDELSE "kjede_hendelse_insert"
#define BKM_SQL_KJEDE_LAAS "kjede_laas"
#define BKM_SQL_KJEDE_HODE "kjede_hode"
#define BKM_SQL_KJEDE_HODE_SET "kjede_hode_set"
#define BKM_SQL_KJEDE_REVISJON "kjede_revisjon_insert"
#define BKM_SQL_KJEDE_MERK "kjede_merk"
#define BKM_SQL_KJEDE_ANKRET "kjede_ankret"
#define BKM_SQL_KJEDE_ALLE "kjede_hendelser"
#define BKM_SQL_KJEDE_REVISJONER "kjede_revisjoner"
#define BKM_SQL_KJEDE_RAD "kjede_revisjon_rad"
#define BKM_SQL_KJEDE_HENDELSER_50 "kjede_hendelser_insert_50"
#define BKM_SQL_KJEDE_HENDELSER_10 "kjede_hendelser_insert_10"

/* Issue 17: events of many reports in one INSERT (bkm_kjede_hendelser). */
#define EV1 "(%s, %lld, %lld, %s, %s, %s, %s, %s)"
#define EV5 EV1 ", " EV1 ", " EV1 ", " EV1 ", " EV1
#define EV10 EV5 ", " EV5
#define EV50 EV10 ", " EV10 ", " EV10 ", " EV10 ", " EV10
#define BKM_SQL_KJEDE_SISTE_50 "kjede_hendelse_siste_50"
#define ID5 "%s, %s, %s, %s, %s"
#define ID10 ID5 ", " ID5
#define ID50 ID10 ", " ID10 ", " ID10 ", " ID10 ", " ID10
#define EV_INSERT \
    "INSERT INTO bkm_hendelse (melding_id, nr, tidspunkt, tilstand, " \
    "hendelse, aktor, beskrivelse, kjede) VALUES "

#define ANKER "KJEDEANKER"

const bkm_sql_t bkm_kjede_sql[] = {
    /* The timeline's last event: read with the report's row held. */
    { BKM_SQL_KJEDE_SISTE,
      "SELECT nr, kjede FROM bkm_hendelse WHERE melding_id = %s "
      "ORDER BY nr DESC LIMIT 1" },
    { BKM_SQL_KJEDE_HENDELSE,
      "INSERT INTO bkm_hendelse (melding_id, nr, tidspunkt, tilstand, "
      "hendelse, aktor, beskrivelse, kjede) VALUES (%s, %lld, %lld, %s, %s, "
      "%s, %s, %s)" },
    /* The audit chain's head, locked until the transaction ends. */
    { BKM_SQL_KJEDE_LAAS, "UPDATE bkm_kjede SET nr = nr WHERE navn = %s" },
    { BKM_SQL_KJEDE_HODE, "SELECT nr, hode FROM bkm_kjede WHERE navn = %s" },
    { BKM_SQL_KJEDE_HODE_SET,
      "UPDATE bkm_kjede SET nr = %lld, hode = %s WHERE navn = %s" },
    { BKM_SQL_KJEDE_REVISJON,
      "INSERT INTO bkm_revisjon (id, tidspunkt, aktor, handling, "
      "kommunenummer, melding_id, begrunnelse, nr, kjede) VALUES (%s, %lld, "
      "%s, %s, %s, %s, %s, %lld, %s)" },
    { BKM_SQL_KJEDE_MERK,
      "UPDATE bkm_hendelse SET anker = %lld WHERE anker IS NULL" },
    { BKM_SQL_KJEDE_ANKRET,
      "SELECT melding_id, nr, kjede FROM bkm_hendelse WHERE anker = %lld" },
    { BKM_SQL_KJEDE_ALLE,
      "SELECT melding_id, nr, tidspunkt, tilstand, hendelse, aktor, "
      "beskrivelse, kjede FROM bkm_hendelse ORDER BY melding_id, nr" },
    { BKM_SQL_KJEDE_REVISJONER,
      "SELECT nr, id, tidspunkt, aktor, handling, kommunenummer, "
      "melding_id, begrunnelse, kjede FROM bkm_revisjon ORDER BY nr" },
    { BKM_SQL_KJEDE_RAD, "SELECT kjede FROM bkm_revisjon WHERE nr = %lld" },
    { BKM_SQL_KJEDE_HENDELSER_50, EV_INSERT EV50 },
    { BKM_SQL_KJEDE_HENDELSER_10, EV_INSERT EV10 },
    /* Each report's last event (bkm_kjede_siste): 50 ids, padded. */
    { BKM_SQL_KJEDE_SISTE_50,
      "SELECT m.id, h.nr, h.kjede FROM bkm_melding m "
      "LEFT JOIN bkm_hendelse h ON h.melding_id = m.id AND h.nr = "
      "(SELECT MAX(x.nr) FROM bkm_hendelse x WHERE x.melding_id = m.id) "
      "WHERE m.id IN (" ID50 ")" },
    { NULL, NULL }
};

/* ---- the hash ------------------------------------------------------------ */

static void put(EVP_MD_CTX *c, const char *s, apr_size_t n)
{
    EVP_DigestUpdate(c, s, n);
}

static const char *finish(apr_pool_t *p, EVP_MD_CTX *c)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    EVP_DigestFinal_ex(c, md, &len);
    EVP_MD_CTX_free(c);
    return bkm_hex(p, md, len);
}

const char *bkm_kjede_hash(apr_pool_t *p, const char *kind,
                           const char *const *fields, int n, const char *prev)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    char len[32];
    int i;

    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    put(c, "bkm-kjede-1\n", 12);
    put(c, kind, strlen(kind));
    put(c, "\n", 1);
    for (i = 0; i < n; i++) {
        const char *f = fields[i];

        if (!f || !*f) {
            put(c, "-\n", 2);
            continue;
        }
        apr_snprintf(len, sizeof(len), "%" APR_SIZE_T_FMT ":", strlen(f));
        put(c, len, strlen(len));
        put(c, f, strlen(f));
        put(c, "\n", 1);
    }
    put(c, prev, strlen(prev));
    put(c, "\n", 1);
    return finish(p, c);
}

/* An integer column as the canonical decimal. */
static const char *dec(apr_pool_t *p, const char *v)
{
    return v ? apr_psprintf(p, "%" APR_INT64_T_FMT, apr_atoi64(v)) : NULL;
}

/* ---- writing ------------------------------------------------------------- */

/* The event nr + 1 after the chain's row @p prev (NULL: the first). */
static apr_status_t insert_hendelse(bkm_db_t *db, const char *melding_id,
                                    apr_time_t tid, const char *tilstand,
                                    const char *hendelse, const char *aktor,
                                    const char *beskrivelse, apr_int64_t nr,
                                    const char *prev)
{
    const char *f[7], *args[8];

    f[0] = melding_id;
    f[1] = apr_psprintf(db->pool, "%" APR_INT64_T_FMT, nr + 1);
    f[2] = apr_psprintf(db->pool, "%" APR_INT64_T_FMT, (apr_int64_t)tid);
    f[3] = tilstand;
    f[4] = hendelse;
    f[5] = aktor;
    f[6] = beskrivelse;
    memcpy(args, f, sizeof(f));
    args[7] = bkm_kjede_hash(db->pool, "hendelse", f, 7,
                             prev ? prev : BKM_KJEDE_START);
    return bkm_db_run(db, BKM_SQL_KJEDE_HENDELSE, NULL, 8, args);
}

apr_status_t bkm_kjede_hendelse(bkm_db_t *db, const char *melding_id,
                                apr_time_t tid, const char *tilstand,
                                const char *hendelse, const char *aktor,
                                const char *beskrivelse)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *prev = NULL;
    apr_int64_t nr = 0;
    apr_status_t rv;

    if ((rv = bkm_db_select(db, BKM_SQL_KJEDE_SISTE, &res, 1, &melding_id))) {
        return rv;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        const char *v = bkm_db_value(db, row, 0);

        nr = v ? apr_atoi64(v) : 0;
        prev = bkm_db_value(db, row, 1);
    }
    return insert_hendelse(db, melding_id, tid, tilstand, hendelse, aktor,
                           beskrivelse, nr, prev);
}

apr_status_t bkm_kjede_forste(bkm_db_t *db, const char *melding_id,
                              apr_time_t tid, const char *tilstand,
                              const char *hendelse, const char *aktor,
                              const char *beskrivelse)
{
    /* No query for the chain's last row: the report was inserted by this
     * transaction, so it has none (and should it somehow, the insert of
     * a second nr 1 fails on the table's key: nothing is stored). */
    return insert_hendelse(db, melding_id, tid, tilstand, hendelse, aktor,
                           beskrivelse, 0, NULL);
}

apr_status_t bkm_kjede_hendelser(bkm_db_t *db, int n,
                                 const bkm_kjede_neste_t *ev, apr_time_t tid,
                                 const char *tilstand, const char *hendelse,
                                 const char *aktor, const char *beskrivelse)
{
    static const char *const labels[3] = { BKM_SQL_KJEDE_HENDELSER_50,
                                           BKM_SQL_KJEDE_HENDELSER_10,
                                           BKM_SQL_KJEDE_HENDELSE };
    static const int sizes[3] = { 50, 10, 1 };
    const char **args = apr_palloc(db->pool, sizeof(*args) * 8 * (n + 1));
    const char *t = apr_psprintf(db->pool, "%" APR_INT64_T_FMT,
                                 (apr_int64_t)tid);
    int i;

    /* The same content, nr and hash as bkm_kjede_hendelse writes. */
    for (i = 0; i < n; i++) {
        const char **f = args + 8 * i;

        f[0] = ev[i].melding_id;
        f[1] = apr_psprintf(db->pool, "%" APR_INT64_T_FMT, ev[i].nr + 1);
        f[2] = t;
        f[3] = tilstand;
        f[4] = hendelse;
        f[5] = aktor;
        f[6] = beskrivelse;
        f[7] = bkm_kjede_hash(db->pool, "hendelse", f, 7,
                              ev[i].forrige ? ev[i].forrige
                                            : BKM_KJEDE_START);
    }
    return bkm_db_run_rows(db, labels, sizes, 3, 8, n, args);
}

apr_status_t bkm_kjede_siste(bkm_db_t *db, const apr_array_header_t *ids,
                             bkm_kjede_neste_t *ev, int *n)
{
    const char *args[50];
    int i;

    *n = 0;
    for (i = 0; i < ids->nelts; i += 50) {
        apr_dbd_results_t *res = NULL;
        apr_dbd_row_t *row = NULL;

        bkm_db_ids_batch(ids, i, args, 50);
        if (bkm_db_select(db, BKM_SQL_KJEDE_SISTE_50, &res, 50, args)) {
            return APR_EGENERAL;
        }
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            const char *nr = bkm_db_value(db, row, 1);

            if (*n >= ids->nelts) {
                continue; /* read to the end */
            }
            ev[*n].melding_id = bkm_db_value(db, row, 0);
            ev[*n].nr = nr ? apr_atoi64(nr) : 0;
            ev[*n].forrige = bkm_db_value(db, row, 2);
            (*n)++;
        }
    }
    return *n == ids->nelts ? APR_SUCCESS : APR_EGENERAL;
}

apr_status_t bkm_kjede_hode(bkm_db_t *db, apr_int64_t *nr, const char **hode)
{
    const char *navn = "revisjon";
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv;
    int found = 0;

    *nr = 0;
    *hode = BKM_KJEDE_START;
    if ((rv = bkm_db_select(db, BKM_SQL_KJEDE_HODE, &res, 1, &navn))) {
        return rv;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        const char *v = bkm_db_value(db, row, 0), *h;

        *nr = v ? apr_atoi64(v) : 0;
        if ((h = bkm_db_value(db, row, 1))) {
            *hode = h;
        }
        found = 1;
    }
    return found ? APR_SUCCESS : APR_EGENERAL;
}

/* Append to the audit chain, the head locked by the caller's
 * transaction: row *nr + 1 after *hode; both moved to the new row. */
static apr_status_t append(bkm_db_t *db, apr_time_t tid, const char *aktor,
                           const char *handling, const char *kommunenummer,
                           const char *melding_id, const char *begrunnelse,
                           apr_int64_t *nr, const char **hode)
{
    const char *f[8], *args[9], *set[3];
    apr_status_t rv;

    f[0] = apr_psprintf(db->pool, "%" APR_INT64_T_FMT, *nr + 1);
    f[1] = bkm_uuid(db->pool);
    f[2] = apr_psprintf(db->pool, "%" APR_INT64_T_FMT, (apr_int64_t)tid);
    f[3] = aktor;
    f[4] = handling;
    f[5] = kommunenummer;
    f[6] = melding_id;
    f[7] = begrunnelse;
    args[0] = f[1];
    args[1] = f[2];
    args[2] = aktor;
    args[3] = handling;
    args[4] = kommunenummer;
    args[5] = melding_id;
    args[6] = begrunnelse;
    args[7] = f[0];
    args[8] = bkm_kjede_hash(db->pool, "revisjon", f, 8, *hode);
    if ((rv = bkm_db_run(db, BKM_SQL_KJEDE_REVISJON, NULL, 9, args))) {
        return rv;
    }
    set[0] = f[0];
    set[1] = args[8];
    set[2] = "revisjon";
    if ((rv = bkm_db_run(db, BKM_SQL_KJEDE_HODE_SET, NULL, 3, set))) {
        return rv;
    }
    *nr += 1;
    *hode = args[8];
    return APR_SUCCESS;
}

static apr_status_t lock_head(bkm_db_t *db, apr_int64_t *nr,
                              const char **hode)
{
    const char *navn = "revisjon";
    apr_status_t rv = bkm_db_run(db, BKM_SQL_KJEDE_LAAS, NULL, 1, &navn);

    return rv ? rv : bkm_kjede_hode(db, nr, hode);
}

apr_status_t bkm_kjede_revisjon(bkm_db_t *db, apr_time_t tid,
                                const char *aktor, const char *handling,
                                const char *kommunenummer,
                                const char *melding_id,
                                const char *begrunnelse)
{
    int own = !db->in_tx;
    const char *hode;
    apr_int64_t nr;
    apr_status_t rv;

    if (own && (rv = bkm_db_begin(db))) {
        return rv;
    }
    rv = lock_head(db, &nr, &hode);
    if (rv == APR_SUCCESS) {
        rv = append(db, tid, aktor, handling, kommunenummer, melding_id,
                    begrunnelse, &nr, &hode);
    }
    return own ? bkm_db_end(db, rv) : rv;
}

/* ---- anchors ------------------------------------------------------------- */

typedef struct {
    const char *melding_id, *kjede;
    apr_int64_t nr;
} ankret_t;

static int by_event(const void *a, const void *b)
{
    const ankret_t *x = a, *y = b;
    int c = strcmp(x->melding_id, y->melding_id);

    return c ? c : x->nr < y->nr ? -1 : x->nr > y->nr;
}

/* "hendelser=N sha256=D" of the events anchored by audit row @p k. */
static apr_status_t anchor_text(bkm_db_t *db, apr_pool_t *p, apr_int64_t k,
                                const char **text)
{
    const char *arg = apr_psprintf(p, "%" APR_INT64_T_FMT, k);
    apr_array_header_t *a = apr_array_make(p, 64, sizeof(ankret_t));
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    EVP_MD_CTX *c;
    apr_status_t rv;
    int i;

    if ((rv = bkm_db_select(db, BKM_SQL_KJEDE_ANKRET, &res, 1, &arg))) {
        return rv;
    }
    while (apr_dbd_get_row(db->drv, p, res, &row, -1) == 0) {
        ankret_t *e = apr_array_push(a);
        const char *v = apr_dbd_get_entry(db->drv, row, 2);

        e->melding_id = apr_pstrdup(p, apr_dbd_get_entry(db->drv, row, 0));
        e->nr = apr_atoi64(apr_dbd_get_entry(db->drv, row, 1));
        e->kjede = v && *v ? apr_pstrdup(p, v) : "-";
    }
    qsort(a->elts, a->nelts, sizeof(ankret_t), by_event);
    c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    for (i = 0; i < a->nelts; i++) {
        const ankret_t *e = &APR_ARRAY_IDX(a, i, ankret_t);
        const char *line = apr_psprintf(p, "%s %" APR_INT64_T_FMT " %s\n",
                                        e->melding_id, e->nr, e->kjede);

        put(c, line, strlen(line));
    }
    *text = apr_psprintf(p, "hendelser=%d sha256=%s", a->nelts, finish(p, c));
    return APR_SUCCESS;
}

apr_status_t bkm_kjede_anchor(bkm_db_t *db, apr_time_t now, int *n,
                              apr_int64_t *nr, const char **hode)
{
    const char *k, *text = NULL;
    apr_status_t rv;

    *n = 0;
    if ((rv = bkm_db_begin(db))) {
        return rv;
    }
    /* The head first: of two nodes' passes, the second waits here and
     * then finds nothing left to anchor. */
    if ((rv = lock_head(db, nr, hode))) {
        return bkm_db_end(db, rv);
    }
    k = apr_psprintf(db->pool, "%" APR_INT64_T_FMT, *nr + 1);
    if ((rv = bkm_db_run(db, BKM_SQL_KJEDE_MERK, n, 1, &k))) {
        return bkm_db_end(db, rv);
    }
    if (*n == 0) {
        bkm_db_rollback(db);
        return APR_SUCCESS;
    }
    rv = anchor_text(db, db->pool, *nr + 1, &text);
    if (rv == APR_SUCCESS) {
        rv = append(db, now, "kjede", ANKER, NULL, NULL, text, nr, hode);
    }
    return bkm_db_end(db, rv);
}

/* ---- the walk ------------------------------------------------------------ */

static void broken(bkm_kjede_sjekk_t *out, apr_pool_t *p, const char *kjede,
                   const char *melding_id, apr_int64_t nr, const char *why)
{
    if (!out->ok) {
        return; /* the first one is named */
    }
    out->ok = 0;
    out->kjede = kjede;
    out->melding_id = melding_id ? apr_pstrdup(p, melding_id) : NULL;
    out->nr = nr;
    out->grunn = why;
}

static apr_status_t walk_events(bkm_db_t *db, bkm_kjede_sjekk_t *out)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_pool_t *scratch;
    char cur[64] = "", prev[65] = BKM_KJEDE_START;
    apr_int64_t last = 0;
    int chained = 0;
    apr_status_t rv;

    if ((rv = bkm_db_select(db, BKM_SQL_KJEDE_ALLE, &res, 0, NULL))) {
        return rv;
    }
    apr_pool_create(&scratch, db->pool);
    /* The row lives in db->pool (pgsql keeps its place in it across
     * calls); only each row's work is in the cleared scratch pool. */
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        const char *f[7], *kjede;
        apr_int64_t nr;
        int i;

        for (i = 0; i < 7; i++) {
            f[i] = apr_dbd_get_entry(db->drv, row, i);
        }
        kjede = apr_dbd_get_entry(db->drv, row, 7);
        nr = apr_atoi64(f[1]);
        f[1] = dec(scratch, f[1]);
        f[2] = dec(scratch, f[2]);
        out->hendelser++;
        if (strcmp(cur, f[0]) != 0) {
            apr_cpystrn(cur, f[0], sizeof(cur));
            apr_cpystrn(prev, BKM_KJEDE_START, sizeof(prev));
            out->meldinger++;
            last = 0;
            chained = 0;
        }
        if (nr != last + 1) {
            broken(out, db->pool, "hendelse", cur, last + 1,
                   "missing: the timeline skips this nr (a row deleted)");
        }
        last = nr;
        if (!kjede || !*kjede) {
            if (chained) {
                broken(out, db->pool, "hendelse", cur, nr,
                       "no hash after a chained event");
            }
            out->ukjedet++;
        }
        else {
            const char *h = bkm_kjede_hash(scratch, "hendelse", f, 7, prev);

            chained = 1;
            if (strcmp(h, kjede) != 0) {
                broken(out, db->pool, "hendelse", cur, nr,
                       "the hash does not match the row's content and "
                       "its predecessor (changed)");
            }
            apr_cpystrn(prev, kjede, sizeof(prev));
        }
        apr_pool_clear(scratch);
    }
    apr_pool_destroy(scratch);
    return APR_SUCCESS;
}

static apr_status_t walk_audit(bkm_db_t *db, bkm_kjede_sjekk_t *out)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_pool_t *scratch;
    apr_array_header_t *anchors = apr_array_make(db->pool, 16,
                                                 sizeof(apr_int64_t));
    apr_array_header_t *texts = apr_array_make(db->pool, 16,
                                               sizeof(const char *));
    char prev[65] = BKM_KJEDE_START;
    apr_int64_t last = 0;
    int chained = 0, i;
    apr_status_t rv;

    if ((rv = bkm_kjede_hode(db, &out->hode_nr, &out->hode))) {
        return rv;
    }
    if ((rv = bkm_db_select(db, BKM_SQL_KJEDE_REVISJONER, &res, 0, NULL))) {
        return rv;
    }
    apr_pool_create(&scratch, db->pool);
    /* The row lives in db->pool (pgsql keeps its place in it across
     * calls); only each row's work is in the cleared scratch pool. */
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        const char *f[8], *kjede;
        apr_int64_t nr;

        for (i = 0; i < 8; i++) {
            f[i] = apr_dbd_get_entry(db->drv, row, i);
        }
        kjede = apr_dbd_get_entry(db->drv, row, 8);
        nr = apr_atoi64(f[0]);
        f[0] = dec(scratch, f[0]);
        f[2] = dec(scratch, f[2]);
        out->revisjoner++;
        if (nr != last + 1) {
            broken(out, db->pool, "revisjon", NULL, last + 1,
                   "missing: the audit skips this nr (a row deleted)");
        }
        last = nr;
        if (!kjede || !*kjede) {
            if (chained) {
                broken(out, db->pool, "revisjon", NULL, nr,
                       "no hash after a chained row");
            }
            out->ukjedet++;
        }
        else {
            const char *h = bkm_kjede_hash(scratch, "revisjon", f, 8, prev);

            chained = 1;
            if (strcmp(h, kjede) != 0) {
                broken(out, db->pool, "revisjon", NULL, nr,
                       "the hash does not match the row's content and "
                       "its predecessor (changed)");
            }
            apr_cpystrn(prev, kjede, sizeof(prev));
            if (f[4] && strcmp(f[4], ANKER) == 0) {
                *(apr_int64_t *)apr_array_push(anchors) = nr;
                *(const char **)apr_array_push(texts) =
                    apr_pstrdup(db->pool, f[7] ? f[7] : "");
            }
        }
        apr_pool_clear(scratch);
    }
    apr_pool_destroy(scratch);
    if (last != out->hode_nr || (chained && strcmp(prev, out->hode) != 0)) {
        broken(out, db->pool, "revisjon", NULL,
               last < out->hode_nr ? last + 1 : last,
               "the audit does not end at its head (rows deleted or "
               "added)");
    }
    for (i = 0; i < anchors->nelts; i++) {
        apr_int64_t k = APR_ARRAY_IDX(anchors, i, apr_int64_t);
        const char *text;

        if ((rv = anchor_text(db, db->pool, k, &text))) {
            return rv;
        }
        out->ankre++;
        if (strcmp(text, APR_ARRAY_IDX(texts, i, const char *)) != 0) {
            broken(out, db->pool, "revisjon", NULL, k,
                   "an anchor does not cover its events (an anchored "
                   "event changed, deleted or rehashed)");
        }
    }
    return APR_SUCCESS;
}

/* An anchor kept outside: "NR:HASH". */
static apr_status_t check_outside(bkm_db_t *db, const char *anker,
                                  bkm_kjede_sjekk_t *out)
{
    const char *colon = anker ? strchr(anker, ':') : NULL;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *nr, *h = NULL;
    apr_status_t rv;
    char *end;

    if (!colon || !bkm_sha256_hex_valid(colon + 1, strlen(colon + 1))) {
        return APR_EINVAL;
    }
    nr = apr_pstrmemdup(db->pool, anker, colon - anker);
    if (!*nr || apr_strtoi64(nr, &end, 10) <= 0 || *end) {
        return APR_EINVAL;
    }
    if ((rv = bkm_db_select(db, BKM_SQL_KJEDE_RAD, &res, 1, &nr))) {
        return rv;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        h = bkm_db_value(db, row, 0);
    }
    if (!h || strcmp(h, colon + 1) != 0) {
        broken(out, db->pool, "revisjon", NULL, apr_atoi64(nr),
               "the anchor kept outside does not match (the chain was "
               "rewritten)");
    }
    return APR_SUCCESS;
}

apr_status_t bkm_kjede_verify(bkm_db_t *db, const char *anker,
                              bkm_kjede_sjekk_t *out)
{
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    out->ok = 1;
    if ((rv = walk_events(db, out)) || (rv = walk_audit(db, out))) {
        return rv;
    }
    return anker && *anker ? check_outside(db, anker, out) : APR_SUCCESS;
}
