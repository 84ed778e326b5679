import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { domainToASCII } from 'node:url';
import type { Deps } from '../deps.js';
import { mailErrors } from './errors.js';

const require = createRequire(import.meta.url);

export interface MailBlocklist {
  /** True when the address's domain, or a parent domain of it, is disposable. */
  isBlocked(email: string): boolean;
}

/** A set of domains that answers `has`. */
interface DomainSet {
  has(domain: string): boolean;
}

/**
 * ~120k domains as one sorted, newline-joined string and the offsets of its entries, searched by
 * bisection: 3.6 MiB of heap where a Set of strings took 7.6 MiB (and the parsed JSON another
 * 2 in the module cache), for a check that runs once per mail request (issue 13's
 * memory budget). The JSON is read from disk, not `require`d, so no copy stays cached.
 */
class SortedDomains implements DomainSet {
  private readonly text: string;
  private readonly starts: Uint32Array;

  constructor(domains: Iterable<string>) {
    const sorted = [...new Set(domains)].sort();
    this.text = sorted.join('\n');
    this.starts = new Uint32Array(sorted.length + 1);
    let offset = 0;
    sorted.forEach((domain, i) => {
      this.starts[i] = offset;
      offset += domain.length + 1;
    });
    this.starts[sorted.length] = offset;
  }

  private at(i: number): string {
    return this.text.slice(this.starts[i], this.starts[i + 1]! - 1);
  }

  has(domain: string): boolean {
    let low = 0;
    let high = this.starts.length - 2;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const entry = this.at(mid);
      if (entry === domain) return true;
      if (entry < domain) low = mid + 1;
      else high = mid - 1;
    }
    return false;
  }
}

let bundled: DomainSet | undefined;

const readList = (specifier: string): string[] => JSON.parse(readFileSync(require.resolve(specifier), 'utf8'));

/** The package's lists (~120k domains), read once per process however many apps a test starts. */
function bundledDomains(): DomainSet {
  bundled ??= new SortedDomains(
    [
      ...readList('disposable-email-domains'),
      // Domains whose every subdomain is disposable; parent matching below covers them as well.
      ...readList('disposable-email-domains/wildcard.json'),
    ].map((d) => d.toLowerCase()),
  );
  return bundled;
}

/** The domain of an address, lower-cased, IDNs in punycode, without a trailing dot. */
export function mailDomain(email: string): string {
  const domain = email.slice(email.lastIndexOf('@') + 1).trim().toLowerCase().replace(/\.+$/, '');
  return domainToASCII(domain) || domain;
}

export function createMailBlocklist(extraDomains: string[]): MailBlocklist {
  const lists: DomainSet[] = [bundledDomains(), new Set(extraDomains.map((d) => mailDomain(`@${d}`)))];
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
