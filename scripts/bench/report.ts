import { cpus } from 'node:os';
import type { BenchOptions } from './options.js';
import type { Measurement, Scenario } from './scenarios.js';
import type { LoadResult } from './load.js';

export type Round = Map<string, Measurement>;

export const median = (values: number[]): number => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The median over rounds of each round's ratio a/b (both measured in the same round). */
export const medianRatio = (rounds: Round[], a: string, b: string): number =>
  median(rounds.map((round) => (round.get(a)?.perSecond ?? NaN) / (round.get(b)?.perSecond ?? NaN)));

/** What the issue asks of a row: a ratio against another row of the same round, or an absolute rate. */
export interface Goal {
  row: string;
  text: string;
  value(rounds: Round[]): number;
  threshold: number;
}

export interface MemoryReading {
  name: string;
  idle: number;
  peak: number;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');

export function printReport(options: BenchOptions, where: string, scenarios: Scenario[], rounds: Round[], goals: Goal[], memory: MemoryReading[], peakGoalMiB: number): void {
  const cpu = cpus();
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${cpu.length} × ${cpu[0]?.model.trim()}, Node ${process.version}, ${where}; ` +
      `autocannon ${options.connections} connections, ${options.warmupSeconds} s warm-up per row, ${options.rounds} interleaved rounds of ${options.seconds} s; ` +
      `DATABASE_POOL_MAX ${options.databasePoolMax} (service and D)`,
  );
  console.log('ratios: the median over rounds of each round\'s ratio; rates: the median over rounds. Shared machine: numbers are noisy, ratios less so.\n');
  console.log(
    'server / loop / PG / client / machine µs: CPU per request of the process that answered the row (all threads), of its main thread (the event loop), of every ' +
      'PostgreSQL process, of the load client (autocannon, in the bench process) and of the whole machine (every core busy; median over rounds).\n',
  );
  const header = ['row', 'per s', '÷ D', 'p50 ms', 'p99 ms', 'non-2xx', 'server µs', 'loop µs', 'PG µs', 'client µs', 'machine µs', 'goal', ''];
  const lines: string[][] = [header];
  for (const scenario of scenarios) {
    const perSecond = median(rounds.map((r) => r.get(scenario.key)?.perSecond ?? NaN));
    const loads = rounds.map((r) => r.get(scenario.key)?.load).filter((l): l is LoadResult => l !== undefined);
    const goal = goals.find((g) => g.row === scenario.key);
    const value = goal?.value(rounds);
    const failed = loads.reduce((sum, l) => sum + l.non2xx + l.errors, 0);
    // A row that answered errors measured something else than its path: never "met".
    const verdict = !goal ? '' : failed > 0 ? 'NOT MET (errors)' : value! >= goal.threshold ? 'met' : 'NOT MET';
    lines.push([
      scenario.label,
      fmt(perSecond),
      scenario.key === 'argon2' ? '' : fmt(medianRatio(rounds, scenario.key, 'reference'), 2),
      loads.length ? fmt(median(loads.map((l) => l.p50)), 1) : '',
      loads.length ? fmt(median(loads.map((l) => l.p99)), 1) : '',
      loads.length ? String(failed) : '',
      fmt(median(rounds.map((r) => r.get(scenario.key)?.cpu?.serverUs ?? NaN))),
      fmt(median(rounds.map((r) => r.get(scenario.key)?.cpu?.eventLoopUs ?? NaN))),
      fmt(median(rounds.map((r) => r.get(scenario.key)?.cpu?.postgresUs ?? NaN))),
      fmt(median(rounds.map((r) => r.get(scenario.key)?.cpu?.clientUs ?? NaN))),
      fmt(median(rounds.map((r) => r.get(scenario.key)?.cpu?.machineUs ?? NaN))),
      goal ? `${goal.text}: ${fmt(value!, 2)}` : '',
      verdict,
    ]);
  }
  for (const m of memory) {
    const isService = m.name === 'service';
    lines.push([
      `${m.name} RSS idle / peak (MiB)`,
      `${fmt(m.idle)} / ${fmt(m.peak)}`,
      '', '', '', '', '', '', '', '', '',
      isService ? `peak < ${peakGoalMiB} MiB` : '',
      isService ? (m.peak < peakGoalMiB ? 'met' : 'NOT MET') : '',
    ]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const [index, line] of lines.entries()) {
    console.log(line.map((cell, i) => (i === 0 || i >= 11 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd());
    if (index === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
