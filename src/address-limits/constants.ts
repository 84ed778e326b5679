import type * as sdk from '../../generated/sdk.gen.js';

/** A budget of `limit` requests per `periodSeconds` for one client address and one operation. */
export interface AddressLimit {
  limit: number;
  periodSeconds: number;
}

/**
 * The operations limited per client address, with their default budgets (overridable by
 * `ADDRESS_LIMIT_<OPERATION>`, see addressLimitVariable). Adding an operation is one line here.
 *
 * The defaults assume a company NAT: hundreds of people behind one address. The budget is a
 * token bucket (src/address-limits/queries.ts): a burst of `limit`, then `limit / periodSeconds`
 * per second for as long as the address keeps asking.
 * - login: a burst of 60, then one per second (3,600 logins an hour from one address), while one
 *   address can never take more than a few percent of the hashing capacity.
 * - reset mails: 20, then one per 45 s; mail costs reputation and a real office asks rarely.
 * - code checks: 30, then one per 20 s; people mistype codes, nobody types 30 in 10 minutes.
 * - passkey sign-in: like login (each options call stores a challenge row; each login checks a signature).
 */
export const ADDRESS_LIMIT_DEFAULTS = {
  login: { limit: 60, periodSeconds: 60 },
  sendPasswordReset: { limit: 20, periodSeconds: 900 },
  postForgotPassword: { limit: 20, periodSeconds: 900 },
  validatePasswordReset: { limit: 30, periodSeconds: 600 },
  updatePasswordViaOtp: { limit: 30, periodSeconds: 600 },
  initiatePasskeyLogin: { limit: 60, periodSeconds: 60 },
  passkeyLogin: { limit: 60, periodSeconds: 60 },
} as const satisfies Partial<Record<keyof typeof sdk, AddressLimit>>;

export type LimitedOperation = keyof typeof ADDRESS_LIMIT_DEFAULTS;

export const LIMITED_OPERATIONS = Object.keys(ADDRESS_LIMIT_DEFAULTS) as LimitedOperation[];

/** Per-operation budgets in force; an operation left out is not limited (`ADDRESS_LIMIT_…=off`). */
export type AddressLimits = Partial<Record<LimitedOperation, AddressLimit>>;

/** `sendPasswordReset` → `ADDRESS_LIMIT_SEND_PASSWORD_RESET`. */
export function addressLimitVariable(operation: LimitedOperation): string {
  return `ADDRESS_LIMIT_${operation.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** IPv6 clients are counted per /64: one host usually holds a whole /64 and can pick any address in it. */
export const IPV6_PREFIX_HEXTETS = 4;
