#!/usr/bin/env bash
# The contract checks of CI, after the vitest suite (which already runs the example, mock, SDK
# package, Dredd-hook and /docs browser tests): Dredd against the real service, then the vitest
# suite again behind a Prism proxy that fails any response breaking openapi.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."

printf '\n==> contract tests: Dredd against the real service\n'
npm run test:contract

printf '\n==> contract tests: the test suite through prism proxy\n'
npm run test:proxy
