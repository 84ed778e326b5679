import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/http/errors.js';
import { assertMailDomainAllowed, createMailDeps } from '../../src/mail/index.js';

const deps = { mail: createMailDeps({ templatesDir: 'templates', blockedMailDomains: ['blocked.example', 'ACME-Temp.test'] }) };

function outcome(email: string): string {
  try {
    assertMailDomainAllowed(deps, email);
    return 'allowed';
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return `${(err as ApiError).status} ${(err as ApiError).code}`;
  }
}

describe('assertMailDomainAllowed', () => {
  it('refuses a disposable domain from the bundled list with 403 FORBIDDEN_MAIL_PROVIDER', () => {
    expect(outcome('someone@mailinator.com')).toBe('403 FORBIDDEN_MAIL_PROVIDER');
    expect(outcome('Someone@MAILINATOR.COM')).toBe('403 FORBIDDEN_MAIL_PROVIDER');
    expect(outcome('someone@mailinator.com.')).toBe('403 FORBIDDEN_MAIL_PROVIDER');
  });

  it('refuses subdomains of a blocked domain', () => {
    expect(outcome('someone@x.y.mailinator.com')).toBe('403 FORBIDDEN_MAIL_PROVIDER');
    expect(outcome('someone@eu.blocked.example')).toBe('403 FORBIDDEN_MAIL_PROVIDER');
  });

  it('refuses the extra domains from BLOCKED_MAIL_DOMAINS, case-insensitively', () => {
    expect(outcome('someone@blocked.example')).toBe('403 FORBIDDEN_MAIL_PROVIDER');
    expect(outcome('someone@acme-temp.test')).toBe('403 FORBIDDEN_MAIL_PROVIDER');
  });

  it('allows ordinary providers and look-alikes that are not subdomains', () => {
    for (const email of ['someone@gmail.com', 'someone@smartgridone.com', 'someone@xmailinator.com', 'someone@mailinator.com.example.org', 'someone@example.com']) {
      expect(outcome(email)).toBe('allowed');
    }
  });

  it('checks the part after the last @', () => {
    expect(outcome('"a@gmail.com"@mailinator.com')).toBe('403 FORBIDDEN_MAIL_PROVIDER');
    expect(outcome('mailinator.com@gmail.com')).toBe('allowed');
  });
});
