import { describe, expect, it } from 'vitest';
import { MAIL_KINDS } from '../../src/mail/constants.js';
import { createMailDeps, prepareMail, type MailRequest } from '../../src/mail/index.js';

const mail = createMailDeps({ templatesDir: 'templates', blockedMailDomains: [] });
const deps = { mail };
const INJECTED = '<script>alert(1)</script>';

function sampleRequest(kind: MailRequest['kind'], origin: string, language: string): MailRequest {
  return {
    kind,
    to: 'user@example.com',
    origin,
    language,
    variables: { code: '482913', email: `new${INJECTED}@example.com` },
    links: { reset: { path: '/reset-password', query: { email: 'user+tag@example.com', otp: '482913' } } },
  };
}

describe('every configuration × language × kind renders', () => {
  for (const configuration of mail.configurations.all) {
    for (const language of configuration.languages) {
      for (const kind of MAIL_KINDS) {
        it(`${configuration.id}/${language}/${kind}`, () => {
          const prepared = prepareMail(deps, sampleRequest(kind, configuration.origins[0]!, language));
          expect(prepared).toMatchObject({ kind, brand: configuration.id, language });
          expect(prepared.subject.length).toBeGreaterThan(0);
          expect(prepared.subject).not.toMatch(/undefined|\n/);
          expect(prepared.text).not.toMatch(/undefined/);
          expect(prepared.html).not.toMatch(/undefined/);
          if (kind !== 'password_reset_link' && kind !== 'email_changed_notice' && kind !== 'password_changed_notice') {
            expect(prepared.html).toContain('482913');
            expect(prepared.text).toContain('482913');
          }
          if (kind === 'password_reset_link') {
            const link = `${configuration.linkBaseUrl}/reset-password?email=user%2Btag%40example.com&otp=482913`;
            expect(prepared.text).toContain(link);
            expect(prepared.html).toContain(link.replace('&', '&amp;'));
          }
          expect(prepared.html).not.toContain(INJECTED);
        });
      }
    }
  }
});
