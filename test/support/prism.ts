import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/db/embedded.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRISM = `${ROOT}node_modules/.bin/prism`;
const SPEC = `${ROOT}openapi.yaml`;

export interface PrismProcess {
  url: string;
  /** Everything Prism printed so far (its log names each violation it saw). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `prism mock openapi.yaml` or `prism proxy openapi.yaml <upstream>` on a free port and
 * resolves once it listens. Extra arguments go before the spec (e.g. `['--errors']`, `['-d']`).
 */
export async function startPrism(mode: 'mock' | 'proxy', options: { upstream?: string; args?: string[]; timeoutMs?: number } = {}): Promise<PrismProcess> {
  const port = await freePort();
  const argv = [mode, '--host', '127.0.0.1', '--port', String(port), ...(options.args ?? []), SPEC];
  if (mode === 'proxy') argv.push(options.upstream ?? '');
  const child: ChildProcess = spawn(PRISM, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`prism ${mode} did not start within ${options.timeoutMs ?? 60_000} ms:\n${output}`)), options.timeoutMs ?? 60_000);
    const onData = () => output.includes('Prism is listening') && done();
    const onExit = (code: number | null) => fail(new Error(`prism ${mode} exited (${code}) before listening:\n${output}`));
    function done() {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      resolve();
    }
    function fail(err: Error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    }
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });

  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
    },
  };
}
