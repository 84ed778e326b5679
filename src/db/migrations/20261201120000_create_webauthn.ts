import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webauthn_credentials', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE').index();
    // The authenticator's credential ID (base64url): one credential belongs to one user, ever.
    t.text('credential_id').notNullable().unique();
    // COSE public key as the authenticator sent it.
    t.binary('public_key').notNullable();
    // The last signature counter seen; a non-zero counter must increase (clone detection).
    t.bigInteger('sign_count').notNullable().defaultTo(0);
    t.specificType('transports', 'text[]').notNullable().defaultTo('{}');
    t.text('device_type').notNullable();
    t.boolean('backed_up').notNullable();
    t.text('name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_used_at', { useTz: true });
  });

  await knex.schema.createTable('webauthn_challenges', (t) => {
    // SHA-256 of the challenge: it is looked up by what the client signed, never listed.
    t.binary('challenge_hash').primary();
    // NULL for a passwordless sign-in challenge (the user is found by the credential).
    t.uuid('user_id').references('users.id').onDelete('CASCADE').index();
    t.text('purpose').notNullable().checkIn(['registration', 'authentication', 'passwordless']);
    t.timestamp('expires_at', { useTz: true }).notNullable().index();
    t.timestamp('used_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webauthn_challenges');
  await knex.schema.dropTable('webauthn_credentials');
}
