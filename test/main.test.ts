import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/db/embedded.js';
import { createTestDatabase } from './support/database.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe('the service process (src/main.ts)', () => {
  it('starts, migrates, serves, and stops gracefully on SIGTERM while a request is in flight', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, DATABASE_URL: database.url, PORT: String(port), NODE_ENV: 'development', DATA_DIR: '.data/test-main', LOG_LEVEL: 'info', SHUTDOWN_DRAIN_MS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = once(child, 'exit');
    try {
      await expect.poll(() => output, { timeout: 20_000, interval: 100 }).toMatch(/"msg":"listening"/);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready' });

      // An in-flight request: headers and half the body are sent, then SIGTERM, then the rest.
      // The service must stop accepting but still answer it.
      const body = JSON.stringify({ username: 'nobody@example.com', password: 'Whatever-1' });
      const request = http.request({
        port, host: '127.0.0.1', path: '/auth/login', method: 'POST', agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      const inFlight = once(request, 'response') as Promise<[http.IncomingMessage]>;
      request.write(body.slice(0, 10));
      await new Promise((resolve) => setTimeout(resolve, 500));
      child.kill('SIGTERM');
      await expect.poll(() => output, { timeout: 5_000, interval: 20 }).toMatch(/shutting down/);
      request.end(body.slice(10));
      expect((await inFlight)[0].statusCode).toBe(401);
      // New connections are refused once shutdown began.
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
      const [code] = await exited;
      expect(code).toBe(0);
      expect(output).toMatch(/"msg":"stopped"/);
      // Nothing secret is logged: the password sent above never appears.
      expect(output).not.toContain('Whatever-1');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('on SIGTERM drains first: /readyz 503 while requests are still served (with Connection: close), then closes', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, DATABASE_URL: database.url, PORT: String(port), NODE_ENV: 'development', DATA_DIR: '.data/test-main', LOG_LEVEL: 'info', SHUTDOWN_DRAIN_MS: '3000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = once(child, 'exit');
    const base = `http://127.0.0.1:${port}`;
    try {
      await expect.poll(() => output, { timeout: 20_000, interval: 100 }).toMatch(/"msg":"listening"/);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      child.kill('SIGTERM');
      await expect.poll(() => output, { timeout: 5_000, interval: 20 }).toMatch(/"msg":"draining/);

      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ statusCode: 503, message: 'NOT_READY' });
      // Still serving, and each answer ends its connection so the balancer's pool empties.
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(health.headers.get('connection')).toBe('close');
      const login = await fetch(`${base}/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nobody@example.com', password: 'Whatever-1' }),
      });
      expect(login.status).toBe(401);
      expect(output).not.toMatch(/shutting down/);

      // After the drain the listener closes and the process ends cleanly.
      const [code] = await exited;
      expect(code).toBe(0);
      expect(output).toMatch(/shutting down[\s\S]*"msg":"stopped"/);
      await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
