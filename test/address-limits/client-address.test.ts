import { describe, expect, it } from 'vitest';
import { addressLimitKey } from '../../src/address-limits/client-address.js';

describe('addressLimitKey', () => {
  it('keeps an IPv4 address, and turns an IPv4-mapped IPv6 address into it', () => {
    expect(addressLimitKey('198.51.100.7')).toBe('198.51.100.7');
    expect(addressLimitKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(addressLimitKey('::FFFF:c633:6407')).toBe('198.51.100.7');
  });

  it('counts IPv6 per /64, however the address is written', () => {
    expect(addressLimitKey('2001:db8:aa:1::1')).toBe('2001:db8:aa:1::/64');
    expect(addressLimitKey('2001:0DB8:00aa:0001:ffff:ffff:ffff:ffff')).toBe('2001:db8:aa:1::/64');
    expect(addressLimitKey('2001:db8:aa:1:0:0:0:1')).toBe('2001:db8:aa:1::/64');
    expect(addressLimitKey('2001:db8:aa::1')).toBe('2001:db8:aa:0::/64');
    expect(addressLimitKey('2001:db8:aa:2::1')).not.toBe(addressLimitKey('2001:db8:aa:1::1'));
    expect(addressLimitKey('::1')).toBe('0:0:0:0::/64');
    expect(addressLimitKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressLimitKey('64:ff9b::198.51.100.7')).toBe('64:ff9b:0:0::/64');
  });

  it('has one key for a request whose socket is already gone', () => {
    expect(addressLimitKey(undefined)).toBe('unknown');
  });
});
