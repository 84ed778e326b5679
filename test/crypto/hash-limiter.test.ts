import { describe, expect, it } from 'vitest';
import { createHashLimiter } from '../../src/crypto/hash-limiter.js';

/** A hash that finishes when the test says so. */
function controlledHash() {
  let finish!: (value: string) => void;
  let fail!: (err: Error) => void;
  let started = false;
  const done = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { hash: () => ((started = true), done), finish, fail, started: () => started };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('hash limiter', () => {
  it('admits concurrency + queue requests, refuses the next, and admits again once one is released', () => {
    const limiter = createHashLimiter(2, 3);
    const permits = Array.from({ length: 5 }, () => limiter.tryAdmit());
    expect(permits.every(Boolean)).toBe(true);
    expect(limiter.tryAdmit()).toBeUndefined();
    permits[0]!.release();
    permits[0]!.release(); // idempotent: frees one place, not two
    expect(limiter.tryAdmit()).toBeDefined();
    expect(limiter.tryAdmit()).toBeUndefined();
  });

  it('runs at most `concurrency` hashes at once; the queue drains first come, first served', async () => {
    const limiter = createHashLimiter(1, 2);
    const hashes = [controlledHash(), controlledHash(), controlledHash()];
    const permits = hashes.map(() => limiter.tryAdmit()!);
    const results = permits.map((permit, i) => permit.run(hashes[i]!.hash));
    await tick();
    expect(hashes.map((h) => h.started())).toEqual([true, false, false]);
    expect(limiter.stats()).toEqual({ admitted: 3, running: 1, waiting: 2 });

    hashes[0]!.finish('a');
    await tick();
    expect(hashes.map((h) => h.started())).toEqual([true, true, false]);
    hashes[1]!.finish('b');
    await tick();
    hashes[2]!.finish('c');
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
    permits.forEach((p) => p.release());
    expect(limiter.stats()).toEqual({ admitted: 0, running: 0, waiting: 0 });
  });

  it('frees the slot when a hash fails, so the next one runs', async () => {
    const limiter = createHashLimiter(1, 1);
    const failing = controlledHash();
    const next = controlledHash();
    const [a, b] = [limiter.tryAdmit()!, limiter.tryAdmit()!];
    const first = a.run(failing.hash);
    const second = b.run(next.hash);
    await tick();
    failing.fail(new Error('argon2 failed'));
    await expect(first).rejects.toThrow('argon2 failed');
    await tick();
    expect(next.started()).toBe(true);
    next.finish('ok');
    expect(await second).toBe('ok');
    a.release();
    b.release();
    expect(limiter.stats()).toEqual({ admitted: 0, running: 0, waiting: 0 });
  });

  it('one permit may hash more than once (a password change: check the old, hash the new), never after release', async () => {
    const limiter = createHashLimiter(1, 0);
    const permit = limiter.tryAdmit()!;
    expect(await permit.run(async () => 1)).toBe(1);
    expect(await permit.run(async () => 2)).toBe(2);
    permit.release();
    await expect(permit.run(async () => 3)).rejects.toThrow('after release');
    expect(limiter.stats()).toEqual({ admitted: 0, running: 0, waiting: 0 });
  });
});
