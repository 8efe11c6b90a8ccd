// SPDX-License-Identifier: Apache-2.0
//
// The reporter's web in a real browser: headless Chromium (Debian's) driven
// by playwright-core, with axe-core.  Run by t/pages_browser.t:
//
//   node t/browser/run.mjs BASE-URL OUT-DIR [SCREENSHOT-DIR]
//
// It walks the pages as reporters would, in bokmål, nynorsk and English,
// with and without script, and writes OUT-DIR/results.json:
//   checks   [{name, ok, diag}]  every assertion, in order
//   reports  {key: {...}}        each report it sent: what was typed, the
//                                receipt's reference number and id, the PDF
//                                copy it downloaded (OUT-DIR/KEY.pdf); the
//                                Perl side fetches and decrypts each one as
//                                the district's case system and compares
//   notes, timings
// Screenshots of every page state go to SCREENSHOT-DIR (default
// OUT-DIR/screenshots) as STATE-LANG-WIDTH.png.
//
// Environment: BKM_BROWSER_NODE2, the base URL of a second node whose login
// session expires after a few seconds of inactivity (a genuinely expired
// session; skipped when unset), BKM_BROWSER_IDLE its idle wait in seconds;
// BKM_BROWSER_ONLY=a,b runs only those scenarios (while developing);
// BKM_NOTES_SCREENS=DIR also saves the check page's screenshots there.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Record, TEXT, WIDE, audit, diffValues, domId, fillForm, formValues,
  formatAxe, launch, loginAtOp, newCsp, onOp, runAxe, summaryFocused, watch,
} from './lib.mjs';

const [base, outDir, shotArg] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node run.mjs BASE-URL OUT-DIR [SCREENSHOT-DIR]');
  process.exit(2);
}
const shotDir = shotArg || join(outDir, 'screenshots');
const node2 = process.env.BKM_BROWSER_NODE2 || '';
const only = (process.env.BKM_BROWSER_ONLY || '').split(',').filter(Boolean);
mkdirSync(outDir, { recursive: true });

const started = Date.now();
const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
const log = (s) => console.log(`${stamp()} ${s}`);
const rec = new Record(log);
const timings = {};

const BYDEL = { '01': 'Gamle Oslo', '02': 'Grünerløkka' };
const VERSJON = { '01': 2, '02': 1 };
const UUID_RE = /\/sendt\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

// The postal register the pages use, for the places bkm.js (or the server)
// fills in.
// Its built name is in the manifest of build/assets/static (t/TEST names
// the folder httpd serves in BKM_STATIC).
const staticDir = process.env.BKM_STATIC
  || fileURLToPath(new URL('../../build/out/static', import.meta.url));
const builtNames = JSON.parse(readFileSync(`${staticDir}/manifest.json`, 'utf8'));
const postnummer = await (await fetch(`${base}/static/${builtNames['vendor/postnummer.json']}`)).json();

const browser = await launch();
log(`Chromium ${browser.version()}`);

async function newContext(opts = {}) {
  const ctx = await browser.newContext({ viewport: WIDE, acceptDownloads: true, ...opts });
  ctx.setDefaultTimeout(15000);
  ctx.setDefaultNavigationTimeout(20000);
  const w = watch(ctx);
  const page = await ctx.newPage();
  return { ctx, w, page };
}

async function scenario(name, fn) {
  if (only.length && !only.includes(name)) return;
  const t = Date.now();
  log(`---- ${name}`);
  let err;
  try {
    await fn();
  } catch (e) {
    err = e && e.stack ? e.stack : String(e);
  }
  rec.check(`${name}: ran to the end`, !err, err);
  timings[name] = Date.now() - t;
}

// Script errors and CSP messages a context saw since its last audit.
function contextClean(name, w) {
  rec.check(`${name}: no Content-Security-Policy violation on any page`,
    newCsp(w).length === 0 && w.csp.length === 0, w.csp.join('\n'));
  rec.check(`${name}: no script error on any page`, w.errors.length === 0, w.errors.join('\n'));
}

const h1 = (page) => page.textContent('h1').then((s) => (s || '').trim()).catch(() => null);
const lang = (page) => page.getAttribute('html', 'lang').catch(() => null);

async function clickAndLoad(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

// The form's main button goes to the check page ("Se over før du
// sender"), which has "send" (issue 14).
const SEND = 'button[name="handling"][value="send"]';
const SE_OVER = 'button[name="handling"][value="se-over"]';

// From the form to the check page: every value typed is there, as hidden
// fields the check page posts on.
async function toCheckPage(page, key, auditFn) {
  const want = await formValues(page);
  if (!(await page.$(SE_OVER))) {
    // (A form without the check page sends by itself: say so, and send.)
    rec.check(`${key}: the form's main button leads to the check page`, false, 'no "se-over" button');
    return;
  }
  await clickAndLoad(page, SE_OVER);
  const T = TEXT[await lang(page)] || TEXT.nb;
  rec.check(`${key}: the form's main button leads to the check page`,
    (await h1(page)) === T['se_over.tittel'] && (await page.$(SEND)) !== null, await h1(page));
  const got = await formValues(page);
  const d = want ? diffValues({ ...want, csrf: undefined }, { ...got, csrf: undefined }) : ['no form'];
  rec.check(`${key}: the check page carries every value on`, d.length === 0, d.join('\n'));
  if (auditFn) await auditFn('se-over');
}

// Send the form through the check page; the receipt: {id, referanse, mottaker}.
async function send(page, how = 'click', key = 'send', auditFn = null) {
  await toCheckPage(page, key, auditFn);
  if (how === 'dblclick') {
    // The second click may abort the first click's navigation (without
    // script both submit): wait for wherever the browser ends up.
    await page.dblclick(SEND, { noWaitAfter: true });
    for (let i = 0; i < 150 && !UUID_RE.test(new URL(page.url()).pathname); i++) {
      await page.waitForTimeout(100);
    }
    await page.waitForLoadState('load');
  } else {
    await Promise.all([page.waitForURL(UUID_RE, { waitUntil: 'load' }), page.click(SEND)]);
  }
  return receipt(page);
}

async function receipt(page) {
  const m = UUID_RE.exec(new URL(page.url()).pathname);
  return {
    id: m ? m[1] : null,
    referanse: ((await page.textContent('#referanse').catch(() => '')) || '').trim(),
    mottaker: ((await page.textContent('#mottaker').catch(() => '')) || '').trim(),
  };
}

function checkReceipt(key, r, bydel) {
  rec.check(`${key}: the browser ends on the receipt with a reference number`,
    r.id && /^[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(r.referanse), r);
  rec.check(`${key}: the receipt names the district`, r.mottaker === `Oslo, ${BYDEL[bydel]}`, r.mottaker);
}

// ---- what the reporters type --------------------------------------------

// A private report: reporter, one or two children, the concern.  The first
// child's place is left empty: bkm.js fills it in from the postal code (or
// the server does, without script).
function privatValues(tag, children) {
  const v = {
    'privatMelder.telefonnummer': '+47 912 34 567',
    'privatMelder.adresse.adresselinje1': `Blåbærstien 7 (${tag})`,
    'privatMelder.adresse.postnummer': '0655',
    'privatMelder.adresse.poststed': 'Oslo',
    'privatBarn.0.personnavn': 'Ánne Sárá',
    'privatBarn.0.antattAlder': '7 år',
    'privatBarn.0.relasjon': `Nabo på Grünerløkka (${tag})`,
    'privatBarn.0.adresse.adresselinje1': 'Ærøveien 3',
    'privatBarn.0.adresse.adresselinje2': 'Oppgang B, 2. etasje',
    'privatBarn.0.adresse.postnummer': '0150',
    melding: `Jeg er bekymret for Ánne (${tag}).\nHun sier «æ ø å» og Čáhppes ŋ đ š ž.`,
  };
  const second = children > 1 ? {
    'privatBarn.1.personnavn': 'Øystein Æsøy',
    'privatBarn.1.antattAlder': '12',
    'privatBarn.1.adresse.adresselinje1': 'Ærøveien 3',
  } : {};
  return [v, second];
}

function offentligValues(tag, versjon) {
  const first = {
    'offentligMelder.rolle': `Helsesykepleier (${tag})`,
    'offentligMelder.telefonnummer': '+47 22 33 44 55',
    'offentligMelder.epost': 'aase.aerlig@toyen-skole.no',
    'offentligMelder.virksomhet.navn': 'Tøyen skole',
    'offentligMelder.virksomhet.orgnr': '974589230',
    'offentligMelder.virksomhet.adresse.adresselinje1': 'Hallvard Jarls gate 2',
    'offentligMelder.virksomhet.adresse.postnummer': '0651',
    'offentligMelder.virksomhet.adresse.poststed': 'Oslo',
    'offentligBarn.0.personnavn': 'Ánne Sárá',
    'offentligBarn.0.telefonnummer': '+47 400 00 000',
    'offentligBarn.0.adresse.adresselinje1': 'Ærøveien 3',
    'offentligBarn.0.adresse.postnummer': '0150',
    'offentligBarn.0.adresse.poststed': 'Oslo',
    'offentligBarn.0.orientert': 'ja',
    'foresatte.0.personnavn': 'Áslat Sárá',
    'foresatte.0.telefonnummer': '+47 98 76 54 32',
    'foresatte.0.orientert': 'nei',
    'foresatte.0.orientertGrunn': 'Fare for represalier mot barnet',
    'melding.melding': `Eleven (${tag}) har fortalt om vold hjemme.\nSe notatet – «æøå ÆØÅ».`,
    'melding.historie': 'Bekymret siden høsten; samtale med foreldrene i oktober.',
    behovForTolk: 'Nordsamisk',
    andreHjelpeinstanser: 'Helsestasjonen\nPPT',
  };
  if (versjon >= 2) first['melding.andreSynspunkter'] = 'Barnet vil at læreren skal hjelpe.';
  const child = {
    'offentligBarn.1.personnavn': `Ufødt barn av Åse (${tag})`,
    'offentligBarn.1.ufoedt': 'ja',
    'offentligBarn.1.adresse.adresselinje1': 'Ærøveien 3',
    'offentligBarn.1.orientert': 'nei',
    'offentligBarn.1.orientertGrunn': 'Barnet er ikke født ennå',
  };
  const guardian = {
    'foresatte.1.personnavn': 'Åshild Øverbø',
    'foresatte.1.orientert': 'ja',
  };
  return [first, child, guardian];
}

// What the report must hold besides what was typed: fields the form always
// sends (an empty national id number, an unticked "not born yet").
function withDefaults(values) {
  const v = { ...values };
  for (const k of Object.keys(values)) {
    const m = /^offentligBarn\.(\d+)\./.exec(k);
    if (m) {
      v[`offentligBarn.${m[1]}.fnr`] ??= '';
      v[`offentligBarn.${m[1]}.ufoedt`] ??= 'nei';
    }
  }
  return v;
}

function record(key, type, bydel, r, melder, fields, lng, extra = {}) {
  rec.reports[key] = {
    type, kommune: '0301', bydel, versjon: VERSJON[bydel], lang: lng, melder,
    fields: withDefaults(fields), ...r, ...extra,
  };
}

// The values typed must all be in the form (nothing lost on a round trip).
function checkKept(name, page, want) {
  return formValues(page).then((got) => {
    const d = diffValues(want, Object.fromEntries(Object.keys(want).map((k) => [k, got ? got[k] : undefined])));
    return rec.check(name, d.length === 0, d.join('\n'));
  });
}

// ---- the choice of municipality -----------------------------------------

const visible = (page) => page.$$eval('#kommune-liste > li',
  (lis) => lis.filter((li) => !li.hidden).map((li) => li.getAttribute('data-sok')));

// Type into the search box a letter at a time: bkm.js filters the list and
// says how many are left, in the page's language.
async function typeSearch(page, lng, text, label) {
  const all = await page.$$eval('#kommune-liste > li', (lis) => lis.map((li) => li.getAttribute('data-sok')));
  await page.fill('#kommune-sok', '');
  let ok = true;
  const bad = [];
  for (let i = 1; i <= text.length; i++) {
    await page.locator('#kommune-sok').pressSequentially(text[i - 1]);
    const typed = text.slice(0, i).toLowerCase();
    const want = all.filter((s) => s.includes(typed));
    const got = await visible(page);
    const count = ((await page.textContent('#kommune-antall')) || '').trim();
    const wantCount = want.length === 1 ? TEXT[lng]['velg.antall.en']
      : TEXT[lng]['velg.antall'].replace('{n}', String(want.length));
    // "No municipality matches" shows exactly when nothing is left.
    const none = await page.$eval('#kommune-ingen', (p) => !p.hidden);
    if (JSON.stringify(got) !== JSON.stringify(want) || count !== wantCount
        || none !== (want.length === 0)) {
      ok = false;
      bad.push(`after "${typed}": shown ${JSON.stringify(got)} (want ${JSON.stringify(want)}), count "${count}" (want "${wantCount}"), no-match text shown: ${none}`);
    }
  }
  rec.check(`${label}: bkm.js filters the list as "${text}" is typed`, ok, bad.join('\n'));
  return visible(page);
}

async function chooseOslo(page, type, lng, bydel, key, auditFn) {
  const shown = await typeSearch(page, lng, type === 'privat' ? 'osl' : '0301', key);
  rec.check(`${key}: the search finds Oslo only`, JSON.stringify(shown) === '["0301 oslo"]', shown);
  if (auditFn) await auditFn('velg-sok');
  await clickAndLoad(page, '#kommune-liste > li:not([hidden]) a');
  const url = new URL(page.url());
  rec.check(`${key}: Oslo chosen`, url.pathname === `/${type}` && url.searchParams.get('kommune') === '0301', page.url());
  const radios = await page.$$eval('input[name="bydel"]', (r) => r.map((x) => `${x.value}${x.checked ? '*' : ''}`));
  rec.check(`${key}: Oslo's districts offered, Gamle Oslo preselected`,
    radios.includes('01*') && radios.includes('02'), radios);
  if (auditFn) await auditFn('velg-oslo');
  if (bydel !== '01') await page.check(`#bydel-${bydel}`);
  await clickAndLoad(page, 'main form[action$="/skjema"] button[type="submit"]');
}

// ---- one language, end to end -------------------------------------------

async function languageFlow(lng, { locale, person, melder, privatBydel, offentligBydel }) {
  const key = (t) => `${t}-${lng}`;
  const { ctx, w, page } = await newContext({ locale });
  const T = TEXT[lng];
  const a = (state) => audit(rec, page, w, state, lng, shotDir);

  // The landing page, in the browser's language first, then the switcher.
  await page.goto(`${base}/`);
  await clickAndLoad(page, `.bkm-sprak a[hreflang="${lng}"]`);
  rec.check(`${lng}: the language switcher on the landing page gives ${lng}`,
    (await lang(page)) === lng && (await h1(page)) === T['forside.tittel'],
    `lang ${await lang(page)}, h1 "${await h1(page)}"`);
  // The title and the text of a card are two spans: the text must start on
  // a line of its own, at the title's left edge.
  const cards = await page.$$eval('.bkm-valgkort', (as) => as.map((x) => {
    const [t, p] = x.children;
    if (!t || !p) return null;
    const tr = t.getClientRects();
    const pr = p.getClientRects();
    return { title: t.textContent.trim(),
      below: pr[0].top >= tr[tr.length - 1].bottom - 1 && Math.abs(pr[0].left - tr[0].left) < 1 };
  }));
  rec.check(`${lng}: each choice card on the landing page shows its title above its text`,
    cards.length === 2 && cards.every((c) => c && c.below), cards);
  await a('forside');

  // ---- private --------------------------------------------------------
  await clickAndLoad(page, 'a[href="/privat"]');
  rec.check(`${key('privat')}: the choice of municipality, in ${lng}`,
    (await h1(page)) === T['velg.tittel.privat'] && (await lang(page)) === lng, await h1(page));
  await a('velg');
  await chooseOslo(page, 'privat', lng, privatBydel, key('privat'), a);

  rec.check(`${key('privat')}: "log in" goes to ID-porten`, onOp(page, base), page.url());
  await loginAtOp(page, base, person);
  let url = new URL(page.url());
  rec.check(`${key('privat')}: back from the login at the form for the district chosen`,
    url.pathname === '/privat/skjema' && url.searchParams.get('kommune') === '0301'
    && url.searchParams.get('bydel') === privatBydel, page.url());
  rec.check(`${key('privat')}: the form says where the report goes`,
    ((await page.textContent('#mottaker')) || '').trim() === `Oslo, ${BYDEL[privatBydel]}`,
    await page.textContent('#mottaker'));
  rec.check(`${key('privat')}: the reporter's name comes from the login`,
    ((await page.textContent('#innlogget-navn').catch(() => '')) || '').trim() === melder,
    await page.textContent('#innlogget-navn').catch(() => 'no #innlogget-navn'));
  await a('skjema-privat');

  // Sent empty: the errors, listed at the top, focused, linked to fields.
  await clickAndLoad(page, SE_OVER);
  await errorsShown(page, key('privat'), ['privatBarn.0.personnavn', 'melding']);
  await a('skjema-privat-feil');

  const [pv, pv2] = privatValues(key('privat'), 2);
  await fillForm(page, pv);
  const place = postnummer[pv['privatBarn.0.adresse.postnummer']];
  const filled = await page.waitForFunction((id) => document.getElementById(id).value !== '',
    domId('privatBarn.0.adresse.poststed'), { timeout: 5000 }).then(() => true, () => false);
  const got = await page.inputValue(`#${domId('privatBarn.0.adresse.poststed')}`);
  rec.check(`${key('privat')}: bkm.js fills in the place for postal code 0150`, filled && got === place,
    `"${got}", want "${place}"`);
  const typed = { ...pv, 'privatBarn.0.adresse.poststed': place };

  if (lng === 'nb') {
    await keyboardPrivat(page, typed, pv2);
  } else {
    await clickAndLoad(page, 'button[name="handling"][value="legg-til:privatBarn"]');
    await checkKept(`${key('privat')}: "add a child" keeps everything typed`, page, typed);
    await fillForm(page, pv2);
  }
  Object.assign(typed, pv2);
  await checkKept(`${key('privat')}: the form holds every value typed before sending`, page, typed);
  const r = lng === 'nb' ? await keyboardSend(page, a) : await send(page, 'click', key('privat'), a);
  checkReceipt(key('privat'), r, privatBydel);
  record(key('privat'), 'privat', privatBydel, r, melder, typed, lng);
  await a('sendt-privat');
  // issue 14: a private reporter gets the PDF copy too.
  await privateCopy(page, key('privat'), r);
  const kode = (await page.textContent('#statuskode').catch(() => '')).trim();
  rec.check(`${key('privat')}: the receipt gives a status code`,
    /^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$/.test(kode) && kode.startsWith(r.referanse), kode);
  await page.reload();
  rec.check(`${key('privat')}: reloading the receipt shows the same report`,
    JSON.stringify(await receipt(page)) === JSON.stringify(r), await receipt(page));

  // ---- public ---------------------------------------------------------
  await clickAndLoad(page, 'main a[href="/"]');
  await clickAndLoad(page, 'a[href="/offentlig"]');
  rec.check(`${key('offentlig')}: the choice of municipality, in ${lng}`,
    (await h1(page)) === T['velg.tittel.offentlig'] && (await lang(page)) === lng, await h1(page));
  await chooseOslo(page, 'offentlig', lng, offentligBydel, key('offentlig'), null);
  url = new URL(page.url());
  rec.check(`${key('offentlig')}: logged in already: straight to the form`,
    url.pathname === '/offentlig/skjema' && url.searchParams.get('bydel') === offentligBydel, page.url());
  const v2 = VERSJON[offentligBydel] >= 2;
  rec.check(`${key('offentlig')}: "andreSynspunkter" asked only of a district on version 2 (here ${v2 ? 'asked' : 'not asked'})`,
    (await page.$(`#${domId('melding.andreSynspunkter')}`) !== null) === v2);
  await a('skjema-offentlig');
  if (lng === 'nb') {
    await page.setViewportSize({ width: 375, height: 812 });
    rec.note(`offentlig-nb: the public form, empty: ${await shape(page)}`);
    await page.setViewportSize(WIDE);
  }

  await clickAndLoad(page, SE_OVER);
  await errorsShown(page, key('offentlig'), ['offentligMelder.rolle', 'offentligBarn.0.personnavn',
    'offentligBarn.0.orientert', 'foresatte.0.orientert', 'melding.melding']);
  await a('skjema-offentlig-feil');

  const [ov, oc, og] = offentligValues(key('offentlig'), VERSJON[offentligBydel]);
  await fillForm(page, ov);
  await clickAndLoad(page, 'button[name="handling"][value="legg-til:offentligBarn"]');
  await checkKept(`${key('offentlig')}: "add a child" keeps everything typed`, page, ov);
  await fillForm(page, oc);
  await clickAndLoad(page, 'button[name="handling"][value="legg-til:foresatte"]');
  const all = { ...ov, ...oc };
  await checkKept(`${key('offentlig')}: "add a guardian" keeps everything typed`, page, all);
  await fillForm(page, og);
  Object.assign(all, og);
  await checkKept(`${key('offentlig')}: the form holds every value typed before sending`, page, all);
  const r2 = await send(page);
  checkReceipt(key('offentlig'), r2, offentligBydel);
  // The copy of what was sent (public reporters only).
  let pdf = null;
  if (await page.$('#kopi')) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#kopi')]);
    pdf = join(outDir, `${key('offentlig')}.pdf`);
    await dl.saveAs(pdf);
    rec.check(`${key('offentlig')}: the copy downloads as bekymringsmelding-REFERENCE.pdf`,
      dl.suggestedFilename() === `bekymringsmelding-${r2.referanse}.pdf`, dl.suggestedFilename());
  } else {
    rec.check(`${key('offentlig')}: the receipt offers a PDF copy`, false, 'no #kopi link');
  }
  record(key('offentlig'), 'offentlig', offentligBydel, r2, melder, all, lng, { pdf });
  await a('sendt-offentlig');

  // ---- a municipality not in the portal (Stavanger) ------------------
  await page.goto(`${base}/offentlig`);
  // Nothing matches "stavx": the list empties and says so; then back.
  await typeSearch(page, lng, 'stavx', `ingen-treff-${lng}`);
  await page.fill('#kommune-sok', '');
  const st = await typeSearch(page, lng, 'stav', `stavanger-${lng}`);
  rec.check(`stavanger-${lng}: the search finds Stavanger`, JSON.stringify(st) === '["1103 stavanger"]', st);
  await clickAndLoad(page, '#kommune-liste > li:not([hidden]) a');
  rec.check(`stavanger-${lng}: a postal address instead of the form`,
    (await page.$('address.bkm-postadresse')) !== null && (await page.$('form[action$="/skjema"]')) === null,
    page.url());
  await a('velg-inaktiv');

  // ---- not found -----------------------------------------------------
  const res = await page.goto(`${base}/sendt/00000000-0000-4000-8000-000000000000`);
  rec.check(`ikke-funnet-${lng}: 404 with the page's own message`,
    res.status() === 404 && (await h1(page)) === T['side.ikke_funnet.tittel'], `${res.status()} ${await h1(page)}`);
  await a('ikke-funnet');

  // ---- the status page: the form, a malformed code, the answer ---------
  await page.goto(`${base}/status`);
  await a('status');
  await page.fill('#kode', 'abc');
  await clickAndLoad(page, '#innhold form button[type="submit"]');
  const feil = await page.evaluate(() => {
    const f = document.getElementById('kode');
    const d = (f.getAttribute('aria-describedby') || '').split(' ');
    const link = document.querySelector('#feiloppsummering a[href="#kode"]');
    return { invalid: f.getAttribute('aria-invalid'), described: d.includes('kode-feil'),
             error: !!document.getElementById('kode-feil'), link: !!link };
  });
  rec.check(`status-${lng}: a malformed code: the field is marked, described by its error, linked from the summary`,
    feil.invalid === 'true' && feil.described && feil.error && feil.link, feil);
  await a('status-feil');
  await page.fill('#kode', kode.toLowerCase());
  await clickAndLoad(page, '#innhold form button[type="submit"]');
  rec.check(`status-${lng}: the receipt's code shows the report received`,
    (await page.textContent('#status-svar').catch(() => '')).trim() === T['status.mottatt'],
    await page.textContent('main'));
  await a('status-svar');
  if (lng === 'nb') await selfTest(page, w);

  contextClean(`language ${lng}`, w);
  await ctx.close();
}

// The error summary after sending an empty form: focused, in the page's
// language, each entry a link to a field on the page, and the fields named.
async function errorsShown(page, key, mustName) {
  await summaryFocused(page);
  const s = await page.evaluate(() => {
    const box = document.getElementById('feiloppsummering');
    if (!box) return null;
    const links = [...box.querySelectorAll('a')].map((x) => x.getAttribute('href'));
    return {
      focused: document.activeElement === box,
      links,
      broken: links.filter((h) => !h.startsWith('#') || !document.getElementById(h.slice(1))),
      invalid: [...document.querySelectorAll('[aria-invalid="true"]')].map((x) => x.name),
      // Marked "must be filled in", left empty, yet not in error.
      unflagged: [...document.querySelectorAll('[aria-required="true"]')]
        .filter((x) => x.value === '' && x.getAttribute('aria-invalid') !== 'true').map((x) => x.name),
    };
  });
  rec.check(`${key}: sent empty, the errors are listed and focused`, s && s.focused && s.links.length > 0, s);
  rec.check(`${key}: every error links to its field`, s && s.broken.length === 0, s && s.broken);
  const missing = mustName.filter((n) => !(s && s.links.includes(`#${domId(n)}${/orientert$/.test(n) ? '-ja' : ''}`)));
  rec.check(`${key}: the required fields are among the errors`, missing.length === 0, { missing, links: s && s.links });
  rec.check(`${key}: every field marked required and left empty is in error`,
    s && s.unflagged.length === 0, s && s.unflagged);
}

// ---- keyboard (bokmål, private form) -----------------------------------

const focused = (page) => page.evaluate(() => {
  const e = document.activeElement;
  return e ? { tag: e.tagName.toLowerCase(), name: e.getAttribute('name'), value: e.getAttribute('value'),
    id: e.id, cls: e.className, hidden: e.hidden, text: (e.textContent || '').trim().slice(0, 40) } : null;
});

async function tabTo(page, want, limit) {
  const seen = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    seen.push(f);
    if (f && want(f)) return { found: true, seen };
  }
  return { found: false, seen };
}

async function keyboardPrivat(page, typed, second) {
  // Enter in a text field submits with the first button, the hidden
  // "oppdater": the form comes back with everything; nothing is sent.
  const posts = [];
  const onReq = (r) => { if (r.method() === 'POST' && r.url().endsWith('/privat/send')) posts.push(r.postData() || ''); };
  page.on('request', onReq);
  await page.focus(`#${domId('privatBarn.0.relasjon')}`);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  page.off('request', onReq);
  const handling = posts.map((p) => new URLSearchParams(p).getAll('handling'));
  rec.check('keyboard: Enter in a text field posts "oppdater", not "send"',
    posts.length === 1 && JSON.stringify(handling[0]) === '["oppdater"]', handling);
  rec.check('keyboard: after Enter the form is shown again, not the receipt',
    new URL(page.url()).pathname === '/privat/send' && (await page.$('#skjema')) !== null, page.url());
  await checkKept('keyboard: after Enter every value is still there', page, typed);

  // From the top of the freshly loaded page: the skip link first, then Tab
  // to "add a child" and press Enter.
  let t = await tabTo(page, (f) => f.value === 'legg-til:privatBarn', 80);
  rec.check('keyboard: the first Tab stop is the skip link', t.seen[0] && /bkm-hopp/.test(t.seen[0].cls), t.seen[0]);
  rec.check('keyboard: Tab reaches "add a child"', t.found, t.seen.slice(-5));
  rec.check('keyboard: the hidden "oppdater" button is never a Tab stop',
    !t.seen.some((f) => f && f.value === 'oppdater'), t.seen.filter((f) => f && f.value === 'oppdater'));
  if (t.found) {
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  }
  rec.check('keyboard: Enter on "add a child" adds a second child',
    (await page.$(`#${domId('privatBarn.1.personnavn')}`)) !== null);
  await checkKept('keyboard: adding a child keeps everything typed', page, typed);
  await fillForm(page, second);
}

async function keyboardSend(page, auditFn) {
  let t = await tabTo(page, (f) => f.value === 'se-over', 150);
  rec.check('keyboard: Tab reaches "check your answers"', t.found, t.seen.slice(-5));
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  rec.check('keyboard: Enter on it shows the check page', (await h1(page)) === TEXT.nb['se_over.tittel'], await h1(page));
  if (auditFn) await auditFn('se-over');
  t = await tabTo(page, (f) => f.value === 'send', 150);
  rec.check('keyboard: Tab reaches "send" on the check page', t.found, t.seen.slice(-5));
  await Promise.all([page.waitForURL(UUID_RE, { waitUntil: 'load' }), page.keyboard.press('Enter')]);
  return receipt(page);
}

// The checks can fail: a planted violation of each kind is seen.
async function selfTest(page, w) {
  await page.evaluate(() => {
    const img = document.createElement('img');
    img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==';
    document.querySelector('main').appendChild(img);
    const wide = document.createElement('div');
    wide.textContent = 'x';
    wide.setAttribute('hidden', '');
    wide.id = 'bkm-test-bred';
    document.querySelector('main').appendChild(wide);
  });
  const v = await runAxe(page);
  rec.check('self-test: axe-core reports a planted image without alt text',
    v.some((x) => x.id === 'image-alt'), formatAxe(v));
  await page.setViewportSize({ width: 320, height: 640 });
  const wide = await page.evaluate(() => {
    const d = document.getElementById('bkm-test-bred');
    d.hidden = false;
    d.style.setProperty('width', '2000px', 'important');  // CSSOM: allowed by the CSP
    d.style.setProperty('display', 'block', 'important');
    return document.scrollingElement.scrollWidth > document.scrollingElement.clientWidth;
  });
  rec.check('self-test: a planted 2000 px element makes the page scroll sideways at 320 px', wide);
  await page.setViewportSize(WIDE);
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.bkmInline = 1;';
    document.head.appendChild(s);
  });
  await page.waitForTimeout(200);
  const csp = newCsp(w);
  rec.check('self-test: an inline script is refused by the CSP, and the console says so',
    csp.length > 0 && (await page.evaluate(() => window.bkmInline === undefined)), csp);
  w.csp.length = 0;
  w.cspSeen = 0;
  await page.reload();
}

// ---- scenarios ------------------------------------------------------------

// Each language in a browser whose own language is another, so that the
// switcher is what sets it; each with another person (names with Sami
// letters and an apostrophe), public reports to a version-1 district in
// nynorsk.
await scenario('nb', () => languageFlow('nb', {
  locale: 'en-GB', person: 'kari', melder: 'Kari Nordmann', privatBydel: '01', offentligBydel: '01',
}));
await scenario('nn', () => languageFlow('nn', {
  locale: 'nb-NO', person: 'anne', melder: 'Ánne Sárá', privatBydel: '02', offentligBydel: '02',
}));
await scenario('en', () => languageFlow('en', {
  locale: 'nb-NO', person: 'per', melder: "Per-Øyvind O'Hara Ås", privatBydel: '01', offentligBydel: '01',
}));

// Issue 14, item 1: each bad value the issue found, and more, gets the
// message of its own rule next to the field and in the summary, in each
// language, and axe stays clean on the page that shows them; the
// reporter's own street is not marked as required and does not become
// required when only a postcode is typed.
async function formatErrors(lng, person) {
  const { ctx, w, page } = await newContext({ locale: 'nb-NO' });
  const T = TEXT[lng];
  const key = `formatfeil-${lng}`;
  await page.goto(`${base}/?sprak=${lng}`);
  await page.goto(`${base}/offentlig/skjema?kommune=0301&bydel=01`);
  await loginAtOp(page, base, person);
  // [field, value, the rule's message]
  const bad = [
    ['offentligMelder.telefonnummer', '12', 'feil.telefon.lengde'],
    ['offentligMelder.epost', 'kari(at)skole.no', 'feil.epost.alfa'],
    ['offentligMelder.virksomhet.orgnr', '97458', 'feil.orgnr.lengde'],
    ['offentligMelder.virksomhet.adresse.postnummer', '473', 'feil.postnummer.lengde'],
    ['offentligBarn.0.fnr', '0101701017', 'feil.fnr.lengde'],
    ['offentligBarn.0.telefonnummer', 'ring meg', 'feil.telefon.tegn'],
    ['offentligBarn.0.adresse.postnummer', '9999', 'feil.postnummer.finnesikke'],
    ['foresatte.0.telefonnummer', '+47 912 34 56 78', 'feil.telefon.lengde'],
  ];
  await fillForm(page, {
    'offentligMelder.rolle': 'Helsesykepleier',
    'offentligMelder.virksomhet.navn': 'Tøyen skole',
    'offentligMelder.virksomhet.adresse.adresselinje1': 'Hallvard Jarls gate 2',
    'offentligBarn.0.personnavn': 'Ola',
    'offentligBarn.0.adresse.adresselinje1': 'Ærøveien 3',
    'offentligBarn.0.orientert': 'ja',
    'foresatte.0.personnavn': 'Per',
    'foresatte.0.orientert': 'ja',
    'melding.melding': 'Bekymret.',
    ...Object.fromEntries(bad.map(([n, v]) => [n, v])),
  });
  await clickAndLoad(page, SE_OVER);
  const shown = await page.evaluate((names) => Object.fromEntries(names.map((n) => {
    const id = `f-${n.replace(/\./g, '-')}`;
    const link = document.querySelector(`#feiloppsummering a[href="#${id}"]`);
    const f = document.getElementById(id);
    return [n, {
      inline: ((document.getElementById(`${id}-feil`) || {}).textContent || '').trim(),
      summary: link ? link.textContent.trim() : null,
      invalid: f && f.getAttribute('aria-invalid'),
      kept: f && f.value,
    }];
  })), bad.map(([n]) => n));
  for (const [n, v, k] of bad) {
    const s = shown[n];
    rec.check(`${key}: "${v}" in ${n}: "${T[k]}" next to the field and in the summary, the value kept`,
      s.inline === T[k] && s.summary !== null && s.summary.endsWith(T[k])
      && s.invalid === 'true' && s.kept === v, s);
  }
  const others = await page.$$eval('#feiloppsummering a', (as) => as.map((a) => a.getAttribute('href')));
  rec.check(`${key}: only the bad values are in error`, others.length === bad.length, others);
  rec.check(`${key}: no generic message`,
    !(await page.textContent('main')).includes(T['feil.required'].replace(/\.$/, ''))
    && !(await page.textContent('main')).includes(T['feil.ugyldig'].replace(/\.$/, '')));
  await audit(rec, page, w, 'skjema-offentlig-formatfeil', lng, shotDir);

  // The private form: the reporter's own street, not marked, stays
  // optional when a postcode is typed (the issue: "Fyll ut feltet." on it).
  await page.goto(`${base}/privat/skjema?kommune=0301&bydel=01`);
  const street = domId('privatMelder.adresse.adresselinje1');
  const mark = (p) => p.evaluate((id) => {
    const f = document.getElementById(id);
    const l = document.querySelector(`label[for="${id}"]`);
    return { required: f.getAttribute('aria-required'), tag: !!(l && l.querySelector('.bkm-pakrevd')),
             invalid: f.getAttribute('aria-invalid') };
  }, street);
  const before = await mark(page);
  rec.check(`${key}: the reporter's street is not marked as required`,
    before.required !== 'true' && !before.tag, before);
  await fillForm(page, {
    'privatMelder.telefonnummer': 'ring meg',
    'privatMelder.adresse.postnummer': '0473',
    'privatBarn.0.personnavn': 'Ola',
    'privatBarn.0.adresse.adresselinje1': 'Storgata 3',
    'privatBarn.0.adresse.postnummer': '473',
    melding: 'Bekymret.',
  });
  await clickAndLoad(page, SE_OVER);
  const after = await mark(page);
  const links = await page.$$eval('#feiloppsummering a', (as) => as.map((a) => a.getAttribute('href')));
  rec.check(`${key}: a postcode alone does not make the reporter's street required`,
    after.invalid !== 'true' && !links.includes(`#${street}`), { after, links });
  rec.check(`${key}: the private form names the phone and the child's postcode`,
    JSON.stringify(links) === JSON.stringify([`#${domId('privatMelder.telefonnummer')}`,
      `#${domId('privatBarn.0.adresse.postnummer')}`]), links);
  rec.check(`${key}: "ring meg" as a phone number: "${T['feil.telefon.tegn']}"`,
    ((await page.textContent(`#${domId('privatMelder.telefonnummer')}-feil`).catch(() => '')) || '').trim()
      === T['feil.telefon.tegn']);
  await audit(rec, page, w, 'skjema-privat-formatfeil', lng, shotDir);
  contextClean(key, w);
  await ctx.close();
}
await scenario('formatfeil', async () => {
  for (const [lng, person] of [['nb', 'kari'], ['nn', 'anne'], ['en', 'per']]) {
    await formatErrors(lng, person);
  }
});

// The login runs out while the reporter writes (the session cookie is gone,
// and so is ID-porten's own): sending goes through a new login and back to
// the form with everything typed and a notice; then it is sent once.
await scenario('utlopt', async () => {
  const { ctx, w, page } = await newContext({ locale: 'nb-NO' });
  await page.goto(`${base}/privat/skjema?kommune=0301&bydel=01`);
  await loginAtOp(page, base, 'kari');
  const [v, v2] = privatValues('utlopt', 2);
  v['privatBarn.0.adresse.poststed'] = 'Gamlebyen';
  await fillForm(page, v);
  await clickAndLoad(page, 'button[name="handling"][value="legg-til:privatBarn"]');
  await fillForm(page, v2);
  // Change language with the form's own buttons: nothing typed is lost.
  await clickAndLoad(page, 'button[name="handling"][value="sprak:nn"]');
  const typed = { ...v, ...v2 };
  rec.check('utlopt: the language buttons on the form switch to nynorsk', (await lang(page)) === 'nn', await lang(page));
  await checkKept('utlopt: changing language keeps everything typed', page, typed);
  const before = await formValues(page);

  await ctx.clearCookies({ name: 'mod_auth_openidc_session' });
  await ctx.clearCookies({ name: /^_session/ });
  await Promise.all([page.waitForURL((u) => !u.toString().startsWith(base)), page.click(SE_OVER)]);
  rec.check('utlopt: with the login gone, "send" leads to ID-porten', onOp(page, base), page.url());
  await loginAtOp(page, base, 'kari');
  const url = new URL(page.url());
  rec.check('utlopt: back at the form after the new login',
    url.pathname === '/privat/skjema' && url.searchParams.has('utkast'), page.url());
  const notice = await page.$$eval('.ds-alert', (xs) => xs.map((x) => x.textContent.trim()));
  rec.check('utlopt: the form says what was typed was kept', notice.includes(TEXT.nn['skjema.utkast']), notice);
  const after = await formValues(page);
  const d = diffValues({ ...before, csrf: undefined }, { ...after, csrf: undefined });
  rec.check('utlopt: every field has its value again (and the same one-time token)', d.length === 0, d.join('\n'));
  await audit(rec, page, w, 'skjema-privat-utkast', 'nn', shotDir);
  const r = await send(page);
  checkReceipt('utlopt', r, '01');
  record('utlopt', 'privat', '01', r, 'Kari Nordmann', typed, 'nn');
  contextClean('utlopt', w);
  await ctx.close();
});

// A genuinely expired session: a second node whose sessions end after a few
// idle seconds (ID-porten's own session is still there, so the new login
// needs no form).
if (node2) {
  await scenario('utlopt-node', async () => {
    const idle = Number(process.env.BKM_BROWSER_IDLE || 12);
    const { ctx, w, page } = await newContext({ locale: 'nb-NO' });
    await page.goto(`${node2}/privat/skjema?kommune=0301&bydel=01`);
    await loginAtOp(page, node2, 'kari');
    const [v] = privatValues('utlopt-node', 1);
    v['privatBarn.0.adresse.poststed'] = 'Gamlebyen';
    await fillForm(page, v);
    const before = await formValues(page);
    log(`idle for ${idle} s so that the session expires`);
    await page.waitForTimeout(idle * 1000);
    // Every step of the redirect chain the send starts.
    const hops = [];
    const onReq = (q) => { if (q.isNavigationRequest() && q.frame() === page.mainFrame()) hops.push(q.url()); };
    page.on('request', onReq);
    await Promise.all([page.waitForURL(/[?&]utkast=/, { waitUntil: 'load' }), page.click(SE_OVER)]);
    page.off('request', onReq);
    rec.check('utlopt-node: the expired session sends the reporter through ID-porten',
      hops.some((u) => !u.startsWith(node2)), hops);
    const notice = await page.$$eval('.ds-alert', (xs) => xs.map((x) => x.textContent.trim()));
    rec.check('utlopt-node: the form says what was typed was kept', notice.includes(TEXT.nb['skjema.utkast']), notice);
    const d = diffValues({ ...before, csrf: undefined }, { ...(await formValues(page)), csrf: undefined });
    rec.check('utlopt-node: every field has its value again', d.length === 0, d.join('\n'));
    const r = await send(page);
    checkReceipt('utlopt-node', r, '01');
    record('utlopt-node', 'privat', '01', r, 'Kari Nordmann', v, 'nb');
    contextClean('utlopt-node', w);
    await ctx.close();
  });
}

// A double click on "send", the same post again (what a reload or a resend
// of the post would do), a reload of the receipt, and Back.
await scenario('dobbel', async () => {
  const { ctx, w, page } = await newContext({ locale: 'nb-NO' });
  await page.goto(`${base}/privat/skjema?kommune=0301&bydel=01`);
  await loginAtOp(page, base, 'kari');
  const [v] = privatValues('dobbel', 1);
  v['privatBarn.0.adresse.poststed'] = 'Gamlebyen';
  await fillForm(page, v);
  const sends = [];
  page.on('request', (q) => {
    if (q.method() === 'POST' && q.url().endsWith('/privat/send')
        && new URLSearchParams(q.postData() || '').get('handling') === 'send') sends.push(q.postData());
  });
  const r = await send(page, 'dblclick');
  checkReceipt('dobbel', r, '01');
  rec.check('dobbel: bkm.js lets one of the two clicks through', sends.length === 1, `${sends.length} posts`);
  record('dobbel', 'privat', '01', r, 'Kari Nordmann', v, 'nb');
  if (sends.length) {
    const again = await ctx.request.post(`${base}/privat/send`, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      data: sends[0], maxRedirects: 0,
    });
    rec.check('dobbel: the same post again leads to the same receipt',
      again.status() === 303 && again.headers().location === `/sendt/${r.id}`,
      `${again.status()} ${again.headers().location}`);
  }
  await page.reload();
  rec.check('dobbel: reloading the receipt sends nothing and shows the same report',
    (await receipt(page)).id === r.id, page.url());
  // On a shared computer the next person may press Back: the form must not
  // show the report that was sent (the reporter's own contact details are
  // what autofill would offer anyway).
  // Back leads to the check page, the answer to a post with no-store:
  // the browser does not show it again without posting it anew.
  await page.goBack().catch(() => null);
  const back = await formValues(page).catch(() => null);
  const left = back ? Object.keys(v).filter((k) => !k.startsWith('privatMelder.') && back[k]) : [];
  const backText = await page.evaluate(() => document.body.innerText).catch(() => '');
  rec.check('dobbel: Back from the receipt shows nothing of the report sent (children, concern)',
    left.length === 0 && !backText.includes(v['privatBarn.0.personnavn']),
    { url: page.url(), left: Object.fromEntries(left.map((k) => [k, back[k]])),
      sameToken: back && back.skjema === new URLSearchParams(sends[0] || '').get('skjema') });

  // The same form posted twice at the same moment (two tabs, a proxy that
  // retries): one report, and both answers lead to its receipt.
  await page.goto(`${base}/privat/skjema?kommune=0301&bydel=01`);
  const [pv] = privatValues('dobbel-samtidig', 1);
  pv['privatBarn.0.adresse.poststed'] = 'Gamlebyen';
  await fillForm(page, pv);
  const body = await page.evaluate(() => {
    const q = new URLSearchParams(new FormData(document.getElementById('skjema')));
    q.set('handling', 'send');
    return q.toString();
  });
  const post = () => ctx.request.post(`${base}/privat/send`, {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, data: body, maxRedirects: 0,
  });
  const both = await Promise.all([post(), post()]);
  const where = both.map((x) => `${x.status()} ${x.headers().location}`);
  rec.check('dobbel-samtidig: two identical posts at once both lead to one receipt',
    both.every((x) => x.status() === 303) && UUID_RE.test(both[0].headers().location || '')
    && both[0].headers().location === both[1].headers().location, where);
  await page.goto(`${base}${both[0].headers().location}`);
  const r2 = await receipt(page);
  checkReceipt('dobbel-samtidig', r2, '01');
  record('dobbel-samtidig', 'privat', '01', r2, 'Kari Nordmann', pv, 'nb');
  contextClean('dobbel', w);
  await ctx.close();
});

// Without JavaScript: the same double click, and the private flow end to
// end (search with the button, choose, log in, fill in, send, receipt).
await scenario('dobbel-utenjs', async () => {
  const { ctx, w, page } = await newContext({ locale: 'nb-NO', javaScriptEnabled: false });
  await page.goto(`${base}/privat/skjema?kommune=0301&bydel=01`);
  await loginAtOp(page, base, 'kari');
  const [v] = privatValues('dobbel-utenjs', 1);
  v['privatBarn.0.adresse.poststed'] = 'Gamlebyen';
  await fillForm(page, v);
  let posts = 0;
  page.on('request', (q) => { if (q.method() === 'POST' && q.url().endsWith('/privat/send')) posts++; });
  const r = await send(page, 'dblclick');
  rec.note(`dobbel-utenjs: a double click without script made ${posts} post(s)`);
  checkReceipt('dobbel-utenjs', r, '01');
  record('dobbel-utenjs', 'privat', '01', r, 'Kari Nordmann', v, 'nb', { posts });
  contextClean('dobbel-utenjs', w);
  await ctx.close();
});

await scenario('utenjs', async () => {
  const { ctx, w, page } = await newContext({ locale: 'nb-NO', javaScriptEnabled: false });
  await page.goto(`${base}/`);
  await clickAndLoad(page, 'a[href="/privat"]');
  await page.fill('#kommune-sok', 'oslo');
  await clickAndLoad(page, 'form.bkm-sok button[type="submit"]');
  const url = new URL(page.url());
  const shown = await page.$$eval('#kommune-liste > li', (lis) => lis.map((li) => li.getAttribute('data-sok')));
  rec.check('utenjs: the search button asks the server, which lists Oslo only',
    url.searchParams.get('sok') === 'oslo' && JSON.stringify(shown) === '["0301 oslo"]', { url: page.url(), shown });
  rec.check('utenjs: the count says 1', ((await page.textContent('#kommune-antall')) || '').trim()
    === TEXT.nb['velg.antall.en'], await page.textContent('#kommune-antall'));
  await clickAndLoad(page, '#kommune-liste a');
  await page.check('#bydel-01');
  await clickAndLoad(page, 'main form[action$="/skjema"] button[type="submit"]');
  await loginAtOp(page, base, 'ola');
  rec.check('utenjs: the form after the login', new URL(page.url()).pathname === '/privat/skjema', page.url());
  const [v, v2] = privatValues('utenjs', 2);
  await fillForm(page, v);
  rec.check('utenjs: without script the place is not filled in on the page',
    (await page.inputValue(`#${domId('privatBarn.0.adresse.poststed')}`)) === '');
  await clickAndLoad(page, 'button[name="handling"][value="legg-til:privatBarn"]');
  await checkKept('utenjs: "add a child" keeps everything typed', page, v);
  const nf = await focused(page);
  rec.check('utenjs: "add a child" moves focus to the new child without script',
    nf && nf.id === domId('privatBarn.1.personnavn'), nf);
  await fillForm(page, v2);
  const r = await send(page);
  checkReceipt('utenjs', r, '01');
  // The server fills in the place for the postal code.
  record('utenjs', 'privat', '01', r, 'Ola Nordmann',
    { ...v, ...v2, 'privatBarn.0.adresse.poststed': postnummer[v['privatBarn.0.adresse.postnummer']] }, 'nb');
  contextClean('utenjs', w);
  await ctx.close();
});

// ---- issue 14: nothing typed is lost, and the reporter checks first ------

const NOTES_SCREENS = process.env.BKM_NOTES_SCREENS || '';
const rowsShown = (page) => page.$$eval('.bkm-oppsummering-rad', (rs) => Object.fromEntries(rs.map((r) => [
  r.getAttribute('data-felt'), (r.querySelector('.bkm-oppsummering-verdi') || {}).innerText || ''])));

// What the step question (one long form or several steps) was decided on:
// the page's height, and what a screen reader user can jump by (headings,
// groups, fields) in the accessibility tree.
async function shape(page) {
  const height = await page.evaluate(() => document.scrollingElement.scrollHeight);
  const tree = await page.locator('body').ariaSnapshot().catch(() => '');
  const count = { heading: 0, group: 0, textbox: 0, radio: 0, button: 0 };
  for (const line of tree.split('\n')) {
    const m = /^\s*- (\w+)/.exec(line);
    if (m && m[1] in count) count[m[1]]++;
  }
  return `${height} px tall at ${await page.evaluate(() => window.innerWidth)} px; `
    + Object.entries(count).map(([r, c]) => `${c} ${r}s`).join(', ');
}

// "Bytt kommune" on the form: to the choice of municipality and on to
// @knr's form (its default district), with everything typed.
async function changeMunicipality(page, knr) {
  await clickAndLoad(page, 'button[name="handling"][value="bytt-kommune"]');
  const at = new URL(page.url());
  await clickAndLoad(page, `#kommune-liste a[href^="/privat?kommune=${knr}"]`);
  await clickAndLoad(page, 'main form[action$="/skjema"] button[type="submit"]');
  return at;
}

// At 1280 and 375 px: add a child (focus moves to it), change municipality
// twice (the text stays), the check page (every answer, axe in three
// languages), a change link (focus on the field, everything kept), send.
for (const width of [1280, 375]) {
  await scenario(`se-over-${width}`, async () => {
    const k = `se-over-${width}`;
    const { ctx, w, page } = await newContext({
      locale: 'nb-NO', viewport: width === 1280 ? WIDE : { width: 375, height: 812 } });
    await page.goto(`${base}/privat/skjema?kommune=0301&bydel=01`);
    await loginAtOp(page, base, 'kari');
    const [v, v2] = privatValues(k, 2);
    v['privatBarn.0.adresse.poststed'] = 'Gamlebyen';
    await fillForm(page, v);

    // "Legg til et barn": focus on the new child's name, the page there.
    await clickAndLoad(page, 'button[name="handling"][value="legg-til:privatBarn"]');
    const f1 = await focused(page);
    rec.check(`${k}: "add a child" moves focus to the new child's first field`,
      f1 && f1.id === domId('privatBarn.1.personnavn'), f1);
    const y = await page.evaluate(() => window.scrollY);
    rec.check(`${k}: "add a child" does not land at the top of the page`, y > 0, `scrollY ${y}`);
    rec.check(`${k}: the address after "add a child" names the new child`,
      new URL(page.url()).hash === `#${domId('privatBarn.1.personnavn')}`, page.url());
    await checkKept(`${k}: "add a child" keeps everything typed`, page, v);
    await fillForm(page, v2);
    const typed = { ...v, ...v2 };
    rec.note(`${k}: the private form with two children: ${await shape(page)}`);

    // "Bytt kommune": to Bergen and back to Oslo, nothing lost.
    const at = await changeMunicipality(page, '4601');
    rec.check(`${k}: "Bytt kommune" leads to the choice of municipality`, at.pathname === '/privat', at.toString());
    rec.check(`${k}: after "Bytt kommune", the new municipality's form`,
      ((await page.textContent('#mottaker').catch(() => '')) || '').trim() === 'Bergen', page.url());
    await checkKept(`${k}: changing municipality keeps everything typed`, page, typed);
    const notice = await page.$$eval('.ds-alert', (xs) => xs.map((x) => x.textContent.trim()));
    rec.check(`${k}: the form says the text was kept`, notice.includes(TEXT.nb['skjema.byttet']), notice);
    await changeMunicipality(page, '0301');
    rec.check(`${k}: and back to Oslo`, ((await page.textContent('#mottaker')) || '').trim() === 'Oslo, Gamle Oslo',
      await page.textContent('#mottaker'));
    await checkKept(`${k}: changing municipality twice keeps everything typed`, page, typed);

    // The check page: every answer listed.
    await toCheckPage(page, k, null);
    let rows = await rowsShown(page);
    // An address is one answer of lines (data-felt "….adresse").
    const rowOf = (n) => rows[n.replace(/\.adresse\..*/, '.adresse')] || '';
    const notShown = Object.keys(typed).filter((n) => (/\.adresse\./.test(n)
      ? !rowOf(n).split('\n').some((l) => l.includes(typed[n].trim()))
      : rowOf(n).trim() !== typed[n].trim()));
    rec.check(`${k}: the check page lists every answer`, notShown.length === 0,
      notShown.map((n) => `${n}: "${rowOf(n)}" want "${typed[n]}"`));
    rec.note(`${k}: the check page: ${await shape(page)}`);
    rec.check(`${k}: the check page has no sideways scrolling`,
      await page.evaluate(() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth));
    mkdirSync(shotDir, { recursive: true });
    await page.screenshot({ path: join(shotDir, `se-over-privat-nb-${width}.png`), fullPage: true });
    if (NOTES_SCREENS) {
      mkdirSync(NOTES_SCREENS, { recursive: true });
      await page.screenshot({ path: join(NOTES_SCREENS, `se-over-privat-nb-${width}.png`), fullPage: true });
    }

    // "Endre": back to the form, focus on that field, everything kept.
    const target = 'privatBarn.0.antattAlder';
    await clickAndLoad(page, `button[name="handling"][value="endre:${target}"]`);
    const f2 = await focused(page);
    rec.check(`${k}: "Endre" goes back to the form with that field focused`, f2 && f2.id === domId(target), f2);
    rec.check(`${k}: the address after "Endre" names the field`, new URL(page.url()).hash === `#${domId(target)}`, page.url());
    await checkKept(`${k}: "Endre" keeps every other value`, page, typed);
    await page.fill(`#${domId(target)}`, '8 år');
    typed[target] = '8 år';
    await toCheckPage(page, `${k} (after a change)`, null);
    rows = await rowsShown(page);
    rec.check(`${k}: the check page shows the changed answer`, (rows[target] || '').trim() === '8 år', rows[target]);

    // The check page in each language: still the check page, axe clean.
    for (const l of ['nn', 'en', 'nb']) {
      await clickAndLoad(page, `button[name="handling"][value="sprak:${l}:se-over"]`);
      rec.check(`${k}: the check page's language button gives the check page in ${l}`,
        (await h1(page)) === TEXT[l]['se_over.tittel'], await h1(page));
      await checkKept(`${k}: the check page in ${l} carries every value`, page, typed);
      if (width === 1280) await audit(rec, page, w, 'se-over-privat', l, shotDir);
      else {
        const v3 = await runAxe(page);
        rec.check(`${k}: axe-core finds no violation on the check page in ${l} at 375 px`, v3.length === 0, formatAxe(v3));
      }
    }
    await Promise.all([page.waitForURL(UUID_RE, { waitUntil: 'load' }), page.click(SEND)]);
    const r = await receipt(page);
    checkReceipt(k, r, '01');
    record(k, 'privat', '01', r, 'Kari Nordmann', typed, 'nb');
    contextClean(k, w);
    await ctx.close();
  });
}

// Errors shown, then another language: the summary stays, in that language.
await scenario('feil-sprak', async () => {
  const { ctx, w, page } = await newContext({ locale: 'nb-NO' });
  await page.goto(`${base}/privat/skjema?kommune=0301&bydel=01`);
  await loginAtOp(page, base, 'kari');
  await fillForm(page, { 'privatBarn.0.antattAlder': '7' });
  await clickAndLoad(page, `${SE_OVER}, #skjema ${SEND}`);
  const before = await page.$$eval('#feiloppsummering a', (as) => as.map((a) => a.getAttribute('href')));
  rec.check('feil-sprak: errors shown in bokmål', before.length > 0, before);
  for (const l of ['en', 'nn']) {
    await clickAndLoad(page, `.bkm-sprak button[lang="${l}"]`);
    const s = await page.evaluate(() => {
      const box = document.getElementById('feiloppsummering');
      return box ? { title: box.querySelector('h2').textContent.trim(),
        links: [...box.querySelectorAll('a')].map((a) => a.getAttribute('href')),
        focused: document.activeElement === box } : null;
    });
    rec.check(`feil-sprak: after switching to ${l} the error summary is still shown`,
      (await lang(page)) === l && s && JSON.stringify(s.links) === JSON.stringify(before), s);
    rec.check(`feil-sprak: in ${l}`, s && s.title === TEXT[l]['skjema.feil.tittel'], s && s.title);
    await checkKept(`feil-sprak: switching to ${l} keeps what was typed`, page, { 'privatBarn.0.antattAlder': '7' });
  }
  contextClean('feil-sprak', w);
  await ctx.close();
});

// A session in nynorsk (the login's locale; the browser asks for bokmål):
// the check page, the receipt and the status page in nynorsk.
await scenario('nynorsk', async () => {
  const { ctx, w, page } = await newContext({ locale: 'nb-NO' });
  await page.goto(`${base}/privat/skjema?kommune=0301&bydel=01`);
  await loginAtOp(page, base, 'ola');
  rec.check('nynorsk: a login in nynorsk gives the form in nynorsk', (await lang(page)) === 'nn', await lang(page));
  const [v] = privatValues('nynorsk', 1);
  v['privatBarn.0.adresse.poststed'] = 'Gamlebyen';
  await fillForm(page, v);
  const r = await send(page, 'click', 'nynorsk', null);
  checkReceipt('nynorsk', r, '01');
  record('nynorsk', 'privat', '01', r, 'Ola Nordmann', v, 'nn');
  rec.check('nynorsk: the receipt in nynorsk', (await lang(page)) === 'nn' && (await h1(page)) === TEXT.nn['sendt.tittel'],
    `${await lang(page)} "${await h1(page)}"`);
  await clickAndLoad(page, '#status-lenke');
  rec.check('nynorsk: the status page in nynorsk', (await lang(page)) === 'nn', await lang(page));
  contextClean('nynorsk', w);
  await ctx.close();
});

// ---- issue 14: trust on every citizen page --------------------------------

// A private reporter's receipt offers the copy of what was sent: it
// downloads as bekymringsmelding-REFERENCE.pdf and holds the reference.
async function privateCopy(page, key, r) {
  rec.check(`${key}: the receipt tells a private reporter what the family can learn and what happens next`,
    await page.isVisible('.bkm-melderinfo'));
  const link = await page.$('#kopi');
  rec.check(`${key}: the receipt offers a private reporter a PDF copy`, link !== null, page.url());
  if (!link) return;
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#kopi')]);
  const file = join(outDir, `${key}.pdf`);
  await dl.saveAs(file);
  let text = '';
  try { text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }); } catch { /* empty */ }
  rec.check(`${key}: the private copy is bekymringsmelding-REFERENCE.pdf with the reference number in it`,
    dl.suggestedFilename() === `bekymringsmelding-${r.referanse}.pdf` && text.includes(r.referanse),
    { file: dl.suggestedFilename(), text: text.slice(0, 200) });
}

const DRIFT = 'Utviklingsmiljøet for bekymringsmelding';

// The footer of the page shown: who runs the service, and the three links.
async function footerOk(page, label) {
  const f = await page.$eval('footer.bkm-fot', (el) => ({
    drift: (el.querySelector('#driftsansvarlig') || {}).textContent || '',
    links: [...el.querySelectorAll('a')].filter((a) => a.offsetParent !== null).map((a) => a.getAttribute('href')),
  })).catch(() => null);
  rec.check(`${label}: the footer names who runs the service and links privacy, accessibility and contact`,
    f && f.drift.includes(DRIFT) && ['/personvern', '/tilgjengelighet', '/kontakt'].every((h) => f.links.includes(h)), f);
}

await scenario('tillit', async () => {
  for (const lng of ['nb', 'nn', 'en']) {
    const { ctx, w, page } = await newContext({ locale: lng === 'en' ? 'en-GB' : `${lng}-NO` });
    const T = TEXT[lng];
    const a = (state) => audit(rec, page, w, state, lng, shotDir);
    await page.goto(`${base}/?sprak=${lng}`);
    await footerOk(page, `tillit-forside-${lng}`);
    // The three pages of the footer, each audited (axe, 320 px, 400 %).
    for (const [path, key] of [['/personvern', 'personvern'], ['/tilgjengelighet', 'tilgjengelighet'], ['/kontakt', 'kontakt']]) {
      await clickAndLoad(page, `footer.bkm-fot a[href="${path}"]`);
      rec.check(`tillit-${key}-${lng}: the footer link opens "${T[`${key}.tittel`]}"`,
        (await h1(page)) === T[`${key}.tittel`] && (await lang(page)) === lng, await h1(page));
      await footerOk(page, `tillit-${key}-${lng}`);
      await a(key);
    }
    rec.check(`tillit-tilgjengelighet-${lng}: the statement names uu-tilsynet and lists deviations`,
      await page.goto(`${base}/tilgjengelighet`).then(async () => (await page.$('a#uutilsynet[href="https://www.uutilsynet.no/"]')) !== null
        && (await page.$$('#avvik li')).length >= 1));
    // /privat: the full list without "no municipality matches"; the private
    // reporter's text about the family and the week.
    await page.goto(`${base}/privat`);
    rec.check(`tillit-privat-${lng}: "${T['velg.ingen']}" is not shown above the full list`,
      !(await page.isVisible('#kommune-ingen')) && (await page.$$('#kommune-liste > li')).length > 1);
    rec.check(`tillit-privat-${lng}: a private reporter is told what the family can learn and what happens next`,
      (await page.isVisible('.bkm-melderinfo'))
      && ((await page.textContent('.bkm-melderinfo')) || '').includes(T['privat.melder.tittel']));
    await footerOk(page, `tillit-privat-${lng}`);
    // A municipality not in the portal: its child welfare service's phone.
    await page.goto(`${base}/privat?kommune=1103`);
    const tel = await page.$eval('#barnevern-telefon a', (x) => x.getAttribute('href')).catch(() => null);
    rec.check(`tillit-stavanger-${lng}: the child welfare service's number, as a tel: link`,
      tel === 'tel:51000000' && (await page.isVisible('#barnevern-telefon')), tel);
    // The favicon: linked, served, of the right types.
    const icons = await page.$$eval('link[rel="icon"]', (ls) => ls.map((l) => l.href));
    const got = await Promise.all(icons.map((u) => ctx.request.get(u).then((x) => `${x.status()} ${x.headers()['content-type']}`)));
    rec.check(`tillit-favicon-${lng}: an SVG and an .ico favicon, both served`,
      icons.length === 2 && got.includes('200 image/svg+xml') && got.includes('200 image/x-icon'), { icons, got });
    contextClean(`tillit-${lng}`, w);
    await ctx.close();
  }

  // Logout: ID-porten's single logout through mod_auth_openidc; after it
  // the form asks for a login again.
  const { ctx, w, page } = await newContext({ locale: 'nb-NO' });
  await page.goto(`${base}/privat/skjema?kommune=0301&bydel=01`);
  await loginAtOp(page, base, 'kari');
  rec.check('loggut: the form shows "Logg ut" to the person logged in',
    await page.isVisible('#logg-ut') && ((await page.textContent('#logg-ut')) || '').trim() === TEXT.nb['side.logg_ut']);
  await a0(page, w, 'skjema-innlogget');
  await clickAndLoad(page, '#logg-ut');
  rec.check('loggut: ID-porten asks to confirm the logout', onOp(page, base), page.url());
  await Promise.all([
    page.waitForURL((u) => u.toString().startsWith(base), { waitUntil: 'load' }),
    page.click('button[name="logout"][value="yes"]'),
  ]);
  rec.check('loggut: back at "Du er logget ut"', new URL(page.url()).pathname === '/utlogget'
    && (await h1(page)) === TEXT.nb['utlogget.tittel'], page.url());
  rec.check('loggut: no "Logg ut" once logged out', !(await page.isVisible('#logg-ut')));
  const left = (await ctx.cookies()).filter((c) => c.value && /bkm_(innlogget|csrf|sendt|utkast)$/.test(c.name)).map((c) => c.name);
  rec.check('loggut: nothing of the person is left in the browser (login evidence, CSRF, receipt, draft)',
    left.length === 0, left);
  await a0(page, w, 'utlogget');
  for (const lng of ['nn', 'en']) {
    await page.goto(`${base}/utlogget?sprak=${lng}`);
    await audit(rec, page, w, 'utlogget', lng, shotDir);
  }
  await page.goto(`${base}/privat/skjema?kommune=0301&bydel=01`);
  rec.check('loggut: the form asks for a login again (the session is gone here and at ID-porten)',
    onOp(page, base) && (await page.$('select#person')) !== null, page.url());
  contextClean('loggut', w);
  await ctx.close();
});

async function a0(page, w, state) { await audit(rec, page, w, state, 'nb', shotDir); }

await browser.close();
const results = { checks: rec.checks, reports: rec.reports, notes: rec.notes, timings,
  seconds: (Date.now() - started) / 1000 };
writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 1));
const failed = rec.checks.filter((c) => !c.ok).length;
log(`${rec.checks.length} checks, ${failed} failed, ${Object.keys(rec.reports).length} reports sent`);
