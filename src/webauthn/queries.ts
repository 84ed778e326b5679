import type { Db, Tx } from '../db/knex.js';

export type ChallengePurpose = 'registration' | 'authentication' | 'passwordless';

export interface StoredCredential {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: Buffer;
  signCount: number;
  transports: string[];
  backedUp: boolean;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const toCredential = (row: Record<string, any>): StoredCredential => ({
  id: row.id,
  userId: row.user_id,
  credentialId: row.credential_id,
  publicKey: row.public_key,
  signCount: Number(row.sign_count),
  transports: row.transports,
  backedUp: row.backed_up,
  name: row.name,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
});

const columns = ['id', 'user_id', 'credential_id', 'public_key', 'sign_count', 'transports', 'backed_up', 'name', 'created_at', 'last_used_at'];

export async function insertChallenge(db: Db | Tx, row: { challengeHash: Buffer; userId: string | null; purpose: ChallengePurpose; expiresAt: Date }): Promise<void> {
  await db('webauthn_challenges').insert({ challenge_hash: row.challengeHash, user_id: row.userId, purpose: row.purpose, expires_at: row.expiresAt });
}

/** Old challenges are only history: each new one sweeps the expired ones (indexed by expires_at). */
export async function deleteExpiredChallenges(db: Db | Tx, now: Date): Promise<void> {
  await db('webauthn_challenges').where('expires_at', '<', now).delete();
}

export async function hasLiveChallenge(db: Db | Tx, userId: string, purpose: ChallengePurpose, now: Date): Promise<boolean> {
  const row = await db('webauthn_challenges').where({ user_id: userId, purpose }).whereNull('used_at').where('expires_at', '>', now).first('purpose');
  return Boolean(row);
}

/**
 * Single use: the guarded UPDATE marks the challenge used only if it is this purpose's, this
 * user's (or nobody's, for passwordless), unused and unexpired. Of any number of concurrent uses
 * exactly one gets true.
 */
export async function consumeChallenge(db: Db | Tx, challengeHash: Buffer, purpose: ChallengePurpose, userId: string | null, now: Date): Promise<boolean> {
  const rows = await db('webauthn_challenges')
    .where({ challenge_hash: challengeHash, purpose })
    .where((q) => (userId === null ? q.whereNull('user_id') : q.where({ user_id: userId })))
    .whereNull('used_at')
    .where('expires_at', '>', now)
    .update({ used_at: now })
    .returning('purpose');
  return rows.length === 1;
}

export async function findCredentials(db: Db | Tx, userId: string): Promise<StoredCredential[]> {
  const rows = await db('webauthn_credentials').where({ user_id: userId }).orderBy([{ column: 'created_at' }, { column: 'id' }]).select(columns);
  return rows.map(toCredential);
}

export async function findCredentialByCredentialId(db: Db | Tx, credentialId: string): Promise<StoredCredential | undefined> {
  const row = await db('webauthn_credentials').where({ credential_id: credentialId }).first(columns);
  return row ? toCredential(row) : undefined;
}

export async function summarizeCredentials(db: Db | Tx, userId: string): Promise<{ count: number; firstAt: Date | null }> {
  const row = await db('webauthn_credentials').where({ user_id: userId }).first(db.raw('count(*)::int as count'), db.raw('min(created_at) as first_at'));
  return { count: row.count, firstAt: row.first_at };
}

/** False when the credential ID is already registered (to anyone): it is not stored twice. */
export async function insertCredential(trx: Tx, credential: Omit<StoredCredential, 'id' | 'lastUsedAt'> & { deviceType: string }): Promise<boolean> {
  const rows = await trx('webauthn_credentials')
    .insert({
      user_id: credential.userId,
      credential_id: credential.credentialId,
      public_key: credential.publicKey,
      sign_count: credential.signCount,
      transports: credential.transports,
      device_type: credential.deviceType,
      backed_up: credential.backedUp,
      name: credential.name,
      created_at: credential.createdAt,
    })
    .onConflict('credential_id')
    .ignore()
    .returning('id');
  return rows.length === 1;
}

/**
 * Records a verified use. Guarded like a single-use claim: a non-zero counter must be above the
 * stored one at the moment of writing, so two assertions with one counter value cannot both pass.
 */
export async function recordCredentialUse(trx: Tx, id: string, signCount: number, backedUp: boolean, now: Date): Promise<boolean> {
  const rows = await trx('webauthn_credentials')
    .where({ id })
    .where((q) => (signCount === 0 ? q.where('sign_count', 0) : q.where('sign_count', '<', signCount)))
    .update({ sign_count: signCount, backed_up: backedUp, last_used_at: now })
    .returning('id');
  return rows.length === 1;
}

export async function deleteCredential(trx: Tx, userId: string, id: string): Promise<boolean> {
  return (await trx('webauthn_credentials').where({ user_id: userId, id }).delete()) === 1;
}

/** Every passkey of the user (the support desk's 2FA reset); returns how many went. */
export async function deleteAllCredentials(trx: Tx, userId: string): Promise<number> {
  return trx('webauthn_credentials').where({ user_id: userId }).delete();
}
