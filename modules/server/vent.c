/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Waiting clients cannot starve the server (issue 15, item 6).
 *
 * A long-poll (GET .../meldinger?vent=N) holds one httpd worker for up to
 * N seconds: the event MPM cannot park a handler.  One integration that
 * opened 100 of them took every worker of a node, and /helse and the
 * producers' posts waited 40 s.  So a node counts its waiting requests:
 *
 *  - at most BekymringLongPollLimit per integration (default 4: a case
 *    system needs one per account and node to learn of a report within a
 *    second; a few more cover retries and overlapping restarts);
 *  - at most BekymringLongPollShare of MaxRequestWorkers in all (default
 *    25 %), so three quarters of the workers are always free for the
 *    pages, the producers and /helse whoever waits.
 *
 * Beyond either the answer is 429 {"errorId": "for-mange-ventende"} with
 * Retry-After: the seconds until the first of the waits in the way ends
 * (at least 1).  Asking without vent is never limited here.
 *
 * Where the count lives: a table of places in shared memory (an anonymous
 * apr_shm segment made in post_config, before the children fork, and one
 * global mutex), so every process and thread of the node counts together,
 * under any MPM.  One table for the whole httpd: the share is of the
 * server's workers, so every portal's waits count against it (with a
 * table per portal, four tenants at 25 % could hold every worker: issue
 * 15, attacked from outside; t/vent_angrep.t).  Each place names its
 * portal (servers with the same registry: a portal's http and https
 * virtual hosts are one), so an integration is counted per portal, also
 * where a staging portal beside production has a copy of its registry
 * with the same ids.  A portal's wait is let in while the server's waits
 * in all are fewer than that portal's share.  A place is given back by a
 * cleanup of the request's pool, which runs however the request ends:
 * answered, timed out, the client gone (the wait looks every second), or
 * the child stopping.  A place whose wait should have ended a minute ago
 * counts as free, and one held by a process that is gone at once, so a
 * child killed outright (SIGKILL, a crash) leaks nothing.  A graceful
 * restart makes a new table in the new generation; the old generation's
 * waits end within 30 s on the old one, so for that long a node may hold
 * up to twice its share.
 */
#include "mod_bekymring_private.h"
#include "server/config.h"
#include "server/http.h"
#include "server/vent.h"
#include "bkm_log.h"

#include <ap_mpm.h>
#include <http_protocol.h>
#include <apr_strings.h>
#include <apr_shm.h>
#include <apr_global_mutex.h>
#include <util_mutex.h>
#include <unistd.h>
#include <signal.h>
#include <errno.h>

#define BKM_VENT_MUTEX "bekymring-vent"
#define BKM_VENT_ID_MAX 64
/** A place whose wait should have ended this long ago is free. */
#define BKM_VENT_STALE apr_time_from_sec(60)

typedef struct {
    char integrasjon[BKM_VENT_ID_MAX]; /* "": free */
    apr_time_t until;                  /* when the wait ends at the latest */
    pid_t pid;                         /* for the log: who holds it */
    int portal;                        /* whose wait (bkm_vent_s.portal) */
} bkm_vent_slot_t;

struct bkm_vent_s {
    apr_shm_t *shm; /* the server's one table (every portal's the same) */
    bkm_vent_slot_t *slots;
    int size; /* its places: the largest share of any portal */
    int n;    /* this portal's share of MaxRequestWorkers */
    int portal;
    int workers;
};

static apr_global_mutex_t *vent_lock;

int bkm_vent_pre_config(apr_pool_t *pconf)
{
    return ap_mutex_register(pconf, BKM_VENT_MUTEX, NULL, APR_LOCK_DEFAULT, 0)
                   == APR_SUCCESS
               ? OK
               : HTTP_INTERNAL_SERVER_ERROR;
}

static int limit_of(const bkm_srv_cfg_t *c)
{
    return c->longpoll_limit > 0 ? c->longpoll_limit : BKM_VENT_DEFAULT_LIMIT;
}

static int share_of(const bkm_srv_cfg_t *c)
{
    return c->longpoll_share > 0 ? c->longpoll_share : BKM_VENT_DEFAULT_SHARE;
}

/* MaxRequestWorkers as the MPM has it: processes times threads (prefork
 * answers 0 threads). */
static int max_workers(void)
{
    int daemons = 0, threads = 0;

    ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &daemons);
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    return (daemons > 0 ? daemons : 1) * (threads > 0 ? threads : 1);
}

int bkm_vent_post_config(apr_pool_t *pconf, server_rec *s)
{
    int workers = max_workers(), size = 1, portals = 0;
    apr_status_t rv;
    apr_shm_t *shm = NULL;
    bkm_vent_slot_t *slots = NULL;
    server_rec *v, *w;

    /* The table's size: the largest share any portal asks for. */
    for (v = s; v; v = v->next) {
        const bkm_srv_cfg_t *c = bkm_srv_cfg(v);
        if (bkm_cfg_portal(v) && workers * share_of(c) / 100 > size) {
            size = workers * share_of(c) / 100;
        }
    }
    for (v = s; v; v = v->next) {
        bkm_srv_cfg_t *c = bkm_srv_cfg(v);
        struct bkm_vent_s *t;

        c->vent = NULL;
        if (!bkm_cfg_portal(v)) {
            continue; /* not a portal (Bekymring On) */
        }
        for (w = s; w != v; w = w->next) {
            if (bkm_srv_cfg(w)->registry == c->registry) {
                c->vent = bkm_srv_cfg(w)->vent;
                break;
            }
        }
        if (c->vent) {
            continue;
        }
        if (!shm) {
            apr_size_t bytes = (apr_size_t)size * sizeof(bkm_vent_slot_t);
            rv = apr_shm_create(&shm, bytes, NULL, pconf);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, rv, v,
                             BKMLOGNO(06700) "cannot make the long-polls' "
                                             "shared memory (%" APR_SIZE_T_FMT
                                             " bytes)",
                             bytes);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            slots = apr_shm_baseaddr_get(shm);
            memset(slots, 0, bytes);
        }
        t = apr_pcalloc(pconf, sizeof(*t));
        t->shm = shm;
        t->slots = slots;
        t->size = size;
        t->workers = workers;
        t->portal = ++portals;
        t->n = workers * share_of(c) / 100;
        if (t->n < 1) {
            t->n = 1;
        }
        c->vent = t;
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, v,
                     BKMLOGNO(06701) "long-polls: at most %d per "
                                     "integration, %d in all (%d%% of "
                                     "MaxRequestWorkers %d)",
                     limit_of(c), t->n, share_of(c), workers);
    }
    /* Each generation its own, with pconf (as the throttle's). */
    rv = ap_global_mutex_create(&vent_lock, NULL, BKM_VENT_MUTEX, NULL, s,
                                pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     BKMLOGNO(06702) "cannot create the %s mutex",
                     BKM_VENT_MUTEX);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

void bkm_vent_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    if (!vent_lock) {
        return;
    }
    rv = apr_global_mutex_child_init(&vent_lock,
                                     apr_global_mutex_lockfile(vent_lock), p);
    if (rv != APR_SUCCESS) {
        /* Then this process waits unlimited: say so loudly. */
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     BKMLOGNO(06703) "cannot attach to the %s mutex: "
                                     "long-polls are not limited in this "
                                     "process",
                     BKM_VENT_MUTEX);
        vent_lock = NULL;
    }
}

/* Free: never taken, given back, stale, or held by a process that is
 * gone (a child killed outright, or crashed, runs no cleanup: its places
 * were taken for a minute past their wait, up to 91 s in which the
 * integration got 429; issue 15, attacked from outside,
 * t/vent_angrep.t).  kill(pid, 0) fails with ESRCH only when no such
 * process exists; a reused pid keeps the place until it is stale, as
 * before. */
static int is_free(const bkm_vent_slot_t *p, apr_time_t now)
{
    return p->integrasjon[0] == '\0' || p->until + BKM_VENT_STALE < now
           || (p->pid > 0 && kill(p->pid, 0) != 0 && errno == ESRCH);
}

typedef struct {
    bkm_vent_slot_t *slot;
    apr_time_t until; /* identifies our use of the place */
} bkm_vent_held_t;

/* The request's pool is going: the place is free again (unless a stale
 * check gave it to another wait meanwhile). */
static apr_status_t release(void *data)
{
    bkm_vent_held_t *h = data;

    if (vent_lock && apr_global_mutex_lock(vent_lock) == APR_SUCCESS) {
        if (h->slot->until == h->until && h->slot->pid == getpid()) {
            memset(h->slot, 0, sizeof(*h->slot));
        }
        apr_global_mutex_unlock(vent_lock);
    }
    return APR_SUCCESS;
}

static int refuse(request_rec *r, apr_time_t first_end, apr_time_t now,
                  const char *why)
{
    apr_time_t wait = first_end > now ? first_end - now : 0;
    long secs = (long)apr_time_sec(wait + apr_time_from_sec(1) - 1);

    if (secs < 1) {
        secs = 1;
    }
    apr_table_setn(r->headers_out, "Retry-After", apr_ltoa(r->pool, secs));
    return bkm_reply_error(r, HTTP_TOO_MANY_REQUESTS, "for-mange-ventende",
                           why);
}

int bkm_vent_begin(request_rec *r, const char *id, apr_time_t until)
{
    const bkm_srv_cfg_t *c = bkm_srv_cfg(r->server);
    struct bkm_vent_s *t = c->vent;
    apr_time_t now = apr_time_now(), mine_end = 0, any_end = 0;
    bkm_vent_slot_t *free_slot = NULL;
    bkm_vent_held_t *h;
    int i, mine = 0, all = 0, limit = limit_of(c);

    if (!t || !vent_lock) {
        return OK; /* no table (a failed child_init was logged) */
    }
    if (apr_global_mutex_lock(vent_lock) != APR_SUCCESS) {
        return OK;
    }
    for (i = 0; i < t->size; i++) {
        bkm_vent_slot_t *p = &t->slots[i];
        if (is_free(p, now)) {
            if (!free_slot) {
                free_slot = p;
            }
            continue;
        }
        all++;
        if (!any_end || p->until < any_end) {
            any_end = p->until;
        }
        /* Ids are UUIDs; a longer one counts by its first characters
         * (never unlimited). */
        if (p->portal == t->portal
            && strncmp(p->integrasjon, id, BKM_VENT_ID_MAX - 1) == 0) {
            mine++;
            if (!mine_end || p->until < mine_end) {
                mine_end = p->until;
            }
        }
    }
    if (all >= t->n) {
        free_slot = NULL; /* the server's waits fill this portal's share */
    }
    if (mine >= limit || !free_slot) {
        apr_global_mutex_unlock(vent_lock);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      BKMLOGNO(06704) "long-poll of integration %s refused: "
                                      "%d of its own waiting (limit %d), "
                                      "%s",
                      id, mine, limit,
                      free_slot ? "places free" : "the node's share is full");
        if (mine >= limit) {
            refuse(r, mine_end, now,
                   apr_psprintf(r->pool,
                                "this integration has %d requests "
                                "waiting already (at most %d); "
                                "ask without vent, or again after "
                                "Retry-After",
                                mine, limit));
        }
        else {
            refuse(r, any_end, now,
                   "too many requests are waiting on this server; ask "
                   "without vent, or again after Retry-After");
        }
        return DONE;
    }
    apr_cpystrn(free_slot->integrasjon, id, BKM_VENT_ID_MAX);
    free_slot->until = until;
    free_slot->pid = getpid();
    free_slot->portal = t->portal;
    apr_global_mutex_unlock(vent_lock);

    h = apr_palloc(r->pool, sizeof(*h));
    h->slot = free_slot;
    h->until = until;
    apr_pool_cleanup_register(r->pool, h, release, apr_pool_cleanup_null);
    return OK;
}

int bkm_vent_count(server_rec *s)
{
    const struct bkm_vent_s *t = bkm_srv_cfg(s)->vent;
    apr_time_t now = apr_time_now();
    int i, n = 0;

    if (!t || !vent_lock || apr_global_mutex_lock(vent_lock) != APR_SUCCESS) {
        return 0;
    }
    for (i = 0; i < t->size; i++) {
        n += !is_free(&t->slots[i], now) && t->slots[i].portal == t->portal;
    }
    apr_global_mutex_unlock(vent_lock);
    return n;
}
