// SPDX-License-Identifier: Apache-2.0
//
// The municipal administration in headless Chromium (t/admin_browser.t):
//   node t/browser/admin.mjs BASE LEVERANSE MELDING KEYFILE OUTDIR SHOTDIR
//        CONTAINER-LEVERANSE CONTAINER-MELDING BREVPOST-MELDING NOTESDIR
// A receiver (ola) opens a manually downloaded report in the browser with
// the district's key file (htdocs/static/dekrypter.mjs: WebCrypto, the key
// never leaves the page), saves the PDF to OUTDIR/mottak.pdf and confirms
// it; an administrator (kari) walks the overview, a timeline and her list
// of municipalities in three languages.  Every page state is checked with
// axe-core, for sideways scrolling and for CSP violations (lib.mjs audit).
// Prints one JSON object of checks on stdout; the Perl side asserts them
// and compares the PDF with what openssl cms makes of the same message.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, Record, watch, audit, loginAtOp, LANGS, runAxe, formatAxe, WIDE, summaryFocused } from './lib.mjs';

const [base, lid, mid, keyFile, outDir, shotDir, clid, cid, brev, notesDir] = process.argv.slice(2);
const PHONE = { width: 375, height: 800 };
mkdirSync(notesDir, { recursive: true });

// axe at 375 px too (issue 14, item 4: the administration at a phone's
// width), then back to the wide window.
async function axePhone(rec, page, state, lang) {
  await page.setViewportSize(PHONE);
  const v = await runAxe(page);
  rec.check(`${state} [${lang}]: axe-core finds no violation at 375 px`, v.length === 0,
    `${page.url()}\n${formatAxe(v)}`);
  await page.setViewportSize(WIDE);
}
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
  await axePhone(rec, page, 'mottak', 'nn');
  rec.check('receiver: each report\'s deadline in the list',
    (await page.locator(`li:has(a[href$="/mottak/${lid}"]) .bkm-frist`).count()) === 1);
  await Promise.all([page.waitForURL(`**/mottak/${lid}`), page.click(`a[href$="/mottak/${lid}"]`)]);
  rec.check('receiver: the script shows the decryption section', await page.isVisible('#dekrypter'));
  rec.check('receiver: "stored with us" is not offered before the report is opened',
    await page.isHidden('#bekreft-skjema'));
  await audit(rec, page, w, 'mottak-melding', 'nn', shotDir);
  await axePhone(rec, page, 'mottak-melding', 'nn');
  await page.setInputFiles('#nokkelfil', keyFile);
  await page.click('#apne');
  await page.waitForSelector('#pdf-lenke:not([hidden])', { timeout: 15000 }).catch(() => {});
  const status = ((await page.textContent('#dekrypter-status')) || '').trim();
  rec.check('receiver: the report opens in the browser', /opna/.test(status), status);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#pdf-lenke')]);
  await dl.saveAs(join(outDir, 'mottak.pdf'));
  rec.check('receiver: saved under its reference number',
    /^bekymringsmelding-[0-9A-Z]{4}-[0-9A-Z]{4}\.pdf$/.test(dl.suggestedFilename()), dl.suggestedFilename());
  rec.check('receiver: once opened, "stored with us" is offered', await page.isVisible('#bekreft'));
  await Promise.all([page.waitForURL('**/mottak?bekreftet=1'), page.click('#bekreft')]);
  rec.check('receiver: confirmed, back at the list',
    (await page.textContent('main')).includes('registrert som motteken'), page.url());
  rec.check('receiver: the report no longer waits',
    (await page.$(`a[href$="/mottak/${lid}"]`)) === null);
  await audit(rec, page, w, 'mottak-bekreftet', 'nn', shotDir);

  // A producer's ASiC-E container: decrypted, the PDF taken out of it,
  // shown and saved; the container itself saved as .asice.
  await page.goto(`${base}/kommune/0301/mottak/${clid}`);
  await page.setInputFiles('#nokkelfil', keyFile);
  await page.click('#apne');
  await page.waitForSelector('#pdf-lenke:not([hidden])', { timeout: 15000 }).catch(() => {});
  const cstatus = ((await page.textContent('#dekrypter-status')) || '').trim();
  rec.check('receiver: a producer\'s container opens in the browser', /opna/.test(cstatus), cstatus);
  rec.check('receiver: the PDF can be shown in a tab (a blob: URL)',
    /^blob:/.test((await page.getAttribute('#pdf-vis', 'href')) || ''));
  const [cdl] = await Promise.all([page.waitForEvent('download'), page.click('#pdf-lenke')]);
  await cdl.saveAs(join(outDir, 'container.pdf'));
  rec.check('receiver: the container\'s PDF is named .pdf', /\.pdf$/.test(cdl.suggestedFilename()), cdl.suggestedFilename());
  const [adl] = await Promise.all([page.waitForEvent('download'), page.click('#container-lenke')]);
  await adl.saveAs(join(outDir, 'container.asice'));
  rec.check('receiver: the container itself is named .asice',
    /^bekymringsmelding-[0-9A-Z]{4}-[0-9A-Z]{4}\.asice$/.test(adl.suggestedFilename()), adl.suggestedFilename());
  await audit(rec, page, w, 'mottak-container', 'nn', shotDir);
  await axePhone(rec, page, 'mottak-container', 'nn');
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
    await axePhone(rec, apage, 'admin-kommuner', lang);
    rec.check(`admin [${lang}]: the header names the person`,
      ((await apage.textContent('#admin-navn')) || '').trim() === 'Kari Nordmann');
    rec.check(`admin [${lang}]: and logs out through mod_auth_openidc`,
      /^\/oidc\/redirect\?logout=/.test((await apage.getAttribute('#loggut', 'href')) || ''));
    rec.check(`admin [${lang}]: not the reporter's header`, (await apage.$('#admin-meny')) !== null);
    await apage.goto(`${base}/kommune/0301`);
    rec.check(`admin [${lang}]: the overview lists the report`,
      (await apage.$(`a[href="/kommune/0301/melding/${mid}"]`)) !== null);
    await audit(rec, apage, aw, 'admin-oversikt', lang, shotDir);
    await axePhone(rec, apage, 'admin-oversikt', lang);
    await apage.setViewportSize(PHONE);
    const box = await apage.locator('td.bkm-status').first().boundingBox();
    rec.check(`admin [${lang}]: at 375 px the overview's state is on screen`,
      box && box.x >= 0 && box.x + box.width <= PHONE.width && await apage.locator('td.bkm-status').first().isVisible(),
      JSON.stringify(box));
    if (lang === 'nb') await apage.screenshot({ path: join(notesDir, 'admin-oversikt-nb-375.png'), fullPage: true });
    await apage.setViewportSize(WIDE);

    // A report in letter post: where the letter goes, when, what to do.
    await apage.goto(`${base}/kommune/0301/melding/${brev}`);
    rec.check(`admin [${lang}]: letter post: the address, the order, the arrival`,
      await apage.isVisible('#brevpost') && ((await apage.textContent('#brevpost-adresse')) || '').trim().length > 5
      && ((await apage.textContent('#brevpost-fram')) || '').trim().length > 5);
    rec.check(`admin [${lang}]: the state explained, with the next step`,
      ((await apage.textContent('#neste-steg')) || '').trim().length > 20);
    const items = (await apage.$$eval('#hendelser > li', (ls) => ls.map((l) => l.textContent.replace(/\s+/g, ' ').trim())));
    rec.check(`admin [${lang}]: no actor shown as an id`,
      !items.some((t) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(t)), items.join('\n'));
    const names = await apage.$$eval('#hendelser > li > strong', (ls) => ls.map((l) => l.textContent));
    rec.check(`admin [${lang}]: no event says the same twice in a row`,
      names.every((t, i) => i === 0 || t !== names[i - 1]), names.join(' | '));
    rec.check(`admin [${lang}]: the district by name`,
      !/^\d\d$/.test(((await apage.textContent('#bydel')) || '').trim()));
    await audit(rec, apage, aw, 'admin-brevpost', lang, shotDir);
    await axePhone(rec, apage, 'admin-brevpost', lang);
    await apage.screenshot({ path: join(notesDir, `admin-tidslinje-brevpost-${lang}-1280.png`), fullPage: true });
    await apage.setViewportSize(PHONE);
    await apage.screenshot({ path: join(notesDir, `admin-tidslinje-brevpost-${lang}-375.png`), fullPage: true });
    await apage.setViewportSize(WIDE);

    // An action without a reason: the error summary, focused; then
    // "handled" asks first.
    await apage.goto(`${base}/kommune/0301/melding/${cid}`);
    rec.check(`admin [${lang}]: an opened report can be marked handled`, (await apage.$('#h-handtert')) !== null);
    await apage.check('#h-handtert');
    await Promise.all([apage.waitForLoadState('load'), apage.click('#handling button[type="submit"]')]);
    rec.check(`admin [${lang}]: no reason: an error summary, focused`,
      await apage.isVisible('#feiloppsummering')
      && await summaryFocused(apage));
    rec.check(`admin [${lang}]: the choice kept`, await apage.isChecked('#h-handtert'));
    await audit(rec, apage, aw, 'admin-melding-feil', lang, shotDir);
    await axePhone(rec, apage, 'admin-melding-feil', lang);
    await apage.fill('#begrunnelse', 'Levert på papir i resepsjonen');
    await Promise.all([apage.waitForLoadState('load'), apage.click('#handling button[type="submit"]')]);
    rec.check(`admin [${lang}]: "handled" asks first, saying what happens`,
      (await apage.$('#bekreft-handling')) !== null && await apage.isVisible('#advarsel'));
    rec.check(`admin [${lang}]: the reason kept on the confirmation`,
      (await apage.inputValue('#begrunnelse')) === 'Levert på papir i resepsjonen');
    await audit(rec, apage, aw, 'admin-bekreft', lang, shotDir);
    await axePhone(rec, apage, 'admin-bekreft', lang);
    await Promise.all([apage.waitForURL(`**/melding/${cid}`), apage.click('#bekreft-avbryt')]);
    rec.check(`admin [${lang}]: cancel goes back, nothing done`, (await apage.$('#h-handtert')) !== null);
    await apage.goto(`${base}/kommune/0301/melding/${mid}`);
    rec.check(`admin [${lang}]: the timeline has its events`,
      (await apage.$$('#hendelser > li')).length >= 3);
    await audit(rec, apage, aw, 'admin-melding', lang, shotDir);
    await apage.goto(`${base}/kommune/0301/statistikk`);
    rec.check(`admin [${lang}]: the statistics have a chart`, (await apage.$('figure.bkm-diagram svg rect')) !== null);
    rec.check(`admin [${lang}]: with axes, their numbers and titles`,
      (await apage.$$('figure.bkm-diagram svg text')).length >= 4
      && (await apage.$$('figure.bkm-diagram svg .bkm-akse-tittel')).length === 2);
    rec.check(`admin [${lang}]: and a text alternative (the figcaption points to the table)`,
      ((await apage.textContent('figure.bkm-diagram figcaption')) || '').length > 20 && (await apage.$('table#uker')) !== null);
    const share = ((await apage.textContent('#printandel')) || '').trim();
    rec.check(`admin [${lang}]: the share written as ${lang} writes it`,
      lang === 'en' ? /^\d+\.\d%$/.test(share) : /^\d+,\d\u00a0%$/.test(share), share);
    const week = ((await apage.textContent('table#uker tbody th')) || '').trim();
    rec.check(`admin [${lang}]: ISO weeks, named`, /^(Uke|Veke|Week) \d+, 20\d\d/.test(week), week);
    rec.check(`admin [${lang}]: "Varsler" explained`, ((await apage.textContent('#varsler-forklaring')) || '').length > 30);
    await audit(rec, apage, aw, 'admin-statistikk', lang, shotDir);
    await axePhone(rec, apage, 'admin-statistikk', lang);
    await apage.setViewportSize(PHONE);
    await apage.screenshot({ path: join(notesDir, `admin-statistikk-${lang}-375.png`), fullPage: true });
    await apage.locator('figure.bkm-diagram').scrollIntoViewIfNeeded();
    await apage.screenshot({ path: join(notesDir, `admin-statistikk-${lang}-375-diagram.png`) });
    await apage.setViewportSize(WIDE);
    await apage.goto(`${base}/kommune/0301/avstemming`);
    await audit(rec, apage, aw, 'admin-avstemming', lang, shotDir);
    await axePhone(rec, apage, 'admin-avstemming', lang);
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
  await axePhone(rec, opage, 'admin-roller', 'en');
  rec.check('operator: the file roles are listed', (await opage.$$('table#filroller tbody tr')).length >= 4);
  await opage.goto(`${base}/kommune/statistikk`);
  await audit(rec, opage, ow, 'admin-statistikk-nasjonal', 'en', shotDir);
  await axePhone(rec, opage, 'admin-statistikk-nasjonal', 'en');
  await opage.goto(`${base}/kommune/kjede?anker=x`);
  rec.check('operator: a malformed anchor: the error summary, focused',
    await summaryFocused(opage));
  await audit(rec, opage, ow, 'admin-kjede-feil', 'en', shotDir);
  await axePhone(rec, opage, 'admin-kjede-feil', 'en');
  // Logout: mod_auth_openidc ends its session (then ID-porten's single
  // logout); the administration asks for a login again.
  const before = await opage.request.get(`${base}/kommune/roller`, { maxRedirects: 0, headers: { Accept: 'text/html' } });
  await Promise.all([opage.waitForLoadState('load'), opage.click('#loggut')]);
  const after = await opage.request.get(`${base}/kommune/roller`, { maxRedirects: 0, headers: { Accept: 'text/html' } });
  rec.check('operator: after "Log out" the administration asks for a login again',
    before.status() === 200 && after.status() === 302 && !after.headers().location.startsWith(base),
    `${before.status()} -> ${after.status()} ${after.headers().location}`);
  await octx.close();
} catch (e) {
  rec.check(`the browser run finished (${e.message})`, false, e.stack);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify({ checks: rec.checks }));
