'use strict';
// Operations endpoints: no body; no token except GET /metrics's METRICS_TOKEN. 503 and 401 are produced here.
const { contract } = require('../lib/kit.cjs');
const { METRICS_TOKEN } = require('../lib/constants.cjs');

const c = contract(require('hooks'));

// GET /metrics: run.ts starts the service with METRICS_TOKEN set.
c.setup('getMetrics', 200, (t) => t.bearer(METRICS_TOKEN));
c.setup('getMetrics', 401, (t) => t.noAuth());

// GET /readyz 503: the database lacks a migration this build knows (its knex_migrations row is
// removed). The row is put back right after; Dredd runs transactions one at a time.
c.setup('getReadiness', 503, async (t, fx) => {
  const [row] = await fx.db()('knex_migrations').orderBy('id', 'desc').limit(1);
  await fx.db()('knex_migrations').where({ id: row.id }).delete();
  t.after(() => fx.db()('knex_migrations').insert(row));
});
