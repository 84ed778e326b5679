import { availableParallelism } from 'node:os';
import { verifyPassword } from '../../src/crypto/password.js';

/**
 * Raw argon2id verifications per second with the service's own parameters and code, in this
 * process, `parallel` at a time (libuv's pool: 4 threads unless UV_THREADPOOL_SIZE says
 * otherwise), for `seconds`. The ceiling a login can approach: one verification per login.
 */
export async function argon2HashesPerSecond(passwordHash: string, password: string, seconds: number): Promise<number> {
  const parallel = Math.max(Number(process.env.UV_THREADPOOL_SIZE ?? 4), Math.min(4, availableParallelism()));
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < until) {
      if (!(await verifyPassword(passwordHash, password))) throw new Error('bench hash does not verify');
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: parallel }, worker));
  return done / ((performance.now() - started) / 1000);
}
