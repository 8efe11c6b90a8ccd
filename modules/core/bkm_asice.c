/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ASiC-E container, built entirely in memory: libzip writes into a
 * buffer source, libxml2 builds the manifest as a tree, bkm_cms signs it.
 *
 * All per-call objects (zip archive and sources, XML document, digests,
 * manifest, signature) live in a subpool that is destroyed before
 * returning, so the clear-text report is held only by the caller's @p p
 * copy of the finished zip once this returns.
 */
#include "bkm_asice.h"
#include "bkm_xml.h"

#include <string.h>

#include <apr_strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <zip.h>

#define ASIC_NS "http://uri.etsi.org/02918/v1.2.1#"
#define DS_NS "http://www.w3.org/2000/09/xmldsig#"
#define XMLENC_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"
#define P7S_MIMETYPE "application/x-pkcs7-signature"

void bkm_asice_init(void)
{
    xmlInitParser();
}

/* One file of the container. */
typedef struct {
    const char *name;
    const char *mimetype; /* for the manifest; NULL: not listed */
    const void *data;
    apr_size_t len;
    zip_int32_t method;
} bkm_asice_entry_t;

/* ---- the manifest ---- */

/* Base64 of the SHA-256 of one payload, as ds:DigestValue wants it. */
static const char *digest_b64(apr_pool_t *tmp, const void *data,
                              apr_size_t len, const char **out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    unsigned char *b64;

    if (EVP_Digest(len ? data : "", len, md, &mdlen, EVP_sha256(), NULL)
        != 1) {
        return "SHA-256 of a payload file failed";
    }
    /* 4 output bytes per 3 input bytes, rounded up, plus the NUL */
    b64 = apr_palloc(tmp, 4 * ((mdlen + 2) / 3) + 1);
    EVP_EncodeBlock(b64, md, (int)mdlen);
    *out = (const char *)b64;
    return NULL;
}

static const char *manifest(apr_pool_t *tmp, const bkm_asice_entry_t *files,
                            int nfiles, const void **out, apr_size_t *outlen)
{
    xmlDocPtr doc;
    xmlNodePtr root, node, ref;
    xmlNsPtr asic, ds;
    int i;
    const char *b64, *err;

    if ((err = bkm_xml_doc(tmp, "ASiCManifest", &doc, &root))) {
        return err;
    }
    /* The ASiC namespace as the default one and "ds" for XMLDSig, as the
     * incumbent's (JAXB-written) manifests have it. */
    asic = xmlNewNs(root, BAD_CAST ASIC_NS, NULL);
    ds = xmlNewNs(root, BAD_CAST DS_NS, BAD_CAST "ds");
    if (!asic || !ds) {
        return "xmlNewNs failed";
    }
    xmlSetNs(root, asic);

    node = xmlNewChild(root, asic, BAD_CAST "SigReference", NULL);
    if (!node
        || !xmlNewProp(node, BAD_CAST "URI", BAD_CAST BKM_ASICE_SIGNATURE)
        || !xmlNewProp(node, BAD_CAST "MimeType", BAD_CAST P7S_MIMETYPE)) {
        return "building the manifest's SigReference failed";
    }
    for (i = 0; i < nfiles; i++) {
        if (!files[i].mimetype) {
            continue;
        }
        if ((err = digest_b64(tmp, files[i].data, files[i].len, &b64))) {
            return err;
        }
        ref = xmlNewChild(root, asic, BAD_CAST "DataObjectReference", NULL);
        if (!ref || !xmlNewProp(ref, BAD_CAST "URI", BAD_CAST files[i].name)
            || !xmlNewProp(ref, BAD_CAST "MimeType",
                           BAD_CAST files[i].mimetype)
            || !(node = xmlNewChild(ref, ds, BAD_CAST "DigestMethod", NULL))
            || !xmlNewProp(node, BAD_CAST "Algorithm", BAD_CAST XMLENC_SHA256)
            || !xmlNewTextChild(ref, ds, BAD_CAST "DigestValue",
                                BAD_CAST b64)) {
            return apr_psprintf(tmp,
                                "building the manifest's "
                                "DataObjectReference for %s failed",
                                files[i].name);
        }
    }
    /* These exact bytes are both stored and signed. */
    return bkm_xml_dump(tmp, doc, (char **)out, outlen);
}

/* ---- the zip ---- */

typedef struct {
    zip_source_t *src; /* the in-memory zip file */
    zip_t *za;         /* open while files are being added */
} bkm_zip_t;

/* Runs before the subpool's memory goes, so the buffers libzip still
 * points into are valid while it lets go of them. */
static apr_status_t zip_pool_cleanup(void *data)
{
    bkm_zip_t *z = data;

    if (z->za) {
        zip_discard(z->za);
        z->za = NULL;
    }
    if (z->src) {
        zip_source_free(z->src);
        z->src = NULL;
    }
    return APR_SUCCESS;
}

static const char *add_file(apr_pool_t *tmp, zip_t *za,
                            const bkm_asice_entry_t *f)
{
    zip_source_t *s;
    zip_int64_t idx;

    /* No copy: libzip reads the caller's bytes when the zip is closed. */
    s = zip_source_buffer(za, f->data, f->len, 0);
    if (!s) {
        return apr_psprintf(tmp, "zip_source_buffer for %s failed: %s",
                            f->name, zip_strerror(za));
    }
    idx = zip_file_add(za, f->name, s, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
        zip_source_free(s);
        return apr_psprintf(tmp, "zip_file_add of %s failed: %s", f->name,
                            zip_strerror(za));
    }
    if (zip_set_file_compression(za, (zip_uint64_t)idx, f->method, 0) < 0) {
        return apr_psprintf(tmp,
                            "zip_set_file_compression of %s failed: "
                            "%s",
                            f->name, zip_strerror(za));
    }
    /* A regular file readable by its owner only: libzip's default, 0666,
     * would leave the unpacked report open to every local user on a case
     * system whose umask does not mask it. */
    if (zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0,
                                         ZIP_OPSYS_UNIX,
                                         (zip_uint32_t)0100600 << 16)
        < 0) {
        return apr_psprintf(tmp,
                            "zip_file_set_external_attributes of %s "
                            "failed: %s",
                            f->name, zip_strerror(za));
    }
    return NULL;
}

/* An empty zip in memory, closed with @p tmp.  NULL, or why not. */
static const char *open_archive(apr_pool_t *tmp, bkm_zip_t **zp)
{
    bkm_zip_t *z;
    zip_error_t ze;
    const char *err;

    *zp = z = apr_pcalloc(tmp, sizeof(*z));
    apr_pool_cleanup_register(tmp, z, zip_pool_cleanup,
                              apr_pool_cleanup_null);
    zip_error_init(&ze);
    z->src = zip_source_buffer_create(NULL, 0, 0, &ze);
    if (!z->src) {
        err = apr_pstrcat(tmp, "zip_source_buffer_create failed: ",
                          zip_error_strerror(&ze), NULL);
        zip_error_fini(&ze);
        return err;
    }
    z->za = zip_open_from_source(z->src, ZIP_TRUNCATE, &ze);
    if (!z->za) {
        err = apr_pstrcat(tmp, "zip_open_from_source failed: ",
                          zip_error_strerror(&ze), NULL);
        zip_error_fini(&ze);
        return err;
    }
    zip_error_fini(&ze);
    /* The archive now owns a reference to the source and drops it when
     * closed; keep ours, to read the finished zip back. */
    zip_source_keep(z->src);
    return NULL;
}

/* Add the files, in order, and finish the archive.  NULL, or why not. */
static const char *write_archive(apr_pool_t *tmp, bkm_zip_t *z,
                                 const bkm_asice_entry_t *files, int nfiles)
{
    const char *err;
    int i;

    for (i = 0; i < nfiles; i++) {
        if ((err = add_file(tmp, z->za, &files[i]))) {
            return err;
        }
    }
    if (zip_close(z->za) < 0) {
        return apr_pstrcat(tmp, "zip_close failed: ", zip_strerror(z->za),
                           NULL);
    }
    z->za = NULL;
    return NULL;
}

/* Read the finished zip back into @p p.  NULL, or why not (then nothing
 * of it is left in @p p). */
static const char *read_archive(apr_pool_t *p, apr_pool_t *tmp, bkm_zip_t *z,
                                const unsigned char **zip,
                                apr_size_t *zip_len)
{
    zip_stat_t st;
    zip_int64_t n;
    unsigned char *out;

    zip_stat_init(&st);
    if (zip_source_stat(z->src, &st) < 0 || !(st.valid & ZIP_STAT_SIZE)
        || st.size == 0) {
        return "the finished zip has no size";
    }
    if (zip_source_open(z->src) < 0) {
        return apr_pstrcat(tmp, "reading the finished zip failed: ",
                           zip_error_strerror(zip_source_error(z->src)),
                           NULL);
    }
    out = apr_palloc(p, (apr_size_t)st.size);
    n = zip_source_read(z->src, out, st.size);
    zip_source_close(z->src);
    if (n < 0 || (zip_uint64_t)n != st.size) {
        memset(out, 0, (apr_size_t)st.size); /* no half report in p */
        return "reading the finished zip came up short";
    }
    *zip = out;
    *zip_len = (apr_size_t)st.size;
    return NULL;
}

static const char *build(apr_pool_t *p, apr_pool_t *tmp,
                         const bkm_signer_t *signer, const char *json,
                         apr_size_t json_len, const void *pdf,
                         apr_size_t pdf_len, const char *besittelse,
                         apr_size_t besittelse_len, const unsigned char **zip,
                         apr_size_t *zip_len)
{
    static const char mimetype[] = BKM_ASICE_MIMETYPE;
    bkm_asice_entry_t files[6] = {
        /* mimetype first and STORED: readers sniff the type at byte 38 */
        { "mimetype", NULL, mimetype, sizeof(mimetype) - 1, ZIP_CM_STORE },
        { BKM_ASICE_JSON, "application/json", json, json_len,
          ZIP_CM_DEFLATE },
        /* cairo already Flate-compresses the PDF's streams: deflating it
         * again cost half of this function's time (make bench) for a
         * few bytes */
        { BKM_ASICE_PDF, "application/pdf", pdf, pdf_len, ZIP_CM_STORE },
        { BKM_ASICE_MANIFEST, NULL, NULL, 0, ZIP_CM_DEFLATE },
        { BKM_ASICE_SIGNATURE, NULL, NULL, 0, ZIP_CM_STORE },
        /* Last, and not in the manifest: META-INF is not a data object
         * in ASiC-E, so readers that walk the manifest (the incumbent's)
         * see the same two documents as before. */
        { BKM_ASICE_BESITTELSE, NULL, besittelse, besittelse_len,
          ZIP_CM_DEFLATE }
    };
    int nfiles = besittelse ? 6 : 5;
    const unsigned char *sig;
    apr_size_t sig_len;
    bkm_zip_t *z;
    const char *err;

    if (!signer) {
        return "no signer loaded";
    }
    if (!json || !json_len) {
        return "no JSON given";
    }
    if (!pdf || !pdf_len) {
        return "no PDF given";
    }
    if ((err = manifest(tmp, files, 3, &files[3].data, &files[3].len))) {
        return err;
    }
    if ((err = bkm_cms_sign_detached(tmp, signer, files[3].data, files[3].len,
                                     &sig, &sig_len))) {
        return apr_pstrcat(tmp, "signing the manifest: ", err, NULL);
    }
    files[4].data = sig;
    files[4].len = sig_len;

    if ((err = open_archive(tmp, &z))
        || (err = write_archive(tmp, z, files, nfiles))) {
        return err;
    }
    return read_archive(p, tmp, z, zip, zip_len);
}

const char *bkm_asice_build(apr_pool_t *p, const bkm_signer_t *signer,
                            const char *json, apr_size_t json_len,
                            const void *pdf, apr_size_t pdf_len,
                            const unsigned char **zip, apr_size_t *zip_len)
{
    return bkm_asice_build_besittelse(p, signer, json, json_len, pdf, pdf_len,
                                      NULL, 0, zip, zip_len);
}

const char *bkm_asice_build_besittelse(apr_pool_t *p,
                                       const bkm_signer_t *signer,
                                       const char *json, apr_size_t json_len,
                                       const void *pdf, apr_size_t pdf_len,
                                       const char *besittelse,
                                       apr_size_t besittelse_len,
                                       const unsigned char **zip,
                                       apr_size_t *zip_len)
{
    apr_pool_t *tmp;
    const char *err;

    *zip = NULL;
    *zip_len = 0;
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return "apr_pool_create failed";
    }
    err = build(p, tmp, signer, json, json_len, pdf, pdf_len, besittelse,
                besittelse_len, zip, zip_len);
    if (err) {
        err = apr_pstrdup(p, err);
    }
    apr_pool_destroy(tmp);
    return err;
}
