import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHashThreads, HASH_THREAD_NICE } from '../../src/crypto/hash-threads.js';
import { hashPassword, verifyPassword } from '../../src/crypto/password.js';

/** The nice value of each thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]));
}

describe('password hashing on threads of its own', () => {
  it('hashes and verifies: the right password, a wrong one, a malformed stored hash', async () => {
    const stored = await hashPassword('Correct-Horse-1');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(stored, 'Correct-Horse-1')).toBe(true);
    expect(await verifyPassword(stored, 'Correct-Horse-2')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'Correct-Horse-1')).toBe(false);
  });

  it('queues beyond its size and answers every job, each with its own result', async () => {
    const threads = createHashThreads(1);
    const stored = await threads.run<string>({ op: 'hash', password: 'Queue-Pass-1', options: { algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 } });
    const results = await Promise.all(['Queue-Pass-1', 'wrong', 'Queue-Pass-1', 'wrong'].map((password) => threads.run<boolean>({ op: 'verify', hash: stored, password })));
    expect(results).toEqual([true, false, true, false]);
    await expect(threads.run({ op: 'verify', hash: 'garbage', password: 'x' })).rejects.toThrow();
  });

  it.runIf(process.platform === 'linux')('its threads run at a lower CPU priority than the event loop', async () => {
    const before = threadNiceValues().filter((nice) => nice === HASH_THREAD_NICE).length;
    const threads = createHashThreads(2);
    await Promise.all([1, 2].map(() => threads.run({ op: 'hash', password: 'Nice-Pass-1', options: { algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 } })));
    const nice = threadNiceValues();
    expect(nice.filter((n) => n === HASH_THREAD_NICE).length - before).toBe(2);
    expect(Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[16])).toBe(0); // the event loop's
  });
});

describe('a hashing thread that dies', () => {
  // The real thread's loop, except that the password "die" ends the thread mid-job (a native crash, an OOM kill).
  const mortal = `
const { parentPort, workerData } = require('node:worker_threads');
const argon2 = require(workerData.argon2Path);
parentPort.on('message', (job) => {
  if (job.password === 'die') process.exit(7);
  parentPort.postMessage({ result: job.op === 'hash' ? argon2.hashSync(job.password, job.options) : argon2.verifySync(job.hash, job.password) });
});
`;

  it('fails its own job only: the thread is replaced, and the queued and later jobs are answered', async () => {
    const threads = createHashThreads(1, mortal);
    const options = { algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 };
    const stored = await threads.run<string>({ op: 'hash', password: 'Survivor-Pass-1', options });
    const fatal = threads.run({ op: 'verify', hash: stored, password: 'die' });
    const queued = threads.run<boolean>({ op: 'verify', hash: stored, password: 'Survivor-Pass-1' });
    await expect(fatal).rejects.toThrow(/hash thread exited \(7\)/);
    expect(await queued).toBe(true);
    expect(await threads.run<boolean>({ op: 'verify', hash: stored, password: 'wrong' })).toBe(false);
  });
});
