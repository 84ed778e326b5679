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

describe('HASH_CONCURRENCY, HASH_QUEUE, UV_THREADPOOL_SIZE', () => {
  it('defaults: one hash per core, but never every libuv thread (4 unless set); a queue of 4 per slot', async () => {
    const config = await load({});
    expect(config.hashConcurrency).toBe(Math.min(availableParallelism(), 3));
    expect(config.hashQueue).toBe(4 * config.hashConcurrency);
    const bigPool = await load({ UV_THREADPOOL_SIZE: '64' });
    expect(bigPool.hashConcurrency).toBe(Math.min(availableParallelism(), 63));
  });

  it('takes explicit values', async () => {
    expect(await load({ HASH_CONCURRENCY: '3', HASH_QUEUE: '0' })).toMatchObject({ hashConcurrency: 3, hashQueue: 0 });
    expect(await load({ HASH_CONCURRENCY: '1' })).toMatchObject({ hashConcurrency: 1, hashQueue: 4 });
  });

  it('refuses bad values, naming the variable', async () => {
    for (const [name, value] of [['HASH_CONCURRENCY', '0'], ['HASH_CONCURRENCY', 'two'], ['HASH_QUEUE', '-1'], ['UV_THREADPOOL_SIZE', '1']] as const) {
      const refused = load({ [name]: value });
      await expect(refused, `${name}=${value}`).rejects.toThrow(ConfigError);
      await expect(refused).rejects.toThrow(name);
    }
  });

  it('refuses a concurrency that would take every libuv thread', async () => {
    await expect(load({ HASH_CONCURRENCY: '4' })).rejects.toThrow(/HASH_CONCURRENCY \(4\) must be below UV_THREADPOOL_SIZE \(4\)/);
    expect((await load({ HASH_CONCURRENCY: '4', UV_THREADPOOL_SIZE: '6' })).hashConcurrency).toBe(4);
  });
});
