'use strict';
/**
 * The glue between Dredd and the per-capability hook files in contract-tests/hooks/.
 *
 * A hook file says, per operation and documented status, how to set up the request that
 * produces that status:
 *
 *   const { contract } = require('../lib/kit.cjs');
 *   const c = contract(require('hooks'));
 *   c.setup('getAccessToken', 200, async (t, fx) => t.bearer((await fx.session()).refreshToken));
 *   c.setup('getAccessToken', 401, (t) => t.noAuth());
 *
 * Everything else is done once, here: transactions are matched to operations by method and
 * path; the ONE skip list (contract-tests/skip.cjs) is applied and checked for stale entries;
 * responses are checked against the spec's schemas (response-check.cjs); fixtures (users,
 * tokens, mails, the database) come from fixtures.ts, loaded with tsx; and a report of what
 * ran, passed and was skipped is written for the runner (CONTRACT_REPORT).
 */
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { createAjv, findOperation, loadSpec, deref } = require('./spec.cjs');
const { checkTransaction } = require('./response-check.cjs');

const SKIP = require('../skip.cjs');

const state = {
  hooks: undefined,
  spec: deref(loadSpec()),
  ajv: createAjv(),
  /** "operationId status" → setup function */
  setups: new Map(),
  /** transaction name → { key, operationId, status } */
  transactions: new Map(),
  fixtures: undefined,
  results: [],
};

const keyOf = (operationId, status) => `${operationId} ${status}`;

function describeTransaction(t) {
  const found = findOperation(state.spec, t.request.method, t.request.uri);
  const status = String(t.expected.statusCode);
  return { operationId: found ? found.operationId : undefined, status, key: found ? keyOf(found.operationId, status) : undefined };
}

/** The skip-list reason for a transaction: by "operationId status", else by operationId. */
function skipReason(info) {
  if (!info.operationId) return undefined;
  return SKIP[info.key] || SKIP[info.operationId];
}

/** fixtures.ts, imported through tsx's loader: run.ts starts Dredd with `node --import tsx`. */
async function fixtures() {
  if (!state.fixtures) {
    const url = pathToFileURL(join(__dirname, 'fixtures.ts')).href;
    const mod = await import(url).catch((err) => {
      throw new Error(`cannot load ${url} (${err.message}); run the contract tests with npm run test:contract, which starts Dredd under tsx`);
    });
    state.fixtures = await mod.createFixtures();
  }
  return state.fixtures;
}

/** Small request-editing helpers every setup gets as methods of the transaction. */
function decorate(t) {
  t.cleanups = [];
  /** Undo a setup's change to shared state once the transaction is done (pass or fail). */
  t.after = (fn) => t.cleanups.push(fn);
  const headerKey = (name) => Object.keys(t.request.headers).find((k) => k.toLowerCase() === name.toLowerCase());
  t.bearer = (token) => {
    const existing = headerKey('authorization');
    if (existing) delete t.request.headers[existing];
    t.request.headers.Authorization = `Bearer ${token}`;
  };
  t.noAuth = () => {
    const existing = headerKey('authorization');
    if (existing) delete t.request.headers[existing];
  };
  /** Replaces query parameters, e.g. `t.query({ origin: 'https://…' })` (Dredd sends `fullPath`). */
  t.query = (params) => {
    const url = new URL(t.fullPath, 'http://placeholder');
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    t.fullPath = url.pathname + url.search;
    t.request.uri = t.fullPath;
  };
  t.json = (body) => {
    t.request.body = JSON.stringify(body);
    const existing = headerKey('content-type');
    if (existing) delete t.request.headers[existing];
    t.request.headers['Content-Type'] = 'application/json';
  };
  return t;
}

function selected(t) {
  const only = (state.hooks.configuration && state.hooks.configuration.only) || [];
  return only.length === 0 || only.includes(t.name);
}

function install(hooks) {
  state.hooks = hooks;

  hooks.beforeAll((transactions, done) => {
    const known = new Set();
    for (const t of transactions) {
      const info = describeTransaction(t);
      state.transactions.set(t.name, info);
      if (info.operationId) known.add(info.operationId).add(info.key);
    }
    const stale = Object.keys(SKIP).filter((key) => !known.has(key));
    const unsetUp = [...state.setups.keys()].filter((key) => !known.has(key));
    const problems = [
      ...stale.map((key) => `skip.cjs: "${key}" matches no transaction (typo, or the spec changed)`),
      ...unsetUp.map((key) => `hooks: setup for "${key}" matches no transaction`),
      ...[...state.setups.keys()].filter((key) => SKIP[key] || SKIP[key.split(' ')[0]]).map((key) => `hooks: "${key}" has a setup but is also in skip.cjs`),
    ];
    if (problems.length) {
      // Fail loudly: a stale list hides transactions.
      for (const t of transactions) t.fail = `contract-test configuration: ${problems.join('; ')}`;
    }
    done();
  });

  hooks.beforeEach((t, done) => {
    const info = state.transactions.get(t.name) || describeTransaction(t);
    const reason = skipReason(info);
    if (reason) {
      t.skip = true;
      t.skipReason = reason;
      return done();
    }
    if (t.fail || !selected(t)) return done();
    const setup = info.key && state.setups.get(info.key);
    if (!setup) return done();
    Promise.resolve()
      .then(async () => setup(decorate(t), await fixtures()))
      .then(
        () => done(),
        (err) => {
          t.fail = `setup for ${info.key} failed: ${(err && err.stack) || err}`;
          done();
        },
      );
  });

  hooks.beforeEachValidation((t) => {
    const problems = checkTransaction(t, state);
    if (problems.length) t.fail = problems.join('; ');
  });

  hooks.afterEach((t, done) => {
    const info = state.transactions.get(t.name) || {};
    const record = () => {
      const outcome = t.skip ? 'skipped' : !selected(t) ? 'not selected' : t.fail || (t.test && t.test.valid === false) ? 'failed' : 'passed';
      state.results.push({ name: t.name, operationId: info.operationId, status: info.status, outcome, reason: t.skipReason || (typeof t.fail === 'string' ? t.fail : undefined) });
      done();
    };
    (t.cleanups || [])
      .reduce((chain, fn) => chain.then(() => fn()), Promise.resolve())
      .then(record, (err) => {
        t.fail = `cleanup after ${info.key} failed: ${(err && err.stack) || err}`;
        record();
      });
  });

  hooks.afterAll((transactions, done) => {
    const report = process.env.CONTRACT_REPORT;
    if (report) writeFileSync(report, JSON.stringify({ total: transactions.length, results: state.results }, null, 2));
    Promise.resolve(state.fixtures && state.fixtures.close()).then(() => done(), () => done());
  });
}

/** The handle a hook file uses; installs the shared hooks once per Dredd run. */
function contract(hooks) {
  if (state.hooks !== hooks) install(hooks);
  return {
    /** How to produce `status` for `operationId`: edit the transaction `t`, using fixtures `fx`. */
    setup(operationId, status, fn) {
      const key = keyOf(operationId, String(status));
      if (state.setups.has(key)) throw new Error(`two setups for ${key}`);
      state.setups.set(key, fn);
    },
  };
}

module.exports = { contract };
