// SPDX-License-Identifier: Apache-2.0
//
// htdocs/static/favicon.ico from htdocs/static/favicon.svg: Chromium
// (playwright-core, as in t/browser) draws the SVG at 16, 32 and 48 px, and
// the PNGs go into one .ico (PNG entries, which every browser since 2007
// reads).  Run by hand after changing the SVG, from the checkout:
//   node build/favicon/make-ico.mjs   (needs npm ci in t/browser)
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(`${root}/t/browser/package.json`);
const { chromium } = require('playwright-core');
const svg = readFileSync(`${root}/htdocs/static/favicon.svg`, 'utf8');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless'] });
const pngs = [];
for (const size of [16, 32, 48]) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`);
  pngs.push([size, await page.screenshot({ omitBackground: true })]);
  await page.close();
}
await browser.close();
// ICONDIR, one ICONDIRENTRY per image, then the images.
const head = Buffer.alloc(6 + 16 * pngs.length);
head.writeUInt16LE(0, 0);
head.writeUInt16LE(1, 2);
head.writeUInt16LE(pngs.length, 4);
let offset = head.length;
pngs.forEach(([size, png], i) => {
  const e = 6 + 16 * i;
  head.writeUInt8(size, e);
  head.writeUInt8(size, e + 1);
  head.writeUInt8(0, e + 2);
  head.writeUInt8(0, e + 3);
  head.writeUInt16LE(1, e + 4);
  head.writeUInt16LE(32, e + 6);
  head.writeUInt32LE(png.length, e + 8);
  head.writeUInt32LE(offset, e + 12);
  offset += png.length;
});
writeFileSync(`${root}/htdocs/static/favicon.ico`, Buffer.concat([head, ...pngs.map(([, p]) => p)]));
console.log(`favicon.ico: ${offset} bytes`);
