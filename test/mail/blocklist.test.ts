import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/http/errors.js';
import { assertMailDomainAllowed, createMailDeps } from '../../src/mail/index.js';
import { createMailBlocklist } from '../../src/mail/blocklist.js';

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

describe('the bundled list (a sorted string searched by bisection)', () => {
  const listed: string[] = [...createRequire(import.meta.url)('disposable-email-domains'), ...createRequire(import.meta.url)('disposable-email-domains/wildcard.json')];
  const blocklist = createMailBlocklist([]);
  const listedSet = new Set(listed.map((d) => d.toLowerCase()));

  it('blocks every one of its domains, the first and the last in sort order included', () => {
    const sorted = [...listedSet].sort();
    expect(sorted.length).toBeGreaterThan(100_000);
    expect(blocklist.isBlocked(`a@${sorted[0]}`)).toBe(true);
    expect(blocklist.isBlocked(`a@${sorted.at(-1)}`)).toBe(true);
    expect(sorted.filter((domain) => !blocklist.isBlocked(`a@${domain}`))).toEqual([]);
  });

  it('blocks nothing between its entries: near misses of every 97th domain are allowed unless listed', () => {
    const nearMisses = [...listedSet]
      .filter((_, i) => i % 97 === 0)
      .flatMap((domain) => [`${domain}x`, `x${domain}`, domain.slice(0, -1), `${domain.replace(/\./g, '-')}.invalid`])
      .filter((candidate) => !candidate.split('.').some((_, i, labels) => listedSet.has(labels.slice(i).join('.'))));
    expect(nearMisses.length).toBeGreaterThan(1000);
    expect(nearMisses.filter((domain) => blocklist.isBlocked(`a@${domain}`))).toEqual([]);
  });
});
