'use strict';
// Operations endpoints: no token, no body. The 200s need no setup; 503 is produced here.
const { contract } = require('../lib/kit.cjs');

const c = contract(require('hooks'));

// GET /readyz 503: the database lacks a migration this build knows (its knex_migrations row is
// removed). The row is put back right after; Dredd runs transactions one at a time.
c.setup('getReadiness', 503, async (t, fx) => {
  const [row] = await fx.db()('knex_migrations').orderBy('id', 'desc').limit(1);
  await fx.db()('knex_migrations').where({ id: row.id }).delete();
  t.after(() => fx.db()('knex_migrations').insert(row));
});
