import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/db/embedded.js';
import { createTestDatabase } from './support/database.js';
import { generateProductionSecrets } from '../src/config/production-secrets.js';

const run = promisify(execFile);

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
beforeAll(async () => {
  // What `npm start` does first (.ci/run builds before the tests, so this is usually a no-op).
  await run(process.execPath, ['scripts/build.mjs', '--if-stale']);
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'sg1-build-test-'));
}, 120_000);
afterAll(async () => {
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the compiled service (npm run build → node dist/src/main.js)', () => {
  it('starts with plain node in production mode, finds its spec, migrations and templates, and answers /readyz', async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...(await generateProductionSecrets()),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      SMTP_URL: 'smtp://127.0.0.1:1', // nothing is mailed here
    };
    // No --import tsx, no loader: a TypeScript file anywhere on the start path would fail to load.
    const child = spawn(process.execPath, ['dist/src/main.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = once(child, 'exit');
    try {
      await expect.poll(() => output, { timeout: 20_000, interval: 100 }).toMatch(/"msg":"listening"/);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
      // The spec is read from the project root, not from dist/.
      expect(await (await fetch(`http://127.0.0.1:${port}/openapi.yaml`)).text()).toMatch(/^openapi: 3\.0\.3/);
      // A validated operation end to end (validator, handler, argon2id, database): an unknown login is 401.
      const login = await fetch(`http://127.0.0.1:${port}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'nobody@example.com', password: 'Whatever-1' }),
      });
      expect(login.status).toBe(401);
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
      expect(output).not.toMatch(/not in production mode/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
