#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// incumbent.mjs OPENAPI.yaml REFERENCE_DIR
//
// Compares schema/openapi.yaml with the incumbent's published API
// descriptions (fiks-bekymringsmelding-api/*.json, OpenAPI 3.0), so that
// a client written for the incumbent keeps working: every path and method
// the incumbent has is described here, every status it lists for it too,
// and each of its schemas that a response here carries (by the mapping
// below) has each of the incumbent's properties, with the same type, and
// requires at least what the incumbent requires.  One line per difference;
// exit 1 on any.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

const [specFile, refDir] = process.argv.slice(2);
const ours = YAML.parse(readFileSync(specFile, 'utf8'));
// The incumbent's schema name -> ours.
const names = {
  KommuneEnkel: 'KommuneEnkel', KommuneV2: 'KommuneV2', BydelEnkelV2: 'BydelEnkelV2',
  Krypteringsnokler: 'Krypteringsnokler', OffentligNokkelApiModel: 'Nokkel',
  HistorikkApiModel: 'Historikk', BekymringsmeldingId: 'Mottatt',
  BekymringsmeldingIdApiModel: 'SkjemaMottatt',
};
const problems = [];
const typeOf = (s) => (s && (s.type ?? (s.enum ? typeof s.enum[0] : s.const !== undefined ? typeof s.const : undefined)));
const resolve = (doc, s) => (s && s.$ref ? s.$ref.split('/').slice(1).reduce((a, k) => a[k], doc) : s);
let compared = 0;
for (const f of readdirSync(refDir).filter((n) => /^bekymringsmelding-.*\.json$/.test(n))) {
  const theirs = JSON.parse(readFileSync(join(refDir, f), 'utf8'));
  for (const [p, item] of Object.entries(theirs.paths)) {
    for (const [m, op] of Object.entries(item)) {
      compared++;
      const mine = ours.paths[p]?.[m];
      if (!mine) { problems.push(`${f}: ${m.toUpperCase()} ${p} is not described`); continue; }
      for (const st of Object.keys(op.responses || {})) {
        if (!mine.responses[st]) problems.push(`${f}: ${m.toUpperCase()} ${p} lacks status ${st}`);
      }
    }
  }
  for (const [n, s] of Object.entries(theirs.components?.schemas || {})) {
    if (!names[n]) continue;
    compared++;
    const mine = ours.components.schemas[names[n]];
    for (const r of s.required || []) {
      if (!(mine.required || []).includes(r)) problems.push(`${f}: ${n}.${r} is required there, not here (${names[n]})`);
    }
    for (const [prop, ps] of Object.entries(s.properties || {})) {
      const mp = resolve(ours, mine.properties?.[prop]);
      if (!mp) { problems.push(`${f}: ${n}.${prop} is missing here (${names[n]})`); continue; }
      const t = typeOf(resolve(theirs, ps)), mt = typeOf(mp);
      if (t && mt && [].concat(mt).indexOf(t) < 0 && !(t === 'object' && mp.$ref)) {
        problems.push(`${f}: ${n}.${prop} is ${t} there, ${mt} here`);
      }
    }
  }
}
for (const p of problems) console.log(`DIFF ${p}`);
console.log(`incumbent: ${compared} paths, methods and schemas compared, ${problems.length} differences`);
process.exit(problems.length ? 1 : 0);
