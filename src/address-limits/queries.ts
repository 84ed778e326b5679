import type { Db } from '../db/knex.js';
import type { AddressLimit } from './constants.js';

export interface TakeResult {
  allowed: boolean;
  /** When refused: milliseconds until this address may ask again. */
  retryAfterMs: number;
}

/**
 * Takes one request from the (operation, address) budget in ONE statement, a token bucket kept
 * as GCRA's "theoretical arrival time" `tat`: each allowed request moves `tat` on by
 * period/limit; a request is allowed while `tat` stays within one period of now (a burst of
 * `limit`, then limit/period per second). Refused requests leave `tat` alone, so waiting
 * `Retry-After` always works. The row lock of the upsert serialises concurrent requests of
 * every instance on the same database, so N instances share one budget. `least(tat, now +
 * period)` keeps a clock that jumped backwards from locking an address out for longer than one
 * refill step. Runs outside any transaction (autocommit): nothing is held after it returns.
 */
export async function takeAddressToken(db: Db, operation: string, address: string, budget: AddressLimit, nowMs: number): Promise<TakeResult> {
  const periodMs = budget.periodSeconds * 1000;
  const emissionMs = periodMs / budget.limit;
  const { rows } = await db.raw<{ rows: { allowed: boolean; tat: Date }[] }>(
    `insert into address_limits as l (operation, address, tat, allowed)
     values (:operation, :address, :firstTat, true)
     on conflict (operation, address) do update set
       allowed = greatest(least(l.tat, :horizon), :now) + cast(:emission as interval) <= :horizon,
       tat = case
         when greatest(least(l.tat, :horizon), :now) + cast(:emission as interval) <= :horizon
           then greatest(least(l.tat, :horizon), :now) + cast(:emission as interval)
         else least(l.tat, :horizon)
       end
     returning allowed, tat`,
    {
      operation,
      address,
      now: new Date(nowMs),
      horizon: new Date(nowMs + periodMs),
      firstTat: new Date(nowMs + emissionMs),
      emission: `${emissionMs} milliseconds`,
    },
  );
  const { allowed, tat } = rows[0]!;
  return { allowed, retryAfterMs: allowed ? 0 : tat.getTime() + emissionMs - periodMs - nowMs };
}

/** Deletes budgets that have refilled completely (`tat` passed): such a row means what no row means. */
export async function deleteRefilledAddressLimits(db: Db, now: Date): Promise<number> {
  return db('address_limits').where('tat', '<=', now).delete();
}
