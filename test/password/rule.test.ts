import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../support/clock.js';
import { createTestDatabase } from '../support/database.js';
import { commonPasswords, isCommonPassword } from '../../src/users/common-passwords.js';
import { passwordRuleViolation } from '../../src/users/password-rule.js';
import { CreateUserError, createUser } from '../../src/users/service.js';

describe('the password rule', () => {
  it.each([
    ['Ab1', 'newPassword must be at least 8 characters long'],
    [`Ab1${'x'.repeat(254)}`, 'newPassword must be at most 256 characters long'],
    ['ABCDEFGH1', 'newPassword must contain a lowercase letter'],
    ['abcdefgh1', 'newPassword must contain an uppercase letter'],
    ['Abcdefghi', 'newPassword must contain a digit'],
    ['Password1', 'newPassword must not be a commonly used password'],
  ])('%s → %s', (password, message) => {
    expect(passwordRuleViolation(password)).toBe(message);
  });

  it('accepts 8 and 256 characters with all three classes', () => {
    expect(passwordRuleViolation('Zq7-wbnv')).toBeUndefined();
    expect(passwordRuleViolation(`Zq7${'w'.repeat(253)}`)).toBeUndefined();
  });

  it('ships at least the 10,000 most common passwords, matched case-insensitively', () => {
    // 10,000 entries, a few of which differ only by case.
    expect(commonPasswords().size).toBeGreaterThan(9_900);
    for (const entry of ['123456', 'password', 'qwerty', 'iloveyou', 'trustno1']) expect(isCommonPassword(entry)).toBe(true);
    for (const variant of ['Password1', 'PASSWORD1', 'pAssWord1', 'Trustno1', 'Welcome1', 'Passw0rd']) {
      expect(passwordRuleViolation(variant) ?? 'no violation').toMatch(/commonly used|lowercase/);
    }
    expect(isCommonPassword('Correct-Horse-9')).toBe(false);
  });

  it('is loaded once into a Set and matches whole entries only', () => {
    const list = commonPasswords();
    expect(list).toBeInstanceOf(Set);
    // Loaded once per process: every check uses the same Set, not a fresh read of the file.
    expect(commonPasswords()).toBe(list);
    isCommonPassword('anything');
    expect(commonPasswords()).toBe(list);
    // A whole-entry lookup, not a scan for entries inside the password.
    expect(isCommonPassword('password1')).toBe(true);
    expect(isCommonPassword('Xpassword1X')).toBe(false);
    expect(isCommonPassword('assword1')).toBe(false);
  });
});

describe('createUser (npm run user:create)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('refuses a common password with the rule named', async () => {
    await expect(createUser(database.db, createTestClock(), 'common@example.com', 'Password1')).rejects.toThrow(
      new CreateUserError('password must not be a commonly used password'),
    );
  });

  it('refuses a password without a digit', async () => {
    await expect(createUser(database.db, createTestClock(), 'nodigit@example.com', 'Abcdefghi')).rejects.toThrow('password must contain a digit');
  });
});
