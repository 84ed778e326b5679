import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

/** The fields of a /proc …/stat line after the command name (which may hold spaces): field 3 onwards, 0-based here. */
function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime (the 14th and 15th fields), or cutime + cstime with `offset` 2, in seconds. */
const cpuOfFields = (fields: string[], offset = 0) => (Number(fields[11 + offset]) + Number(fields[12 + offset])) / CLOCK_TICKS_PER_S;

/** CPU time (user + system) a process has used, in seconds: all its threads, or only `thread` (its main thread: the pid). */
export function cpuSecondsOf(pid: number, thread?: number): number {
  return cpuOfFields(statFields(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`));
}

/**
 * CPU seconds used so far by a process's threads at one Linux nice value (its tasks' stat field
 * 19): the service's hashing threads are the ones at HASH_THREAD_NICE. A thread that has exited
 * takes its time with it, so read this over a span in which the threads live.
 */
export function cpuSecondsAtNice(pid: number, nice: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const fields = statFields(`/proc/${pid}/task/${task}/stat`);
      if (Number(fields[16]) === nice) total += cpuOfFields(fields);
    } catch {
      // The thread ended while we looked.
    }
  }
  return total;
}

/** The CPU seconds of the children a process has waited for (cutime + cstime): what its exited children used. */
function reapedChildrenCpuSecondsOf(pid: number): number {
  return cpuOfFields(statFields(`/proc/${pid}/stat`), 2);
}

/**
 * CPU seconds used so far by every PostgreSQL process on this machine (the postmaster, its
 * backends, the WAL writer…), exited ones included: a backend or autovacuum worker that ends
 * during a row takes its CPU out of the live processes' sum, and the postmaster, which reaps it,
 * adds it to its children's times. So the difference over a row is the database's work for it
 * (plus whatever else uses this server meanwhile), never negative.
 */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      total += cpuSecondsOf(Number(entry)) + reapedChildrenCpuSecondsOf(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

/** CPU seconds this process has used (all its threads): the bench's own, i.e. autocannon's load generation. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** CPU seconds this machine has been busy (every core: /proc/stat's user, nice, system, irq, softirq, steal). */
export function machineBusyCpuSeconds(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS_PER_S;
}
