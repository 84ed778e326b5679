import type { TwoFaStatus } from '../../generated/types.gen.js';
import type { Db, Tx } from '../db/knex.js';
import { hasTwoFactorEnabled } from './queries.js';
import { SECOND_FACTOR_LIST } from './registry.js';

/**
 * The state of each method, as each method of the registry describes it. A method with only a
 * pending setup shows `completedAt: null`; a method never set up or removed is `null`.
 */
export async function getTwoFaStatus(db: Db | Tx, userId: string): Promise<TwoFaStatus> {
  const [enabled, ...entries] = await Promise.all([
    hasTwoFactorEnabled(db, userId),
    ...SECOND_FACTOR_LIST.map(async ([, method]) => [method.statusKey, await method.status(db, userId)] as const),
  ]);
  return { enabled, ...Object.fromEntries(entries) } as TwoFaStatus;
}
