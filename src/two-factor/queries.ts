import type { Db, Tx } from '../db/knex.js';
import { SECOND_FACTOR_LIST } from './registry.js';
import type { TwoFactorMethod } from './second-factor.js';

export type { TwoFactorMethod };

/** The 2FA methods a login may use: active factors, plus stand-ins (recovery codes) while one is active. One round trip. */
export async function findActiveMethods(db: Db | Tx, userId: string): Promise<TwoFactorMethod[]> {
  const row = await db
    .select(SECOND_FACTOR_LIST.map(([name, method]) => db.raw(`${method.activeSql} as ??`, [userId, name])))
    .first();
  const active = SECOND_FACTOR_LIST.filter(([name]) => row[name]);
  // Recovery codes only stand in for a factor: without an active factor 2FA is off.
  if (!active.some(([, method]) => !method.standsIn)) return [];
  return active.map(([name]) => name);
}

export async function hasTwoFactorEnabled(db: Db | Tx, userId: string): Promise<boolean> {
  return (await findActiveMethods(db, userId)).length > 0;
}
