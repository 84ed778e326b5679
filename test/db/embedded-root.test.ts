import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.js';

// As root, the embedded PostgreSQL runs as `postgres`; a checkout or DATA_DIR under a 0700
// directory (/root/app) used to die with an unhandled `spawn … initdb EACCES` and a stack trace.
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function startWithoutDatabaseUrl(dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { DATABASE_URL: _own, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...env, NODE_ENV: 'development', DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code, stdout, stderr };
}

describe.runIf(process.getuid?.() === 0)('npm start as root with no DATABASE_URL', () => {
  it('stops with one clear sentence (exit 1, no stack trace) when DATA_DIR is inside a directory the postgres user cannot enter', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sg1-root-home-'));
    dirs.push(home);
    await chmod(home, 0o700); // like /root
    const result = await startWithoutDatabaseUrl(join(home, 'app', '.data'));
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^cannot start: the embedded PostgreSQL runs as the "postgres" user, who cannot enter ${home} \\(mode 0700\\) .*set DATABASE_URL`));
    expect(result.stderr + result.stdout).not.toMatch(/\n\s+at |EACCES/);
    // No cluster was begun in there (only the development keys were written).
    expect(await readdir(join(home, 'app', '.data'))).not.toContain('pg');
  });
});
