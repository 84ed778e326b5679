import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import type { EncryptionKey } from '../crypto/aead.js';
import { generateSigningKey } from '../tokens/keys.js';

interface DevKeys {
  signingKeys: JWK[];
  totpEncryptionKeys: EncryptionKey[];
  codeHashKey: Buffer;
}

/** Development only: keys are made once and kept in `<dataDir>/dev-keys.json` so tokens survive restarts. */
export async function loadOrCreateDevKeys(dataDir: string): Promise<DevKeys> {
  const file = join(dataDir, 'dev-keys.json');
  try {
    const stored = JSON.parse(await readFile(file, 'utf8'));
    return {
      signingKeys: stored.signingKeys,
      totpEncryptionKeys: stored.totpEncryptionKeys.map((k: { id: string; key: string }) => ({ id: k.id, key: Buffer.from(k.key, 'base64') })),
      codeHashKey: Buffer.from(stored.codeHashKey, 'base64'),
    };
  } catch {
    const keys: DevKeys = {
      signingKeys: [await generateSigningKey()],
      totpEncryptionKeys: [{ id: 'dev1', key: randomBytes(32) }],
      codeHashKey: randomBytes(32),
    };
    await mkdir(dataDir, { recursive: true });
    const serialised = {
      signingKeys: keys.signingKeys,
      totpEncryptionKeys: keys.totpEncryptionKeys.map((k) => ({ id: k.id, key: k.key.toString('base64') })),
      codeHashKey: keys.codeHashKey.toString('base64'),
    };
    await writeFile(file, JSON.stringify(serialised, null, 2), { mode: 0o600 });
    return keys;
  }
}
