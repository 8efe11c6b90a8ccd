/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Throttling of wrong IntegrasjonPassord guesses (machine clients).
 *
 * A caller with a valid Maskinporten token could otherwise try passwords
 * as fast as bcrypt lets it.  We count failures (a wrong password, or an
 * IntegrasjonId that does not exist) per client address and per
 * IntegrasjonId, in fixed windows of BKM_THROTTLE_WINDOW: once a key has
 * BKM_THROTTLE_LIMIT failures in its window, the password is not looked
 * at until the window ends, and the answer is 429 with Retry-After.
 *
 *  - An address over the limit is refused outright, whatever it sends.
 *  - An integration over the limit is refused only from addresses that
 *    have failed in their own current window.  So an attacker (from one
 *    address or from many) cannot lock the real integration out: its
 *    systems, which do not send wrong passwords, keep working, while each
 *    attacking address gets at most one guess at a locked integration per
 *    window.  A real system that itself sends a wrong password while its
 *    integration is under attack waits until the window ends (at most
 *    BKM_THROTTLE_WINDOW).
 *  - Every lock ends with its window: nothing is locked for longer than
 *    BKM_THROTTLE_WINDOW after the failure that started the window.
 *  - Unknown ids are counted like real ones (when UUID-shaped), so the
 *    429 does not tell which ids exist either.
 *
 * Where the counters live: in shared memory of the node (an anonymous
 * apr_shm segment made in post_config, before the children fork, with a
 * global mutex), so every process and thread of a node (prefork, worker,
 * event) counts together, and checking costs no database round trip on
 * every call.  Not in the database: that would add a write to each
 * failure and a read to every authenticated call, on the one engine
 * (SQLite) that has one writer at a time.  The price: each node of a farm
 * counts by itself, so behind a load balancer that spreads one client
 * over N nodes the limit is N x BKM_THROTTLE_LIMIT per window; and a
 * restart forgets the counts.  Both still bound guessing to a few tries
 * a minute, where bcrypt alone allowed thousands.
 *
 * The table has a fixed number of slots; keys are hashed with a key drawn
 * at start-up (so callers cannot aim at one slot), and a new key takes
 * the least useful of a few neighbouring slots (ended, then without
 * failures, then the oldest).  A flood of new addresses can therefore
 * push a count out early; it cannot lock anybody out.
 *
 * A check counts as a failure from its start until it is known to be
 * none ("pending"), so that many guesses sent at once cannot all pass the
 * limit while bcrypt runs.
 *
 * Time is bkm_now(r) (the test build's clock can run the window out).  A
 * window that starts after "now" (a clock set back) counts as ended.
 */
#include "mod_bekymring_private.h"
#include "server/clock.h"
#include "server/throttle.h"
#include "bkm_log.h"
#include "bkm_ids.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <apr_shm.h>
#include <apr_global_mutex.h>
#include <apr_network_io.h>
#if APR_HAVE_NETINET_IN_H
#include <netinet/in.h>
#endif
#include <util_mutex.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define BKM_THROTTLE_MUTEX "bekymring-throttle"
#define BKM_THROTTLE_SLOTS 8192
#define BKM_THROTTLE_PROBES 16

typedef struct {
    unsigned char key[16]; /* SHA-256 of our secret and the key */
    apr_time_t start;      /* the window's start; 0: free */
    apr_uint32_t count;    /* failures in the window */
    apr_uint32_t pending;  /* an address's checks under way: each
                                   counts as a failure until it is known
                                   not to be one, so that parallel guesses
                                   cannot pass the limit while bcrypt runs */
} bkm_throttle_slot_t;

static apr_shm_t *throttle_shm;
static bkm_throttle_slot_t *throttle_slots;
static apr_global_mutex_t *throttle_lock;
static unsigned char throttle_secret[32];

int bkm_throttle_pre_config(apr_pool_t *pconf)
{
    return ap_mutex_register(pconf, BKM_THROTTLE_MUTEX, NULL,
                             APR_LOCK_DEFAULT, 0)
                   == APR_SUCCESS
               ? OK
               : HTTP_INTERNAL_SERVER_ERROR;
}

/* In the parent, before the children fork: they inherit the segment, the
 * mutex and the secret.  A graceful restart makes new ones (counts are
 * forgotten); the old segment goes with pconf. */
int bkm_throttle_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_size_t size = BKM_THROTTLE_SLOTS * sizeof(bkm_throttle_slot_t);
    apr_status_t rv;

    if (RAND_bytes(throttle_secret, sizeof(throttle_secret)) != 1) {
        ap_log_error(
            APLOG_MARK, APLOG_CRIT, 0, s,
            BKMLOGNO(02906) "no random bytes for the login throttle");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = apr_shm_create(&throttle_shm, size, NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, BKMLOGNO(02907)
                     "cannot make the login throttle's shared memory "
                     "(%" APR_SIZE_T_FMT " bytes)", size);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    throttle_slots = apr_shm_baseaddr_get(throttle_shm);
    memset(throttle_slots, 0, size);
    rv = ap_global_mutex_create(&throttle_lock, NULL, BKM_THROTTLE_MUTEX,
                                NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     BKMLOGNO(02908) "cannot create the %s mutex",
                     BKM_THROTTLE_MUTEX);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

void bkm_throttle_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    if (!throttle_lock) {
        return;
    }
    rv = apr_global_mutex_child_init(&throttle_lock,
                                     apr_global_mutex_lockfile(throttle_lock),
                                     p);
    if (rv != APR_SUCCESS) {
        /* Then nothing is counted in this process: log it loudly. */
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, BKMLOGNO(02909)
                     "cannot attach to the %s mutex: logins are not "
                     "throttled in this process", BKM_THROTTLE_MUTEX);
        throttle_lock = NULL;
    }
}

static void digest(const char *kind, const char *key, unsigned char *md)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n = 0;

    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1
        || EVP_DigestUpdate(c, throttle_secret, sizeof(throttle_secret)) != 1
        || EVP_DigestUpdate(c, kind, strlen(kind) + 1) != 1
        || EVP_DigestUpdate(c, key, strlen(key)) != 1
        || EVP_DigestFinal_ex(c, md, &n) != 1) {
        /* Cannot happen with the default provider; an all-zero key then
         * shares one slot, which errs on the side of counting. */
        memset(md, 0, 32);
    }
    EVP_MD_CTX_free(c);
}

static int live(const bkm_throttle_slot_t *e, apr_time_t now)
{
    return e->start && e->start <= now
           && now < e->start + BKM_THROTTLE_WINDOW;
}

/* Which slot a new key takes: a free or ended one, else one without
 * failures, else the oldest (the ties) -- so a flood of new clients
 * pushes out the counts that matter last. */
static int rank(const bkm_throttle_slot_t *e, apr_time_t now)
{
    if (!live(e, now)) {
        return 0;
    }
    return e->count == 0 && e->pending == 0 ? 1 : 2;
}

/* The table's two halves: the logins' counts, and those of other counted
 * requests (the status page).  A key takes a slot in its own half only,
 * so that a flood of cheap requests (a status lookup costs no password
 * check) can never push a login's failures out and open a locked
 * integration again. */
#define HALF (BKM_THROTTLE_SLOTS / 2)

static int login_kind(const char *kind)
{
    return strcmp(kind, "adresse") == 0 || strcmp(kind, "integrasjon") == 0;
}

/* The slot of a key (under the lock): found, or with @p create a new one
 * in the stalest of its neighbours, or NULL. */
static bkm_throttle_slot_t *slot(const char *kind, const char *key,
                                 apr_time_t now, int create)
{
    unsigned char md[32];
    bkm_throttle_slot_t *e, *victim = NULL;
    apr_uint32_t h, base = login_kind(kind) ? 0 : HALF;
    int i;

    digest(kind, key, md);
    h = ((apr_uint32_t)md[16] << 24 | (apr_uint32_t)md[17] << 16
         | (apr_uint32_t)md[18] << 8 | md[19])
        % HALF;
    for (i = 0; i < BKM_THROTTLE_PROBES; i++) {
        e = &throttle_slots[base + (h + i) % HALF];
        if (e->start && memcmp(e->key, md, sizeof(e->key)) == 0) {
            if (!live(e, now) && create) {
                e->start = now;
                e->count = e->pending = 0;
            }
            return e;
        }
        if (!victim || rank(e, now) < rank(victim, now)
            || (rank(e, now) == rank(victim, now)
                && e->start < victim->start)) {
            victim = e;
        }
    }
    if (!create) {
        return NULL;
    }
    memcpy(victim->key, md, sizeof(victim->key));
    victim->start = now;
    victim->count = victim->pending = 0;
    return victim;
}

/* The client address as a counting key: an IPv6 client is counted by its
 * /64 (one site or line is given a whole /64, and would otherwise have
 * 2^64 fresh addresses to try from); IPv4, and IPv4 mapped into IPv6, by
 * the address. */
static const char *addr_key(request_rec *r)
{
#if APR_HAVE_IPV6
    const apr_sockaddr_t *sa = r->useragent_addr;

    if (sa && sa->family == APR_INET6
        && !IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)sa->ipaddr_ptr)) {
        const unsigned char *b = sa->ipaddr_ptr;
        return apr_psprintf(r->pool,
                            "%02x%02x:%02x%02x:%02x%02x:%02x%02x::"
                            "/64",
                            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
    }
#endif
    return r->useragent_ip;
}

/* The IntegrasjonId as a counting key: UUID-shaped ones only (no other
 * can exist), in lower case. */
static const char *id_key(request_rec *r, const char *id)
{
    char *k;

    if (!id || !bkm_uuid_valid(id, 1)) {
        return NULL;
    }
    k = apr_pstrdup(r->pool, id);
    ap_str_tolower(k);
    return k;
}

static int seconds_left(const bkm_throttle_slot_t *e, apr_time_t now)
{
    apr_time_t left = e->start + BKM_THROTTLE_WINDOW - now;

    return (int)((left + APR_USEC_PER_SEC - 1) / APR_USEC_PER_SEC);
}

static int failures(const bkm_throttle_slot_t *e, apr_time_t now)
{
    return e && live(e, now) ? (int)e->count : 0;
}

int bkm_throttle_begin(request_rec *r, const char *id, int check)
{
    const char *addr = addr_key(r), *key = id_key(r, id);
    apr_time_t now = bkm_now(r);
    bkm_throttle_slot_t *a, *i;
    const char *why = NULL;
    int wait = 0;

    if (!throttle_lock || !addr) {
        return 0;
    }
    apr_global_mutex_lock(throttle_lock);
    a = slot("adresse", addr, now, check);
    i = key ? slot("integrasjon", key, now, 0) : NULL;
    if (failures(a, now) >= BKM_THROTTLE_LIMIT) {
        wait = seconds_left(a, now);
        why = "from this address";
    }
    /* Only addresses that failed themselves wait for an integration's
     * window: its own systems, which do not fail, carry on. */
    else if (failures(i, now) >= BKM_THROTTLE_LIMIT && failures(a, now) > 0) {
        wait = seconds_left(i, now);
        why = apr_pstrcat(r->pool, "for IntegrasjonId ", key,
                          " (and this address failed too)", NULL);
    }
    /* Checks under way count as failures until they are known not to be:
     * guesses sent at once cannot all pass the limit while bcrypt runs.
     * This holds for passwords the process accepted lately too, or a
     * client could keep checks under way and try candidates against
     * that memory uncounted.  (A client's own burst of right passwords
     * that all need bcrypt may meet this: it is told to try again in a
     * second.) */
    else if (a && live(a, now)
             && a->count + a->pending >= BKM_THROTTLE_LIMIT) {
        wait = 1;
        why = "from this address (checks under way)";
    }
    else if (check) {
        a->pending++;
    }
    apr_global_mutex_unlock(throttle_lock);
    if (wait) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(02903)
                      "integration login refused for %d s: too many failed "
                      "logins %s", wait, why);
    }
    return wait;
}

/* The end of a check bkm_throttle_begin let through (under the lock). */
static int settle(bkm_throttle_slot_t *e, int check, int failed)
{
    if (check && e->pending > 0) {
        e->pending--;
    }
    return failed && ++e->count == BKM_THROTTLE_LIMIT;
}

void bkm_throttle_end(request_rec *r, const char *id, int failed)
{
    const char *addr = addr_key(r), *key = id_key(r, id);
    apr_time_t now = bkm_now(r);
    int addr_full = 0, id_full = 0;

    if (!throttle_lock || !addr) {
        return;
    }
    apr_global_mutex_lock(throttle_lock);
    /* The slots are found again, not kept: another key may have taken
     * one meanwhile, and a window may have ended (a new one starts). */
    addr_full = settle(slot("adresse", addr, now, 1), 1, failed);
    if (key && failed) {
        id_full = settle(slot("integrasjon", key, now, 1), 0, failed);
    }
    apr_global_mutex_unlock(throttle_lock);
    if (addr_full) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, BKMLOGNO(02904)
                      "%d failed integration logins from %s: its logins "
                      "are refused until its window of %d s ends",
                      BKM_THROTTLE_LIMIT, addr,
                      (int)apr_time_sec(BKM_THROTTLE_WINDOW));
    }
    if (id_full) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, BKMLOGNO(02905)
                      "%d failed logins for IntegrasjonId %s: addresses "
                      "that fail are refused until its window of %d s "
                      "ends", BKM_THROTTLE_LIMIT, key,
                      (int)apr_time_sec(BKM_THROTTLE_WINDOW));
    }
}

/* ---- other counted requests (the status page) ------------------------ */

int bkm_throttle_hit(request_rec *r, const char *kind, int limit)
{
    const char *addr = addr_key(r);
    apr_time_t now = bkm_now(r);
    bkm_throttle_slot_t *a;
    int wait = 0;

    if (!throttle_lock || !addr || !kind || login_kind(kind)) {
        return 0;
    }
    apr_global_mutex_lock(throttle_lock);
    /* The kind is part of the slot's key: these counts and the logins'
     * never mix. */
    a = slot(kind, addr, now, 1);
    if (a->count >= (apr_uint32_t)limit) {
        wait = seconds_left(a, now);
    }
    else {
        a->count++;
    }
    apr_global_mutex_unlock(throttle_lock);
    return wait;
}
