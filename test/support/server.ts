import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type RequestHandler, type Router } from 'express';
import { createApp } from '../../src/app.js';
import { buildDeps } from '../../src/bootstrap.js';
import type { Config } from '../../src/config/index.js';
import type { Deps } from '../../src/deps.js';
import { createUser } from '../../src/users/service.js';
import { createClient, type Client } from '../../generated/client/index.js';
import { createTestClock, type TestClock } from './clock.js';
import { testConfig } from './config.js';
import { createTestDatabase } from './database.js';
import { startPrism } from './prism.js';
import { recordExercised } from './exercised.js';

export interface TestServer {
  /** Where tests send requests: the app, or the Prism proxy in front of it (VIA_PRISM_PROXY=1). */
  baseUrl: string;
  /** The app itself, never proxied. */
  directUrl?: string;
  /** A generated-SDK client bound to this server: pass it as `client` to SDK functions. */
  client: Client;
  clock: TestClock;
  deps: Deps;
  /** Creates an account directly (there is no sign-up endpoint). */
  createUser(email?: string, password?: string): Promise<{ id: string; email: string; password: string }>;
  close(): Promise<void>;
}

let userSeq = 0;

export interface TestServerOptions {
  /**
   * Middleware the test puts in front of the app (e.g. a planted delay that shows a timing check
   * can fail). It sees the raw request; parse a body with express.json() first if it needs one
   * (the app then keeps that parsed body).
   */
  inFront?: RequestHandler[];
  /** false keeps this server's responses out of the spec coverage (a fuzz's deliberate off-spec answers). */
  recordStatuses?: boolean;
  /** Routes served before the API on the same origin (the browser test's page). */
  pageRoutes?: Router;
}

/** The real app on `config.port` (0: any free port) with its own database and a hand-moved clock. */
export async function startTestServer(overrides: Partial<Config> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const config = await testConfig(overrides);
  const clock = createTestClock();
  const deps = await buildDeps(config, database.db, { clock });
  const api = createApp(deps);
  const inFront = [...(options.inFront ?? []), ...(options.pageRoutes ? [options.pageRoutes] : [])];
  const app = inFront.length ? express().use(...inFront, api) : api;
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.port, '127.0.0.1', () => resolve(s));
  });
  if (options.recordStatuses !== false) recordExercised(server);
  const directUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const prism = VIA_PRISM_PROXY ? await startPrism('proxy', { upstream: directUrl }) : undefined;
  const baseUrl = prism?.url ?? directUrl;
  const client = createClient({ baseUrl });
  if (prism) client.interceptors.response.use(failOnResponseViolation);
  return {
    baseUrl,
    directUrl,
    client,
    clock,
    deps,
    async createUser(email = `user${++userSeq}-${Date.now()}@example.com`, password = 'Correct-Horse-9') {
      const user = await createUser(database.db, clock, email, password);
      return { id: user.id, email: user.email, password };
    },
    async close() {
      const violations = prism ? proxyViolations(prism.output()) : [];
      await prism?.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await database.drop();
      if (violations.length) throw new Error(`Prism proxy: responses that break openapi.yaml:\n${violations.join('\n')}`);
    },
  };
}

/**
 * VIA_PRISM_PROXY=1 (npm run test:proxy): each test server sits behind
 * `prism proxy openapi.yaml <app>`, a second, independent contract check of all the suite's
 * traffic. Prism runs WITHOUT --errors: with it, Prism answers requests that break the spec
 * itself (422, or its own 401 problem+json) instead of forwarding them, and the suite sends such
 * requests on purpose (the 400 and NO_TOKEN_PROVIDED tests). Instead, a response violation
 * fails the SDK call at once (the `sl-violations` header), and close() fails the file for any
 * violation in Prism's log (covers plain fetch too) or any 501 Prism replaced with a mock.
 */
const VIA_PRISM_PROXY = process.env.VIA_PRISM_PROXY === '1';

interface PrismViolation {
  location?: string[];
  severity?: string;
  message?: string;
}

export function failOnResponseViolation(response: Response, request: Request): Response {
  const header = response.headers.get('sl-violations');
  const violations: PrismViolation[] = header ? JSON.parse(header) : [];
  const broken = violations.filter((v) => v.location?.[0] === 'response');
  if (broken.length) {
    throw new Error(`Prism proxy: ${request.method} ${new URL(request.url).pathname} answered ${response.status}, which breaks openapi.yaml: ${broken.map((v) => `${v.location!.join('.')} ${v.message}`).join('; ')}`);
  }
  return response;
}

/** Response violations and mocked 501s in Prism's log (request violations are the tests' business). */
export function proxyViolations(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => /Violation: response/.test(line) || /Upstream call to .* has returned 501/.test(line))
    .map((line) => line.replace(/^.*?\]\s+›\s+/, '').trim());
}

/** `Authorization: Bearer …` for SDK calls. */
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
