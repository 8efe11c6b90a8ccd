/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SQLite's write-ahead log, checkpointed off the request path (issue 17,
 * item 4; README "SQLite's write-ahead log").
 *
 * By default SQLite checkpoints inside the COMMIT that takes the log past
 * 1,000 pages: that request copies some 4 MB into the database file and
 * waits for its fsync, holding the module's SQLite writer mutex (every
 * writer of the node waits) and apr-util's DBD mutex (every SQLite
 * statement of its process waits: the sqlite3 driver runs each statement
 * under one process-wide mutex).  Those were the tail spikes of make bench
 * (p99 57 ms, max 133-338 ms at 8 clients).
 *
 * Here instead:
 *   - Requests' connections checkpoint only as a fallback, when the log
 *     has grown to BKM_WAL_FALLBACK_PAGES (wal_autocheckpoint, set once per
 *     pooled connection): should the checkpointer stop, the log still
 *     cannot grow without bound.  journal_size_limit gives the disk back
 *     after a burst.
 *   - A mod_watchdog job in one process of the node (singleton), every
 *     BKM_WAL_TICK, runs a PASSIVE checkpoint on a connection of its own,
 *     through libsqlite3 directly -- not through apr_dbd, whose mutex
 *     would hold its process's requests for the checkpoint's length.
 *     PASSIVE takes no lock a writer needs: writers append to the log
 *     while it copies, and the next writer after a complete checkpoint
 *     starts the log from its beginning.
 *   - Writers arriving without pause never let the log start over by
 *     itself (a writer restarts it only when nothing in it is left to
 *     copy).  So past BKM_WAL_RESTART_PAGES the checkpointer copies beside
 *     the writers until at most BKM_WAL_TAIL_PAGES are left, then holds
 *     the writers (server/db.c's writer mutex) only for that remainder and
 *     a RESTART checkpoint that waits at most BKM_WAL_RESTART_WAIT for
 *     reads still in the log; at most once every BKM_WAL_BACKOFF.
 *   - When the log is past BKM_WAL_BOUND_PAGES even so (reads kept it
 *     from restarting, or the disk was slower than the writers), it says
 *     so in the error log (BKM07442, once a minute).  The metrics page
 *     shows the log's size and the checkpoints by outcome, and when the
 *     last complete one ended.
 * Durability is SQLite's: a commit is in the log and fsynced
 * (synchronous=FULL) before the 201; a checkpoint only copies committed
 * pages into the database file and fsyncs it before the log is reused.
 */
#include "mod_bekymring_private.h"
#include "server/wal.h"

#include <mod_watchdog.h>
#include <apr_atomic.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <sqlite3.h>
#include <sys/stat.h>

#define BKM_WAL_WATCHDOG "bekymring-wal"
/* How often the checkpointer runs: at 300 reports/s (some 200 KB of log
 * each) a tick copies some 10 MB.  The log is started over past
 * BKM_WAL_RESTART_PAGES (16 MB, about once a second at that rate): each
 * start-over holds the writers for a fsync, so not every tick. */
#define BKM_WAL_TICK apr_time_from_msec(200)
/* Pages (4 KiB) of log past which the checkpointer warns (BKM07442). */
#define BKM_WAL_BOUND_PAGES 12288
/* Pages of log before a request's COMMIT checkpoints (the fallback). */
#define BKM_WAL_FALLBACK_PAGES 16384
/* The log file is cut back to this after a checkpoint let it restart. */
#define BKM_WAL_SIZE_LIMIT "67108864"
/* Pages of log past which the checkpointer starts it over. */
#define BKM_WAL_RESTART_PAGES 4096
/* Copied beside the writers until no more than this is left for the
 * writers to wait for. */
#define BKM_WAL_TAIL_PAGES 64
/* How long the writers are held at most while reads leave the log. */
#define BKM_WAL_RESTART_WAIT 5 /* ms */
#define BKM_WAL_BACKOFF apr_time_from_sec(1)
#define BKM_WAL_WARN_EVERY apr_time_from_sec(60)

/* Every field with apr_atomic_*32 only: written by the checkpointer's
 * process, read by every process's metrics page. */
typedef struct {
    apr_uint32_t ok;         /* complete checkpoints */
    apr_uint32_t partial;    /* frames left (readers, or a busy lock) */
    apr_uint32_t failed;     /* errors */
    apr_uint32_t forced;     /* past the bound, and not restarted */
    apr_uint32_t last_ok;    /* seconds since 1970 */
    apr_uint32_t log_frames; /* the log's frames at the last checkpoint */
} wal_stats_t;

typedef struct {
    const char *file;
    server_rec *s;
    sqlite3 *db; /* the checkpointer's, in its process */
    apr_pool_t *pool;
    apr_global_mutex_t **writer; /* server/db.c's, NULL-able */
    apr_time_t backoff, warned;
} wal_job_t;

static wal_stats_t *stats;
static apr_array_header_t *files; /* const char * of each job */

static void warn(wal_job_t *job, apr_time_t now, int level, int rc,
                 const char *what)
{
    if (now - job->warned < BKM_WAL_WARN_EVERY) {
        return;
    }
    job->warned = now;
    ap_log_error(APLOG_MARK, level, 0, job->s,
                 BKMLOGNO(07440) "SQLite checkpoint: %s (%s)", what,
                 job->db ? sqlite3_errmsg(job->db) : sqlite3_errstr(rc));
}

/* Hold (1) or let go (0) the writers of every process of the node. */
static void writers(wal_job_t *job, int hold)
{
    apr_global_mutex_t *m = job->writer ? *job->writer : NULL;

    if (m && hold) {
        apr_global_mutex_lock(m);
    }
    else if (m) {
        apr_global_mutex_unlock(m);
    }
}

static int open_db(wal_job_t *job, apr_time_t now)
{
    int rc;

    if (job->db) {
        return 1;
    }
    rc = sqlite3_open_v2(job->file, &job->db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(job->db);
        job->db = NULL;
        apr_atomic_inc32(&stats->failed);
        warn(job, now, APLOG_ERR, rc, "cannot open the database");
        return 0;
    }
    /* The database file is fsynced before the log is reused. */
    sqlite3_exec(job->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    return 1;
}

static void checkpoint(wal_job_t *job)
{
    apr_time_t now = apr_time_now(), held;
    int rc, i, log = 0, done = 0;

    if (!open_db(job, now)) {
        return;
    }
    /* The bulk, beside the writers: copy what the log holds into the
     * database file and fsync it. */
    rc = sqlite3_wal_checkpoint_v2(job->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                   &log, &done);
    if (rc == SQLITE_BUSY) {
        /* Another checkpoint runs (a request's fallback, a pass's
         * TRUNCATE after deleting): it does the work this time. */
        apr_atomic_inc32(&stats->partial);
        return;
    }
    if (rc != SQLITE_OK) {
        apr_atomic_inc32(&stats->failed);
        warn(job, now, APLOG_ERR, rc, "failed");
        sqlite3_close(job->db); /* opened again next tick */
        job->db = NULL;
        return;
    }
    apr_atomic_set32(&stats->log_frames, log > 0 ? (apr_uint32_t)log : 0);
    if (log < BKM_WAL_RESTART_PAGES || now < job->backoff) {
        apr_atomic_inc32(done >= log ? &stats->ok : &stats->partial);
        if (done >= log) {
            apr_atomic_set32(&stats->last_ok,
                             (apr_uint32_t)apr_time_sec(now));
        }
        return;
    }
    /* Writers that keep appending keep a copied log from restarting (a
     * writer starts it over only when nothing in it is left to copy when
     * it begins): catch up once more beside them, then hold them for what
     * little is left and start the log over (RESTART waits up to
     * BKM_WAL_RESTART_WAIT for reads still in the log). */
    for (i = 0; i < 5 && log - done > BKM_WAL_TAIL_PAGES; i++) {
        sqlite3_wal_checkpoint_v2(job->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                  &log, &done);
    }
    writers(job, 1);
    held = apr_time_now();
    sqlite3_busy_timeout(job->db, BKM_WAL_RESTART_WAIT);
    rc = sqlite3_wal_checkpoint_v2(job->db, NULL, SQLITE_CHECKPOINT_RESTART,
                                   &log, &done);
    sqlite3_busy_timeout(job->db, 0);
    writers(job, 0);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, job->s, BKMLOGNO(07446)
                 "SQLite checkpoint: %d pages; copied beside the writers in "
                 "%" APR_TIME_T_FMT " ms, writers held %" APR_TIME_T_FMT
                 " ms to start the log over (%s)",
                 log, apr_time_as_msec(held - now) /* and the queue */,
                 apr_time_as_msec(apr_time_now() - held),
                 rc == SQLITE_OK ? "done" : sqlite3_errstr(rc));
    if (rc == SQLITE_OK) {
        apr_atomic_inc32(&stats->ok);
        apr_atomic_set32(&stats->last_ok, (apr_uint32_t)apr_time_sec(now));
        apr_atomic_set32(&stats->log_frames, 0);
        return;
    }
    /* A read still uses the log: try again after a pause (not every tick,
     * each holding the writers), and past the bound say so. */
    apr_atomic_inc32(&stats->partial);
    job->backoff = now + BKM_WAL_BACKOFF;
    if (log >= BKM_WAL_BOUND_PAGES) {
        apr_atomic_inc32(&stats->forced);
        if (now - job->warned >= BKM_WAL_WARN_EVERY) {
            job->warned = now;
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, job->s,
                         BKMLOGNO(07442) "SQLite's write-ahead log has %d "
                         "pages, past its bound of %d, and a read still "
                         "uses it (a long query?): %s",
                         log, BKM_WAL_BOUND_PAGES, sqlite3_errmsg(job->db));
        }
    }
}

static apr_status_t watchdog_tick(int state, void *data, apr_pool_t *pool)
{
    wal_job_t *job = data;

    if (state == AP_WATCHDOG_STATE_RUNNING) {
        checkpoint(job);
        apr_pool_clear(job->pool);
    }
    else if (state == AP_WATCHDOG_STATE_STOPPING && job->db) {
        /* The last connection's close checkpoints what is left. */
        sqlite3_close(job->db);
        job->db = NULL;
    }
    return APR_SUCCESS;
}

int bkm_wal_register(apr_pool_t *pconf, server_rec *s, const char *file,
                     apr_global_mutex_t **writer)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *get_instance =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *register_cb =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    static apr_pool_t *generation;
    static ap_watchdog_t *wd;
    apr_finfo_t finfo;
    wal_job_t *job;
    apr_shm_t *shm;
    apr_status_t rv;

    if (generation != pconf) {
        /* A new configuration generation (a restart): new job list and
         * counters. */
        generation = pconf;
        wd = NULL;
        stats = NULL;
        files = apr_array_make(pconf, 1, sizeof(const char *));
    }
    if (!file) {
        return OK;
    }
    if (apr_stat(&finfo, file, APR_FINFO_TYPE, pconf) != APR_SUCCESS) {
        return OK; /* not migrated: nothing to checkpoint (BKM00105) */
    }
    if (!get_instance || !register_cb) {
        /* Without a checkpointer the requests' connections keep SQLite's
         * own checkpoints (bkm_wal_connection sets nothing). */
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BKMLOGNO(07441)
                     "mod_watchdog is not loaded: SQLite's write-ahead log "
                     "is checkpointed by requests (slower answers now and "
                     "then)");
        return OK;
    }
    if (!stats) {
        if ((rv = apr_shm_create(&shm, sizeof(*stats), NULL, pconf))) {
            ap_log_error(
                APLOG_MARK, APLOG_CRIT, rv, s,
                BKMLOGNO(
                    07443) "cannot make the checkpointer's shared memory");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        stats = apr_shm_baseaddr_get(shm);
        memset(stats, 0, sizeof(*stats));
    }
    if (!wd && (rv = get_instance(&wd, BKM_WAL_WATCHDOG, 0, 1, pconf))) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     BKMLOGNO(07444) "cannot create the %s watchdog",
                     BKM_WAL_WATCHDOG);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    job = apr_pcalloc(pconf, sizeof(*job));
    job->file = apr_pstrdup(pconf, file);
    apr_pool_create(&job->pool, pconf);
    job->s = s;
    job->writer = writer;
    if ((rv = register_cb(wd, BKM_WAL_TICK, job, watchdog_tick))) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     BKMLOGNO(07445) "cannot register SQLite's checkpointer");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    *(const char **)apr_array_push(files) = job->file;
    return OK;
}

void bkm_wal_connection(ap_dbd_t *dbd)
{
    void *done = NULL;
    int n;

    /* Only where a checkpointer runs; once per connection (its pool is
     * mod_dbd's, as long as the connection). */
    if (!stats || strcmp(apr_dbd_name(dbd->driver), "sqlite3") != 0) {
        return;
    }
    apr_pool_userdata_get(&done, "bkm-wal", dbd->pool);
    if (done) {
        return;
    }
    apr_dbd_query(
        dbd->driver, dbd->handle, &n,
        "PRAGMA wal_autocheckpoint=" APR_STRINGIFY(BKM_WAL_FALLBACK_PAGES));
    apr_dbd_query(dbd->driver, dbd->handle, &n,
                  "PRAGMA journal_size_limit=" BKM_WAL_SIZE_LIMIT);
    apr_pool_userdata_setn((void *)1, "bkm-wal", NULL, dbd->pool);
}

void bkm_wal_metrics(request_rec *r, bkm_prom_t *m)
{
    const char *ok[] = { "utfall", "ok", NULL };
    const char *partial[] = { "utfall", "ufullstendig", NULL };
    const char *failed[] = { "utfall", "feilet", NULL };
    const char *forced[] = { "utfall", "over-grensen", NULL };
    apr_off_t bytes = 0;
    struct stat st;
    int i;

    if (!stats || !files) {
        return;
    }
    for (i = 0; i < files->nelts; i++) {
        const char *wal = apr_pstrcat(r->pool,
                                      APR_ARRAY_IDX(files, i, const char *),
                                      "-wal", NULL);
        if (stat(wal, &st) == 0) {
            bytes += st.st_size;
        }
    }
    bkm_prom_family(m, "bekymring_sqlite_wal_bytes", "gauge",
                    "Size of SQLite's write-ahead log file on disk.");
    bkm_prom_sample(m, "bekymring_sqlite_wal_bytes", NULL, (double)bytes);
    bkm_prom_family(
        m, "bekymring_sqlite_wal_pages", "gauge",
        "Pages in SQLite's write-ahead log at the last "
        "checkpoint (started over past 4096, a warning past 12288).");
    bkm_prom_sample(m, "bekymring_sqlite_wal_pages", NULL,
                    apr_atomic_read32(&stats->log_frames));
    bkm_prom_family(m, "bekymring_sqlite_checkpoints_total", "counter",
                    "The checkpointer's checkpoints of SQLite's "
                    "write-ahead log, by outcome.");
    bkm_prom_sample(m, "bekymring_sqlite_checkpoints_total", ok,
                    apr_atomic_read32(&stats->ok));
    bkm_prom_sample(m, "bekymring_sqlite_checkpoints_total", partial,
                    apr_atomic_read32(&stats->partial));
    bkm_prom_sample(m, "bekymring_sqlite_checkpoints_total", failed,
                    apr_atomic_read32(&stats->failed));
    bkm_prom_sample(m, "bekymring_sqlite_checkpoints_total", forced,
                    apr_atomic_read32(&stats->forced));
    bkm_prom_family(m,
                    "bekymring_sqlite_checkpoint_last_success_timestamp_"
                    "seconds",
                    "gauge",
                    "When the last complete checkpoint ended (Unix time; "
                    "0: none since the node started).");
    bkm_prom_sample(m,
                    "bekymring_sqlite_checkpoint_last_success_timestamp_"
                    "seconds",
                    NULL, apr_atomic_read32(&stats->last_ok));
}
