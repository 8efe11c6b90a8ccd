/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secret files (issue 15, item 2; README "Secret files").  Following the
 * README of old, the role key, idporten.conf (client secret, crypto
 * passphrase) and the database's password were 0644: readable by every
 * user of the machine.  httpd reads its configuration as root, so these
 * files need no more than root:www-data 0640 (0600 root works too), and the
 * module refuses to start while one is readable beyond that: a file whose
 * owner is not root or httpd's User, whose group may write it, whose group
 * is neither root's nor httpd's Group and may read it, or that others may
 * read.  Refused rather than warned about: a warning in a start-up log is
 * read by nobody, and `apache2ctl configtest` (which Debian's graceful runs
 * first) names the file, so a running server keeps running.
 *
 * What holds a secret, in the portal's own servers only (a <VirtualHost>
 * or the main server with a Bekymring directive of its own; a farm's
 * other sites are not ours to refuse):
 *   - the files these directives name: BekymringSecretKey,
 *     BekymringRoleKey, BekymringRoles (national id numbers), the key of
 *     BekymringPortalCertificate, OIDCPrivateKeyFiles;
 *   - the file in which these directives are written, with their value:
 *     OIDCClientSecret, OIDCCryptoPassphrase, OIDCRedisCachePassword, and
 *     DBDParams with a password.  A value taken from the environment
 *     (${VAR} on its line, as the development tree does) is not in the
 *     file;
 *   - the files DBDParams names with passfile= (libpq's password file,
 *     which must be httpd's User's, 0600: libpq ignores it otherwise) and
 *     sslkey= (a client certificate's key).
 */
#include "mod_bekymring_private.h"
#include "server/secrets.h"

#include <http_config.h>
#include <unixd.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_lib.h>

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directives whose value is a secret, written in a file. */
static const char *const secret_values[] = { "OIDCClientSecret",
                                             "OIDCCryptoPassphrase",
                                             "OIDCRedisCachePassword", NULL };

/* Why @p path is readable beyond root and httpd's User and Group, or
 * NULL when it is not (or is not there: its reader says so). */
static const char *too_open(apr_pool_t *p, const char *path)
{
    struct stat st;
    uid_t user = ap_unixd_config.user_id;
    gid_t group = ap_unixd_config.group_id;

    if (stat(path, &st) != 0) {
        return NULL;
    }
    if (st.st_mode & S_IRWXO) {
        return apr_psprintf(p, "mode %04o: other users may read it",
                            (unsigned)(st.st_mode & 07777));
    }
    if (st.st_mode & S_IWGRP) {
        return apr_psprintf(p, "mode %04o: its group may write it",
                            (unsigned)(st.st_mode & 07777));
    }
    if ((st.st_mode & S_IRGRP) && st.st_gid != 0 && st.st_gid != group
        && st.st_gid != getegid()) {
        return apr_psprintf(p,
                            "group %ld may read it, neither root's nor "
                            "httpd's Group",
                            (long)st.st_gid);
    }
    if (st.st_uid != 0 && st.st_uid != user && st.st_uid != geteuid()) {
        return apr_psprintf(p,
                            "owned by uid %ld, neither root nor httpd's "
                            "User",
                            (long)st.st_uid);
    }
    return NULL;
}

/* The text of line @p n of @p file (1-based), or "" */
static const char *line_of(apr_pool_t *p, const char *file, int n)
{
    apr_file_t *f;
    char buf[8192];
    int i = 0;

    if (!file || apr_file_open(&f, file, APR_READ, 0, p) != APR_SUCCESS) {
        return "";
    }
    while (apr_file_gets(buf, sizeof(buf), f) == APR_SUCCESS) {
        if (++i == n) {
            apr_file_close(f);
            return apr_pstrdup(p, buf);
        }
    }
    apr_file_close(f);
    return "";
}

static int refuse_how(apr_pool_t *p, server_rec *s, const ap_directive_t *d,
                      const char *what, const char *path, const char *why,
                      const char *how)
{
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                 BKMLOGNO(06603) "%s (%s, line %d of %s) holds a secret but "
                                 "%s %s: %s it (README \"Secret files\")",
                 path, d->directive, d->line_num, d->filename, what, why,
                 how);
    return 1;
}

static int refuse(apr_pool_t *p, server_rec *s, const ap_directive_t *d,
                  const char *what, const char *path, const char *why)
{
    return refuse_how(p, s, d, what, path, why,
                      "chown root:www-data and chmod 0640");
}

/* libpq's password file (DBDParams passfile=): libpq ignores it when its
 * group or others may access it (the connection then fails for want of a
 * password, at run time), and httpd's children read it as httpd's User.
 * So it must be the User's (root's only where httpd does not change
 * user), mode 0600.  Why not, or NULL. */
static const char *passfile_wrong(apr_pool_t *p, const char *path)
{
    struct stat st;
    uid_t user = geteuid() == 0 ? ap_unixd_config.user_id : geteuid();

    if (stat(path, &st) != 0) {
        return NULL; /* libpq says so when it connects */
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        return apr_psprintf(p,
                            "mode %04o: its group or other users may "
                            "access it (and libpq ignores it then)",
                            (unsigned)(st.st_mode & 07777));
    }
    if (st.st_uid != user) {
        return apr_psprintf(p,
                            "owned by uid %ld, not httpd's User (uid %ld), "
                            "whose processes connect",
                            (long)st.st_uid, (long)user);
    }
    return NULL;
}

/* DBDParams' files with secrets (libpq's connection string: key=value,
 * a value in single quotes with backslash escapes): passfile (the
 * password) and sslkey (the client certificate's key).  The number
 * refused. */
static int check_dbdparams_files(apr_pool_t *p, server_rec *s,
                                 const ap_directive_t *d)
{
    const char *args = d->args, *c, *why;
    char *key, *val, *v;
    int bad = 0;

    c = ap_getword_conf(p, &args); /* httpd's quoting */
    while (*c) {
        const char *k0;
        while (apr_isspace(*c)) {
            c++;
        }
        k0 = c;
        while (*c && *c != '=' && !apr_isspace(*c)) {
            c++;
        }
        key = apr_pstrmemdup(p, k0, c - k0);
        while (apr_isspace(*c)) {
            c++;
        }
        if (*c != '=') {
            break; /* not a key=value string (e.g. a SQLite path) */
        }
        c++;
        while (apr_isspace(*c)) {
            c++;
        }
        val = v = apr_palloc(p, strlen(c) + 1);
        if (*c == '\'') {
            for (c++; *c && *c != '\''; c++) {
                if (*c == '\\' && c[1]) {
                    c++;
                }
                *v++ = *c;
            }
            if (*c) {
                c++;
            }
        }
        else {
            for (; *c && !apr_isspace(*c); c++) {
                if (*c == '\\' && c[1]) {
                    c++;
                }
                *v++ = *c;
            }
        }
        *v = '\0';
        if (!*val) {
            continue;
        }
        if (strcasecmp(key, "passfile") == 0
            && (why = passfile_wrong(p, val))) {
            bad += refuse_how(p, s, d, "the password file", val, why,
                              "chown www-data: and chmod 0600");
        }
        else if (strcasecmp(key, "sslkey") == 0 && (why = too_open(p, val))) {
            bad += refuse(p, s, d, "the client key", val, why);
        }
    }
    return bad;
}

/* The files that one directive puts secrets in: the number refused. */
static int check_directive(apr_pool_t *p, server_rec *s,
                           const ap_directive_t *d)
{
    const char *args = d->args, *w, *why, *path;
    int i, bad = 0;

    for (i = 0; secret_values[i]; i++) {
        if (strcasecmp(d->directive, secret_values[i]) == 0) {
            break;
        }
    }
    if (strcasecmp(d->directive, "DBDParams") == 0) {
        bad += check_dbdparams_files(p, s, d);
    }
    if (secret_values[i]
        || (strcasecmp(d->directive, "DBDParams") == 0
            && ap_strcasestr(d->args, "password="))) {
        if (d->filename && !strstr(line_of(p, d->filename, d->line_num), "${")
            && (why = too_open(p, d->filename))) {
            bad += refuse(p, s, d, "the file it is written in", d->filename,
                          why);
        }
        return bad;
    }
    if (strcasecmp(d->directive, "BekymringSecretKey") == 0
        || strcasecmp(d->directive, "BekymringRoleKey") == 0
        || strcasecmp(d->directive, "BekymringRoles") == 0
        || strcasecmp(d->directive, "BekymringPortalCertificate") == 0
        || strcasecmp(d->directive, "OIDCPrivateKeyFiles") == 0) {
        int portal = strcasecmp(d->directive, "BekymringPortalCertificate")
                     == 0;
        for (i = 0; *(w = ap_getword_conf(p, &args)); i++) {
            if (portal && i == 0) {
                continue; /* the certificate is public; its key is not */
            }
            if (strchr(w, '#')) {
                w = strchr(w, '#') + 1; /* OIDCPrivateKeyFiles kid#path */
            }
            path = ap_server_root_relative(p, w);
            if (path && (why = too_open(p, path))) {
                bad += refuse(p, s, d, "the file", path, why);
            }
        }
    }
    return bad;
}

/* Whether a section (its first child) has a Bekymring directive of its
 * own: then it is a portal server's. */
static int is_portal(const ap_directive_t *d)
{
    for (; d; d = d->next) {
        if (strncasecmp(d->directive, "Bekymring", 9) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Every directive of a portal server, its sections (Location and the
 * like) included, other virtual hosts not. */
static int check_tree(apr_pool_t *p, server_rec *s, const ap_directive_t *d,
                      int top)
{
    int bad = 0;

    for (; d; d = d->next) {
        if (strcasecmp(d->directive, "<VirtualHost") == 0) {
            if (top && is_portal(d->first_child)) {
                bad += check_tree(p, s, d->first_child, 0);
            }
            continue;
        }
        bad += check_directive(p, s, d);
        if (d->first_child) {
            bad += check_tree(p, s, d->first_child, 0);
        }
    }
    return bad;
}

int bkm_secrets_check(apr_pool_t *ptemp, server_rec *s)
{
    const ap_directive_t *d;
    int bad = 0;

    if (is_portal(ap_conftree)) {
        bad += check_tree(ptemp, s, ap_conftree, 1);
    }
    else {
        for (d = ap_conftree; d; d = d->next) {
            if (strcasecmp(d->directive, "<VirtualHost") == 0
                && is_portal(d->first_child)) {
                bad += check_tree(ptemp, s, d->first_child, 0);
            }
        }
    }
    return bad ? HTTP_INTERNAL_SERVER_ERROR : OK;
}
