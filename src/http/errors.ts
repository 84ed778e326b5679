/** Reason phrases exactly as the real service writes them (contract: Conventions). */
const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service Unavailable',
};

export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? (status >= 500 ? 'Internal server error' : 'Bad Request');
}

/** Extra fields some errors carry: `retryAfter` on 429, `partialToken`/`methods` on 2FA_REQUIRED. */
export type ErrorExtras = Record<string, unknown> & { retryAfter?: number };

/** An error the client may see: a stable code with the status it was declared with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly extras: ErrorExtras = {},
  ) {
    super(code);
    this.name = 'ApiError';
  }
}

/**
 * Declares a capability's error codes with their statuses in one place and returns a
 * typed factory: `const totpError = defineErrors({ TOTP_INVALID: 401 }); throw totpError('TOTP_INVALID')`.
 */
export function defineErrors<const T extends Record<string, number>>(codes: T) {
  return (code: keyof T & string, extras?: ErrorExtras): ApiError => new ApiError(codes[code]!, code, extras);
}

/** Whole seconds, rounded up, never 0 for a positive wait (contract: every duration). */
export function secondsUntil(untilMs: number, nowMs: number): number {
  return untilMs > nowMs ? Math.ceil((untilMs - nowMs) / 1000) : 0;
}
