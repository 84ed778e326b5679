import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cpuSecondsOf, postgresCpuSeconds } from './cpu.js';
import { PROJECT_ROOT } from '../../src/project-root.js';

export interface ServerProcess {
  name: string;
  base: string;
  child: ChildProcess;
  /** CPU time (user + system) the process has used, in seconds. */
  cpuSeconds(): number;
  /** The same for its main thread alone: the event loop (JavaScript, HTTP), without hashing or GC helper threads. */
  eventLoopCpuSeconds(): number;
  /** Resident memory now (VmRSS) and the process's peak so far (VmHWM), MiB. */
  rssMiB(): { now: number; peak: number };
  stop(): Promise<void>;
}


/**
 * Waits until every server and PostgreSQL are idle (each under 5 % of a core over 250 ms, at most
 * 15 s): requests a row left in flight (logins queued for argon2id) must not eat into the next
 * row's time, nor the database's work after a row of writes (autovacuum, the checkpointer): a
 * refresh row measured while autovacuum cleaned up after the login row paid for both.
 */
export async function settle(servers: ServerProcess[]): Promise<void> {
  const until = Date.now() + 15_000;
  const quiet = 0.25 * 0.05;
  while (Date.now() < until) {
    const before = servers.map((s) => s.cpuSeconds());
    const postgresBefore = postgresCpuSeconds();
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (servers.every((s, i) => s.cpuSeconds() - before[i]! < quiet) && postgresCpuSeconds() - postgresBefore < quiet) return;
  }
}

/**
 * The environment and Node.js options `npm start` runs the service with (package.json's start
 * script, `[NAME=value …] node [options] dist/src/main.js`: glibc's arena count, V8's heap
 * settings), so every bench measures the service as it is deployed.
 */
export function startCommand(): { env: Record<string, string>; nodeOptions: string[] } {
  const start: string = JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'package.json'), 'utf8')).scripts.start;
  const words = start.split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=\S*$/.test(words[0] ?? '')) {
    const [name, value] = words.shift()!.split('=') as [string, string];
    env[name] = value;
  }
  const [node, ...args] = words;
  if (node !== 'node' || args.at(-1) !== 'dist/src/main.js') throw new Error(`package.json's start script is not "[NAME=value …] node [options] dist/src/main.js": ${start}`);
  return { env, nodeOptions: args.slice(0, -1) };
}

function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : NaN;
}

/**
 * Starts `node <script>` (plain node: the project server is its compiled build) and resolves
 * once it answers `readyPath`. Its output is kept for an error report, not printed.
 */
export async function startServer(
  name: string,
  script: string,
  port: number,
  env: Record<string, string>,
  readyPath: string,
  nodeArgs: string[] = [],
  cwd = PROJECT_ROOT,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, resolve(cwd, script)], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
  child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${output}`);
    const ok = await fetch(`${base}${readyPath}`).then((r) => r.ok, () => false);
    if (ok) break;
    if (tries > 300) throw new Error(`${name} did not get ready:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name,
    base,
    child,
    rssMiB: () => ({ now: statusMiB(child.pid!, 'VmRSS'), peak: statusMiB(child.pid!, 'VmHWM') }),
    cpuSeconds: () => cpuSecondsOf(child.pid!),
    eventLoopCpuSeconds: () => cpuSecondsOf(child.pid!, child.pid!),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
