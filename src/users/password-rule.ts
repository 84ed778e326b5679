import { isCommonPassword } from './common-passwords.js';

/**
 * The contract's password rule: 8–256 characters with a lowercase letter, an uppercase letter
 * and a digit, and not one of the 10,000 most common passwords (case-insensitive, see
 * common-passwords.ts). Returns the broken rule as a message for a 400, or undefined when it passes.
 */
export function passwordRuleViolation(password: string): string | undefined {
  if (password.length < 8) return 'newPassword must be at least 8 characters long';
  if (password.length > 256) return 'newPassword must be at most 256 characters long';
  if (!/[a-z]/.test(password)) return 'newPassword must contain a lowercase letter';
  if (!/[A-Z]/.test(password)) return 'newPassword must contain an uppercase letter';
  if (!/[0-9]/.test(password)) return 'newPassword must contain a digit';
  if (isCommonPassword(password)) return 'newPassword must not be a commonly used password';
  return undefined;
}
