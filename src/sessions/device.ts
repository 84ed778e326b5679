import { isIPv4 } from 'node:net';
import { UAParser } from 'ua-parser-js';
import { setWithLimit } from '../bounded-map.js';
import type { ClientInfo } from '../http/request-context.js';

/**
 * What "the same device" means for the new-device notice: the browser (or app) and operating
 * system families without versions, so a browser update is not a new device, and the client's
 * network (IPv4 /24, IPv6 /48), so a DHCP lease renewal or a phone moving between cells of one
 * provider is not either, while another country, office or ISP is.
 */
export interface Device {
  family: string;
  network: string;
}

/** Longest family kept: an unparsed user agent's product token is the client's to choose. */
const MAX_FAMILY_LENGTH = 64;

/**
 * Families of user agents seen lately, by the exact header: parsing a browser's user agent costs
 * ~45 µs of the event loop here, on every sign-in, and a service's clients send few distinct ones.
 * Bounded (oldest first out), and only headers of a realistic length enter, so neither a flood of
 * distinct values nor long ones can grow it.
 */
export const USER_AGENT_CACHE_SIZE = 1024;
export const USER_AGENT_CACHE_MAX_LENGTH = 512;
const familyByUserAgent = new Map<string, string>();

/** Entries in the user-agent cache (tests). */
export const cachedUserAgentCount = (): number => familyByUserAgent.size;

/** "Firefox on Ubuntu", "Chrome on Android", or for an app or library its product ("python-requests"). */
export function userAgentFamily(userAgent: string | null): string {
  if (!userAgent) return 'unknown';
  const known = familyByUserAgent.get(userAgent);
  if (known !== undefined) return known;
  const family = parseUserAgentFamily(userAgent);
  if (userAgent.length <= USER_AGENT_CACHE_MAX_LENGTH) setWithLimit(familyByUserAgent, userAgent, family, USER_AGENT_CACHE_SIZE);
  return family;
}

function parseUserAgentFamily(userAgent: string): string {
  const { browser, os } = new UAParser(userAgent).getResult();
  const product = browser.name ?? /^[^/\s]+/.exec(userAgent)?.[0] ?? 'unknown';
  return (os.name ? `${product} on ${os.name}` : product).slice(0, MAX_FAMILY_LENGTH);
}

/**
 * The network of a client address as the per-address limits key it (an IPv4 address, or an
 * IPv6 /64 written `a:b:c:d::/64`, see addressLimitKey): its /24, or its /48.
 */
export function networkOf(address: string | null): string {
  if (!address) return 'unknown';
  if (isIPv4(address)) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  const hextets = address.replace(/::\/64$/, '').split(':');
  if (hextets.length === 4) return `${hextets.slice(0, 3).join(':')}::/48`;
  return address;
}

/** The device of a request's client; none outside a request (an operator command signs no one in). */
export function deviceOf(client: ClientInfo): Device | undefined {
  if (!client.address && !client.userAgent) return undefined;
  return { family: userAgentFamily(client.userAgent), network: networkOf(client.address) };
}
