import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface DreddRun {
  code: number;
  output: string;
}

/**
 * Runs Dredd with contract-tests/dredd.yml against `endpoint`. With --config, Dredd takes the API
 * description and the endpoint from the file only, so a copy with the endpoint is written under
 * .data/. Dredd runs under tsx, so the CommonJS hooks can import() fixtures.ts and the service's
 * code. `hookfiles: false` runs Dredd bare (what it checks without this project's hooks).
 */
export async function runDredd(options: { endpoint: string; env?: NodeJS.ProcessEnv; args?: string[]; echo?: boolean; hookfiles?: false; name?: string }): Promise<DreddRun> {
  const config = parse(await readFile(join(ROOT, 'contract-tests/dredd.yml'), 'utf8'));
  if (options.hookfiles === false) config.hookfiles = [];
  await mkdir(join(ROOT, '.data'), { recursive: true });
  const configFile = join(ROOT, `.data/dredd.${options.name ?? 'contract'}.yml`);
  await writeFile(configFile, stringify({ ...config, endpoint: options.endpoint }));
  const args = ['--import', 'tsx', join(ROOT, 'node_modules/dredd/bin/dredd'), '--config', configFile, ...(options.echo ? [] : ['--no-color']), ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const tee = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
    output += chunk.toString();
    if (options.echo) stream.write(chunk);
  };
  child.stdout!.on('data', tee(process.stdout));
  child.stderr!.on('data', tee(process.stderr));
  const code = await new Promise<number>((resolve) => child.once('exit', (exitCode) => resolve(exitCode ?? 1)));
  await rm(configFile, { force: true });
  return { code, output };
}
