import { describe, expect, it } from 'vitest';
import { MAIL_KINDS } from '../../src/mail/constants.js';
import { createMailDeps, prepareMail, type MailRequest } from '../../src/mail/index.js';
import { NOTICES } from '../../src/security-events/notices.js';

const mail = createMailDeps({ templatesDir: 'templates', blockedMailDomains: [] });
const deps = { mail };
const INJECTED = '<script>alert(1)</script>';

function sampleRequest(kind: MailRequest['kind'], origin: string, language: string): MailRequest {
  return {
    kind,
    to: 'user@example.com',
    origin,
    language,
    variables: {
      code: '482913',
      email: `new${INJECTED}@example.com`,
      // security_notice: the client's user agent is the attacker's to choose.
      event: 'refresh_token_reused',
      at: '2026-12-01 11:58:02 UTC',
      address: '203.0.113.7',
      device: `Agent${INJECTED}`,
    },
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
          if (kind !== 'password_reset_link' && kind !== 'email_changed_notice' && kind !== 'password_changed_notice' && kind !== 'security_notice') {
            expect(prepared.html).toContain('482913');
            expect(prepared.text).toContain('482913');
          }
          if (kind === 'password_reset_link') {
            const link = `${configuration.linkBaseUrl}/reset-password?email=user%2Btag%40example.com&otp=482913`;
            expect(prepared.text).toContain(link);
            expect(prepared.html).toContain(link.replace('&', '&amp;'));
          }
          expect(prepared.html).not.toContain(INJECTED);
          if (kind === 'email_transfer_code' || kind === 'email_changed_notice' || kind === 'security_notice') {
            expect(prepared.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
            expect(prepared.text).toContain(INJECTED); // plain text is not HTML: shown as typed
          }
          expect(prepared.html).toMatch(new RegExp(`<html lang="${language}"`));
          expect(prepared.text).toContain(configuration.name);
        });
      }
    }
  }
});

describe('every security notice has its own text in every configuration × language', () => {
  for (const configuration of mail.configurations.all) {
    for (const language of configuration.languages) {
      it(`${configuration.id}/${language}`, () => {
        const rendered = NOTICES.map((event) => {
          const request = sampleRequest('security_notice', configuration.origins[0]!, language);
          return prepareMail(deps, { ...request, variables: { ...request.variables, event, method: 'totp', remaining: '9' } });
        });
        for (const prepared of rendered) {
          expect(prepared.subject).toMatch(/\S/);
          expect(prepared.subject).not.toMatch(/undefined/);
          expect(prepared.text).not.toMatch(/undefined/);
        }
        expect(new Set(rendered.map((m) => m.subject)).size).toBe(NOTICES.length);
        expect(new Set(rendered.map((m) => m.text)).size).toBe(NOTICES.length);
      });
    }
  }
});

describe('languages are translations, not copies', () => {
  for (const configuration of mail.configurations.all) {
    it(`${configuration.id}: every kind has a different subject and text in each language`, () => {
      for (const kind of MAIL_KINDS) {
        const rendered = configuration.languages.map((language) => prepareMail(deps, sampleRequest(kind, configuration.origins[0]!, language)));
        expect(new Set(rendered.map((m) => m.subject)).size).toBe(configuration.languages.length);
        expect(new Set(rendered.map((m) => m.text)).size).toBe(configuration.languages.length);
      }
    });
  }
});

describe('codes and notices say what the reader needs', () => {
  it('code mails state the validity; notices say what to do if it was not you', () => {
    const validity = /10 (minutes|minuten|Minuten)/;
    for (const configuration of mail.configurations.all) {
      for (const language of configuration.languages) {
        for (const kind of MAIL_KINDS) {
          const prepared = prepareMail(deps, sampleRequest(kind, configuration.origins[0]!, language));
          if (kind.endsWith('_notice')) expect(prepared.text).toMatch(/wasn't you|Was u dit niet|n’était pas vous|nicht waren/);
          else expect(prepared.text).toMatch(validity);
        }
      }
    }
  });
});
