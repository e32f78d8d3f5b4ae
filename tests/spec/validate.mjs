#!/usr/bin/env node
// Validates the vendor request bodies dumped by a plugin suite
// (tests/plugins/spec_request_dump.hpp) against the vendor's OpenAPI spec.
//
//   node validate.mjs <spec.yaml|spec.json> <dumps-dir> [--strict-properties]
//
// Each dump is {"spec_path", "method", "body"}; the body is checked against
// paths[spec_path][method].requestBody.content["application/json"].schema.
// The whole spec is registered with Ajv under one $id and the request schema
// is referenced through it, so "#/components/..." refs resolve as written.
//
// --strict-properties additionally reports object properties the schema does
// not declare: JSON Schema lets them through by default, but some vendors
// (Anthropic, Mistral) reject unknown fields with a 4xx, so a plugin that
// sends one is broken even though the plain schema check passes.
//
// Exit status: 0 all valid; 1 a body is invalid, a dump is malformed or the
// directory holds no dumps (a check that checked nothing must not pass);
// 2 usage or spec loading errors.

import fs from 'node:fs';
import path from 'node:path';

// Imported dynamically so a missing node_modules gets a message that says
// what to run instead of a module-resolution stack trace.
let Ajv2020, Ajv, addFormats, YAML;
try {
  Ajv2020 = (await import('ajv/dist/2020.js')).default;
  Ajv = (await import('ajv')).default;
  addFormats = (await import('ajv-formats')).default;
  YAML = (await import('yaml')).default;
} catch (e) {
  console.error(`validate.mjs: dependencies missing (${e.message}); run: npm ci --prefix tests/spec --no-audit --no-fund`);
  process.exit(2);
}

function usage(msg) {
  if (msg) console.error(`validate.mjs: ${msg}`);
  console.error('usage: node validate.mjs <spec.yaml|spec.json> <dumps-dir> [--strict-properties]');
  process.exit(2);
}

const args = process.argv.slice(2);
const strictProperties = args.includes('--strict-properties');
const positional = args.filter((a) => !a.startsWith('--'));
const unknownFlags = args.filter((a) => a.startsWith('--') && a !== '--strict-properties');
if (unknownFlags.length) usage(`unknown option ${unknownFlags.join(' ')}`);
if (positional.length !== 2) usage();
const [specFile, dumpsDir] = positional;

function loadSpec(file) {
  const text = fs.readFileSync(file, 'utf8');
  // Specs are large; yaml's default alias limit is too low for some of them.
  return file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text, { maxAliasCount: -1 });
}

let spec;
try {
  spec = loadSpec(specFile);
} catch (e) {
  console.error(`validate.mjs: cannot load spec ${specFile}: ${e.message}`);
  process.exit(2);
}

const oasVersion = String(spec.openapi || spec.swagger || '');
// OAS 3.1 schemas are JSON Schema 2020-12; OAS 3.0 schemas are a draft-04/07
// dialect that plain Ajv (draft-07) handles once nullable is gone (prism-ready
// specs have it rewritten as type arrays).
const AjvClass = oasVersion.startsWith('3.1') ? Ajv2020 : Ajv;
const ajv = new AjvClass({
  // Specs carry OpenAPI keywords (discriminator, example, xml, x-*) that are
  // not JSON Schema; strict mode would refuse to compile them.
  strict: false,
  allErrors: true,
  validateSchema: false,
  validateFormats: true,
  unicodeRegExp: false,
});
addFormats(ajv);
// Google's JSON mapping reads bytes in either base64 alphabet, padded or not
// (proto3 JSON), and Gemini itself returns URL-safe thought signatures.
ajv.addFormat('byte', /^[A-Za-z0-9+/_-]*={0,2}$/);
// Formats ajv-formats does not know (OpenAPI's int32/int64/byte..., vendor
// ones like google-duration) are annotations here: accept any value instead
// of warning on every compile.
(function acceptUnknownFormats(node) {
  if (Array.isArray(node)) return node.forEach(acceptUnknownFormats);
  if (node === null || typeof node !== 'object') return;
  if (typeof node.format === 'string' && !ajv.formats[node.format]) ajv.addFormat(node.format, true);
  Object.values(node).forEach(acceptUnknownFormats);
})(spec);

const SPEC_ID = 'https://switchboard.invalid/spec/' + path.basename(specFile);
spec.$id = SPEC_ID;
ajv.addSchema(spec, SPEC_ID);

const escapePointer = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function at(pointer) {
  let node = spec;
  for (const raw of pointer.split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

const validators = new Map();
function validatorFor(pointer) {
  let v = validators.get(pointer);
  if (!v) {
    v = ajv.compile({ $ref: `${SPEC_ID}#${pointer}` });
    validators.set(pointer, v);
  }
  return v;
}

// Follows local $refs; returns [pointer, schema] of the target.
function deref(pointer) {
  const seen = new Set();
  let schema = at(pointer);
  while (schema && typeof schema === 'object' && typeof schema.$ref === 'string' && schema.$ref.startsWith('#')) {
    if (seen.has(pointer)) break;
    seen.add(pointer);
    // A $ref with siblings (allowed in 3.1) is handled by the walker through
    // allOf-like treatment below; most specs use bare $refs.
    if (Object.keys(schema).some((k) => k !== '$ref' && k !== 'description' && k !== 'title')) break;
    pointer = schema.$ref.slice(1);
    schema = at(pointer);
  }
  return [pointer, schema];
}

const isObj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);

// Walks data alongside the schema at `pointer`, collecting properties the
// schema (with everything it composes) does not declare.
function undeclared(data, pointer, where, out, depth = 0) {
  if (depth > 64) return;
  const [ptr, schema] = deref(pointer);
  if (!isObj(schema)) return;

  // Every schema that applies to `data` in place: this one, its $ref target
  // when it has siblings, allOf, and the anyOf/oneOf branches data matches
  // (all branches when none matches: the plain check reports that).
  const applied = [];
  const collect = (p, d) => {
    if (d > 32) return;
    const [q, s] = deref(p);
    if (!isObj(s) || applied.some((a) => a.ptr === q)) return;
    applied.push({ ptr: q, schema: s });
    if (typeof s.$ref === 'string' && s.$ref.startsWith('#')) collect(s.$ref.slice(1), d + 1);
    (s.allOf || []).forEach((_, i) => collect(`${q}/allOf/${i}`, d + 1));
    for (const kw of ['anyOf', 'oneOf']) {
      if (!Array.isArray(s[kw])) continue;
      const branches = s[kw].map((_, i) => `${q}/${kw}/${i}`);
      const matching = branches.filter((b) => validatorFor(b)(data));
      (matching.length ? matching : branches).forEach((b) => collect(b, d + 1));
    }
    if (s.if && s.then && validatorFor(`${q}/if`)(data)) collect(`${q}/then`, d + 1);
  };
  collect(ptr, 0);

  if (isObj(data)) {
    const declared = new Map();
    let openEnded = false;
    let declaresAnything = false;
    const extra = [];
    for (const { ptr: q, schema: s } of applied) {
      if (isObj(s.properties)) {
        declaresAnything = true;
        for (const k of Object.keys(s.properties)) {
          if (!declared.has(k)) declared.set(k, []);
          declared.get(k).push(`${q}/properties/${escapePointer(k)}`);
        }
      }
      if (s.patternProperties || s.additionalProperties === true) openEnded = true;
      if (isObj(s.additionalProperties)) {
        declaresAnything = true;
        extra.push(`${q}/additionalProperties`);
      }
    }
    for (const [k, v] of Object.entries(data)) {
      const here = `${where}/${escapePointer(k)}`;
      if (declared.has(k)) {
        for (const p of declared.get(k)) undeclared(v, p, here, out, depth + 1);
      } else if (extra.length) {
        for (const p of extra) undeclared(v, p, here, out, depth + 1);
      } else if (declaresAnything && !openEnded) {
        out.push(`${where || '/'}: property "${k}" is not declared by the schema`);
      }
    }
  } else if (Array.isArray(data)) {
    for (const { ptr: q, schema: s } of applied) {
      const prefix = Array.isArray(s.prefixItems) ? s.prefixItems.length : 0;
      data.forEach((item, i) => {
        const here = `${where}/${i}`;
        if (i < prefix) undeclared(item, `${q}/prefixItems/${i}`, here, out, depth + 1);
        else if (isObj(s.items)) undeclared(item, `${q}/items`, here, out, depth + 1);
        else if (Array.isArray(s.items) && i < s.items.length) undeclared(item, `${q}/items/${i}`, here, out, depth + 1);
      });
    }
  }
}

function formatAjvError(e) {
  const where = e.instancePath || '/';
  let detail = e.message;
  if (e.keyword === 'enum') detail += `: ${JSON.stringify(e.params.allowedValues)}`;
  if (e.keyword === 'const') detail += `: ${JSON.stringify(e.params.allowedValue)}`;
  if (e.keyword === 'additionalProperties') detail += `: "${e.params.additionalProperty}"`;
  return `${where}: ${detail} (schema ${e.schemaPath})`;
}

let files;
try {
  files = fs.readdirSync(dumpsDir).filter((f) => f.endsWith('.json')).sort();
} catch (e) {
  files = [];
}
if (files.length === 0) {
  console.error(`FAIL: no request dumps in ${dumpsDir}: the plugin suite must run first and call sbtest::dump_spec_request`);
  process.exit(1);
}

let failures = 0;
for (const f of files) {
  const file = path.join(dumpsDir, f);
  let dump;
  try {
    dump = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`FAIL ${file}: not JSON: ${e.message}`);
    ++failures;
    continue;
  }
  const { spec_path: specPath, method, body } = dump || {};
  const m = String(method || '').toLowerCase();
  const op = spec.paths && spec.paths[specPath] && spec.paths[specPath][m];
  if (!op) {
    console.error(`FAIL ${file}: ${m.toUpperCase()} ${specPath} is not an operation of ${specFile}`);
    ++failures;
    continue;
  }
  let pointer = `/paths/${escapePointer(specPath)}/${m}/requestBody`;
  // requestBody may itself be a $ref into components/requestBodies.
  pointer = deref(pointer)[0];
  const rb = at(pointer);
  if (!rb || !rb.content || !rb.content['application/json'] || !rb.content['application/json'].schema) {
    console.error(`FAIL ${file}: ${m.toUpperCase()} ${specPath} has no application/json request schema`);
    ++failures;
    continue;
  }
  pointer += '/content/application~1json/schema';

  const errors = [];
  let validate;
  try {
    validate = validatorFor(pointer);
  } catch (e) {
    console.error(`FAIL ${file}: cannot compile the request schema: ${e.message}`);
    ++failures;
    continue;
  }
  if (!validate(body)) errors.push(...validate.errors.map(formatAjvError));
  if (strictProperties) {
    const extra = [];
    undeclared(body, pointer, '', extra);
    errors.push(...[...new Set(extra)]);
  }
  if (errors.length) {
    ++failures;
    console.error(`FAIL ${file} (${m.toUpperCase()} ${specPath}):`);
    for (const e of errors.slice(0, 40)) console.error(`  ${e}`);
    if (errors.length > 40) console.error(`  ... and ${errors.length - 40} more`);
  } else {
    console.log(`ok   ${f} (${m.toUpperCase()} ${specPath})`);
  }
}

console.log(`${files.length - failures}/${files.length} request bodies valid against ${path.basename(specFile)}` +
  (strictProperties ? ' (strict properties)' : ''));
process.exit(failures ? 1 : 0);
