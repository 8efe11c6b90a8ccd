/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_registry.h
 * @brief The tenant registry: municipalities, districts, channels,
 * recipient certificates, accounts and machine integrations.
 *
 * Loaded from the JSON file named by BekymringRegistry while httpd reads its
 * configuration (so `apachectl -t` catches every mistake) and read-only after
 * that.  The format is schema/registry.schema.json; this file enforces it.
 * httpd-free: APR, jansson and OpenSSL only.
 */
#ifndef BKM_REGISTRY_H
#define BKM_REGISTRY_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_hash.h>
#include <apr_time.h>

#include "bkm_calendar.h"

typedef enum {
    BKM_KANAL_FAGSYSTEM = 1, /**< the case system fetches via the API */
    BKM_KANAL_MANUELL        /**< staff download and confirm by hand */
} bkm_kanal_e;

/** A postal address for letter post. */
typedef struct {
    const char *mottaker;
    apr_array_header_t *adresselinjer; /**< of const char * */
    const char *postnummer;
    const char *poststed;
} bkm_postadresse_t;

/** Certificates a channel may list at once (a current and a next, with
 *  room for a late one or a spare). */
#define BKM_SERTIFIKATER_MAX 4

/** A recipient's X.509 certificate (public part only). */
typedef struct {
    const char *path;    /**< resolved file name */
    const char *pem;     /**< the certificate as PEM text */
    const char *sha256;  /**< lower-case hex SHA-256 of the DER */
    const char *subject; /**< RFC 2253 subject DN */
    const char *issuer;  /**< RFC 2253 issuer DN */
    const char *serial;  /**< serial number in decimal */
    apr_time_t not_before;
    apr_time_t not_after;
} bkm_cert_t;

typedef struct bkm_kommune_t bkm_kommune_t;

/** A district (bydel); a municipality without districts has one, "00". */
typedef struct {
    const bkm_kommune_t *kommune;
    const char *nummer; /**< two digits */
    const char *navn;
    int standard_mottaker;
    bkm_kanal_e kanal;
    int versjon; /**< supported protocol version, 1 or 2 */
    const char *konto_id;
    bkm_postadresse_t adresse;
    /* A channel's certificates: one, or several during a key rotation
     * (a current and a next one, each valid from its X.509 notBefore to
     * its notAfter).  cert_* is the first listed (NULL unless configured);
     * the lists (of const bkm_cert_t *, in file order) hold them all.
     * Which one seals at a time: bkm_sertifikat_velg() (bkm_sertifikat.h),
     * never cert_* directly. */
    const bkm_cert_t *cert_fagsystem;
    const bkm_cert_t *cert_manuell;
    const bkm_cert_t *cert_print; /**< the district's or the national */
    apr_array_header_t *fagsystem_sertifikater; /**< NULL unless configured */
    apr_array_header_t *manuell_sertifikater;   /**< NULL unless configured */
    apr_array_header_t *print_sertifikater;     /**< the district's or the
                                                     national */
    apr_interval_time_t svarfrist; /**< 0: the server-wide default */
    bkm_calendar_t kontortid;      /**< which hours of a working day
                                             count toward svarfrist; the
                                             whole day unless "kontortid" */
    int krev_lagringskvittering;   /**< 1: only a verified stored-
                                             receipt counts as delivered */
    apr_array_header_t *kvitteringssertifikater; /**< of const bkm_cert_t *:
                                             keys of stored-receipts */
    int avvis_lagringskvittering_v1; /**< 1: a stored-receipt must be
                                             v2 (with a proof of
                                             possession); v1 is refused */
    int gcm;                   /**< 1: seal with AES-256-GCM AuthEnvelopedData
                                 ("kryptering": "aes-256-gcm"); 0: the
                                 incumbent's AES-256-CBC EnvelopedData */
    const char *kontakt_epost; /**< "kontaktEpost": where reminders before
                                     letter post go (bkm_paminnelse.h), or
                                     NULL: the district gets none */
} bkm_bydel_t;

struct bkm_kommune_t {
    const char *nummer; /**< four digits */
    const char *navn;
    apr_table_t *navn_sprak; /**< language code -> name */
    int aktiv;
    const bkm_postadresse_t *adresse; /**< optional */
    apr_array_header_t *bydeler;      /**< of bkm_bydel_t *, in file order */
    /** "telefon": the child welfare service's phone number as written
     *  ("+47 51 50 70 90"), shown where the portal cannot take the report
     *  (an inactive municipality), or NULL. */
    const char *telefon;
    const char
        *telefon_uri; /**< the same as a tel: URI ("tel:+4751507090") */
};

/** "driftsansvarlig": who runs the service, named on every page (the
 *  footer, the privacy and accessibility statements, the contact page). */
typedef struct {
    const char *navn;    /**< e.g. "Digitaliseringsdirektoratet" */
    const char *epost;   /**< the contact address, required */
    const char *telefon; /**< optional, as written */
    const char *telefon_uri;
    const char *nettside; /**< optional, an https:// address */
} bkm_drift_t;

/** An account: what receives messages (a district's or the print provider's). */
typedef struct {
    const char *id;
    const char *type;         /**< "fagsystem", "manuell" or "print" */
    const bkm_bydel_t *bydel; /**< NULL for print */
} bkm_konto_t;

/** A machine client allowed to use some accounts. */
typedef struct {
    const char *id;
    const char *navn;
    const char *orgnr;           /**< nine digits */
    const char *fiks_org_id;     /**< the organisation's Fiks id (a
                                         UUID), or NULL: a producer may
                                         name itself by either */
    const char *passord_hash;    /**< bcrypt */
    apr_array_header_t *kontoer; /**< of const bkm_konto_t * */
    int produsent;
} bkm_integrasjon_t;

typedef struct {
    const char *path;
    apr_array_header_t *kommuner; /**< of bkm_kommune_t *, by number */
    apr_hash_t *kommune_by_nr;
    apr_hash_t *konto_by_id;
    apr_hash_t *integrasjon_by_id;
    bkm_konto_t print_konto;
    const bkm_cert_t *print_cert;           /**< the first listed */
    apr_array_header_t *print_sertifikater; /**< of const bkm_cert_t * */
    /** A bcrypt hash of a random password at the highest cost of the
     *  integrations' hashes (10 when there are none), made at load: an
     *  unknown IntegrasjonId is checked against it, so that its refusal
     *  takes as long as a wrong password for a real one. */
    const char *dummy_hash;
    /** "driftsansvarlig", or NULL when the file has none (then the pages
     *  refuse to start: bkm_pages_check_config). */
    const bkm_drift_t *drift;
} bkm_registry_t;

/**
 * Load and check a registry file.  Everything is allocated from @p p.
 * @return NULL on success, else one message that names the file and the
 *         offending entry (e.g. "kommuner[2] (0301) bydeler[0]: ...").
 */
const char *bkm_registry_load(bkm_registry_t **out, apr_pool_t *p,
                              const char *path);

/** The municipality with this number, or NULL. */
const bkm_kommune_t *bkm_registry_kommune(const bkm_registry_t *reg,
                                          const char *nummer);

/** The district with this number, or NULL. */
const bkm_bydel_t *bkm_kommune_bydel(const bkm_kommune_t *k,
                                     const char *nummer);

/** The municipality's name in @p lang when the registry has one, else its
 *  default name. */
const char *bkm_kommune_navn(const bkm_kommune_t *k, const char *lang);

/** Whether a four-digit municipality number has a current county prefix. */
int bkm_kommunenummer_known(const char *nummer);

/** Read one PEM certificate file (rejecting files with private keys). */
const char *bkm_cert_load(const bkm_cert_t **out, apr_pool_t *p,
                          const char *path);

#endif
