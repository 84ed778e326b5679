/**
 * The login flood of the mixed scenario (flood.ts), in a process of its own: the probes measure
 * the service's latency from a client that is not itself busy with 200 flooding connections.
 * Usage: node flood-client.mjs <base url> <connections> <seconds>; prints autocannon's result
 * (JSON, with the client's own CPU as `clientCpu`) on stdout. Each request is a login of a random unknown name: one argon2id verification
 * and a 401, unless shed (503) or refused (429).
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';

const [base, connections, seconds] = process.argv.slice(2);
const result = await autocannon({
  url: `${base}/auth/login`,
  connections: Number(connections),
  duration: Number(seconds),
  timeout: 30,
  requests: [
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ username: `flood-${randomBytes(6).toString('hex')}@example.com`, password: 'Wrong-Flood-Pass-1' }) }),
    },
  ],
});
// The client's own CPU (µs, user + system), for the bench's account of where a login's CPU went.
process.stdout.write(JSON.stringify({ ...result, clientCpu: process.cpuUsage() }));
