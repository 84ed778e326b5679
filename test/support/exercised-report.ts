import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { OpenAPIBackend } from 'openapi-backend';
import { parse } from 'yaml';

interface Exercised {
  method: string;
  path: string;
  status: number;
}

/**
 * Which (operation, documented status) pairs of openapi.yaml the suite exercised, matched to
 * operations by openapi-backend's router. Printed after every run and written to
 * .data/exercised.json, which `npm test` (scripts/run-tests.mjs) reads: with
 * REQUIRE_EVERY_STATUS=1 (CI) a documented status that no test produced fails the run.
 */
export async function reportExercised(dir: string): Promise<{ missing: string[] }> {
  const definition = parse(await readFile(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
  const api = new OpenAPIBackend({ definition, validate: false, quick: true });
  await api.init();

  const documented = new Map<string, Set<string>>();
  for (const operation of api.getOperations()) {
    documented.set(operation.operationId!, new Set(Object.keys(operation.responses ?? {})));
  }
  const seen = new Map<string, Set<string>>();
  for (const file of (await readdir(dir)).filter((name) => name.endsWith('.jsonl'))) {
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n').filter(Boolean)) {
      const { method, path, status } = JSON.parse(line) as Exercised;
      const operation = api.matchOperation({ method, path, headers: {} });
      if (!operation?.operationId) continue;
      if (!seen.has(operation.operationId)) seen.set(operation.operationId, new Set());
      seen.get(operation.operationId)!.add(String(status));
    }
  }

  const missing: string[] = [];
  const undocumented: string[] = [];
  let pairs = 0;
  for (const [operationId, statuses] of documented) {
    for (const status of statuses) {
      pairs++;
      if (!seen.get(operationId)?.has(status)) missing.push(`${operationId} ${status}`);
    }
    for (const status of seen.get(operationId) ?? []) {
      if (!statuses.has(status) && status !== '500' && status !== '501') undocumented.push(`${operationId} ${status}`);
    }
  }
  await mkdir('.data', { recursive: true });
  await writeFile('.data/exercised.json', JSON.stringify({ pairs, missing, undocumented }, null, 2));
  console.log(`\nspec coverage: ${pairs - missing.length} of ${pairs} documented (operation, status) pairs exercised by this run`);
  if (missing.length) console.log(`  not exercised: ${missing.join(', ')}`);
  if (undocumented.length) console.log(`  statuses the spec does not document: ${undocumented.join(', ')}`);
  return { missing };
}
