/**
 * Renders every mail configuration × language × kind with sample values to
 * `<DATA_DIR>/preview/<brand>/<language>/<kind>.{html,txt}`, to look at in a browser before a
 * template change ships. `npm run mail:preview` (TEMPLATES_DIR and DATA_DIR as for the service).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MAIL_KINDS } from '../src/mail/constants.js';
import { createMailDeps, MailConfigurationError, prepareMail } from '../src/mail/index.js';

const SAMPLE = {
  to: 'jane.doe@example.com',
  // security_notice: the reuse notice (the most urgent); the other events share its frame.
  variables: { code: '482913', email: 'jane.new@example.com', event: 'refresh_token_reused', at: '2026-12-01 11:58:02 UTC', address: '203.0.113.7', device: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/136.0' },
  links: { reset: { path: '/reset-password', query: { email: 'jane.doe@example.com', otp: '482913' } } },
};

async function main(): Promise<void> {
  const out = resolve(process.env.DATA_DIR ?? '.data', 'preview');
  const mail = createMailDeps({ templatesDir: process.env.TEMPLATES_DIR || 'templates', blockedMailDomains: [] });
  let written = 0;
  for (const configuration of mail.configurations.all) {
    for (const language of configuration.languages) {
      const dir = join(out, configuration.id, language);
      await mkdir(dir, { recursive: true });
      for (const kind of MAIL_KINDS) {
        if (!configuration.templates.get(language)?.has(kind)) {
          console.warn(`missing: ${configuration.id}/${language}/${kind}`);
          continue;
        }
        const prepared = prepareMail({ mail }, { kind, language, origin: configuration.origins[0], ...SAMPLE });
        await writeFile(join(dir, `${kind}.html`), prepared.html);
        await writeFile(join(dir, `${kind}.txt`), `From: ${prepared.from}\nTo: ${prepared.to}\nSubject: ${prepared.subject}\n\n${prepared.text}`);
        written++;
      }
    }
  }
  console.log(`${written} previews in ${out}`);
}

main().catch((err) => {
  console.error(err instanceof MailConfigurationError ? `template error: ${err.message}` : err);
  process.exit(1);
});
