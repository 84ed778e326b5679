import { rm } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';

// Relative, as `npm start` uses it (DATA_DIR=.data → .data/pg).
const dataDir = `.data/test-embedded-${process.pid}/pg`;
afterAll(() => rm(`.data/test-embedded-${process.pid}`, { recursive: true, force: true }));

async function select1(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('select 1 as one')).rows[0].one;
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL for the service', () => {
  it('starts from a relative data dir, is shared while running, and restarts with its kept credentials', async () => {
    const first = await startEmbeddedPostgres({ dataDir, persistent: true });
    try {
      expect(await select1(first.url)).toBe(1);
      // A second process (the operator CLI while the service runs) shares the running cluster.
      const shared = await startEmbeddedPostgres({ dataDir, persistent: true });
      expect(shared.url).toBe(first.url);
      await shared.stop();
      expect(await select1(first.url)).toBe(1);
    } finally {
      await first.stop();
    }
    const again = await startEmbeddedPostgres({ dataDir, persistent: true });
    try {
      expect(await select1(again.url)).toBe(1);
    } finally {
      await again.stop();
    }
  });
});
