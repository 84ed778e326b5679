'use strict';
/**
 * THE skip list of the Dredd run: every transaction Dredd derives from openapi.yaml (each
 * operation × each documented status) runs and must pass, unless it is listed here with a
 * one-line reason. Keys: "operationId status" for one transaction, or "operationId" for all of
 * an operation's transactions (e.g. while it answers 501).
 *
 * An operation still being built: '<operationId>': '501: not implemented yet (issue N)'.
 * When it lands: delete its line, add its setups to contract-tests/hooks/<capability>.cjs.
 * A key that matches no transaction fails the run, so this list cannot go stale silently;
 * test/contract/skip-list.test.ts checks that every "501" entry really has no handler.
 */
module.exports = {};
