/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reminders before letter post (issue 16, item 6): the mail.  The core
 * decides which reports are due and claims each once
 * (bkm_paminnelse.c); this file writes the reminder and hands it to the
 * system's sendmail interface, as cron and other Apache modules do.
 *
 * The mail names the reference, the municipality and district, the
 * deadline and the administration's page of the report -- never the
 * report's content or anyone's national id number (the server could not
 * read the content anyway).  It goes to the district's kontaktEpost only,
 * the one recipient, in the To: header that `sendmail -t` reads; the
 * registry refuses an address that could carry a second one or break the
 * header.  The command runs without a shell, from the argument vector
 * split at configuration time (BekymringSendmail), and gets the mail on
 * its standard input.
 */
#include "mod_bekymring_private.h"
#include "report/paminnelse.h"
#include "server/config.h"
#include "server/db.h"
#include "bkm_paminnelse.h"
#include "bkm_time.h"

#include <signal.h>
#include <apr_base64.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

/** How long sendmail may take before it is killed (the pass goes on). */
#define BKM_SENDMAIL_TIMEOUT apr_time_from_sec(30)

typedef struct {
    server_rec *s;
    const char *const *argv;
} sender_t;

/* RFC 2047: the subject has a non-ASCII letter. */
static const char *subject(apr_pool_t *p, const char *text)
{
    int len = (int)strlen(text);
    char *b64 = apr_palloc(p, apr_base64_encode_len(len));

    apr_base64_encode(b64, text, len);
    return apr_pstrcat(p, "=?UTF-8?B?", b64, "?=", NULL);
}

/* The administration's address of the server: its ServerName, https when
 * BekymringHttps On. */
static const char *base_url(apr_pool_t *p, server_rec *s)
{
    int https = bkm_srv_cfg(s)->https == 1;
    int port = s->port;

    if (!port || port == (https ? 443 : 80)) {
        return apr_pstrcat(p, https ? "https://" : "http://",
                           s->server_hostname, NULL);
    }
    return apr_psprintf(p, "%s://%s:%d", https ? "https" : "http",
                        s->server_hostname, port);
}

static const char *message(apr_pool_t *p, server_rec *s,
                           const bkm_paminnelse_t *m)
{
    const bkm_bydel_t *b = m->bydel;
    apr_time_exp_t x;
    const char *frist, *hvor;

    bkm_time_oslo(&x, m->frist);
    frist = apr_psprintf(p, "%02d.%02d.%04d kl. %02d:%02d", x.tm_mday,
                         x.tm_mon + 1, x.tm_year + 1900, x.tm_hour, x.tm_min);
    hvor = strcmp(b->nummer, "00") == 0
               ? apr_psprintf(p, "%s kommune (%s)", b->kommune->navn,
                              b->kommune->nummer)
               : apr_psprintf(p, "%s kommune (%s), bydel %s (%s)",
                              b->kommune->navn, b->kommune->nummer, b->navn,
                              b->nummer);
    return apr_pstrcat(
        p, "To: ", b->kontakt_epost,
        "\n"
        "Subject: ",
        subject(p, apr_pstrcat(p,
                               "Påminnelse: "
                               "bekymringsmelding ",
                               m->referanse, NULL)),
        "\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "Auto-Submitted: auto-generated\n"
        "\n"
        "En bekymringsmelding til ",
        hvor,
        " er ennå ikke bekreftet "
        "mottatt.\n"
        "\n"
        "Referanse: ",
        m->referanse,
        "\n"
        "Frist: ",
        frist,
        " (norsk tid)\n"
        "\n"
        "Blir den ikke bekreftet mottatt innen fristen, sendes den som "
        "brevpost\n"
        "til bydelens postadresse.\n"
        "\n"
        "Se meldingen i forvaltningen:\n",
        base_url(p, s), "/kommune/", b->kommune->nummer, "/melding/",
        m->melding_id,
        "\n"
        "\n"
        "Denne e-posten inneholder ikke innholdet i meldingen.  Den er "
        "sendt\n"
        "automatisk og kan ikke besvares.\n",
        NULL);
}

/* Run the command with the mail on its standard input; wait for it, at
 * most BKM_SENDMAIL_TIMEOUT. */
static apr_status_t sendmail(void *baton, const bkm_paminnelse_t *m,
                             apr_pool_t *pool)
{
    sender_t *snd = baton;
    static const char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                       NULL };
    const char *mail = message(pool, snd->s, m);
    apr_procattr_t *attr;
    apr_proc_t proc;
    apr_exit_why_e why;
    apr_time_t until;
    apr_status_t rv;
    int code = 0;

    if ((rv = apr_procattr_create(&attr, pool))
        || (rv = apr_procattr_io_set(attr, APR_FULL_BLOCK, APR_NO_PIPE,
                                     APR_NO_PIPE))
        || (rv = apr_procattr_cmdtype_set(attr, APR_PROGRAM))
        || (rv = apr_procattr_error_check_set(attr, 1))
        || (rv = apr_proc_create(&proc, snd->argv[0], snd->argv, env, attr,
                                 pool))) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, snd->s,
                     BKMLOGNO(05402) "reminder for report %s: cannot run %s",
                     m->melding_id, snd->argv[0]);
        return rv ? rv : APR_EGENERAL;
    }
    rv = apr_file_write_full(proc.in, mail, strlen(mail), NULL);
    apr_file_close(proc.in);
    until = apr_time_now() + BKM_SENDMAIL_TIMEOUT;
    while (apr_proc_wait(&proc, &code, &why, APR_NOWAIT)
           == APR_CHILD_NOTDONE) {
        if (apr_time_now() > until) {
            apr_proc_kill(&proc, SIGKILL);
            apr_proc_wait(&proc, &code, &why, APR_WAIT);
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, snd->s, BKMLOGNO(05403)
                         "reminder for report %s: %s took longer than %d "
                         "seconds and was stopped", m->melding_id,
                         snd->argv[0],
                         (int)apr_time_sec(BKM_SENDMAIL_TIMEOUT));
            return APR_TIMEUP;
        }
        apr_sleep(apr_time_from_msec(10));
    }
    if (rv != APR_SUCCESS || why != APR_PROC_EXIT || code != 0) {
        ap_log_error(
            APLOG_MARK, APLOG_ERR, rv, snd->s,
            BKMLOGNO(05404) "reminder for report %s: %s failed (%s %d)",
            m->melding_id, snd->argv[0],
            why == APR_PROC_EXIT ? "exit status" : "signal", code);
        return rv ? rv : APR_EGENERAL;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, snd->s,
                 BKMLOGNO(05405) "reminder for report %s handed to %s",
                 m->melding_id, snd->argv[0]);
    return APR_SUCCESS;
}

apr_status_t bkm_paminnelse_step(bkm_db_t *db, apr_time_t now,
                                 bkm_pass_t *out, void *baton)
{
    server_rec *s = bkm_db_server(db);
    const bkm_srv_cfg_t *c = bkm_srv_cfg(s);
    bkm_levering_policy_t delivery;
    bkm_paminnelse_policy_t pol;
    sender_t snd;

    bkm_cfg_delivery(s, &delivery);
    snd.s = s;
    snd.argv = bkm_cfg_sendmail(db->pool, c);
    memset(&pol, 0, sizeof(pol));
    pol.registry = c->registry;
    pol.delivery = &delivery;
    pol.prosent = bkm_cfg_reminder_at(c);
    pol.select_limit = BKM_PASS_SELECT;
    pol.send = sendmail;
    pol.baton = &snd;
    pol.log = bkm_log_baton(db->pool, s, NULL);
    return bkm_paminnelse_run(db, &pol, now, &out->paminnelser,
                              &out->paminnelse_feilet);
}
