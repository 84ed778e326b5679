'use strict';
/**
 * openapi.yaml as data, for the tools that check the service against it: the Dredd hooks
 * (CommonJS, loaded by Dredd), the example test and the Prism proxy run (TypeScript, through
 * spec.d.cts). One place that knows how OpenAPI 3.0 schemas become JSON Schema.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const YAML = require('yaml');
const Ajv = require('ajv').default;
const addFormats = require('ajv-formats').default;

const SPEC_PATH = join(__dirname, '..', '..', 'openapi.yaml');
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function loadSpec(path = SPEC_PATH) {
  return YAML.parse(readFileSync(path, 'utf8'));
}

function resolvePointer(doc, ref) {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node, key) => {
      if (node == null || !(key in node)) throw new Error(`unresolvable $ref ${ref}`);
      return node[key];
    }, doc);
}

/** A copy of `node` with every local $ref replaced by what it points to (the spec has no cycles). */
function deref(doc, node = doc, trail = []) {
  if (Array.isArray(node)) return node.map((item) => deref(doc, item, trail));
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    if (trail.includes(node.$ref)) throw new Error(`cyclic $ref ${[...trail, node.$ref].join(' → ')}`);
    return deref(doc, resolvePointer(doc, node.$ref), [...trail, node.$ref]);
  }
  const out = {};
  for (const [key, value] of Object.entries(node)) out[key] = deref(doc, value, trail);
  return out;
}

/**
 * Ajv 8 for OpenAPI 3.0 schemas: `nullable` is built into Ajv 8 (it adds "null" to `type`);
 * `example` and the other OpenAPI annotations are declared so strict mode accepts them.
 */
function createAjv() {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, validateFormats: true });
  addFormats(ajv);
  ajv.addVocabulary(['example', 'xml', 'externalDocs', 'discriminator']);
  return ajv;
}

/**
 * OpenAPI 3.0 schema → JSON Schema draft-07, for validators that do not know `nullable` (Gavel,
 * the validator inside Dredd, runs Ajv 6 without it): `type: X, nullable: true` → `type: [X, 'null']`.
 */
function toDraft07(schema, top = true) {
  if (Array.isArray(schema)) return schema.map((item) => toDraft07(item, false));
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'example' || key === 'xml' || key === 'externalDocs' || key === 'discriminator') continue;
    if (key === 'enum' || key === 'default' || key === 'const') out[key] = value;
    else out[key] = toDraft07(value, false);
  }
  if (schema.nullable === true && typeof schema.type === 'string') out.type = [schema.type, 'null'];
  if (top) out.$schema = 'http://json-schema.org/draft-07/schema#';
  return out;
}

/** Every operation of the (dereferenced) spec: `{ operationId, method, path, operation }`. */
function listOperations(spec) {
  const out = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of HTTP_METHODS) {
      if (item[method]) out.push({ operationId: item[method].operationId, method: method.toUpperCase(), path, operation: item[method] });
    }
  }
  return out;
}

/** The spec operation a request hits: exact path match (the spec has no path templates). */
/** Whether a request path fits a spec path, `{param}` standing for one non-empty segment. */
function pathMatches(template, path) {
  const pattern = template.split('/').map((part) => (/^\{[^}]+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/');
  return new RegExp(`^${pattern}$`).test(path);
}

function findOperation(spec, method, uri) {
  const path = uri.split('?')[0];
  const candidates = listOperations(spec).filter((op) => op.method === method.toUpperCase());
  // A literal path wins over a template (none overlap today, but `/a/b` must not become `/a/{id}`).
  return candidates.find((op) => op.path === path) || candidates.find((op) => pathMatches(op.path, path));
}

const mediaTypeOf = (contentType) => (contentType || '').split(';')[0].trim().toLowerCase();
const isJsonMediaType = (mediaType) => mediaType === 'application/json' || /\+json$/.test(mediaType);

/**
 * Every example in the raw spec with the schema it must satisfy: media types (`example` and each
 * `examples.*.value`), parameters, headers, and `example` inside schemas. `where` is a JSON path.
 */
function collectExamples(raw) {
  const found = [];
  const visit = (node, where) => {
    if (Array.isArray(node)) return node.forEach((item, i) => visit(item, `${where}/${i}`));
    if (node === null || typeof node !== 'object') return;
    const isSchemaHolder = 'schema' in node && typeof node.schema === 'object';
    if (isSchemaHolder && 'example' in node) found.push({ where: `${where}/example`, schema: node.schema, value: node.example });
    if (isSchemaHolder && node.examples && typeof node.examples === 'object') {
      for (const [name, example] of Object.entries(node.examples)) {
        const value = example && '$ref' in example ? resolvePointer(raw, example.$ref).value : example.value;
        found.push({ where: `${where}/examples/${name}`, schema: node.schema, value });
      }
    }
    // A schema's own example (under components/schemas or inline).
    if (!isSchemaHolder && 'example' in node && ('type' in node || '$ref' in node || 'oneOf' in node || 'allOf' in node || 'anyOf' in node)) {
      const { example, ...schema } = node;
      found.push({ where: `${where}/example`, schema, value: example });
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'example' || key === 'examples') continue;
      visit(value, `${where}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    }
  };
  visit(raw, '#');
  return found.map((example) => ({ ...example, schema: deref(raw, example.schema) }));
}

module.exports = {
  SPEC_PATH,
  loadSpec,
  deref,
  resolvePointer,
  createAjv,
  toDraft07,
  listOperations,
  findOperation,
  mediaTypeOf,
  isJsonMediaType,
  collectExamples,
};
