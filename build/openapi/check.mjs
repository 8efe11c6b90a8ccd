#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// check.mjs OPENAPI.yaml ANSWERS.jsonl... [--cover]
//
// Checks the answers the Apache::Test files recorded
// (t/lib/BkmOpenapiRecord.pm) against the OpenAPI description (issue 15,
// item 3): for each answer, the path and method must be described, its
// status must be one the operation lists, its Content-Type one that
// status lists, and a JSON body must be valid against the status's
// schema (JSON Schema 2020-12, by ajv).  An answer on a path the
// description does not have (the suite's deliberate 404s) or with a
// method the path does not take (405) must be the API's error body.
// --cover also fails when an operation got no answer at all.
// Prints one line per failure and a summary; exit 1 on any failure.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const argv = process.argv.slice(2);
const cover = argv.includes('--cover');
const [specFile, ...answerFiles] = argv.filter((a) => a !== '--cover');
const spec = YAML.parse(readFileSync(specFile, 'utf8'));

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'openapi.json', components: spec.components });
// A schema of the description, its "#/components/..." references
// resolved in the whole document.
const rebase = (s) => {
  if (Array.isArray(s)) return s.map(rebase);
  if (s && typeof s === 'object') {
    const o = {};
    for (const [k, v] of Object.entries(s)) {
      o[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi.json${v}` : rebase(v);
    }
    return o;
  }
  return s;
};
const compiled = new Map();
const validator = (schema) => {
  if (!compiled.has(schema)) compiled.set(schema, ajv.compile(rebase(schema)));
  return compiled.get(schema);
};
const deref = (o) => {
  while (o && o.$ref) {
    o = o.$ref.split('/').slice(1).reduce((a, k) => a[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  }
  return o;
};

// Paths as patterns; the one with most literal characters wins.
const routes = Object.entries(spec.paths).map(([p, item]) => ({
  p,
  item,
  re: new RegExp(`^${p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
  literal: p.replace(/\{[^}]+\}/g, '').length,
}));
const route = (path) => routes.filter((r) => r.re.test(path)).sort((a, b) => b.literal - a.literal)[0];

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const answered = new Map(); // "GET /path" -> Set of statuses
for (const r of routes) {
  for (const m of methods) if (r.item[m]) answered.set(`${m.toUpperCase()} ${r.p}`, new Set());
}

const errorSchema = spec.components.schemas.Feil;
let checked = 0;
const failures = [];
const fail = (a, why) => failures.push(`${a.method} ${a.path}${a.query ? `?${a.query}` : ''} ${a.status}: ${why} (${a.file})`);
const mediaOf = (ct) => (ct || '').split(';')[0].trim().toLowerCase();
const validate = (a, schema, what) => {
  const v = validator(schema);
  if (!v(a.body)) fail(a, `${what}: ${ajv.errorsText(v.errors, { dataVar: 'body' })}; body ${JSON.stringify(a.body).slice(0, 300)}`);
};

for (const file of answerFiles) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const a = JSON.parse(line);
    checked++;
    const r = route(a.path);
    if (!r) {
      // Not a described address: only the API's error answers are allowed.
      if (a.status < 400) fail(a, 'a path the description does not have answered with success');
      else if (a.body !== undefined) validate(a, errorSchema, 'error body');
      continue;
    }
    const getLike = a.method === 'HEAD' ? 'get' : a.method.toLowerCase();
    const op = r.item[getLike];
    if (!op) {
      // 405, or what the area's guard answers first (401; 404 for another
      // integration's account), or httpd's 501 for a method it does not know.
      if (![401, 404, 405, 501].includes(a.status)) fail(a, `method not described for ${r.p}`);
      else if (a.body !== undefined) validate(a, errorSchema, 'error body');
      continue;
    }
    answered.get(`${getLike.toUpperCase()} ${r.p}`)?.add(a.status);
    const responses = op.responses || {};
    const res = deref(responses[String(a.status)] || responses[`${String(a.status)[0]}XX`]);
    if (!res) {
      fail(a, `status not described for ${getLike.toUpperCase()} ${r.p} (described: ${Object.keys(responses).join(', ')})`);
      continue;
    }
    if (a.status === 429 || a.status === 503) {
      if (!/^\d+$/.test(a.retryAfter ?? '')) fail(a, 'no Retry-After');
    }
    if (a.status === 405 && !a.allow) fail(a, 'no Allow');
    const content = res.content || {};
    const media = mediaOf(a.contentType);
    if (!Object.keys(content).length) {
      if (a.length > 0 && a.method !== 'HEAD') fail(a, `a body (${a.contentType}) where the description has none`);
      continue;
    }
    if (a.method === 'HEAD' || a.status === 304) continue;
    const mt = Object.entries(content).find(([k]) => mediaOf(k) === media);
    if (!mt) {
      fail(a, `Content-Type ${a.contentType || '(none)'} not described (described: ${Object.keys(content).join(', ')})`);
      continue;
    }
    if (media === 'application/json' && mt[1].schema && !a.big) {
      if (a.body === undefined) fail(a, 'a JSON answer without a body');
      else validate(a, mt[1].schema, 'body');
    }
  }
}

let uncovered = 0;
for (const [op, statuses] of answered) {
  if (!statuses.size) {
    uncovered++;
    if (cover) failures.push(`${op}: no answer in the recordings`);
  }
}
for (const f of failures) console.log(`FAIL ${f}`);
console.log(`openapi-check: ${checked} answers, ${failures.length} failed; ` +
  `${answered.size - uncovered} of ${answered.size} operations answered`);
if (process.env.OPENAPI_CHECK_STATUSES) {
  for (const [op, statuses] of answered) console.log(`  ${op}: ${[...statuses].sort().join(' ')}`);
}
process.exit(failures.length ? 1 : 0);
