import { createRequire } from 'node:module';
import { domainToASCII } from 'node:url';
import type { Deps } from '../deps.js';
import { mailErrors } from './errors.js';

const require = createRequire(import.meta.url);

export interface MailBlocklist {
  /** True when the address's domain, or a parent domain of it, is disposable. */
  isBlocked(email: string): boolean;
}

let bundled: Set<string> | undefined;

/** The package's lists (~120k domains), read once per process however many apps a test starts. */
function bundledDomains(): Set<string> {
  bundled ??= new Set<string>([
    ...(require('disposable-email-domains') as string[]),
    // Domains whose every subdomain is disposable; parent matching below covers them as well.
    ...(require('disposable-email-domains/wildcard.json') as string[]),
  ].map((d) => d.toLowerCase()));
  return bundled;
}

/** The domain of an address, lower-cased, IDNs in punycode, without a trailing dot. */
export function mailDomain(email: string): string {
  const domain = email.slice(email.lastIndexOf('@') + 1).trim().toLowerCase().replace(/\.+$/, '');
  return domainToASCII(domain) || domain;
}

export function createMailBlocklist(extraDomains: string[]): MailBlocklist {
  const lists = [bundledDomains(), new Set(extraDomains.map((d) => mailDomain(`@${d}`)))];
  return {
    isBlocked(email) {
      const labels = mailDomain(email).split('.');
      // "a.b.mailinator.com" is checked as itself, "b.mailinator.com" and "mailinator.com".
      for (let i = 0; i < labels.length; i++) {
        const candidate = labels.slice(i).join('.');
        if (candidate && lists.some((list) => list.has(candidate))) return true;
      }
      return false;
    },
  };
}

/** 403 FORBIDDEN_MAIL_PROVIDER for a disposable address (bundled list + BLOCKED_MAIL_DOMAINS). */
export function assertMailDomainAllowed(deps: Pick<Deps, 'mail'>, email: string): void {
  if (deps.mail.blocklist.isBlocked(email)) throw mailErrors('FORBIDDEN_MAIL_PROVIDER');
}
