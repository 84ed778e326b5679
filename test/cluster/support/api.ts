import { expect } from 'vitest';
import { systemClock } from '../../../src/deps.js';
import { createUser } from '../../../src/users/service.js';
import { totpCode } from '../../support/totp.js';
import type { Cluster } from './cluster.js';
import { call, type Answer } from './http.js';

let seq = 0;
export const PASSWORD = 'Cluster-Horse-93';

/** An account made directly in the database (there is no sign-up endpoint). */
export async function newUser(cluster: Cluster): Promise<{ id: string; email: string; password: string }> {
  const email = `c${++seq}-${Date.now()}@example.com`;
  const user = await createUser(cluster.db, systemClock, email, PASSWORD);
  return { id: user.id, email, password: PASSWORD };
}

export async function login(cluster: Cluster, user: { email: string; password: string }, from: string): Promise<Answer> {
  return call(cluster.url, 'POST', '/auth/login', { from, body: { username: user.email, password: user.password } });
}

/** Login without 2FA: the refresh token. */
export async function refreshTokenOf(cluster: Cluster, user: { email: string; password: string }, from: string): Promise<string> {
  const answer = await login(cluster, user, from);
  expect(answer.status, answer.text).toBe(200);
  return answer.text;
}

export async function accessTokenOf(cluster: Cluster, refreshToken: string, from: string): Promise<string> {
  const answer = await call(cluster.url, 'GET', '/auth/accesstoken', { from, token: refreshToken });
  expect(answer.status, answer.text).toBe(200);
  return answer.text;
}

/** Sets up and enables TOTP through the API; returns the otpauth URL and the recovery codes. */
export async function enableTotp(cluster: Cluster, accessToken: string, from: string): Promise<{ url: string; recoveryCodes: string[] }> {
  const setup = await call(cluster.url, 'POST', '/user/2fa/totp/setup', { from, token: accessToken, body: {} });
  if (setup.status !== 200) throw new Error(`totp setup: ${setup.status} ${setup.text}`);
  const url = setup.json.url as string;
  const enable = await call(cluster.url, 'POST', '/user/2fa/totp/enable', { from, token: accessToken, body: { totp: totpCode(url, Date.now()) } });
  if (enable.status !== 200) throw new Error(`totp enable: ${enable.status} ${enable.text}`);
  return { url, recoveryCodes: enable.json.recoveryCodes as string[] };
}

/** Login with 2FA on: the partial token. */
export async function partialTokenOf(cluster: Cluster, user: { email: string; password: string }, from: string): Promise<string> {
  const answer = await login(cluster, user, from);
  expect(answer.status, answer.text).toBe(401);
  expect(answer.json).toMatchObject({ message: '2FA_REQUIRED' });
  return answer.json.partialToken as string;
}

/** How many answers had each status, e.g. { 200: 1, 401: 9 }. */
export function tally(answers: Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

export const servedBy = (answers: Answer[]) => new Set(answers.map((a) => a.servedBy));
