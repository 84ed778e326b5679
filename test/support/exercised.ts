import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { inject } from 'vitest';

/**
 * Notes the method, path and status of every response a test server sends, one JSON line per
 * response in this worker's file; the global teardown maps them to spec operations
 * (test/support/exercised-report.ts). Only the request line and status: no headers, no bodies.
 */
export function recordExercised(server: Server): void {
  const file = join(inject('exercisedDir'), `${process.pid}.jsonl`);
  server.on('request', (req, res) => {
    res.on('finish', () => {
      const path = (req.url ?? '/').split('?')[0];
      appendFileSync(file, `${JSON.stringify({ method: req.method, path, status: res.statusCode })}\n`);
    });
  });
}
