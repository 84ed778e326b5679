/**
 * Bounds password hashing (argon2id, ~15–40 ms of a core each): at most `concurrency` hashes run
 * at once, at most `queue` more requests wait for a slot, and past that a request is refused at
 * admission, before it does any other work, so a login flood costs a few microseconds per
 * refused request instead of a database connection and a core (issue 9).
 *
 * Admission happens first thing in a hashing operation (`tryAdmit`); the permit is then held
 * until the request ends (`release`, in a `finally`), and each hash it makes waits for a slot
 * (`run`). Admission counts requests, not hashes: a password change makes two hashes under one
 * permit, one at a time.
 */
export interface HashPermit {
  /** Runs one hash once a slot is free (first come, first served), and frees the slot after it, also on error. */
  run<T>(hash: () => Promise<T>): Promise<T>;
  /** Ends the admission. Idempotent. */
  release(): void;
}

export interface HashLimiter {
  readonly concurrency: number;
  readonly queue: number;
  /** A permit, or undefined when `concurrency + queue` requests are already admitted (answer 503 then). */
  tryAdmit(): HashPermit | undefined;
  /** Requests admitted, hashes running, hashes waiting for a slot (tests, metrics). */
  stats(): { admitted: number; running: number; waiting: number };
}

export function createHashLimiter(concurrency: number, queue: number): HashLimiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('hash concurrency must be a positive integer');
  if (!Number.isInteger(queue) || queue < 0) throw new RangeError('hash queue must be a non-negative integer');
  let admitted = 0;
  let running = 0;
  const waiting: (() => void)[] = [];

  const takeSlot = (): Promise<void> | undefined => {
    if (running < concurrency) {
      running++;
      return undefined;
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const freeSlot = () => {
    const next = waiting.shift();
    // The slot passes straight to the next waiter, so `running` stays as it is.
    if (next) next();
    else running--;
  };

  return {
    concurrency,
    queue,
    tryAdmit() {
      if (admitted >= concurrency + queue) return undefined;
      admitted++;
      let released = false;
      return {
        async run<T>(hash: () => Promise<T>): Promise<T> {
          if (released) throw new Error('hash permit used after release');
          await takeSlot();
          try {
            return await hash();
          } finally {
            freeSlot();
          }
        },
        release() {
          if (released) return;
          released = true;
          admitted--;
        },
      };
    },
    stats: () => ({ admitted, running, waiting: waiting.length }),
  };
}
