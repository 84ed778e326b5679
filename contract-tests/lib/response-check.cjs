'use strict';
/**
 * Makes Dredd check responses against openapi.yaml for real. Dredd 14 builds no JSON Schema from
 * OpenAPI 3: it compares a JSON body with the example by keys only (`{"status": 1}` passes for
 * `{"status": "ok"}`), compares text bodies byte for byte (random tokens never match), and
 * compares Content-Type exactly (`; charset=utf-8` fails). Run in `beforeEachValidation`:
 *
 * - JSON bodies: `expected.bodySchema` = the response schema (dereferenced, draft-07), so Gavel,
 *   Dredd's validator, checks types, enums, formats, required and additional properties.
 * - Other bodies (text/plain tokens, YAML, HTML): checked here against their schema with Ajv.
 * - Responses documented without content (204): the body must be empty.
 * - Documented response headers (Retry-After): present when required, valid against the schema;
 *   an optional one (Set-Cookie outside cookie mode) is not demanded, as Dredd alone would.
 * - Content-Type: compared by media type (parameters such as charset dropped).
 *
 * Returns the problems found here; the caller fails the transaction with them.
 */
const { findOperation, isJsonMediaType, mediaTypeOf, toDraft07 } = require('./spec.cjs');

const headerValue = (headers, name) => {
  const key = Object.keys(headers || {}).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
};

/** A header's text as its schema's type (headers are strings on the wire). */
function parseHeader(text, schema) {
  if (schema && (schema.type === 'integer' || schema.type === 'number')) return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  return text;
}

function checkTransaction(transaction, { spec, ajv }) {
  const problems = [];
  const { request, expected, real } = transaction;
  const found = findOperation(spec, request.method, request.uri);
  if (!found) return [`openapi.yaml has no operation for ${request.method} ${request.uri}`];
  const status = String(expected.statusCode);
  const response = found.operation.responses[status];
  if (!response) return [`openapi.yaml documents no ${status} for ${found.operationId}`];

  // Content-Type by media type only, on both sides.
  const realMediaType = mediaTypeOf(headerValue(real.headers, 'content-type'));
  for (const headers of [real.headers, expected.headers]) {
    const key = Object.keys(headers || {}).find((k) => k.toLowerCase() === 'content-type');
    if (key) headers[key] = mediaTypeOf(headers[key]);
  }

  const content = response.content;
  delete expected.body; // replaced by a schema check below, never by the example
  if (!content) {
    if (real.body) problems.push(`${found.operationId} ${status} is documented without a body, but the response has one (${real.body.length} bytes)`);
  } else if (!content[realMediaType]) {
    problems.push(`${found.operationId} ${status}: Content-Type "${realMediaType}" is not documented (documented: ${Object.keys(content).join(', ')})`);
  } else {
    const schema = content[realMediaType].schema;
    if (isJsonMediaType(realMediaType)) {
      expected.bodySchema = toDraft07(schema);
    } else if (schema) {
      const validate = ajv.compile(schema);
      if (!validate(real.body)) {
        problems.push(`${found.operationId} ${status} body does not match its schema: ${ajv.errorsText(validate.errors)}`);
      }
    }
  }

  for (const [name, header] of Object.entries(response.headers || {})) {
    // Dredd expects every documented header; an optional one (Set-Cookie outside cookie mode)
    // is checked here, only when it is there.
    const expectedKey = !header.required && Object.keys(expected.headers || {}).find((k) => k.toLowerCase() === name.toLowerCase());
    if (expectedKey) delete expected.headers[expectedKey];
    const text = headerValue(real.headers, name);
    if (text === undefined) {
      if (header.required) problems.push(`${found.operationId} ${status}: required header ${name} is missing`);
      continue;
    }
    if (!header.schema) continue;
    const validate = ajv.compile(header.schema);
    if (!validate(parseHeader(String(text), header.schema))) {
      problems.push(`${found.operationId} ${status}: header ${name}: "${text}" ${ajv.errorsText(validate.errors, { dataVar: '' })}`);
    }
  }
  return problems;
}

module.exports = { checkTransaction };
