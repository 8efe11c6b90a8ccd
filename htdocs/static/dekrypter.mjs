// SPDX-License-Identifier: Apache-2.0
//
// Opens a sealed report in the receiver's own browser (the "manual
// download" channel): municipalities without a case system get the PDF as
// CMS sealed to their district's manual-download certificate
// (modules/core/bkm_cms.c), and open it here with the certificate's private key.
// The key file is read in the page and never leaves the machine; nothing
// is sent anywhere but the one GET of the sealed message from our own host.
//
// What is opened is exactly bkm_cms.c's profile, in either form:
//   EnvelopedData (RFC 5652), AES-256-CBC                   (the incumbent's)
//   AuthEnvelopedData (RFC 5083/5084), AES-256-GCM
// with the content-encryption key in a KeyTransRecipientInfo, RSAES-OAEP
// (RFC 4055) with SHA-256, MGF1-SHA-256 and the empty label.
//
// pkijs parses the CMS structures; it has no AuthEnvelopedData, so that
// outer SEQUENCE is walked here with asn1js.  All cryptography is the
// browser's own (crypto.subtle): both forms go through the same few lines
// below, so each failure maps to one error code the page can explain:
//   "nokkel"     the key file is not an unencrypted RSA private key in PEM
//   "mottaker"   the key opens none of the message's recipients
//   "format"     not a CMS message this page can open
//   "integritet" the content was altered (GCM tag, or CBC padding)
//
// Built by build/assets/bundle into htdocs/static/vendor/dekrypter.js (one
// IIFE, no eval: the pages' CSP is script-src 'self').  The tests import
// this file directly in Node (t/browser/dekrypter.test.mjs).

import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, ContentInfo, EnvelopedData, EncryptedContentInfo,
  RecipientInfo, RSAESOAEPParams } from 'pkijs';

const OID = {
  envelopedData: '1.2.840.113549.1.7.3',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  pSpecified: '1.2.840.113549.1.1.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  aes256Gcm: '2.16.840.1.101.3.4.1.46',
};

// OAEP hashes WebCrypto can do.  WebCrypto always uses MGF1 with the OAEP
// hash itself, so a message whose MGF1 hash differs cannot be opened.
const HASHES = {
  '1.3.14.3.2.26': 'SHA-1',     // RFC 4055's default when params are absent
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};

function fail(code, message) {
  const e = new Error(message);
  e.code = code;
  return e;
}

const subtle = () => {
  if (!globalThis.crypto || !globalThis.crypto.subtle)
    throw fail('nokkel', 'WebCrypto (crypto.subtle) is not available here');
  return globalThis.crypto.subtle;
};

// Zeroes our own copies of secrets.  JavaScript cannot promise that no
// other copy exists (strings, engine internals), so this is best effort:
// what we can do is wipe the buffers we hold and keep no reference.
const wipe = (...bufs) => { for (const b of bufs) if (b) b.fill(0); };

// ---- the key file ------------------------------------------------------

// DER length octets (X.690 8.1.3), for the PKCS#8 wrapper below.
function derLength(n) {
  if (n < 0x80) return [n];
  const out = [];
  for (; n > 0; n >>>= 8) out.unshift(n & 0xff);
  return [0x80 | out.length, ...out];
}

// PKCS#1 RSAPrivateKey -> PKCS#8 PrivateKeyInfo (RFC 5208), which is all
// WebCrypto imports: SEQUENCE { INTEGER 0, AlgorithmIdentifier
// { rsaEncryption, NULL }, OCTET STRING <the PKCS#1 key> }.  Written by
// hand rather than with asn1js so that we own, and can wipe, every copy.
function pkcs1ToPkcs8(pkcs1) {
  const head = [0x02, 0x01, 0x00,
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    0x04, ...derLength(pkcs1.length)];
  const body = head.length + pkcs1.length;
  const outer = [0x30, ...derLength(body)];
  const der = new Uint8Array(outer.length + body);
  der.set(outer, 0);
  der.set(head, outer.length);
  der.set(pkcs1, outer.length + head.length);
  return der;
}

// The PKCS#8 DER of the first unencrypted private key in a PEM file.  Other
// blocks (a certificate saved in the same file) are ignored.  Keys
// protected by a passphrase are refused: asking for a passphrase would need
// a PBES2 implementation for a case that the instructions rule out.
export function pkcs8FromPem(text) {
  if (typeof text !== 'string') throw fail('nokkel', 'the key is not text');
  const m = /-----BEGIN (PRIVATE KEY|RSA PRIVATE KEY)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) {
    throw fail('nokkel', /-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text)
      ? 'the private key is encrypted (passphrase); an unencrypted one is needed'
      : 'no PEM private key ("BEGIN PRIVATE KEY" or "BEGIN RSA PRIVATE KEY") in the file');
  }
  if (/Proc-Type:|DEK-Info:/.test(m[2]))
    throw fail('nokkel', 'the RSA private key is encrypted (passphrase); an unencrypted one is needed');
  const b64 = m[2].replace(/\s+/g, '');
  let bin;
  try {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error('not base64');
    bin = atob(b64);
  } catch {
    throw fail('nokkel', 'the PEM block is not valid base64');
  }
  const der = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (m[1] === 'PRIVATE KEY') return der;
  const wrapped = pkcs1ToPkcs8(der);
  wipe(der);
  return wrapped;
}

// ---- the message -----------------------------------------------------

const isContext = (el, n) => el && el.idBlock.tagClass === 3 && el.idBlock.tagNumber === n;

// AuthEnvelopedData (RFC 5083 2.1), with pkijs's classes for its parts:
//   SEQUENCE { version, originatorInfo [0] IMPLICIT OPTIONAL,
//     recipientInfos SET OF RecipientInfo, authEncryptedContentInfo,
//     authAttrs [1] IMPLICIT OPTIONAL, mac OCTET STRING,
//     unauthAttrs [2] IMPLICIT OPTIONAL }
function authEnveloped(seq) {
  if (!(seq instanceof asn1js.Sequence)) throw new Error('not a SEQUENCE');
  const items = seq.valueBlock.value;
  let i = 0;
  if (!(items[i++] instanceof asn1js.Integer)) throw new Error('no version');
  if (isContext(items[i], 0)) i++;                        // originatorInfo
  const set = items[i++];
  if (!(set instanceof asn1js.Set)) throw new Error('no recipientInfos');
  const recipientInfos = set.valueBlock.value.map((schema) => new RecipientInfo({ schema }));
  if (!items[i]) throw new Error('no authEncryptedContentInfo');
  const eci = new EncryptedContentInfo({ schema: items[i++] });
  // The authenticated attributes are MACed as their DER with the SET OF
  // tag (0x31) in place of [1] (RFC 5083 2.2).  OpenSSL sends none.
  let aad;
  if (isContext(items[i], 1)) {
    aad = new Uint8Array(items[i++].valueBeforeDecodeView);
    aad[0] = 0x31;
  }
  const mac = items[i++];
  if (!(mac instanceof asn1js.OctetString)) throw new Error('no mac');
  return { recipientInfos, eci, aad, mac: new Uint8Array(mac.valueBlock.valueHexView) };
}

// { recipientInfos, eci, aead, aad, mac } of a DER ContentInfo.
function parseMessage(der) {
  const asn = asn1js.fromBER(der);
  // fromBER stops after the first element: trailing bytes mean this is
  // not one DER message.
  if (asn.offset !== der.byteLength) throw fail('format', 'not one DER-encoded CMS ContentInfo');
  try {
    const ci = new ContentInfo({ schema: asn.result });
    if (ci.contentType === OID.envelopedData) {
      const ed = new EnvelopedData({ schema: ci.content });
      return { recipientInfos: ed.recipientInfos, eci: ed.encryptedContentInfo, aead: false };
    }
    if (ci.contentType === OID.authEnvelopedData)
      return { ...authEnveloped(ci.content), aead: true };
  } catch (e) {
    throw fail('format', `not a CMS EnvelopedData or AuthEnvelopedData (${e.message})`);
  }
  throw fail('format', 'the CMS content type is neither EnvelopedData nor AuthEnvelopedData');
}

// The WebCrypto parameters of a KeyTransRecipientInfo with RSAES-OAEP, or
// null when it has another scheme (PKCS#1 v1.5, which WebCrypto cannot
// decrypt) or OAEP parameters WebCrypto cannot follow.
function oaepOf(ktri) {
  const alg = ktri.keyEncryptionAlgorithm;
  if (alg.algorithmId !== OID.rsaesOaep) return null;
  // Absent parameters (or an empty SEQUENCE) mean all defaults: SHA-1.
  const p = alg.algorithmParams instanceof asn1js.Sequence
    ? new RSAESOAEPParams({ schema: alg.algorithmParams }) : new RSAESOAEPParams();
  const hash = HASHES[p.hashAlgorithm.algorithmId];
  if (!hash || p.maskGenAlgorithm.algorithmId !== OID.mgf1) return null;
  const mgfHash = new AlgorithmIdentifier({ schema: p.maskGenAlgorithm.algorithmParams });
  if (HASHES[mgfHash.algorithmId] !== hash) return null;
  // The label: pSourceAlgorithm [2], absent for the empty label (RFC 4055's
  // default, and bkm_cms.c's).  Looked up in the encoding itself, because
  // pkijs fills an absent one with a default that holds SHA-1("").
  let label;
  const pSource = alg.algorithmParams instanceof asn1js.Sequence
    && alg.algorithmParams.valueBlock.value.some((el) => isContext(el, 2));
  if (pSource) {
    if (p.pSourceAlgorithm.algorithmId !== OID.pSpecified
        || !(p.pSourceAlgorithm.algorithmParams instanceof asn1js.OctetString)) return null;
    const l = p.pSourceAlgorithm.algorithmParams.valueBlock.valueHexView;
    if (l.byteLength) label = new Uint8Array(l);
  }
  return { hash, label };
}

// The content-encryption key: tried against every RSAES-OAEP recipient.
// Without the certificate, issuer and serial number cannot be compared;
// OAEP's padding check tells a wrong key apart instead (a wrong key passes
// it with probability about 2^-256 for SHA-256).
async function unwrapKey(recipientInfos, pkcs8, keyLength) {
  const keys = new Map();          // OAEP hash -> imported private key
  let usable = 0;
  for (const ri of recipientInfos) {
    if (ri.variant !== 1) continue;          // only KeyTransRecipientInfo
    let oaep = null;
    try {
      oaep = oaepOf(ri.value);
    } catch {
      // malformed OAEP parameters: this recipient cannot be opened
    }
    if (!oaep) continue;
    usable++;
    if (!keys.has(oaep.hash)) {
      try {
        keys.set(oaep.hash, await subtle().importKey('pkcs8', pkcs8,
          { name: 'RSA-OAEP', hash: oaep.hash }, false, ['decrypt']));
      } catch (e) {
        if (e.code) throw e;
        throw fail('nokkel', `the file holds no usable RSA private key (${e.name})`);
      }
    }
    let cek;
    try {
      cek = new Uint8Array(await subtle().decrypt(
        { name: 'RSA-OAEP', ...(oaep.label ? { label: oaep.label } : {}) },
        keys.get(oaep.hash), ri.value.encryptedKey.valueBlock.valueHexView));
    } catch {
      continue;                              // not this recipient's key
    }
    if (cek.length === keyLength) return cek;
    wipe(cek);
  }
  if (!usable)
    throw fail('format', 'no recipient uses RSAES-OAEP with parameters WebCrypto supports');
  throw fail('mottaker', 'the key is not the key of any of the message\'s recipients');
}

/**
 * Decrypts a sealed report.
 * @param {ArrayBuffer|Uint8Array} cmsDer  the DER CMS message
 * @param {string} keyText  PEM: PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY"
 * @returns {Promise<Uint8Array>} the plaintext (the PDF)
 * @throws Error with .code "nokkel", "mottaker", "format" or "integritet"
 */
export async function decrypt(cmsDer, keyText) {
  const der = cmsDer instanceof Uint8Array ? cmsDer
    : cmsDer instanceof ArrayBuffer ? new Uint8Array(cmsDer) : null;
  if (!der) throw fail('format', 'the message must be an ArrayBuffer or Uint8Array');
  const pkcs8 = pkcs8FromPem(keyText);
  let cek;
  try {
    const msg = parseMessage(der);
    const alg = msg.eci.contentEncryptionAlgorithm;
    const params = alg.algorithmParams;
    let cipher;
    if (!msg.aead && alg.algorithmId === OID.aes256Cbc) {
      // CBC's parameter is the IV, an OCTET STRING of one block.
      if (!(params instanceof asn1js.OctetString) || params.valueBlock.valueHexView.byteLength !== 16)
        throw fail('format', 'AES-256-CBC without a 16-byte IV');
      cipher = { name: 'AES-CBC', iv: new Uint8Array(params.valueBlock.valueHexView) };
    } else if (msg.aead && alg.algorithmId === OID.aes256Gcm) {
      // GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING,
      //   aes-ICVlen INTEGER DEFAULT 12 }  (RFC 5084 3.2)
      const [nonce, icv] = params instanceof asn1js.Sequence ? params.valueBlock.value : [];
      const icvLen = icv instanceof asn1js.Integer ? icv.valueBlock.valueDec : 12;
      if (!(nonce instanceof asn1js.OctetString) || ![12, 13, 14, 15, 16].includes(icvLen)
          || msg.mac.length !== icvLen)
        throw fail('format', 'AES-256-GCM parameters or tag malformed');
      cipher = { name: 'AES-GCM', iv: new Uint8Array(nonce.valueBlock.valueHexView),
        tagLength: icvLen * 8, ...(msg.aad ? { additionalData: msg.aad } : {}) };
    } else {
      throw fail('format', `content encryption ${alg.algorithmId} is not AES-256-CBC (EnvelopedData) or AES-256-GCM (AuthEnvelopedData)`);
    }
    let content;
    try {
      content = new Uint8Array(msg.eci.getEncryptedContent());
    } catch {
      throw fail('format', 'the message carries no encrypted content');
    }
    // WebCrypto's AES-GCM takes the tag appended to the ciphertext.
    if (msg.aead) {
      const joined = new Uint8Array(content.length + msg.mac.length);
      joined.set(content);
      joined.set(msg.mac, content.length);
      content = joined;
    }

    cek = await unwrapKey(msg.recipientInfos, pkcs8, 32);
    const key = await subtle().importKey('raw', cek, { name: cipher.name }, false, ['decrypt']);
    wipe(cek);
    try {
      return new Uint8Array(await subtle().decrypt(cipher, key, content));
    } catch {
      // The right key (OAEP said so) and still a failure: the GCM tag does
      // not match, or the CBC padding is broken.  Either way the bytes
      // are not the ones that were sealed.
      throw fail('integritet', msg.aead ? 'the GCM authentication tag does not match'
        : 'the decrypted content has broken padding');
    }
  } finally {
    wipe(pkcs8, cek);
  }
}

// ---- ASiC-E containers ------------------------------------------------

// A producer's report reaches a manual-download district as the ASiC-E
// container it sent (a zip: mimetype, bekymringsmelding.pdf and .json,
// META-INF/...), sealed as a whole.  After decryption the page takes the
// PDF out of it.  Only what a zip's central directory says is trusted, and
// only "stored" (0) and "deflate" (8) entries are read (the browser's own
// DecompressionStream inflates).
const u16 = (b, o) => b[o] | (b[o + 1] << 8);
const u32 = (b, o) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

// Far above any report's PDF (the form's text and a few pages).
const MAX_PDF = 64 * 1024 * 1024;

export const isZip = (b) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 3 && b[3] === 4;

/**
 * The PDF inside an ASiC-E container: bekymringsmelding.pdf, else the
 * first *.pdf at the top level.
 * @param {Uint8Array} zip
 * @returns {Promise<Uint8Array>}
 * @throws Error with .code "format"
 */
export async function pdfFromContainer(zip) {
  // The end of central directory record: within the last 64 KiB + 22.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65557); i--) {
    if (u32(zip, i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw fail('format', 'the container is not a zip (no end of central directory)');
  const count = u16(zip, eocd + 10);
  let at = u32(zip, eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || u32(zip, at) !== 0x02014b50) throw fail('format', 'a broken zip central directory');
    const method = u16(zip, at + 10), csize = u32(zip, at + 20), size = u32(zip, at + 24);
    const nameLen = u16(zip, at + 28), extraLen = u16(zip, at + 30), commentLen = u16(zip, at + 32);
    const local = u32(zip, at + 42);
    const name = new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLen));
    entries.push({ name, method, csize, size, local });
    at += 46 + nameLen + extraLen + commentLen;
  }
  const e = entries.find((x) => x.name === 'bekymringsmelding.pdf')
    || entries.find((x) => !x.name.includes('/') && /\.pdf$/i.test(x.name));
  if (!e) throw fail('format', 'the container holds no PDF');
  if (e.local + 30 > zip.length || u32(zip, e.local) !== 0x04034b50) throw fail('format', 'a broken zip entry');
  const start = e.local + 30 + u16(zip, e.local + 26) + u16(zip, e.local + 28);
  const data = zip.subarray(start, start + e.csize);
  if (data.length !== e.csize) throw fail('format', 'a zip entry runs past the end');
  let out;
  if (e.method === 0) {
    out = new Uint8Array(data);
  } else if (e.method === 8 && typeof DecompressionStream === 'function') {
    // A producer's container is not trusted: inflate no more than the
    // size the directory declares (and never more than MAX_PDF), so that
    // a "zip bomb" cannot fill the receiver's memory.
    if (e.size > MAX_PDF) throw fail('format', 'the PDF in the container is too large');
    const reader = new Blob([data]).stream()
      .pipeThrough(new DecompressionStream('deflate-raw')).getReader();
    out = new Uint8Array(e.size);
    let got = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (got + value.length > e.size) throw fail('format', 'the PDF in the container is larger than declared');
        out.set(value, got);
        got += value.length;
      }
    } catch (err) {
      reader.cancel().catch(() => {});
      throw err.code ? err : fail('format', 'the PDF in the container cannot be inflated');
    }
    if (got !== e.size) throw fail('format', 'the PDF in the container has the wrong size');
  } else {
    throw fail('format', `zip compression method ${e.method} is not supported here`);
  }
  if (out.length !== e.size) throw fail('format', 'the PDF in the container has the wrong size');
  return out;
}

// ---- the page --------------------------------------------------------

// Progressive: the C page renders <section id="dekrypter" hidden> with
// every text, in the page's language, in data-tekst-* attributes; without
// this script (or without WebCrypto, which needs https) it stays hidden.
function wire(doc) {
  const section = doc.getElementById('dekrypter');
  const input = doc.getElementById('nokkelfil');
  const button = doc.getElementById('apne');
  const status = doc.getElementById('dekrypter-status');
  const link = doc.getElementById('pdf-lenke');
  const view = doc.getElementById('pdf-vis');
  const containerLink = doc.getElementById('container-lenke');
  const confirmForm = doc.getElementById('bekreft-skjema');
  const confirmLater = doc.getElementById('bekreft-etter');
  if (!section || !input || !button || !status || !link || !section.dataset.url) return;
  if (!globalThis.crypto || !globalThis.crypto.subtle || typeof fetch !== 'function') return;
  const text = (code) => section.dataset[`tekst${code[0].toUpperCase()}${code.slice(1)}`] || '';
  let pdfUrl = null;
  let containerUrl = null;

  section.hidden = false;
  button.addEventListener('click', async () => {
    button.disabled = true;
    link.hidden = true;
    if (pdfUrl) {                  // a second try forgets the first PDF
      link.removeAttribute('href');
      if (view) { view.removeAttribute('href'); view.hidden = true; }
      URL.revokeObjectURL(pdfUrl);
      pdfUrl = null;
    }
    if (containerUrl) {
      if (containerLink) { containerLink.removeAttribute('href'); containerLink.hidden = true; }
      URL.revokeObjectURL(containerUrl);
      containerUrl = null;
    }
    status.textContent = text('apner');
    try {
      const file = input.files && input.files[0];
      if (!file) throw fail('nokkel', 'no key file chosen');
      let keyText;
      try {
        keyText = await file.text();
      } catch {
        throw fail('nokkel', 'the key file cannot be read');
      }
      let res;
      try {
        // Same origin with the session cookie; no redirect followed: an
        // expired session would otherwise land on a login page (and the
        // CSP's connect-src), and be reported as "not a message".
        res = await fetch(section.dataset.url,
          { credentials: 'same-origin', cache: 'no-store', redirect: 'error' });
      } catch {
        throw fail('nett', 'the message could not be fetched');
      }
      if (!res.ok) throw fail('nett', `the message could not be fetched (HTTP ${res.status})`);
      const plain = await decrypt(await res.arrayBuffer(), keyText);
      keyText = null;              // the key's text: no reference kept
      let pdf = plain;
      if (isZip(plain)) {          // a producer's ASiC-E container
        pdf = await pdfFromContainer(plain);
        if (containerLink) {
          containerUrl = URL.createObjectURL(new Blob([plain], { type: 'application/vnd.etsi.asic-e+zip' }));
          containerLink.href = containerUrl;
          containerLink.download = section.dataset.container || 'bekymringsmelding.asice';
          containerLink.hidden = false;
        }
        plain.fill(0);
      }
      pdfUrl = URL.createObjectURL(new Blob([pdf], { type: 'application/pdf' }));
      pdf.fill(0);                 // the Blob holds its own copy
      link.href = pdfUrl;
      link.download = section.dataset.filnavn || '';
      link.hidden = false;
      if (view) { view.href = pdfUrl; view.hidden = false; }
      // Downloaded in full now: the confirmation may be offered.
      if (confirmForm) confirmForm.hidden = false;
      if (confirmLater) confirmLater.hidden = true;
      status.textContent = text('klar');
    } catch (e) {
      status.textContent = text(e && e.code && text(e.code) ? e.code : 'format');
    } finally {
      button.disabled = false;
    }
  });
}

if (typeof window !== 'undefined') {
  window.BkmDekrypter = { decrypt, pdfFromContainer };
  if (typeof document !== 'undefined') {
    if (document.readyState === 'loading')
      document.addEventListener('DOMContentLoaded', () => wire(document));
    else
      wire(document);
  }
}
