import { isCommonPassword } from './common-passwords.js';

/**
 * The contract's password rule: 8–256 characters with a lowercase letter, an uppercase letter
 * and a digit, and not one of the 10,000 most common passwords (case-insensitive, see
 * common-passwords.ts). Returns the broken rule as a message for a 400, or undefined when it passes.
 */
export function passwordRuleViolation(password: string): string | undefined {
  // Characters are Unicode code points, as the schema's minLength/maxLength count them (not UTF-16
  // units: an emoji is one character), and a letter is any script's letter (ä is a lowercase letter).
  const length = [...password].length;
  if (length < 8) return 'newPassword must be at least 8 characters long';
  if (length > 256) return 'newPassword must be at most 256 characters long';
  if (!/\p{Ll}/u.test(password)) return 'newPassword must contain a lowercase letter';
  if (!/\p{Lu}/u.test(password)) return 'newPassword must contain an uppercase letter';
  if (!/\p{Nd}/u.test(password)) return 'newPassword must contain a digit';
  if (isCommonPassword(password)) return 'newPassword must not be a commonly used password';
  return undefined;
}
