import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../src/app.js';
import { buildDeps } from '../../src/bootstrap.js';
import type { Config } from '../../src/config/index.js';
import type { Deps } from '../../src/deps.js';
import { createUser } from '../../src/users/service.js';
import { createClient, type Client } from '../../generated/client/index.js';
import { createTestClock, type TestClock } from './clock.js';
import { testConfig } from './config.js';
import { createTestDatabase } from './database.js';

export interface TestServer {
  baseUrl: string;
  /** A generated-SDK client bound to this server: pass it as `client` to SDK functions. */
  client: Client;
  clock: TestClock;
  deps: Deps;
  /** Creates an account directly (there is no sign-up endpoint). */
  createUser(email?: string, password?: string): Promise<{ id: string; email: string; password: string }>;
  close(): Promise<void>;
}

let userSeq = 0;

/** The real app on port 0 with its own database and a hand-moved clock. */
export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const config = await testConfig(overrides);
  const clock = createTestClock();
  const deps = await buildDeps(config, database.db, { clock });
  const app = createApp(deps);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    client: createClient({ baseUrl }),
    clock,
    deps,
    async createUser(email = `user${++userSeq}-${Date.now()}@example.com`, password = 'Correct-Horse-9') {
      const user = await createUser(database.db, clock, email, password);
      return { id: user.id, email: user.email, password };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await database.drop();
    },
  };
}

/** `Authorization: Bearer …` for SDK calls. */
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
