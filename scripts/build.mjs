/**
 * npm run build: compiles the service to plain JavaScript in dist/ (tsc -p tsconfig.build.json).
 * With --if-stale (npm start's prestart, and the compiled operator commands) it builds only when
 * dist/ is missing or older than its sources, so `npm ci && npm start` works on a fresh clone and
 * a `git pull` is never run on an old build. Plain Node.js: nothing here needs a transpiler.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = join(ROOT, 'dist/src/main.js');
/** Everything the build reads: a change to any of them makes dist/ stale. */
const INPUTS = ['src', 'generated', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its folder's mtime
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function isStale() {
  if (!existsSync(OUTPUT)) return true;
  const built = statSync(OUTPUT).mtimeMs;
  return INPUTS.some((input) => newestMtime(join(ROOT, input)) > built);
}

if (process.argv.includes('--if-stale') && !isStale()) process.exit(0);

// From scratch: files of removed sources must not linger in dist/.
rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
console.error('building dist/ (tsc -p tsconfig.build.json)');
const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) {
  // noEmitOnError: a failed build leaves no dist/, so the next start tries again instead of running half a build.
  rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
  process.exit(result.status ?? 1);
}
