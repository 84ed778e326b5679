import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import * as sdk from '../generated/sdk.gen.js';
import { handlers } from '../src/http/registry.js';

const spec = parse(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8'));
const specOperationIds: string[] = Object.values(spec.paths as Record<string, Record<string, { operationId: string }>>).flatMap((item) =>
  Object.values(item).map((op) => op.operationId),
);

describe('operation handlers', () => {
  it('the generated SDK has exactly one function per spec operation', () => {
    expect(Object.keys(sdk).sort()).toEqual([...specOperationIds].sort());
  });

  it('every spec operation has a handler (the list of 501 NOT_IMPLEMENTED operations is empty)', () => {
    expect(specOperationIds.filter((id) => !(id in handlers))).toEqual([]);
  });

  it('no handler exists for an operation the spec does not have', () => {
    expect(Object.keys(handlers).filter((id) => !specOperationIds.includes(id))).toEqual([]);
  });
});
