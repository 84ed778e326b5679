import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * generated/ is the package @smartgridone/auth-client (package.json copied from sdk-package/ by
 * `npm run generate`). Here it is installed into a throw-away consumer project, which must
 * type-check against it under strict NodeNext settings and run it with tsx.
 */
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const CONSUMER = `import { createClient } from '@smartgridone/auth-client/client';
import { getHealth, login, type LoginError, type VerifyTotpError } from '@smartgridone/auth-client';

declare const process: { argv: string[] };
const client = createClient({ baseUrl: process.argv[2] });

const { data } = await getHealth({ client });
const status: 'ok' | undefined = data?.status;

// The types are real, not \`any\`: a body without username must not compile.
// @ts-expect-error username is required
void login({ client, body: { password: 'x' } });

// Typed errors: a 429 narrows to a body with retryAfter; codes compare as literals.
export function describeTotpError(error: VerifyTotpError): string {
  if (error.statusCode === 429) return \`wait \${error.retryAfter} s\`;
  return error.message === 'TOTP_INVALID' ? 'wrong code' : error.message;
}
export type { LoginError };
console.log(JSON.stringify({ status }));
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022', 'DOM'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    types: [],
  },
  include: ['consumer.ts'],
};

let dir: string;
let server: TestServer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg1-sdk-consumer-'));
  await cp(join(ROOT, 'generated'), join(dir, 'node_modules/@smartgridone/auth-client'), { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  await writeFile(join(dir, 'consumer.ts'), CONSUMER);
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('generated/ as the package @smartgridone/auth-client', () => {
  it('carries the package.json kept in sdk-package/', async () => {
    const shipped = JSON.parse(await readFile(join(ROOT, 'generated/package.json'), 'utf8'));
    const source = JSON.parse(await readFile(join(ROOT, 'sdk-package/package.json'), 'utf8'));
    expect(shipped).toEqual(source);
    expect(shipped.name).toBe('@smartgridone/auth-client');
    expect(shipped.exports['.'].types).toBe('./index.ts');
    // The package's version is the API's: bump both together.
    const specVersion = /^info:\n(?:  .*\n)*?  version: (\S+)$/m.exec(await readFile(join(ROOT, 'openapi.yaml'), 'utf8'))?.[1];
    expect(shipped.version).toBe(specVersion);
  });

  it('type-checks in a strict NodeNext consumer project', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).catch((err) => err);
    expect(`${result.stdout ?? ''}${result.stderr ?? ''}`).toBe('');
  }, 60_000);

  it('runs in the consumer project with tsx, against the real service', async () => {
    const { stdout } = await run(join(ROOT, 'node_modules/.bin/tsx'), ['consumer.ts', server.baseUrl], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({ status: 'ok' });
  }, 60_000);
});
