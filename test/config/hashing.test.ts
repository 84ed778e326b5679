import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sg1-config-hash-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));
const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: dataDir, ...env });

describe('HASH_CONCURRENCY, HASH_QUEUE', () => {
  it('defaults: one hash per core (on threads of their own, so no libuv thread is taken); a queue of 4 per slot', async () => {
    const config = await load({});
    expect(config.hashConcurrency).toBe(availableParallelism());
    expect(config.hashQueue).toBe(4 * config.hashConcurrency);
  });

  it('takes explicit values', async () => {
    expect(await load({ HASH_CONCURRENCY: '3', HASH_QUEUE: '0' })).toMatchObject({ hashConcurrency: 3, hashQueue: 0 });
    expect(await load({ HASH_CONCURRENCY: '1' })).toMatchObject({ hashConcurrency: 1, hashQueue: 4 });
  });

  it('refuses bad values, naming the variable', async () => {
    for (const [name, value] of [['HASH_CONCURRENCY', '0'], ['HASH_CONCURRENCY', 'two'], ['HASH_QUEUE', '-1']] as const) {
      const refused = load({ [name]: value });
      await expect(refused, `${name}=${value}`).rejects.toThrow(ConfigError);
      await expect(refused).rejects.toThrow(name);
    }
  });
});
