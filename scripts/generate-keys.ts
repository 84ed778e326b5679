import { generateProductionSecrets } from '../src/config/production-secrets.js';

/** npm run keys:generate: prints fresh production keys as environment lines (keep them secret). */
const keyId = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
for (const [name, value] of Object.entries(await generateProductionSecrets(keyId))) {
  console.log(name === 'JWT_SIGNING_KEYS' ? `${name}='${value}'` : `${name}=${value}`);
}
