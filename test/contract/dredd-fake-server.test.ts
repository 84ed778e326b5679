import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDredd } from '../../contract-tests/lib/dredd.js';

/**
 * Proof that the contract run fails on a response that breaks the spec: Dredd with this project's
 * hooks against a tiny fake service whose GET /healthz answers `{"status": 1}` (the right key,
 * the wrong type). Bare Dredd passes it; with the hooks the run fails; a right body passes.
 */
const HEALTH = '/healthz > Liveness > 200 > application/json';
let body = '{"status":"ok"}';
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/healthz') res.writeHead(200, { 'Content-Type': 'application/json' }).end(body); // no charset: bare Dredd would trip on it
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const dredd = (options: { hookfiles?: false } = {}) =>
  runDredd({ endpoint, args: ['--only', HEALTH], name: `fake-${process.pid}-${Math.random().toString(36).slice(2)}`, ...options });

describe('Dredd with contract-tests/hooks against a fake service', () => {
  it('bare Dredd does not see a wrong type (it compares keys with the example)', async () => {
    body = '{"status":1}';
    const run = await dredd({ hookfiles: false });
    expect(run.output).toMatch(/1 passing/);
    expect(run.code).toBe(0);
  }, 60_000);

  it('with the hooks, the wrong body fails the run with the schema error', async () => {
    body = '{"status":1}';
    const run = await dredd();
    expect(run.output).toMatch(/fail: GET \(200\) \/healthz/);
    expect(run.output).toMatch(/body: .*(status|enum|type)/i);
    expect(run.code).toBe(1);
  }, 60_000);

  it('with the hooks, the right body passes', async () => {
    body = '{"status":"ok"}';
    const run = await dredd();
    expect(run.output).toMatch(/1 passing, 0 failing/);
    expect(run.code).toBe(0);
  }, 60_000);
});
