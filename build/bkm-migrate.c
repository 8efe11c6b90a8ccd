/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bkm-migrate (installed as /usr/sbin/bekymring-migrate): the schema's
 * migrations as a step of their own, for rolling upgrades (issue 15, item
 * 7; README "Upgrades"), with the same migrations the module runs at
 * start-up (schema/sql, embedded) and the same core code (bkm_migrate.h):
 *
 *   bekymring-migrate [--check] sqlite3|pgsql DBDPARAMS
 *   bekymring-migrate [--check] [--config FILE]
 *
 * The second form reads DBDriver and DBDParams from an Apache
 * configuration file (default /etc/mod_bekymring/database.conf, the
 * package's; only that file, no Include, no ${VAR}), so that a password
 * stays in one file and out of the process list.
 *
 * --check only reads: exit 0 when the database is at this build's version,
 * 1 when it is behind (run without --check), 3 when it is ahead (this
 * build is older than the schema: upgrade it).  Without --check it
 * migrates, and exits 0 at this build's version, 1 when a migration failed,
 * 3 when the database is already ahead.  2: usage, or no database.
 * A new SQLite file is given the owner of its directory (the package's
 * /var/lib/mod_bekymring is www-data's) and mode 0640.
 */
#include "bkm_migrate.h"

#include <stdio.h>
#include <string.h>
#include <ctype.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_dbd.h>

#define DEFAULT_CONFIG "/etc/mod_bekymring/database.conf"

/* The argument of @p name on a line of the file (first one wins), with
 * Apache's double quotes and backslash escapes undone. */
static const char *directive(apr_pool_t *p, const char *line,
                             const char *name)
{
    size_t n = strlen(name);
    char *out, *o;

    while (isspace((unsigned char)*line)) {
        line++;
    }
    if (strncasecmp(line, name, n) != 0
        || !isspace((unsigned char)line[n])) {
        return NULL;
    }
    line += n;
    while (isspace((unsigned char)*line)) {
        line++;
    }
    out = o = apr_pstrdup(p, line);
    if (*line == '"') {
        for (line++; *line && *line != '"'; line++) {
            if (*line == '\\' && line[1]) {
                line++;
            }
            *o++ = *line;
        }
        *o = '\0';
        return out;
    }
    while (*o && !isspace((unsigned char)*o)) {
        o++;
    }
    *o = '\0';
    return out;
}

static int read_config(apr_pool_t *p, const char *file, const char **driver,
                       const char **params)
{
    char line[8192];
    FILE *f = fopen(file, "r");

    if (!f) {
        fprintf(stderr, "bekymring-migrate: %s: %s\n", file,
                strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        const char *v;
        if (!*driver && (v = directive(p, line, "DBDriver"))) {
            *driver = v;
        }
        else if (!*params && (v = directive(p, line, "DBDParams"))) {
            *params = v;
        }
    }
    fclose(f);
    if (!*driver || !*params) {
        fprintf(stderr,
                "bekymring-migrate: %s has no DBDriver and DBDParams\n",
                file);
        return -1;
    }
    return 0;
}

/* A SQLite file made here belongs to whoever owns its directory. */
static void sqlite_owner(apr_pool_t *p, const char *file)
{
    static const char *const suffixes[] = { "", "-wal", "-shm", NULL };
    char *dir = apr_pstrdup(p, file), *slash = strrchr(dir, '/');
    struct stat d;
    int i;

    if (!slash) {
        return;
    }
    *slash = '\0';
    if (stat(*dir ? dir : "/", &d) != 0) {
        return;
    }
    for (i = 0; suffixes[i]; i++) {
        const char *f = apr_pstrcat(p, file, suffixes[i], NULL);
        struct stat st;
        if (stat(f, &st) != 0) {
            continue;
        }
        if (geteuid() == 0 && chown(f, d.st_uid, d.st_gid) != 0) {
            fprintf(stderr, "bekymring-migrate: chown %s: %s\n", f,
                    strerror(errno));
        }
        if ((st.st_mode & 0777 & ~0640) && chmod(f, st.st_mode & 0640) != 0) {
            fprintf(stderr, "bekymring-migrate: chmod %s: %s\n", f,
                    strerror(errno));
        }
    }
}

int main(int argc, const char *const *argv)
{
    const apr_dbd_driver_t *drv = NULL;
    apr_dbd_t *db = NULL;
    const char *err = NULL, *driver = NULL, *params = NULL;
    const char *config = NULL;
    int check = 0, i, version = 0, latest, nrows, fresh = 0, rv;
    struct stat st;
    apr_pool_t *p;

    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&p, NULL);
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (strcmp(argv[i], "--check") == 0) {
            check = 1;
        }
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        }
        else {
            break;
        }
    }
    if (argc - i == 2 && !config) {
        driver = argv[i];
        params = argv[i + 1];
    }
    else if (argc - i == 0) {
        if (read_config(p, config ? config : DEFAULT_CONFIG, &driver,
                        &params)) {
            return 2;
        }
    }
    else {
        fprintf(stderr,
                "usage: %s [--check] sqlite3|pgsql DBDPARAMS\n"
                "       %s [--check] [--config FILE]   (default %s)\n",
                argv[0], argv[0], DEFAULT_CONFIG);
        return 2;
    }
    latest = bkm_migrations_latest(bkm_migrations);
    apr_dbd_init(p);
    if (strcmp(driver, "sqlite3") == 0) {
        if (params[0] != '/') {
            fprintf(stderr, "bekymring-migrate: a SQLite database is named "
                            "by its absolute path\n");
            return 2;
        }
        fresh = stat(params, &st) != 0;
        if (fresh && check) {
            printf("schema version 0, this build's %d: migrate\n", latest);
            return 1;
        }
    }
    if (apr_dbd_get_driver(p, driver, &drv)
        || apr_dbd_open_ex(drv, p, params, &db, &err)) {
        /* err may repeat the parameters (a password): not printed. */
        fprintf(stderr, "bekymring-migrate: cannot open the %s database\n",
                driver);
        return 2;
    }
    bkm_schema_version(p, drv, db, &version);
    if (version > latest) {
        printf("schema version %d, this build's %d: the database is ahead; "
               "upgrade this node\n",
               version, latest);
        apr_dbd_close(drv, db);
        return 3;
    }
    if (check) {
        printf("schema version %d, this build's %d%s\n", version, latest,
               version < latest ? ": migrate" : "");
        apr_dbd_close(drv, db);
        return version < latest ? 1 : 0;
    }
    if (strcmp(driver, "sqlite3") == 0) {
        apr_dbd_query(drv, db, &nrows, "PRAGMA journal_mode=WAL");
    }
    err = bkm_migrate(p, drv, db, bkm_migrations, &version);
    apr_dbd_close(drv, db);
    if (strcmp(driver, "sqlite3") == 0) {
        sqlite_owner(p, params);
    }
    rv = err ? 1 : 0;
    if (err) {
        fprintf(stderr, "bekymring-migrate: %s\n", err);
    }
    printf("schema version %d, this build's %d\n", version, latest);
    (void)fresh;
    return rv;
}
