// SPDX-License-Identifier: Apache-2.0
//
// What the browser tests (run.mjs) share: the browser, the record of
// checks, and the audit of a page state (axe-core, reflow at 320 CSS px
// and at 400 % zoom, Content-Security-Policy messages, screenshots).
//
// The browser is Debian's Chromium (/usr/bin/chromium, build/packages.txt),
// launched by playwright-core with a fresh temporary profile each run;
// playwright never downloads a browser of its own here.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// The pages' catalogues: what each language's page must say.
export const LANGS = ['nb', 'nn', 'en'];
export const TEXT = Object.fromEntries(LANGS.map((l) => [l, JSON.parse(
  readFileSync(join(ROOT, 'htdocs/i18n', `${l}.json`), 'utf8'))]));

// axe-core's browser build, evaluated in the page through the DevTools
// protocol (page.evaluate): that is not subject to the page's CSP, so the
// pages keep their strict policy (no bypassCSP anywhere) and the CSP check
// below sees exactly what a visitor's browser would.
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
  '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

export async function launch() {
  // launch() makes a fresh temporary user-data dir and removes it on close.
  return chromium.launch({
    executablePath: process.env.BKM_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

// ---- the record ------------------------------------------------------

export class Record {
  constructor(logFn) {
    this.checks = [];
    this.reports = {};
    this.notes = [];
    this.log = logFn;
  }

  check(name, ok, diag) {
    const c = { name, ok: !!ok };
    if (!ok && diag !== undefined) {
      c.diag = typeof diag === 'string' ? diag : JSON.stringify(diag, null, 1);
    }
    this.checks.push(c);
    this.log(`${ok ? 'ok    ' : 'NOT OK'} ${name}${c.diag ? `\n       ${c.diag.replace(/\n/g, '\n       ')}` : ''}`);
    return !!ok;
  }

  note(text) {
    this.notes.push(text);
    this.log(`note   ${text}`);
  }
}

// ---- per-context watch: CSP messages and script errors -----------------

// Chromium reports a CSP violation on the console ("Refused to ... because
// it violates the following Content Security Policy directive ...").
const CSP_RE = /Content[ -]Security[ -]Policy/i;

export function watch(ctx) {
  const w = { csp: [], errors: [], cspSeen: 0, errorsSeen: 0 };
  const hook = (page) => {
    page.on('console', (m) => {
      if (CSP_RE.test(m.text())) w.csp.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => w.errors.push(`${page.url()}: ${e.message}`));
  };
  ctx.on('page', hook);
  for (const p of ctx.pages()) hook(p);
  return w;
}

// CSP messages since the last call.
export function newCsp(w) {
  const fresh = w.csp.slice(w.cspSeen);
  w.cspSeen = w.csp.length;
  return fresh;
}

// ---- layout ----------------------------------------------------------

// document.scrollingElement.scrollWidth <= clientWidth, and if not, the
// elements that stick out on the right.
async function overflow(page) {
  return page.evaluate(() => new Promise((done) => {
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const se = document.scrollingElement;
      const cw = se.clientWidth;
      const out = [];
      if (se.scrollWidth > cw) {
        for (const el of document.body.querySelectorAll('*')) {
          const r = el.getBoundingClientRect();
          if (r.width > 0 && r.right > cw + 0.5) {
            out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${
              el.className && typeof el.className === 'string'
                ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} right=${Math.round(r.right)}`);
          }
          if (out.length >= 8) break;
        }
      }
      done({ ok: se.scrollWidth <= cw, scrollWidth: se.scrollWidth, clientWidth: cw, out });
    }));
  }));
}

export async function runAxe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(AXE_SOURCE);
  }
  const res = await page.evaluate((tags) => window.axe.run(document, {
    runOnly: { type: 'tag', values: tags },
    resultTypes: ['violations'],
  }).then((r) => r.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
  }))), AXE_TAGS);
  return res;
}

export function formatAxe(violations) {
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n${
    v.nodes.slice(0, 6).map((n) => `  - ${n.target}: ${(n.summary || '').replace(/\n\s*/g, ' / ')}`).join('\n')}${
    v.nodes.length > 6 ? `\n  ... and ${v.nodes.length - 6} more` : ''}`).join('\n');
}

// ---- one page state --------------------------------------------------

export const WIDE = { width: 1280, height: 800 };

// Everything asked of each page state: the language, axe-core, no
// sideways scrolling at 320 CSS px and at 1280 px zoomed to 400 %, no CSP
// message, and full-page screenshots at 1280 and 360 px.
export async function audit(rec, page, w, state, lang, shotDir) {
  const label = `${state} [${lang}]`;
  const htmlLang = await page.getAttribute('html', 'lang').catch(() => null);
  rec.check(`${label}: the page is in ${lang}`, htmlLang === lang, `<html lang="${htmlLang}"> at ${page.url()}`);

  await page.setViewportSize(WIDE);
  const v = await runAxe(page);
  rec.check(`${label}: axe-core (${AXE_TAGS.join(', ')}) finds no violation`, v.length === 0,
    `${page.url()}\n${formatAxe(v)}`);

  mkdirSync(shotDir, { recursive: true });
  await page.screenshot({ path: join(shotDir, `${state}-${lang}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: join(shotDir, `${state}-${lang}-360.png`), fullPage: true });

  await page.setViewportSize({ width: 320, height: 640 });
  let o = await overflow(page);
  rec.check(`${label}: no horizontal scrolling at 320 px`, o.ok,
    `scrollWidth ${o.scrollWidth} > clientWidth ${o.clientWidth}: ${o.out.join(', ')}`);

  // 1280 x 1024 at 400 %: a viewport of 320 x 256 CSS px, 4 device px each.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setDeviceMetricsOverride',
    { width: 320, height: 256, deviceScaleFactor: 4, mobile: false });
  o = await overflow(page);
  await cdp.send('Emulation.clearDeviceMetricsOverride');
  await cdp.detach();
  await page.setViewportSize(WIDE);
  rec.check(`${label}: no horizontal scrolling at 1280 px zoomed to 400 %`, o.ok,
    `scrollWidth ${o.scrollWidth} > clientWidth ${o.clientWidth}: ${o.out.join(', ')}`);

  const csp = newCsp(w);
  rec.check(`${label}: no Content-Security-Policy violation`, csp.length === 0, csp.join('\n'));
}

// ---- forms -----------------------------------------------------------

// Whether the error summary has the focus.  Chromium applies autofocus in
// a rendering step after the load event, so a check right after a
// navigation can run before it: wait up to 3 s for it (what a person sees
// at once).
export async function summaryFocused(page) {
  return page.waitForFunction(
    () => document.activeElement && document.activeElement.id === 'feiloppsummering',
    null, { timeout: 3000 }).then(() => true, () => false);
}

export const domId = (name) => `f-${name.replace(/\./g, '-')}`;

// Fill in a form: text by name, yes/no radios ("ja"/"nei") and checkboxes.
export async function fillForm(page, values) {
  for (const [name, value] of Object.entries(values)) {
    const el = page.locator(`[name="${name}"]`).first();
    const type = await el.getAttribute('type');
    if (type === 'radio') {
      await page.check(`#${domId(name)}-${value}`);
    } else if (type === 'checkbox') {
      if (value === 'ja') await el.check(); else await el.uncheck();
    } else {
      await el.fill(value);
    }
  }
}

// Every named field of the form #skjema as the browser would post it
// (buttons left out): name -> value.
export async function formValues(page) {
  return page.evaluate(() => {
    const out = {};
    const f = document.getElementById('skjema');
    if (!f) return null;
    for (const el of f.elements) {
      if (!el.name || el.tagName === 'BUTTON') continue;
      if ((el.type === 'radio' || el.type === 'checkbox') && !el.checked) continue;
      out[el.name] = el.value;
    }
    return out;
  });
}

export function diffValues(want, got) {
  const d = [];
  for (const k of new Set([...Object.keys(want), ...Object.keys(got || {})])) {
    const a = want[k];
    const b = got ? got[k] : undefined;
    if (a !== b) d.push(`${k}: expected ${JSON.stringify(a)}, got ${JSON.stringify(b)}`);
  }
  return d;
}

// ---- ID-porten stand-in (build/idporten-dev/op.mjs) -------------------

export const onOp = (page, base) => !page.url().startsWith(base);

// On the stand-in's login page: choose the person and level, log in, and
// wait to be back at the portal.
export async function loginAtOp(page, base, person) {
  await page.waitForSelector('select#person');
  await page.selectOption('select#person', person);
  await page.selectOption('select#acr', 'idporten-loa-substantial');
  await Promise.all([
    page.waitForURL((u) => u.toString().startsWith(base), { waitUntil: 'load' }),
    page.click('button[name="action"][value="login"]'),
  ]);
}
