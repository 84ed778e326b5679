import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { instrumentHashes } from '../support/hashing.js';

// The guess is claimed before the hash by one guarded upsert; concurrency must not buy guesses.
let server: TestServer;
let hashes: ReturnType<typeof instrumentHashes>;
beforeAll(async () => {
  server = await startTestServer({ hashConcurrency: 2, hashQueue: 30 });
  hashes = instrumentHashes(server);
});
afterAll(() => server.close());

const attempt = (username: string, password: string) => sdk.login({ client: server.client, body: { username, password } });

describe('ten concurrent guesses at one name', () => {
  for (const who of ['an account', 'an unknown name'] as const) {
    it(`${who}: exactly the 3 free ones are hashed and counted, 7 get 429 unevaluated`, async () => {
      const user = await server.createUser();
      const name = who === 'an account' ? user.email : `nobody-${user.id}@example.com`;
      hashes.connectionsInUse = [];
      const results = await Promise.all(Array.from({ length: 10 }, () => attempt(name, 'Wrong-pass-1')));
      const statuses = results.map((r) => r.response.status).sort();
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
      expect(hashes.connectionsInUse).toHaveLength(3);
      if (who === 'an account') {
        expect((await server.deps.db('guess_counters').where({ user_id: user.id, factor: 'password' }).first('failures')).failures).toBe(3);
      }
    });
  }
});
