import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { start, waitFor, type Managed } from './processes.js';

export interface Backend {
  name: string;
  host: string;
  port: number;
}

export interface HaproxyOptions {
  dir: string;
  port: number;
  servers: Backend[];
  /** `http` balances the service (check GET /readyz); `tcp` fronts PostgreSQL (check Patroni's /primary). */
  mode: 'http' | 'tcp';
  /** http mode: a second frontend, to the same servers with no retries at all. */
  strictPort?: number;
  /** tcp mode: the Patroni REST port of each server, same order as `servers`. */
  checkPorts?: number[];
}

export interface Haproxy {
  url: string;
  /** http mode: the frontend without retries. */
  strictUrl: string;
  port: number;
  process: Managed;
  /** `backend/server` → UP | DOWN | MAINT … as HAProxy's stats socket reports it. */
  serverStates(): Promise<Record<string, string>>;
  waitForStates(expected: Record<string, string>, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The balancer the README recommends: round robin, `/readyz` checked every 500 ms, a server out
 * after 2 failed checks (so a draining instance is out in about 1 s, well inside its drain) and
 * back after 2 good ones. A request whose connection is refused is retried on another server
 * (`retry-on conn-failure`, `option redispatch`): safe for every method, since nothing was sent.
 */
export function haproxyConfig(options: HaproxyOptions): string {
  const socket = join(options.dir, 'haproxy.sock');
  const common = [
    'global',
    `  stats socket ${socket} level admin`,
    '  maxconn 2000',
    'defaults',
    `  mode ${options.mode}`,
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout check 2s',
    '  retries 3',
    '  option redispatch 1',
  ];
  if (options.mode === 'http') {
    const backend = (name: string, extra: string[]) => [
      `backend ${name}`,
      '  balance roundrobin',
      '  option httpchk GET /readyz',
      '  http-check expect status 200',
      // Which instance answered: lets the test show that requests really were spread.
      '  http-response set-header X-Served-By %s',
      '  default-server inter 500ms fall 2 rise 2',
      ...extra,
      ...options.servers.map((s) => `  server ${s.name} ${s.host}:${s.port} check`),
    ];
    return [
      ...common,
      'frontend api',
      `  bind 127.0.0.1:${options.port}`,
      '  option forwardfor',
      '  default_backend instances',
      // The same servers without any retry: what a plain balancer does. A rolling restart without
      // a failed request through this one is the drain's doing, not HAProxy's retries.
      'frontend api_strict',
      `  bind 127.0.0.1:${options.strictPort}`,
      '  option forwardfor',
      '  default_backend instances_strict',
      ...backend('instances', ['  retry-on conn-failure']),
      ...backend('instances_strict', ['  retries 0', '  no option redispatch']),
      '',
    ].join('\n');
  }
  return [
    ...common,
    'frontend postgres',
    `  bind 127.0.0.1:${options.port}`,
    '  default_backend primary',
    'backend primary',
    // Patroni answers 200 on /primary only on the leader: all traffic goes to it.
    '  option httpchk GET /primary',
    '  http-check expect status 200',
    // Connections to a node that lost the leadership are cut at once.
    '  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions',
    ...options.servers.map((s, i) => `  server ${s.name} ${s.host}:${s.port} check port ${options.checkPorts![i]}`),
    '',
  ].join('\n');
}

function askSocket(path: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let text = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('stats socket timed out')));
    socket.on('data', (chunk) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.write(`${command}\n`);
  });
}

export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const file = join(options.dir, `haproxy-${options.port}.cfg`);
  await writeFile(file, haproxyConfig(options));
  const process = start('haproxy', 'haproxy', ['-db', '-f', file]);
  const socket = join(options.dir, 'haproxy.sock');
  const serverStates = async () => {
    const csv = await askSocket(socket, 'show stat');
    const states: Record<string, string> = {};
    for (const line of csv.split('\n').slice(1)) {
      const [px, sv, , , , , , , , , , , , , , , , status] = line.split(',');
      if (sv && sv !== 'FRONTEND' && sv !== 'BACKEND') states[`${px}/${sv}`] = status!;
    }
    return states;
  };
  const haproxy: Haproxy = {
    url: `http://127.0.0.1:${options.port}`,
    strictUrl: `http://127.0.0.1:${options.strictPort ?? options.port}`,
    port: options.port,
    process,
    serverStates,
    async waitForStates(expected, timeoutMs = 20_000) {
      await waitFor(`HAProxy servers ${JSON.stringify(expected)}`, async () => {
        const states = await serverStates();
        // A server name stands for that server in every backend.
        return Object.entries(expected).every(([name, state]) => {
          const matching = Object.entries(states).filter(([key]) => key.endsWith(`/${name}`));
          return matching.length > 0 && matching.every(([, status]) => status.startsWith(state));
        });
      }, timeoutMs);
    },
    stop: () => process.stop(3000),
  };
  await waitFor('HAProxy stats socket', async () => Object.keys(await serverStates()).length >= options.servers.length, 10_000).catch((err) => {
    throw new Error(`${(err as Error).message}\n${process.output()}`);
  });
  return haproxy;
}
