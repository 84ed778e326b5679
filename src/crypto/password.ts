import { hashThreads } from './hash-threads.js';

// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
// `algorithm: 2` is Algorithm.Argon2id (an ambient const enum, not importable under verbatimModuleSyntax).
const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Runs on hashing's own low-priority threads (hash-threads.ts), never on the event loop. */
export function hashPassword(password: string): Promise<string> {
  return hashThreads().run({ op: 'hash', password, options: ARGON2_OPTIONS });
}

export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await hashThreads().run<boolean>({ op: 'verify', hash: storedHash, password });
  } catch {
    return false;
  }
}

// Verified against for unknown accounts, so "no such user" costs the same time as "wrong password".
let dummyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('timing-equaliser-not-a-real-password');
  await verifyPassword(await dummyHash, password);
}
