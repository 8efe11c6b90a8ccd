/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The database, httpd side: the schema is migrated before the children
 * start, our statements are handed to mod_dbd, and requests borrow pooled
 * connections.  The database layer itself is the core's (bkm_db.c): this
 * file wraps each connection mod_dbd lends in the core's handle
 * (bkm_db_make) with a log baton that names the request or the server, and
 * prints the core's log lines in their context.  The statements are kept
 * with the features that run them, each feature's in a table beside its
 * code (the core's listed in bkm_core_sql, the glue's in glue_sql below).
 *
 * Which database?  The one the administrator gave mod_dbd (DBDriver,
 * DBDParams) in the same server or virtual host as BekymringRegistry: there
 * is one place to configure it.  mod_dbd keeps its configuration private, so
 * post_config reads those two directives from the configuration tree, finding
 * a virtual host's section by its file and line.  Only servers that use
 * mod_bekymring are touched: a farm's other virtual hosts may use mod_dbd
 * with databases that are none of our business.
 *
 * A database that cannot be reached or migrated at start-up does not stop
 * httpd (in a farm that would take every other site down with it): the
 * error is logged as critical, and /helse answers 503 until a restart
 * succeeds.
 */
#include "mod_bekymring_private.h"
#include "server/config.h"
#include "server/db.h"
#include "server/wal.h"
#include "bkm_db.h"
#include "bkm_log.h"
#include "bkm_migrate.h"

#include <mod_dbd.h>
#include <http_core.h>
#include <unixd.h>
#include <apr_strings.h>
#include <apr_atomic.h>
#include <apr_buckets.h>
#include <apr_dbd.h>
#include <apr_global_mutex.h>
#include <util_mutex.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *bkm_dbd_prepare;
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *bkm_dbd_acquire;
static APR_OPTIONAL_FN_TYPE(ap_dbd_open) *bkm_dbd_open;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) *bkm_dbd_close;

/* SQLite has one writer at a time.  Writers of every httpd process and
 * thread queue for it on this global mutex (httpd's Mutex directive names
 * it "bekymring-sqlite"), blocked, instead of polling SQLite's lock in
 * bkm_dbtx_begin: polling starved some writers under load (p99 of 300 to
 * 800 ms in make bench).  Other nodes of a farm use PostgreSQL, where this
 * lock is not taken. */
#define BKM_SQLITE_MUTEX "bekymring-sqlite"
static apr_global_mutex_t *bkm_sqlite_writer;

static void log_print(const char *file, int line, int level, apr_status_t rv,
                      void *baton, const char *msg);

/* The glue's statements, each table kept in the file that runs it; the
 * list is the module's (mod_bekymring.c), so that this file, which every
 * feature calls, calls none of them back. */
static const bkm_sql_t *const *glue_sql;

int bkm_db_pre_config(apr_pool_t *pconf, const bkm_sql_t *const *glue)
{
    glue_sql = glue;
    /* The core logs through the glue (bkm_log.h). */
    bkm_log_set(log_print);
    return ap_mutex_register(pconf, BKM_SQLITE_MUTEX, NULL, APR_LOCK_DEFAULT,
                             0)
                   == APR_SUCCESS
               ? OK
               : HTTP_INTERNAL_SERVER_ERROR;
}

void bkm_db_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    if (!bkm_sqlite_writer) {
        return;
    }
    rv = apr_global_mutex_child_init(
        &bkm_sqlite_writer, apr_global_mutex_lockfile(bkm_sqlite_writer), p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     BKMLOGNO(00113) "cannot attach to the %s mutex",
                     BKM_SQLITE_MUTEX);
        bkm_sqlite_writer = NULL;
    }
}

/* Every statement a connection has: the core's tables, then the glue's
 * (filled in post_config, before the children are made). */
static const bkm_sql_t *all_sql[64];

static void collect_sql(void)
{
    int i, n = 0;

    for (i = 0; bkm_core_sql[i]; i++) {
        all_sql[n++] = bkm_core_sql[i];
    }
    for (i = 0; glue_sql && glue_sql[i]; i++) {
        all_sql[n++] = glue_sql[i];
    }
    all_sql[n] = NULL;
}

/* The core's log lines (bkm_log.h), with the baton of the handle that
 * logs: in the request's context when there is one. */
typedef struct {
    server_rec *s;
    request_rec *r;
    ap_dbd_t *dbd;
    int opened; /* from bkm_db_open: bkm_db_close returns it */
} bkm_dbctx_t;

static void log_print(const char *file, int line, int level, apr_status_t rv,
                      void *baton, const char *msg)
{
    const bkm_dbctx_t *c = baton;

    if (c && c->r) {
        ap_log_rerror(file, line, APLOG_MODULE_INDEX, level, rv, c->r, "%s",
                      msg);
    }
    else {
        ap_log_error(file, line, APLOG_MODULE_INDEX, level, rv,
                     c ? c->s : NULL, "%s", msg);
    }
}

void *bkm_log_baton(apr_pool_t *p, server_rec *s, request_rec *r)
{
    bkm_dbctx_t *c = apr_pcalloc(p, sizeof(*c));

    c->s = s;
    c->r = r;
    return c;
}

server_rec *bkm_db_server(const bkm_db_t *db)
{
    return ((const bkm_dbctx_t *)db->log)->s;
}

request_rec *bkm_db_request(const bkm_db_t *db)
{
    return ((const bkm_dbctx_t *)db->log)->r;
}

void bkm_db_set_request(bkm_db_t *db, request_rec *r)
{
    ((bkm_dbctx_t *)db->log)->r = r;
    db->log_request = r != NULL;
}

static bkm_db_t *wrap(apr_pool_t *p, server_rec *s, request_rec *r,
                      ap_dbd_t *dbd)
{
    bkm_dbctx_t *c;
    bkm_db_t *db;

    if (!dbd) {
        return NULL;
    }
    bkm_wal_connection(dbd);
    c = bkm_log_baton(p, s, r);
    c->dbd = dbd;
    db = bkm_db_make(p, dbd->driver, dbd->handle, dbd->prepared, dbd->pool,
                     all_sql, c);
    db->writer = bkm_sqlite_writer;
    db->log_request = r != NULL;
    /* Writes only at the schema this code knows (bkm_db_schema_check). */
    db->schema = bkm_migrations_latest(bkm_migrations);
    return db;
}

/* ---- the durability settings, read back (issue 17, item 3) -------------
 * What the database says of the connection a request got (after
 * DBDInitSQL), once per process at info: `make bench` prints it beside its
 * figures, so that no figure is read without the durability it had. */
static apr_uint32_t settings_logged;

static const char *setting_of(apr_pool_t *p, const apr_dbd_driver_t *drv,
                              apr_dbd_t *handle, const char *sql)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v = NULL;

    /* Random access: the whole (one-row) result is read at once, so no
     * pending result is left on the connection. */
    if (apr_dbd_select(drv, p, handle, &res, sql, 1) == 0
        && apr_dbd_get_row(drv, p, res, &row, 1) == 0) {
        v = apr_dbd_get_entry(drv, row, 0);
    }
    return v ? apr_pstrdup(p, v) : "?";
}

/* What each engine is asked (SHOW name, or PRAGMA name). */
static const char *const pg_settings[] = { "fsync", "synchronous_commit",
                                           NULL };
static const char *const sqlite_settings[] = { "synchronous", "journal_mode",
                                               "wal_autocheckpoint", NULL };

static void log_settings(request_rec *r, ap_dbd_t *dbd)
{
    const char *const *names;
    const char *what = "";
    int i, pg;

    if (!dbd || !APLOG_R_IS_LEVEL(r, APLOG_INFO)
        || apr_atomic_cas32(&settings_logged, 1, 0) != 0) {
        return;
    }
    pg = strcmp(apr_dbd_name(dbd->driver), "pgsql") == 0;
    names = pg ? pg_settings : sqlite_settings;
    for (i = 0; names[i]; i++) {
        const char *sql = apr_pstrcat(r->pool, pg ? "SHOW " : "PRAGMA ",
                                      names[i], NULL);

        what = apr_pstrcat(r->pool, what, *what ? " " : "", names[i], "=",
                           setting_of(r->pool, dbd->driver, dbd->handle, sql),
                           NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  BKMLOGNO(07380) "%s database settings of this process's "
                  "connections, read back: %s",
                  apr_dbd_name(dbd->driver), what);
}

bkm_db_t *bkm_db_acquire(request_rec *r)
{
    bkm_db_t *db = ap_get_module_config(r->request_config, &bekymring_module);

    /* mod_dbd keeps one connection per request; so do we, one wrapper. */
    if (!db && bkm_dbd_acquire) {
        ap_dbd_t *dbd = bkm_dbd_acquire(r);

        db = wrap(r->pool, r->server, r, dbd);
        log_settings(r, dbd); /* after wrap: the checkpointer's settings */
        ap_set_module_config(r->request_config, &bekymring_module, db);
    }
    return db;
}

bkm_db_t *bkm_db_open(server_rec *s, apr_pool_t *p)
{
    bkm_db_t *db = bkm_dbd_open ? wrap(p, s, NULL, bkm_dbd_open(p, s)) : NULL;
    if (db) {
        ((bkm_dbctx_t *)db->log)->opened = 1;
    }
    return db;
}

void bkm_db_close(bkm_db_t *db)
{
    bkm_dbctx_t *c = db ? db->log : NULL;

    if (c && c->opened && bkm_dbd_close) {
        bkm_dbd_close(c->s, c->dbd);
        c->opened = 0;
    }
}

/* ---- safe upgrades (README "Upgrades") ---------------------------------
 * A write of a node whose code is older than the database's schema (a newer
 * node migrated it) would be of the wrong shape, and one of a node newer
 * than the schema (BekymringMigrate Off, the migration not yet run) too:
 * such a node refuses every write with 503 and says why.  The core refuses
 * each transaction and each statement outside one (bkm_db_schema_check); the
 * route table asks here first, so that machine clients get a JSON answer
 * that names the cause. */
int bkm_db_outdated(request_rec *r, int *found, int *expected)
{
    bkm_db_t *db = bkm_db_acquire(r);

    *expected = bkm_migrations_latest(bkm_migrations);
    *found = -1;
    if (!db || bkm_db_schema_check(db) != APR_EMISMATCH) {
        return 0; /* a database that does not answer is the handler's */
    }
    *found = db->schema_found;
    return 1;
}

typedef struct {
    const char *driver;
    const char *params;
} bkm_dbconf_t;

/* DBDriver/DBDParams directly inside one section of the tree (IfDefine,
 * IfModule and Include are already inlined when post_config runs). */
static void dbconf_of(apr_pool_t *p, const ap_directive_t *d,
                      bkm_dbconf_t *out)
{
    for (; d; d = d->next) {
        const char *args = d->args;
        if (strcasecmp(d->directive, "DBDriver") == 0) {
            out->driver = ap_getword_conf(p, &args);
        }
        else if (strcasecmp(d->directive, "DBDParams") == 0) {
            out->params = ap_getword_conf(p, &args);
        }
    }
}

static void dbconf_of_server(apr_pool_t *p, server_rec *s, bkm_dbconf_t *out)
{
    const ap_directive_t *d;

    memset(out, 0, sizeof(*out));
    dbconf_of(p, ap_conftree, out);
    if (!s->is_virtual) {
        return;
    }
    for (d = ap_conftree; d; d = d->next) {
        if (strcasecmp(d->directive, "<VirtualHost") == 0
            && d->line_num == (int)s->defn_line_number && s->defn_name
            && strcmp(d->filename, s->defn_name) == 0) {
            bkm_dbconf_t v = { NULL, NULL };
            dbconf_of(p, d->first_child, &v);
            if (v.driver) {
                out->driver = v.driver;
            }
            if (v.params) {
                out->params = v.params;
            }
            return;
        }
    }
}

/* SQLite keeps its journal beside the file, so httpd's User needs the
 * directory, not only the file (RECIPES pitfall 1): as root, hand the files
 * we made to the User, and say so plainly when the directory is not theirs.
 * The files hold ciphertext and metadata that are nobody else's business:
 * never readable by every user (SQLite gives the -wal and -shm files the
 * database file's mode). */
static void sqlite_ownership(apr_pool_t *p, server_rec *s, const char *file)
{
    static const char *const suffixes[] = { "", "-wal", "-shm", NULL };
    char *dir = apr_pstrdup(p, file), *slash = strrchr(dir, '/');
    struct stat st;
    int i;

    for (i = 0; suffixes[i]; i++) {
        const char *f = apr_pstrcat(p, file, suffixes[i], NULL);
        if (stat(f, &st) == 0 && (st.st_mode & (S_IRWXO | S_IWGRP))
            && chmod(f, st.st_mode & 0740) != 0) {
            ap_log_error(
                APLOG_MARK, APLOG_ERR, errno, s,
                BKMLOGNO(00114) "cannot make %s unreadable to other users",
                f);
        }
    }
    if (geteuid() != 0) {
        return;
    }
    for (i = 0; suffixes[i]; i++) {
        const char *f = apr_pstrcat(p, file, suffixes[i], NULL);
        if (stat(f, &st) == 0
            && chown(f, ap_unixd_config.user_id, ap_unixd_config.group_id)
                   != 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, errno, s,
                         BKMLOGNO(00101) "cannot give %s to httpd's User", f);
        }
    }
    if (slash) {
        *slash = '\0';
        if (stat(*dir ? dir : "/", &st) == 0
            && st.st_uid != ap_unixd_config.user_id && !(st.st_mode & S_IWOTH)
            && !(st.st_gid == ap_unixd_config.group_id
                 && (st.st_mode & S_IWGRP))) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BKMLOGNO(00102)
                         "the directory %s of the SQLite database is not "
                         "writable by httpd's User %s: writes will fail "
                         "(SQLite keeps its journal beside the file)",
                         dir, ap_unixd_config.user_name);
        }
    }
}

static void migrate_one(apr_pool_t *ptemp, server_rec *s,
                        const bkm_dbconf_t *dc, int migrate)
{
    const apr_dbd_driver_t *drv = NULL;
    apr_dbd_t *db = NULL;
    const char *err = NULL;
    int rv, version = 0, nrows;
    int sqlite = strcmp(dc->driver, "sqlite3") == 0;

    if ((rv = apr_dbd_get_driver(ptemp, dc->driver, &drv)) != APR_SUCCESS) {
        ap_log_error(
            APLOG_MARK, APLOG_CRIT, rv, s,
            BKMLOGNO(00103) "no APR DBD driver %s: schema not migrated",
            dc->driver);
        return;
    }
    if (sqlite && dc->params[0] != '/') {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BKMLOGNO(00104)
                     "DBDParams %s is not an absolute path: SQLite resolves "
                     "it from httpd's working directory, /", dc->params);
    }
    rv = apr_dbd_open_ex(drv, ptemp, dc->params, &db, &err);
    if (rv != APR_SUCCESS) {
        /* err may repeat the connection string (with a password): log the
         * driver name only. */
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, BKMLOGNO(00105)
                     "cannot open the %s database to migrate its schema; "
                     "/helse will answer 503 until a restart succeeds",
                     dc->driver);
        return;
    }
    if (sqlite) {
        /* WAL once, here: it is persistent in the file, and as DBDInitSQL
         * the children race for it at start-up (RECIPES pitfall 4). */
        apr_dbd_query(drv, db, &nrows, "PRAGMA journal_mode=WAL");
    }
    /* BekymringMigrate Off: the schema is the operator's separate step
     * (bekymring-migrate), for rolling upgrades; only read its version. */
    err = migrate ? bkm_migrate(ptemp, drv, db, bkm_migrations, &version)
                  : bkm_schema_version(ptemp, drv, db, &version);
    apr_dbd_close(drv, db);
    if (sqlite) {
        sqlite_ownership(ptemp, s, dc->params);
    }
    if (err) {
        ap_log_error(
            APLOG_MARK, APLOG_CRIT, 0, s,
            BKMLOGNO(00106) "%s database: %s; /helse will answer 503",
            dc->driver, err);
        return;
    }
    if (version != bkm_migrations_latest(bkm_migrations)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, BKMLOGNO(06602)
                     "%s database at schema version %d, this module's is "
                     "%d: every write is refused with 503 and /helse "
                     "answers 503 until %s (README \"Upgrades\")",
                     dc->driver, version,
                     bkm_migrations_latest(bkm_migrations),
                     version > bkm_migrations_latest(bkm_migrations)
                         ? "this node runs the newer module"
                         : "bekymring-migrate has run");
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 BKMLOGNO(00107) "%s database at schema version %d",
                 dc->driver, version);
}

const char *bkm_db_identity(apr_pool_t *p, server_rec *s)
{
    bkm_dbconf_t dc;

    dbconf_of_server(p, s, &dc);
    return dc.driver && dc.params
               ? apr_pstrcat(p, dc.driver, "\n", dc.params, NULL)
               : NULL;
}

/* Our statements, once for each mod_dbd configuration of a portal server.
 * mod_dbd keeps them per server record, and a virtual host that sets none
 * of its directives shares the main server's record: prepared for both,
 * the same labels met twice and logged AH02653 "conflicting SQL
 * statements" (53 times a graceful in a farm).  Servers that are not the
 * portal are never given them. */
static void prepare_once(apr_hash_t *done, server_rec *sp)
{
    module *dbd = ap_find_linked_module("mod_dbd.c");
    const char *key;
    int i, j;

    key = apr_psprintf(apr_hash_pool_get(done), "%pp",
                       dbd ? ap_get_module_config(sp->module_config, dbd)
                           : (void *)sp);
    if (apr_hash_get(done, key, APR_HASH_KEY_STRING)) {
        return;
    }
    apr_hash_set(done, key, APR_HASH_KEY_STRING, key);
    for (i = 0; all_sql[i]; i++) {
        const bkm_sql_t *t = all_sql[i];
        for (j = 0; t[j].label; j++) {
            bkm_dbd_prepare(sp, t[j].sql, t[j].label);
        }
    }
}

int bkm_db_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    apr_hash_t *done = apr_hash_make(ptemp);
    apr_hash_t *prepared = apr_hash_make(ptemp);
    apr_status_t rv;
    server_rec *sp;

    /* mod_dbd registers these when it is loaded; the optional_fn_retrieve
     * hook would run too late for post_config. */
    bkm_dbd_prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    bkm_dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    bkm_dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    bkm_dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    collect_sql();
    bkm_wal_register(pconf, s, NULL, NULL);

    for (sp = s; sp; sp = sp->next) {
        bkm_dbconf_t dc;
        const char *key;

        if (!bkm_cfg_portal(sp) || !bkm_srv_cfg(sp)->registry) {
            continue;
        }
        if (!bkm_dbd_prepare) {
            ap_log_error(
                APLOG_MARK, APLOG_CRIT, 0, sp,
                BKMLOGNO(00108) "mod_dbd is not "
                                "loaded: mod_bekymring needs it");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        prepare_once(prepared, sp);
        dbconf_of_server(ptemp, sp, &dc);
        if (!dc.driver || !dc.params) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sp, BKMLOGNO(00109)
                         "%s is set but DBDriver/DBDParams are not: "
                         "mod_bekymring has no database", BKM_DIR_REGISTRY);
            continue;
        }
        bkm_srv_cfg(sp)->db_driver = apr_pstrdup(pconf, dc.driver);
        key = apr_pstrcat(ptemp, dc.driver, "\n", dc.params, NULL);
        if (!apr_hash_get(done, key, APR_HASH_KEY_STRING)) {
            apr_hash_set(done, key, APR_HASH_KEY_STRING, key);
            migrate_one(ptemp, sp, &dc, bkm_srv_cfg(sp)->migrate != 0);
            /* SQLite's log is checkpointed off the request path (wal.c). */
            if (strcmp(dc.driver, "sqlite3") == 0
                && bkm_wal_register(pconf, sp, dc.params, &bkm_sqlite_writer)
                       != OK) {
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }
    rv = ap_global_mutex_create(&bkm_sqlite_writer, NULL, BKM_SQLITE_MUTEX,
                                NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     BKMLOGNO(00112) "cannot create the %s mutex",
                     BKM_SQLITE_MUTEX);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}
