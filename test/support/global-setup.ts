import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/embedded.js';
import { createDb, migrateLatest } from '../../src/db/knex.js';
import { databaseUrl } from './database.js';
import { reportExercised } from './exercised-report.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin connection URL of the PostgreSQL server the tests use. */
    pgAdminUrl: string;
    /** A migrated database every test file clones. */
    pgTemplate: string;
    /** Where test servers note the responses they sent (spec coverage). */
    exercisedDir: string;
  }
}

const PREFIX = 'sg1-test-pg-';

/** A killed run leaves its cluster behind: stop and remove those whose owner process is gone. */
async function reapOrphanClusters(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const owner = Number(name.slice(PREFIX.length).split('-')[0]);
    try {
      process.kill(owner, 0);
      continue; // owner alive
    } catch {
      /* owner gone */
    }
    const dir = join(tmpdir(), name);
    const pid = Number((await readFile(join(dir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
}

export default async function setup(project: TestProject) {
  let embedded: EmbeddedServer | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    await reapOrphanClusters();
    const dataDir = await mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`));
    embedded = await startEmbeddedPostgres({ dataDir, persistent: false, unsafeFast: true });
    adminUrl = embedded.url;
  }
  const template = `sg1_tpl_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${template}`);
  const db = createDb(databaseUrl(adminUrl, template), 1);
  await migrateLatest(db);
  await db.destroy();
  // Cloning needs a template nobody is connected to.
  await admin.query(`alter database ${template} allow_connections false`);
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
  const exercisedDir = await mkdtemp(join(tmpdir(), 'sg1-exercised-'));
  project.provide('exercisedDir', exercisedDir);

  return async () => {
    await admin.query(`alter database ${template} allow_connections true`).catch(() => undefined);
    await admin.query(`drop database if exists ${template}`).catch(() => undefined);
    await admin.end();
    await embedded?.stop();
    await reportExercised(exercisedDir);
    await rm(exercisedDir, { recursive: true, force: true });
  };
}
