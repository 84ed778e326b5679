import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Password hashing's own threads (issue 9): argon2id runs synchronously (`@node-rs/argon2`'s
 * `hashSync`/`verifySync`) in worker threads that lower their own CPU priority (nice 10) as they
 * start. On a machine whose cores the hashes fill, the scheduler then gives the event loop and
 * PostgreSQL the CPU whenever they want it, so a token check never waits behind a hash, neither
 * in a queue (libuv's thread pool stays free for files and DNS) nor for a core; the hashes get
 * every cycle the rest leaves. The number of hashes in flight is bounded before this (the
 * HashLimiter); this pool has one thread per allowed hash and queues beyond that (operator
 * commands, tests).
 */

/** How much lower the hashing threads' priority is than the rest of the process (Linux nice). */
export const HASH_THREAD_NICE = 10;

type Job = { op: 'hash'; password: string; options: object } | { op: 'verify'; hash: string; password: string };

// Plain CommonJS, evaluated as the worker's script: no file to build or copy, no transpiler in
// the worker. It lowers its own thread's priority (Linux: nice is per thread; /proc/thread-self
// names it), then answers one job at a time. Errors travel as messages; the password never leaves
// this message loop.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, workerData.nice);
} catch {}
const argon2 = require(workerData.argon2Path);
parentPort.on('message', (job) => {
  try {
    const result = job.op === 'hash' ? argon2.hashSync(job.password, job.options) : argon2.verifySync(job.hash, job.password);
    parentPort.postMessage({ result });
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
});
`;

interface Pending {
  job: Job;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

class HashThread {
  private worker: Worker;
  current: Pending | undefined;

  constructor(
    private readonly onIdle: (thread: HashThread) => void,
    private readonly source: string,
  ) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const argon2Path = createRequire(import.meta.url).resolve('@node-rs/argon2');
    const worker = new Worker(this.source, {
      eval: true,
      workerData: { argon2Path, nice: HASH_THREAD_NICE },
      // A message loop around a native call: a small heap is plenty (argon2's memory is native).
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    worker.unref(); // an idle pool never keeps a process (an operator command, a test) alive
    worker.on('message', (message: { result?: unknown; error?: string }) => {
      const done = this.current!;
      this.current = undefined;
      this.worker.unref();
      if (message.error !== undefined) done.reject(new Error(message.error));
      else done.resolve(message.result);
      this.onIdle(this);
    });
    // A dead thread fails its job and is replaced; the pool goes on. ('exit' follows 'error'.)
    worker.on('error', (error) => this.fail(worker, error));
    worker.on('exit', (code) => this.fail(worker, new Error(`hash thread exited (${code})`)));
    return worker;
  }

  private fail(worker: Worker, error: Error): void {
    if (worker !== this.worker) return;
    const lost = this.current;
    this.current = undefined;
    this.worker.removeAllListeners();
    this.worker = this.spawn();
    lost?.reject(error);
    this.onIdle(this);
  }

  start(pending: Pending): void {
    this.current = pending;
    this.worker.ref(); // a job in flight keeps the process alive until it is answered
    this.worker.postMessage(pending.job);
  }
}

export interface HashThreads {
  run<T>(job: Job): Promise<T>;
}

/** `workerSource` replaces the threads' script (tests: a thread that dies on cue). */
export function createHashThreads(size: number, workerSource = WORKER_SOURCE): HashThreads {
  const queue: Pending[] = [];
  const idle: HashThread[] = [];
  const onIdle = (thread: HashThread) => {
    const next = queue.shift();
    if (next) thread.start(next);
    else idle.push(thread);
  };
  const threads = Array.from({ length: size }, () => new HashThread(onIdle, workerSource));
  idle.push(...threads);
  return {
    run<T>(job: Job): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const pending: Pending = { job, resolve: resolve as (value: unknown) => void, reject };
        const thread = idle.pop();
        if (thread) thread.start(pending);
        else queue.push(pending);
      });
    },
  };
}

let shared: HashThreads | undefined;
let sharedSize = availableParallelism();

/** Sets the pool's size before its first use (HASH_CONCURRENCY: one thread per allowed hash). */
export function configureHashThreads(size: number): void {
  if (!shared) sharedSize = size;
}

/** The process's hashing threads, started on first use. */
export function hashThreads(): HashThreads {
  shared ??= createHashThreads(sharedSize);
  return shared;
}
