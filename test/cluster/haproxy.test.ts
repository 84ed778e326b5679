import { clusterSuite } from './suite.js';

clusterSuite('three instances behind HAProxy on one PostgreSQL', { viaPgbouncer: false });
