import { clusterSuite } from './suite.js';

clusterSuite('three instances behind HAProxy, through PgBouncer in transaction mode', { viaPgbouncer: true });
