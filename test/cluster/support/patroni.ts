import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../../../src/db/embedded.js';
import { start, unprivileged, waitFor, type Managed } from './processes.js';

const PG_BIN = process.env.PATRONI_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PatroniNode {
  name: string;
  pgPort: number;
  restPort: number;
  process: Managed;
  /** kill -9 of the node: Patroni and its PostgreSQL (which Patroni starts in a session of its own). */
  kill(): Promise<void>;
  /** GET on Patroni's REST API: 200 for /primary on the leader, for /sync on the synchronous standby. */
  role(path: '/primary' | '/sync' | '/replica'): Promise<number>;
}

export interface PatroniCluster {
  etcd: Managed;
  nodes: PatroniNode[];
  stop(): Promise<void>;
}

/**
 * Patroni settings for a fast, safe failover in a test: the leader key lives 10 s
 * (`ttl`), each node looks every second (`loop_wait`), and `synchronous_mode` makes the
 * standby confirm every commit before the client hears of it, so a promotion loses no
 * acknowledged write.
 */
function nodeConfig(o: { dir: string; name: string; pgPort: number; restPort: number; etcdPort: number }): string {
  return `scope: sg1-failover
name: ${o.name}
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:${o.restPort}
  connect_address: 127.0.0.1:${o.restPort}
etcd3:
  hosts: 127.0.0.1:${o.etcdPort}
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 3
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: false
      parameters:
        max_connections: 100
        wal_level: replica
        hot_standby: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 128MB
  initdb:
  - encoding: UTF8
  - auth: trust
  pg_hba:
  - local all all trust
  - host all all 127.0.0.1/32 trust
  - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:${o.pgPort}
  connect_address: 127.0.0.1:${o.pgPort}
  data_dir: ${join(o.dir, o.name)}
  bin_dir: ${PG_BIN}
  pgpass: ${join(o.dir, `${o.name}.pgpass`)}
  authentication:
    superuser:
      username: postgres
    replication:
      username: postgres
  parameters:
    unix_socket_directories: '${o.dir}'
`;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** etcd (one member) and two Patroni nodes: the first bootstraps and leads, the second becomes its synchronous standby. */
export async function startPatroni(dir: string): Promise<PatroniCluster> {
  const as = unprivileged();
  const etcdPort = await freePort();
  const etcdPeerPort = await freePort();
  const etcd = start('etcd', 'etcd', [
    '--name', 'e1', '--data-dir', join(dir, 'etcd'),
    '--listen-client-urls', `http://127.0.0.1:${etcdPort}`, '--advertise-client-urls', `http://127.0.0.1:${etcdPort}`,
    '--listen-peer-urls', `http://127.0.0.1:${etcdPeerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeerPort}`,
    '--initial-cluster', `e1=http://127.0.0.1:${etcdPeerPort}`,
  ]);
  await waitFor('etcd healthy', async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, 20_000).catch((err) => {
    throw new Error(`${(err as Error).message}\n${etcd.output()}`);
  });

  const nodes: PatroniNode[] = [];
  const startNode = async (name: string) => {
    const pgPort = await freePort();
    const restPort = await freePort();
    const file = join(dir, `${name}.yml`);
    await writeFile(file, nodeConfig({ dir, name, pgPort, restPort, etcdPort }));
    if (as) await chown(file, as.uid, as.gid);
    const child = start(`patroni ${name}`, 'patroni', [file], { ...(as ? { uid: as.uid, gid: as.gid } : {}), env: { ...process.env, HOME: dir } });
    const node: PatroniNode = {
      name,
      pgPort,
      restPort,
      process: child,
      async kill() {
        const pid = Number((await readFile(join(dir, name, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
        await child.kill();
        if (pid) killQuietly(pid);
      },
      role: async (path) => (await fetch(`http://127.0.0.1:${restPort}${path}`, { signal: AbortSignal.timeout(2000) })).status,
    };
    nodes.push(node);
    return node;
  };
  await mkdir(dir, { recursive: true });
  if (as) await chown(dir, as.uid, as.gid);
  const fail = (err: unknown) => {
    throw new Error(`${(err as Error).message}\n${nodes.map((n) => `--- ${n.name} ---\n${n.process.output()}`).join('\n')}`);
  };
  const first = await startNode('pg1');
  await waitFor('pg1 leads', async () => (await first.role('/primary')) === 200, 60_000, 250).catch(fail);
  const second = await startNode('pg2');
  await waitFor('pg2 is the synchronous standby', async () => (await second.role('/sync')) === 200, 90_000, 250).catch(fail);
  return {
    etcd,
    nodes,
    async stop() {
      await Promise.all(nodes.map((n) => n.process.stop(10_000)));
      await Promise.all(nodes.map((n) => n.kill())); // a postmaster Patroni did not stop in time
      await etcd.stop(5000);
    },
  };
}
