// SPDX-License-Identifier: Apache-2.0
//
// The municipal administration in headless Chromium (t/admin_browser.t):
//   node t/browser/admin.mjs BASE LEVERANSE MELDING KEYFILE OUTDIR SHOTDIR
// A receiver (ola) opens a manually downloaded report in the browser with
// the district's key file (htdocs/static/dekrypter.mjs: WebCrypto, the key
// never leaves the page), saves the PDF to OUTDIR/mottak.pdf and confirms
// it; an administrator (kari) walks the overview, a timeline and her list
// of municipalities in three languages.  Every page state is checked with
// axe-core, for sideways scrolling and for CSP violations (lib.mjs audit).
// Prints one JSON object of checks on stdout; the Perl side asserts them
// and compares the PDF with what openssl cms makes of the same message.
import { join } from 'node:path';
import { launch, Record, watch, audit, loginAtOp, LANGS } from './lib.mjs';

const [base, lid, mid, keyFile, outDir, shotDir] = process.argv.slice(2);
const rec = new Record((s) => process.stderr.write(`${s}\n`));
const browser = await launch();
try {
  // ---- the receiver ---------------------------------------------------
  const ctx = await browser.newContext({ acceptDownloads: true, locale: 'nb-NO' });
  const w = watch(ctx);
  const page = await ctx.newPage();
  await page.goto(`${base}/kommune/0301/mottak`);
  await loginAtOp(page, base, 'ola');
  rec.check('receiver: back at the list after the login',
    new URL(page.url()).pathname === '/kommune/0301/mottak', page.url());
  // Ola's login says nynorsk (the stand-in's locale claim).
  await audit(rec, page, w, 'mottak', 'nn', shotDir);
  await Promise.all([page.waitForURL(`**/mottak/${lid}`), page.click(`a[href$="/mottak/${lid}"]`)]);
  rec.check('receiver: the script shows the decryption section', await page.isVisible('#dekrypter'));
  await audit(rec, page, w, 'mottak-melding', 'nn', shotDir);
  await page.setInputFiles('#nokkelfil', keyFile);
  await page.click('#apne');
  await page.waitForSelector('#pdf-lenke:not([hidden])', { timeout: 15000 }).catch(() => {});
  const status = ((await page.textContent('#dekrypter-status')) || '').trim();
  rec.check('receiver: the report opens in the browser', /opna/.test(status), status);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#pdf-lenke')]);
  await dl.saveAs(join(outDir, 'mottak.pdf'));
  rec.check('receiver: saved under its reference number',
    /^bekymringsmelding-[0-9A-Z]{4}-[0-9A-Z]{4}\.pdf$/.test(dl.suggestedFilename()), dl.suggestedFilename());
  await Promise.all([page.waitForURL('**/mottak?bekreftet=1'), page.click('#bekreft')]);
  rec.check('receiver: confirmed, back at the list',
    (await page.textContent('main')).includes('registrert som motteken'), page.url());
  rec.check('receiver: the report no longer waits',
    (await page.$(`a[href$="/mottak/${lid}"]`)) === null);
  await audit(rec, page, w, 'mottak-bekreftet', 'nn', shotDir);
  await ctx.close();

  // ---- the administrator, in each language ----------------------------
  const actx = await browser.newContext({ locale: 'nb-NO' });
  const aw = watch(actx);
  const apage = await actx.newPage();
  await apage.goto(`${base}/kommune`);
  await loginAtOp(apage, base, 'kari');
  for (const lang of LANGS) {
    await apage.goto(`${base}/kommune?sprak=${lang}`);
    await audit(rec, apage, aw, 'admin-kommuner', lang, shotDir);
    await apage.goto(`${base}/kommune/0301`);
    rec.check(`admin [${lang}]: the overview lists the report`,
      (await apage.$(`a[href="/kommune/0301/melding/${mid}"]`)) !== null);
    await audit(rec, apage, aw, 'admin-oversikt', lang, shotDir);
    await apage.goto(`${base}/kommune/0301/melding/${mid}`);
    rec.check(`admin [${lang}]: the timeline has its events`,
      (await apage.$$('#hendelser > li')).length >= 3);
    await audit(rec, apage, aw, 'admin-melding', lang, shotDir);
    await apage.goto(`${base}/kommune/0301/statistikk`);
    rec.check(`admin [${lang}]: the statistics have a chart`, (await apage.$('figure.bkm-diagram svg rect')) !== null);
    await audit(rec, apage, aw, 'admin-statistikk', lang, shotDir);
    await apage.goto(`${base}/kommune/0301/avstemming`);
    await audit(rec, apage, aw, 'admin-avstemming', lang, shotDir);
  }
  await actx.close();

  // ---- the national operator (the login says English) -----------------
  const octx = await browser.newContext({ locale: 'en-GB' });
  const ow = watch(octx);
  const opage = await octx.newPage();
  await opage.goto(`${base}/kommune/roller`);
  await loginAtOp(opage, base, 'per');
  rec.check('operator: the roles page', (await opage.$('form#gi-rolle')) !== null, opage.url());
  await audit(rec, opage, ow, 'admin-roller', 'en', shotDir);
  await opage.goto(`${base}/kommune/statistikk`);
  await audit(rec, opage, ow, 'admin-statistikk-nasjonal', 'en', shotDir);
  await octx.close();
} catch (e) {
  rec.check(`the browser run finished (${e.message})`, false, e.stack);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify({ checks: rec.checks }));
