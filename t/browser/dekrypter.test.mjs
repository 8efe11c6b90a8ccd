#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// The in-browser decrypter of the manual-download channel, without httpd:
//
//  1. In Node (crypto.subtle as in a browser), htdocs/static/dekrypter.mjs
//     itself opens what `openssl cms -encrypt` seals with the options that
//     give bkm_cms.c's exact output (EnvelopedData AES-256-CBC and
//     AuthEnvelopedData AES-256-GCM, RSAES-OAEP SHA-256/MGF1-SHA-256), to
//     a key and certificate made here, and gives the right error codes.
//  2. In Debian's Chromium, the bundle htdocs/static/vendor/dekrypter.js
//     (built by make: build/assets/bundle) on a static page with the
//     pages' Content-Security-Policy, served by a throwaway local server:
//     the key file chosen, the message fetched, the PDF downloaded through
//     the page's blob: link, byte for byte; the error texts; no CSP
//     violation; no request but the page's own GETs.
//
// Usage: node t/browser/dekrypter.test.mjs      (after make, and npm ci in
// t/browser).  Prints TAP; exits non-zero if anything failed.

import { register } from 'node:module';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import zlib from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ASSETS = join(ROOT, 'build/assets');
const SOURCE = join(ROOT, 'htdocs/static/dekrypter.mjs');
const BUNDLE = join(ROOT, 'htdocs/static/vendor/dekrypter.js');

// The source imports 'pkijs' and 'asn1js' bare, as esbuild resolves them
// (from build/assets/node_modules); Node would look beside htdocs/.  This
// resolve hook sends bare imports from htdocs/static/ to build/assets.
const HOOK = `
const FROM = ${JSON.stringify(pathToFileURL(join(ROOT, 'htdocs/static/')).href)};
const TO = ${JSON.stringify(pathToFileURL(join(ASSETS, 'package.json')).href)};
export async function resolve(spec, ctx, next) {
  if (/^[@a-z]/i.test(spec) && !spec.startsWith('node:') && ctx.parentURL?.startsWith(FROM))
    return next(spec, { ...ctx, parentURL: TO });
  return next(spec, ctx);
}`;
register(`data:text/javascript,${encodeURIComponent(HOOK)}`);

// ---- TAP ---------------------------------------------------------------

let n = 0;
let failed = 0;
function check(name, ok, diag) {
  n++;
  if (!ok) failed++;
  console.log(`${ok ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!ok && diag !== undefined)
    console.log(`  # ${String(typeof diag === 'string' ? diag : JSON.stringify(diag)).replace(/\n/g, '\n  # ')}`);
}
const same = (a, b) => a && b && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

// ---- material: keys, certificates, messages ----------------------------

const DIR = mkdtempSync(join(tmpdir(), 'bkm-dekrypter-'));
const f = (name) => join(DIR, name);
const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

function keyAndCert(name) {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`),
    '-out', f(`${name}.pem`), '-subj', `/CN=${name}`, '-days', '2');
}
keyAndCert('manuell');
keyAndCert('annen');
// The same key as PKCS#1 ("BEGIN RSA PRIVATE KEY"), as older tools save it.
openssl('pkey', '-in', f('manuell.key'), '-traditional', '-out', f('manuell-rsa.key'));
// The same key behind a passphrase, an EC key, a certificate and a key in one file.
openssl('pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-passout', 'pass:hemmelig',
  '-in', f('manuell.key'), '-out', f('manuell-kryptert.key'));
openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f('ec.key'));
writeFileSync(f('manuell-med-sert.pem'),
  readFileSync(f('manuell.pem'), 'utf8') + readFileSync(f('manuell.key'), 'utf8'));

// A stand-in for the PDF: every byte value, and more than one block.
const PLAIN = Buffer.concat([Buffer.from('%PDF-1.7\n'),
  Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) & 0xff))]);
writeFileSync(f('melding.pdf'), PLAIN);
writeFileSync(f('tom.pdf'), '');

// What bkm_cms.c makes (CMS_encrypt + CMS_add1_recipient_cert with
// CMS_BINARY | CMS_PARTIAL | CMS_KEY_PARAM, OAEP set on the recipient's
// context): the CLI gives the same DER structure with exactly these
// options.  -aes256 is AES-256-CBC (EnvelopedData), -aes-256-gcm gives
// AuthEnvelopedData.
function seal(inFile, cert, cipher, out) {
  openssl('cms', '-encrypt', '-binary', '-outform', 'DER', cipher, '-in', f(inFile), '-out', f(out),
    '-recip', f(cert), '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256',
    '-keyopt', 'rsa_mgf1_md:sha256');
  return readFileSync(f(out));
}
const CBC = seal('melding.pdf', 'manuell.pem', '-aes256', 'cbc.cms');
const GCM = seal('melding.pdf', 'manuell.pem', '-aes-256-gcm', 'gcm.cms');
const CBC0 = seal('tom.pdf', 'manuell.pem', '-aes256', 'cbc0.cms');
const GCM0 = seal('tom.pdf', 'manuell.pem', '-aes-256-gcm', 'gcm0.cms');
const CBC_ANNEN = seal('melding.pdf', 'annen.pem', '-aes256', 'cbc-annen.cms');
const key = (name) => readFileSync(f(name), 'utf8');

// ---- 1. the module in Node ---------------------------------------------

async function code(promise) {
  try {
    await promise;
    return 'no error';
  } catch (e) {
    return e.code || `${e.name}: ${e.message}`;
  }
}

async function inNode() {
  const { decrypt } = await import(pathToFileURL(SOURCE).href);
  const K = key('manuell.key');
  const K1 = key('manuell-rsa.key');
  check('the PKCS#8 key file is "BEGIN PRIVATE KEY", the PKCS#1 one "BEGIN RSA PRIVATE KEY"',
    K.includes('BEGIN PRIVATE KEY') && K1.includes('BEGIN RSA PRIVATE KEY'));
  const txt = openssl('cms', '-cmsout', '-print', '-inform', 'DER', '-in', f('gcm.cms')).toString();
  check('openssl made AuthEnvelopedData, AES-256-GCM, RSAES-OAEP SHA-256/MGF1-SHA-256',
    /id-smime-ct-authEnvelopedData/.test(txt) && /aes-256-gcm/.test(txt)
    && /rsaesOaep/.test(txt) && !/sha1/.test(txt), txt);

  check('EnvelopedData AES-256-CBC, PKCS#8 key: the plaintext', same(await decrypt(CBC, K), PLAIN));
  check('AuthEnvelopedData AES-256-GCM, PKCS#8 key: the plaintext', same(await decrypt(GCM, K), PLAIN));
  check('EnvelopedData AES-256-CBC, PKCS#1 key: the plaintext', same(await decrypt(CBC, K1), PLAIN));
  check('AuthEnvelopedData AES-256-GCM, PKCS#1 key: the plaintext', same(await decrypt(GCM, K1), PLAIN));
  const ab = GCM.buffer.slice(GCM.byteOffset, GCM.byteOffset + GCM.length);
  check('an ArrayBuffer works as well as a Uint8Array', same(await decrypt(ab, K), PLAIN));
  check('a certificate before the key in the file is skipped',
    same(await decrypt(CBC, key('manuell-med-sert.pem')), PLAIN));
  const crlf = K.replace(/\n/g, '\r\n');
  check('a key file with CRLF line ends', same(await decrypt(GCM, crlf), PLAIN));
  const e0 = await decrypt(CBC0, K);
  const g0 = await decrypt(GCM0, K);
  check('an empty plaintext, both forms', e0.length === 0 && g0.length === 0);
  const out = await decrypt(GCM, K);
  check('the result is a Uint8Array', out instanceof Uint8Array);

  check('another key: "mottaker" (CBC)', await code(decrypt(CBC, key('annen.key'))) === 'mottaker');
  check('another key: "mottaker" (GCM)', await code(decrypt(GCM, key('annen.key'))) === 'mottaker');
  check('another key, PKCS#1: "mottaker"',
    await code(decrypt(CBC_ANNEN, K1)) === 'mottaker');
  check('an EC key: "nokkel"', await code(decrypt(GCM, key('ec.key'))) === 'nokkel');
  check('a passphrase-protected key: "nokkel"',
    await code(decrypt(GCM, key('manuell-kryptert.key'))) === 'nokkel');
  check('a certificate only: "nokkel"', await code(decrypt(GCM, key('manuell.pem'))) === 'nokkel');
  check('not PEM: "nokkel"', await code(decrypt(GCM, 'hei')) === 'nokkel');
  const broken = K.replace(/(BEGIN PRIVATE KEY-----\n)(.{8})/, '$1AAAAAAAA');
  check('a damaged PKCS#8 key: "nokkel"', await code(decrypt(GCM, broken)) === 'nokkel');

  check('the PDF itself (not CMS): "format"', await code(decrypt(PLAIN, K)) === 'format');
  check('an empty file: "format"', await code(decrypt(new Uint8Array(0), K)) === 'format');
  check('a truncated message: "format"',
    await code(decrypt(GCM.subarray(0, GCM.length - 20), K)) === 'format');
  check('trailing bytes after the message: "format"',
    await code(decrypt(Buffer.concat([CBC, Buffer.from([0])]), K)) === 'format');
  openssl('cms', '-sign', '-binary', '-outform', 'DER', '-in', f('melding.pdf'),
    '-signer', f('manuell.pem'), '-inkey', f('manuell.key'), '-out', f('signert.cms'));
  check('CMS SignedData: "format"',
    await code(decrypt(readFileSync(f('signert.cms')), K)) === 'format');

  // The ciphertext ends each message; the GCM tag (16 bytes) comes after it.
  const gcmBad = Buffer.from(GCM);
  gcmBad[gcmBad.length - 1000] ^= 0x01;
  check('GCM, one ciphertext bit flipped: "integritet"', await code(decrypt(gcmBad, K)) === 'integritet');
  const tagBad = Buffer.from(GCM);
  tagBad[tagBad.length - 1] ^= 0x80;
  check('GCM, one tag bit flipped: "integritet"', await code(decrypt(tagBad, K)) === 'integritet');
  // CBC has no tag; a flipped bit in the last byte of the next-to-last
  // block flips the last padding byte, which always breaks the padding.
  const cbcBad = Buffer.from(CBC);
  cbcBad[cbcBad.length - 17] ^= 0x01;
  check('CBC, broken padding: "integritet"', await code(decrypt(cbcBad, K)) === 'integritet');
}

// ---- 2. the bundle in Chromium -----------------------------------------

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const FILNAVN = 'bekymringsmelding-ABCD-1234.pdf';
const TEKST = {
  apner: 'Åpner …',
  klar: 'Meldingen er åpnet.',
  nokkel: 'Nøkkelfilen kan ikke brukes.',
  mottaker: 'Nøkkelen passer ikke til denne meldingen.',
  format: 'Filen er ikke en kryptert melding.',
  integritet: 'Meldingen er endret eller skadet.',
  nett: 'Meldingen kunne ikke lastes ned.',
};
// The message each page fetches (the server answers the CMS DER).
const MELDINGER = { gcm: GCM, cbc: CBC };

// The markup the C page will render (issue 6), with the texts it gives.
function side(kind) {
  const url = `/kommune/0301/mottak/${kind}/melding`;
  const attrs = Object.entries(TEKST).map(([k, v]) => ` data-tekst-${k}="${v}"`).join('\n           ');
  const section = kind === 'uten' ? '<p>Ingen melding her.</p>' : `
<section id="dekrypter" data-url="${url}"
         data-filnavn="${FILNAVN}"
         ${attrs} hidden>
  <label for="nokkelfil">Nøkkelfil</label><input type="file" id="nokkelfil" accept=".pem,.key">
  <button type="button" id="apne">Åpne meldingen</button>
  <p id="dekrypter-status" role="status"></p>
  <a id="pdf-lenke" hidden download>Last ned meldingen (PDF)</a>
</section>`;
  return `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Mottak</title>
<script src="/static/vendor/dekrypter.js" defer></script></head>
<body><main><h1>Melding ABCD-1234</h1>${section}</main></body></html>
`;
}

// Every request the browser made, for the check that it only ever GETs
// the page, the script and the message (the key file is never sent).
const requests = [];
function serve(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    requests.push({ method: req.method, url: req.url, headers: JSON.stringify(req.headers), body });
    const u = new URL(req.url, 'http://x');
    let m;
    const head = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };
    if ((m = /^\/side\/(gcm|cbc|borte|uten)$/.exec(u.pathname))) {
      // The session cookie the message's GET must carry.
      res.writeHead(200, { ...head, 'Content-Type': 'text/html; charset=utf-8',
        'Set-Cookie': 'okt=1; Path=/; HttpOnly; SameSite=Strict' });
      res.end(side(m[1]));
    } else if (u.pathname === '/static/vendor/dekrypter.js') {
      res.writeHead(200, { ...head, 'Content-Type': 'text/javascript; charset=utf-8' });
      res.end(readFileSync(BUNDLE));
    } else if ((m = /^\/kommune\/0301\/mottak\/(\w+)\/melding$/.exec(u.pathname))
               && MELDINGER[m[1]] && /(^|;\s*)okt=1(;|$)/.test(req.headers.cookie || '')) {
      res.writeHead(200, { ...head, 'Content-Type': 'application/pkcs7-mime' });
      res.end(MELDINGER[m[1]]);
    } else {
      res.writeHead(404, { ...head, 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
}

// A free port between 8900 and 8950, from a random start.
async function listen(server) {
  const start = Math.floor(Math.random() * 51);
  for (let i = 0; i < 51; i++) {
    const port = 8900 + ((start + i) % 51);
    const ok = await new Promise((done) => {
      server.once('error', () => done(false));
      server.listen(port, '127.0.0.1', () => done(true));
    });
    if (ok) return port;
  }
  throw new Error('no free port between 8900 and 8950');
}

async function inChromium() {
  if (!existsSync(BUNDLE)) {
    check('the bundle htdocs/static/vendor/dekrypter.js exists (run make)', false);
    return;
  }
  const bundle = readFileSync(BUNDLE, 'utf8');
  check('the bundle uses no eval and no Function constructor',
    !/\beval\s*\(|\bFunction\s*\(/.test(bundle));

  let lib;
  try {
    lib = await import('./lib.mjs');
  } catch (e) {
    check('playwright-core is installed (npm ci in t/browser)', false, e.message);
    return;
  }
  const server = http.createServer(serve);
  const port = await listen(server);
  const base = `http://127.0.0.1:${port}`;
  const browser = await lib.launch();
  try {
    const ctx = await browser.newContext({ acceptDownloads: true });
    const w = lib.watch(ctx);
    // Also the violation events themselves (an init script is injected by
    // the DevTools protocol, so the page's CSP does not stop it).
    await ctx.addInitScript(() => {
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation',
        (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await ctx.newPage();
    const status = () => page.textContent('#dekrypter-status');
    // Click "open" and wait for the final text (not the "opening" one).
    async function open(keyFile) {
      await page.setInputFiles('#nokkelfil', f(keyFile));
      await page.click('#apne');
      await page.waitForFunction((apner) => {
        const t = document.getElementById('dekrypter-status').textContent;
        return t && t !== apner && !document.getElementById('apne').disabled;
      }, TEKST.apner, { timeout: 15000 });
      return status();
    }
    async function download() {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#pdf-lenke')]);
      return { name: dl.suggestedFilename(), bytes: readFileSync(await dl.path()) };
    }

    await page.goto(`${base}/side/gcm`);
    await page.waitForFunction(() => window.BkmDekrypter);
    check('the script un-hides the section', await page.isVisible('#dekrypter'));
    check('window.BkmDekrypter.decrypt is there',
      await page.evaluate(() => typeof window.BkmDekrypter.decrypt === 'function'));
    check('the PDF link is hidden before', await page.isHidden('#pdf-lenke'));

    check('GCM, PKCS#8 key: the page says the message is open', await open('manuell.key') === TEKST.klar);
    check('the link is shown, a blob: URL',
      await page.isVisible('#pdf-lenke')
      && (await page.getAttribute('#pdf-lenke', 'href')).startsWith(`blob:${base}/`));
    let dl = await download();
    check('the download is named after data-filnavn', dl.name === FILNAVN, dl.name);
    check('the downloaded PDF is the plaintext, byte for byte', same(dl.bytes, PLAIN),
      `${dl.bytes.length} bytes, expected ${PLAIN.length}`);

    check('another key: the "mottaker" text', await open('annen.key') === TEKST.mottaker);
    check('after a failure the link is hidden again', await page.isHidden('#pdf-lenke'));
    check('a certificate as key file: the "nokkel" text', await open('manuell.pem') === TEKST.nokkel);

    await page.goto(`${base}/side/cbc`);
    check('CBC, PKCS#1 key: the page says the message is open', await open('manuell-rsa.key') === TEKST.klar);
    dl = await download();
    check('CBC: the downloaded PDF is the plaintext', same(dl.bytes, PLAIN));

    await page.goto(`${base}/side/borte`);
    check('a message that is not there (404): the "nett" text', await open('manuell.key') === TEKST.nett);

    await page.goto(`${base}/side/uten`);
    await page.waitForFunction(() => window.BkmDekrypter);
    check('a page without the markup: the script does nothing, and no error', w.errors.length === 0,
      w.errors.join('\n'));

    const violations = await page.evaluate(() => window.cspViolations);
    const csp = lib.newCsp(w);
    check('no Content-Security-Policy violation (console and events)',
      csp.length === 0 && violations.length === 0, [...csp, ...violations].join('\n'));
    check('no script error', w.errors.length === 0, w.errors.join('\n'));

    const keyBody = key('manuell.key').split('\n')[1];
    const odd = requests.filter((r) => r.method !== 'GET' || r.body.length
      || !/^\/(side\/\w+|static\/vendor\/dekrypter\.js|kommune\/0301\/mottak\/\w+\/melding|favicon\.ico)$/.test(r.url)
      || r.headers.includes(keyBody) || r.url.includes(keyBody));
    check('the browser only GETs the page, the script and the message; the key is never sent',
      odd.length === 0, odd.map((r) => `${r.method} ${r.url}`).join('\n'));
    check('the message was fetched with the session cookie',
      requests.some((r) => /\/melding$/.test(r.url) && /okt=1/.test(r.headers)));

    // Without script the section stays hidden: nothing there works without it.
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    const p2 = await noJs.newPage();
    await p2.goto(`${base}/side/gcm`);
    check('without JavaScript the section stays hidden', await p2.isHidden('#dekrypter'));
    await noJs.close();
    await ctx.close();
  } finally {
    await browser.close();
    await new Promise((done) => server.close(done));
  }
}

// ---- 3. ASiC-E containers (issue 14, item 4) ---------------------------
// A producer's report to a manual-download district is its ASiC-E
// container, sealed whole: the page must take the PDF out of it.  The
// containers are written here byte by byte from the zip specification
// (APPNOTE 4.3: local headers, the central directory, its end record),
// with Node's zlib for deflate and CRC-32, as another tool would.
function makeZip(entries) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const { name, data, method } of entries) {
    const raw = Buffer.from(data);
    const body = method === 8 ? zlib.deflateRawSync(raw) : raw;
    const n = Buffer.from(name);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0); h.writeUInt16LE(20, 4); h.writeUInt16LE(method, 8);
    h.writeUInt32LE(zlib.crc32(raw), 14); h.writeUInt32LE(body.length, 18);
    h.writeUInt32LE(raw.length, 22); h.writeUInt16LE(n.length, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0); c.writeUInt16LE(20, 4); c.writeUInt16LE(20, 6);
    c.writeUInt16LE(method, 10); c.writeUInt32LE(zlib.crc32(raw), 16);
    c.writeUInt32LE(body.length, 20); c.writeUInt32LE(raw.length, 24);
    c.writeUInt16LE(n.length, 28); c.writeUInt32LE(offset, 42);
    locals.push(h, n, body);
    central.push(c, n);
    offset += h.length + n.length + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10); end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
function zipOf(name, compression) {
  const z = makeZip([
    { name: 'mimetype', data: 'application/vnd.etsi.asic-e+zip', method: 0 },
    { name: 'bekymringsmelding.pdf', data: PLAIN, method: compression },
    { name: 'bekymringsmelding.json', data: '{"melding": "x"}', method: compression },
    { name: 'META-INF/asicmanifest.xml', data: '<ASiCManifest/>', method: compression },
  ]);
  writeFileSync(f(name), z);
  return z;
}

async function containers() {
  const { decrypt, pdfFromContainer, isZip } = await import(pathToFileURL(SOURCE).href);
  const stored = zipOf('stored.asice', 0);
  const deflated = zipOf('deflated.asice', 8);
  check('a container is a zip, a PDF is not', isZip(stored) && !isZip(PLAIN));
  check('container, stored: its PDF', same(await pdfFromContainer(stored), PLAIN));
  check('container, deflated: its PDF', same(await pdfFromContainer(deflated), PLAIN));
  writeFileSync(f('deflated.asice'), deflated);
  const sealed = seal('deflated.asice', 'manuell.pem', '-aes256', 'asice.cms');
  const plain = await decrypt(sealed, key('manuell.key'));
  check('a sealed container decrypts to the container',
    same(plain, deflated) && same(await pdfFromContainer(plain), PLAIN));
  check('a zip without a PDF: "format"',
    await code(pdfFromContainer(Buffer.from(PLAIN.toString('latin1').replace('%PDF', 'PK\x03\x04'), 'latin1'))) === 'format');
  // A "bomb": the directory says 5000 bytes, the data inflates to far more.
  const bomb = makeZip([{ name: 'bekymringsmelding.pdf',
    data: Buffer.concat([Buffer.from('%PDF'), Buffer.alloc(5000000, 0x30)]), method: 8 }]);
  // Patch the central directory's uncompressed size (offset 24 of the
  // entry) to 5000: the page must stop at the declared size.
  const cd = bomb.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  bomb.writeUInt32LE(5000, cd + 24);
  check('a container whose PDF inflates beyond its declared size: "format"',
    await code(pdfFromContainer(bomb)) === 'format');
  const cut = deflated.subarray(0, deflated.length - 30);
  check('a truncated container: "format"', await code(pdfFromContainer(cut)) === 'format');
}

try {
  await inNode();
  await containers();
  await inChromium();
} catch (e) {
  check('the test ran to the end', false, e.stack);
} finally {
  rmSync(DIR, { recursive: true, force: true });
}
console.log(`1..${n}`);
console.log(`${n - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
