import { isIPv4, isIPv6 } from 'node:net';
import { IPV6_PREFIX_HEXTETS } from './constants.js';

/** The eight hextets of an IPv6 address (`::` expanded, an embedded IPv4 tail turned into two). */
function hextets(address: string): number[] {
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((h) => parseInt(h, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The key a client's requests are counted under: its IPv4 address (also when it arrives as an
 * IPv4-mapped IPv6 address), or the /64 of its IPv6 address. `address` is Express's `req.ip`:
 * the socket's peer, or with `trust proxy` the first untrusted X-Forwarded-For hop.
 */
export function addressLimitKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const bare = address.split('%')[0]!; // a zone id (fe80::1%eth0) names an interface, not a client
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return bare;
  const groups = hextets(bare);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  return `${groups.slice(0, IPV6_PREFIX_HEXTETS).map((g) => g.toString(16)).join(':')}::/64`;
}
