import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDb, isMigrated, migrateLatest } from '../../src/db/knex.js';
import { databaseUrl } from '../support/database.js';

// Several instances of a new deployment start at once on an empty database: each runs the
// migrations at start, and none may fail because another got there first.
describe('migrations started by several instances at once', () => {
  const name = `sg1_t_mig_${randomBytes(5).toString('hex')}`;
  const adminUrl = inject('pgAdminUrl');
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
  });
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('eight concurrent migrateLatest on an empty database all succeed, and the schema is complete', async () => {
    const dbs = Array.from({ length: 8 }, () => createDb(databaseUrl(adminUrl, name), 2));
    try {
      const outcomes = await Promise.allSettled(dbs.map((db) => migrateLatest(db)));
      expect(outcomes.map((o) => (o.status === 'rejected' ? String((o.reason as Error).message) : 'ok'))).toEqual(Array(8).fill('ok'));
      expect(await isMigrated(dbs[0]!)).toBe(true);
      const { rows } = await dbs[0]!.raw('select count(*)::int as n from knex_migrations');
      const { rows: files } = await dbs[0]!.raw('select count(distinct name)::int as n from knex_migrations');
      expect(rows[0].n).toBe(files[0].n); // each migration ran once
      const { rows: locks } = await dbs[0]!.raw('select is_locked from knex_migrations_lock');
      expect(locks).toEqual([{ is_locked: 0 }]); // one lock row, free: the next start can migrate
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
    }
  });
});
