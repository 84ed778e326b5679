import { createHash } from 'node:crypto';
import type { Deps } from '../deps.js';

type RpDeps = Pick<Deps, 'config' | 'mail'>;

/**
 * Origins a passkey response may come from: PUBLIC_URL's and every mail configuration's (each
 * brand's web app). The browser writes the page's origin into clientDataJSON, so a phishing page
 * elsewhere cannot produce an accepted response.
 */
export function acceptedOrigins(deps: RpDeps): string[] {
  const brandOrigins = deps.mail.configurations.all.flatMap((c) => c.origins);
  return [...new Set([new URL(deps.config.publicUrl).origin, ...brandOrigins])];
}

/** The WebAuthn user handle of a user: the 16 bytes of their random UUID (no personal data). */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));
}

export function userHandleBase64Url(userId: string): string {
  return Buffer.from(userHandleOf(userId)).toString('base64url');
}

/** Challenges are stored as SHA-256 and looked up by what the client sent back. */
export function hashChallenge(challenge: string): Buffer {
  return createHash('sha256').update(challenge).digest();
}

/** The challenge the client signed (from clientDataJSON), or undefined when that does not parse. */
export function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const clientData = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    return typeof clientData?.challenge === 'string' && clientData.challenge ? clientData.challenge : undefined;
  } catch {
    return undefined;
  }
}
