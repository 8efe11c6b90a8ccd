/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The print manifest's inputs (bkm_printjob.h): names and the postal
 * address from the registry, ids, the sealed document's digest and size,
 * the order's time and reason.  Input: the job's fields in this order,
 * separated by BKM_FUZZ_SEP (fields not given keep a good value):
 *   utskriftId, bekymringsmeldingId, referanse, kommunenummer, kommunenavn,
 *   bydelsnummer, bydelsnavn, mottaker, adresselinjer (the lines separated
 *   by the byte 0x1f), postnummer, poststed, dokument sha256,
 *   dokument size (decimal), dokument type, bestilt (microseconds since
 *   1970, decimal), arsak
 * The header promises that a manifest it writes validates against
 * schema/print/utskrift.xsd, and the registry relies on
 * bkm_printjob_check_adresse() and _check_text() meaning what the
 * manifest needs: both are checked on every manifest written (the XSD is
 * compiled into this target, fuzz.mk).
 */
#include "fuzz.h"
#include "bkm_embedded.h"
#include "bkm_printjob.h"

#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

extern const bkm_embedded_t bkm_fuzz_xsd[];

#define NFIELDS 16

static xmlSchemaPtr schema;

static void quiet(void *ctx, const char *fmt, ...)
{
}

static void init(void)
{
    xmlSchemaParserCtxtPtr pc;

    if (schema) {
        return;
    }
    bkm_fuzz_keep_begin();
    xmlInitParser();
    pc = xmlSchemaNewMemParserCtxt(bkm_fuzz_xsd[0].data,
                                   (int)bkm_fuzz_xsd[0].len);
    if (!pc || !(schema = xmlSchemaParse(pc))) {
        bkm_fuzz_fail("cannot compile %s", bkm_fuzz_xsd[0].name);
    }
    xmlSchemaFreeParserCtxt(pc);
    bkm_fuzz_keep_end();
}

static void validate(const char *xml, apr_size_t len)
{
    xmlDocPtr doc;
    xmlSchemaValidCtxtPtr vc;
    int rc;

    if (len != strlen(xml)) {
        bkm_fuzz_fail("the manifest's length is not its length");
    }
    doc = xmlReadMemory(xml, (int)len, "manifest.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR
                            | XML_PARSE_NOWARNING);
    if (!doc) {
        bkm_fuzz_fail("a manifest that is not well-formed:\n%s", xml);
    }
    vc = xmlSchemaNewValidCtxt(schema);
    xmlSchemaSetValidErrors(vc, quiet, quiet, NULL);
    rc = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    xmlFreeDoc(doc);
    if (rc != 0) {
        bkm_fuzz_fail("a manifest the XSD refuses (%d):\n%s", rc, xml);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const good[NFIELDS] = {
        "3f1c2b8e-5d4a-4c9b-9e2f-0a1b2c3d4e5f",
        "9d2e6b1a-0c3f-4a8e-b7d5-1f2e3a4b5c6d",
        "7K4Q-9XHT",
        "0301",
        "Oslo",
        "01",
        "Gamle Oslo",
        "Barneverntjenesten i bydel Gamle Oslo",
        "Postboks 9061 Gr\xc3\xb8nland",
        "0133",
        "OSLO",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "48213",
        "application/pkcs7-mime",
        "1795428000000000",
        "frist"
    };
    apr_pool_t *p;
    char *field[NFIELDS];
    size_t len[NFIELDS];
    const char *v[NFIELDS];
    bkm_postadresse_t adr;
    bkm_printjob_t job;
    char *xml, *line, *last;
    apr_size_t xlen;
    int n, i;

    init();
    p = bkm_fuzz_pool();
    n = bkm_fuzz_split(p, data, size, field, len, NFIELDS);
    for (i = 0; i < NFIELDS; i++) {
        v[i] = i < n ? field[i] : good[i];
    }
    memset(&adr, 0, sizeof(adr));
    adr.mottaker = v[7];
    adr.adresselinjer = apr_array_make(p, 3, sizeof(const char *));
    /* Every piece, empty ones too. */
    for (line = apr_pstrdup(p, v[8]); line; line = last) {
        if ((last = strchr(line, '\x1f'))) {
            *last++ = '\0';
        }
        APR_ARRAY_PUSH(adr.adresselinjer, const char *) = line;
    }
    adr.postnummer = v[9];
    adr.poststed = v[10];
    memset(&job, 0, sizeof(job));
    job.utskrift_id = v[0];
    job.bekymringsmelding_id = v[1];
    job.referanse = v[2];
    job.kommunenummer = v[3];
    job.kommunenavn = v[4];
    job.bydelsnummer = v[5];
    job.bydelsnavn = v[6];
    job.adresse = &adr;
    job.dokument_sha256 = v[11];
    job.dokument_storrelse = (apr_off_t)strtoll(v[12], NULL, 10);
    job.dokument_type = v[13];
    job.bestilt = (apr_time_t)strtoll(v[14], NULL, 10);
    job.arsak = v[15];

    if (!bkm_printjob_manifest(p, &job, &xml, &xlen)) {
        validate(xml, xlen);
        if (bkm_printjob_check_adresse(p, &adr)
            || bkm_printjob_check_text(p, "kommunenavn", job.kommunenavn)
            || bkm_printjob_check_text(p, "bydelsnavn", job.bydelsnavn)) {
            bkm_fuzz_fail(
                "a manifest was written for what the checks "
                "refuse");
        }
    }
    else {
        (void)bkm_printjob_check_adresse(p, &adr);
        (void)bkm_printjob_check_text(p, "bydelsnavn", job.bydelsnavn);
    }
    apr_pool_destroy(p);
    return 0;
}
