import type { TwoFactorRequired, TwoFaStatus } from '../../generated/types.gen.js';
import type { Tx } from '../db/knex.js';
import type { GuessFactor } from '../backoff/constants.js';

/** The methods a login may ask for: the generated `methods` enum of 2FA_REQUIRED. */
export type TwoFactorMethod = TwoFactorRequired['methods'][number];

/** The per-method keys of GET /user/2fa. */
export type StatusKey = Exclude<keyof TwoFaStatus, 'enabled'>;

/**
 * What a second-factor method says about itself, in its own folder. The registry
 * (src/two-factor/registry.ts) collects one per `TwoFactorMethod`; "is 2FA on", the login's
 * `methods`, GET /user/2fa and the first- and last-method rules are all computed from it.
 */
export interface SecondFactor<K extends StatusKey = StatusKey> {
  /**
   * `exists (…)` with one `?` for the user id: true while the method is active for the user.
   * SQL rather than a function so every method is read in one round trip.
   */
  activeSql: string;
  /** Recovery codes only stand in for a factor: they count only while a real method is active. */
  standsIn?: true;
  /** The method's entry in GET /user/2fa. */
  statusKey: K;
  /**
   * A scalar subquery over the outer `u.id` that yields the method's raw state as JSON (or null):
   * GET /user/2fa reads every method's in one statement. `toStatus` turns it into the entry.
   */
  statusSql: string;
  toStatus(raw: any): TwoFaStatus[K];
  /** The method's guess counter: locked first by every method removal, reset when 2FA turns off. */
  guessFactor?: GuessFactor;
  /** What turning 2FA off (the last method removed) deletes of this method. */
  onTwoFactorOff?(trx: Tx, userId: string): Promise<void>;
}
