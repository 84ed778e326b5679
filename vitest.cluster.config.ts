import { defineConfig } from 'vitest/config';

// npm run test:cluster: real HAProxy, PgBouncer, Patroni and etcd processes around several
// service instances. Kept out of `npm test`; files run one after another (2 cores).
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
