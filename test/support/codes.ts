import { totpCode } from './totp.js';

/** The steps either side of now that the service accepts a TOTP code for (contract: a ±1-step window). */
const TOTP_WINDOW = [-1, 0, 1];

/**
 * The one wrong-code helper: a 6-digit code computed to be wrong. With one argument, any code
 * other than the given one (an emailed code). With an otpauth:// URL and a time, a code that is
 * none of the codes the secret's ±1-step window accepts at that time (worked out from the
 * secret, not assumed), so a wrong guess is wrong in every step the service checks.
 */
export function wrongCode(code: string): string;
export function wrongCode(otpauthUrl: string, timeMs: number): string;
export function wrongCode(codeOrUrl: string, timeMs?: number): string {
  const right = new Set(timeMs === undefined ? [codeOrUrl] : TOTP_WINDOW.map((offset) => totpCode(codeOrUrl, timeMs, offset)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!right.has(candidate)) return candidate;
  }
}
