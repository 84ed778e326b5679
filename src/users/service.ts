import type { Clock } from '../deps.js';
import type { Db } from '../db/knex.js';
import { hashPassword } from '../crypto/password.js';
import { passwordRuleViolation } from './password-rule.js';
import { insertUser, type UserRow } from './queries.js';

export class CreateUserError extends Error {}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Creates an account (the operator CLI and tests); the password must pass the contract's rule. */
export async function createUser(db: Db, clock: Clock, email: string, password: string): Promise<UserRow> {
  if (!EMAIL_PATTERN.test(email.trim()) || email.length > 256) throw new CreateUserError(`invalid email address: ${email}`);
  const violation = passwordRuleViolation(password);
  if (violation) throw new CreateUserError(violation.replace(/^newPassword/, 'password'));
  const user = await insertUser(db, { email, passwordHash: await hashPassword(password), now: new Date(clock.now()) });
  if (!user) throw new CreateUserError(`a user with email ${email.trim().toLowerCase()} already exists`);
  return user;
}
