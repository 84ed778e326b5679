import { createHmac, hkdfSync, sign } from 'node:crypto';
import { createLocalJWKSet, importJWK, jwtVerify, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { signJwt, signJwtOffLoop, verifiedTokenCount, verifyJwt, verifyJwtOffLoop, VERIFIED_TOKEN_CACHE_SIZE } from '../../src/tokens/jwt.js';
import { generateSigningKey, loadTokenKeys, type TokenKeys } from '../../src/tokens/keys.js';
import type { JWK } from 'jose';

const ISSUER = 'http://auth.test';
const NOW_MS = Date.UTC(2026, 11, 1, 12, 0, 0);
const clockAt = (ms: number) => ({ now: () => ms });
const clock = clockAt(NOW_MS);
const claims = { userId: '7f1e8a52-1f0e-4c3a-9f55-1d2c3b4a5e6f', kind: 'access' as const, passwordChangedAt: 1764590000123 };

let jwk: JWK;
let keys: TokenKeys;
beforeAll(async () => {
  jwk = await generateSigningKey();
  keys = await loadTokenKeys([jwk], ISSUER);
});

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = Math.floor(NOW_MS / 1000);
const goodPayload = () => ({ typ: 'access', pwc: claims.passwordChangedAt, sub: claims.userId, iss: ISSUER, jti: 'j', iat: now, exp: now + 300 });

/** A token with any header and payload, signed with our real key (so only the checks under test can refuse it). */
function forge(header: Record<string, unknown>, payload: unknown, signingKeys = keys): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), signingKeys.signingKey).toString('base64url')}`;
}
const header = () => ({ alg: 'EdDSA', kid: keys.signingKid, typ: 'JWT' });
const verifies = (token: string, at = clock) => verifyJwt(keys, at, token);

describe('our JWTs (node:crypto Ed25519)', () => {
  it('round-trip: signed and verified with the claims intact', () => {
    expect(verifies(signJwt(keys, clock, claims))).toEqual(claims);
    expect(verifies(forge(header(), goodPayload()))).toEqual(claims);
  });

  it('jose (the reference implementation) verifies our tokens with the published JWKS', async () => {
    const { payload, protectedHeader } = await jwtVerify(signJwt(keys, clock, claims), createLocalJWKSet({ keys: keys.publicJwks }), {
      issuer: ISSUER,
      algorithms: ['EdDSA'],
      currentDate: new Date(NOW_MS),
    });
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: keys.signingKid, typ: 'JWT' });
    expect(payload).toMatchObject({ sub: claims.userId, typ: 'access', pwc: claims.passwordChangedAt, iss: ISSUER, iat: now, exp: now + 300 });
  });

  it('signed off the event loop (libuv pool): the same form, verified by us and by jose', async () => {
    const token = await signJwtOffLoop(keys, clock, { ...claims, sessionId: 's-1' });
    expect(verifies(token)).toEqual({ ...claims, sessionId: 's-1' });
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: keys.publicJwks }), { issuer: ISSUER, algorithms: ['EdDSA'], currentDate: new Date(NOW_MS) });
    expect(payload).toMatchObject({ sub: claims.userId, typ: 'access', sid: 's-1', exp: now + 300 });
    // Each token is its own (a fresh jti), like the synchronous path's.
    expect(await signJwtOffLoop(keys, clock, claims)).not.toBe(await signJwtOffLoop(keys, clock, claims));
  });

  it('accepts a token jose signed with our key', async () => {
    const token = await new SignJWT({ typ: 'sudo', pwc: 5 })
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.signingKid })
      .setSubject('u1')
      .setIssuer(ISSUER)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(await importJWK(jwk, 'EdDSA'));
    expect(verifies(token)).toEqual({ userId: 'u1', kind: 'sudo', passwordChangedAt: 5 });
  });

  it('verifies with every configured key (rotation), signs with the first', async () => {
    const older = await generateSigningKey();
    const rotated = await loadTokenKeys([await generateSigningKey(), older], ISSUER);
    const fromOld = signJwt(await loadTokenKeys([older], ISSUER), clock, claims);
    expect(verifyJwt(rotated, clock, fromOld)).toEqual(claims);
    expect(verifyJwt(keys, clock, fromOld)).toBeUndefined();
  });
});

describe('rejected', () => {
  it('alg none, with or without a signature', () => {
    const unsigned = `${b64({ alg: 'none', kid: keys.signingKid })}.${b64(goodPayload())}`;
    expect(verifies(`${unsigned}.`)).toBeUndefined();
    expect(verifies(forge({ alg: 'none', kid: keys.signingKid }, goodPayload()))).toBeUndefined();
  });

  it('any alg but EdDSA, even over a valid Ed25519 signature', () => {
    for (const alg of ['HS256', 'RS256', 'ES256', 'Ed25519', 'eddsa', undefined]) {
      expect(verifies(forge({ ...header(), alg }, goodPayload())), String(alg)).toBeUndefined();
    }
  });

  it('an unknown or missing kid, or a kid of ours over another key', async () => {
    expect(verifies(forge({ ...header(), kid: 'someone-else' }, goodPayload()))).toBeUndefined();
    expect(verifies(forge({ alg: 'EdDSA' }, goodPayload()))).toBeUndefined();
    const impostor = await loadTokenKeys([{ ...(await generateSigningKey()), kid: keys.signingKid }], ISSUER);
    expect(verifies(signJwt(impostor, clock, claims))).toBeUndefined();
  });

  it('a header with crit (an extension we do not understand)', () => {
    expect(verifies(forge({ ...header(), crit: ['exp'] }, goodPayload()))).toBeUndefined();
  });

  it('another issuer, or none', () => {
    expect(verifies(forge(header(), { ...goodPayload(), iss: 'http://evil.test' }))).toBeUndefined();
    const { iss: _iss, ...noIss } = goodPayload();
    expect(verifies(forge(header(), noIss))).toBeUndefined();
  });

  it('expired: at exp exactly and after (no clock tolerance); fine a second before', () => {
    const token = signJwt(keys, clock, claims);
    expect(verifies(token, clockAt(NOW_MS + 299_999))).toEqual(claims);
    expect(verifies(token, clockAt(NOW_MS + 300_000))).toBeUndefined();
    expect(verifies(token, clockAt(NOW_MS + 301_000))).toBeUndefined();
  });

  it('a not-before in the future', () => {
    expect(verifies(forge(header(), { ...goodPayload(), nbf: now + 1 }))).toBeUndefined();
    expect(verifies(forge(header(), { ...goodPayload(), nbf: now }))).toEqual(claims);
  });

  it('missing or non-numeric sub, iat, exp', () => {
    for (const claim of ['sub', 'iat', 'exp'] as const) {
      const { [claim]: _dropped, ...rest } = goodPayload();
      expect(verifies(forge(header(), rest)), `no ${claim}`).toBeUndefined();
    }
    expect(verifies(forge(header(), { ...goodPayload(), sub: 42 }))).toBeUndefined();
    expect(verifies(forge(header(), { ...goodPayload(), iat: String(now) }))).toBeUndefined();
    expect(verifies(forge(header(), { ...goodPayload(), exp: String(now + 300) }))).toBeUndefined();
  });

  it('a typ that is not access, sudo or partial; a pwc that is not a number', () => {
    for (const typ of ['refresh', 'ACCESS', '', undefined]) expect(verifies(forge(header(), { ...goodPayload(), typ })), String(typ)).toBeUndefined();
    expect(verifies(forge(header(), { ...goodPayload(), typ: 'sudo' }))?.kind).toBe('sudo');
    expect(verifies(forge(header(), { ...goodPayload(), pwc: String(claims.passwordChangedAt) }))).toBeUndefined();
    const { pwc: _pwc, ...noPwc } = goodPayload();
    expect(verifies(forge(header(), noPwc))).toBeUndefined();
  });

  it('a tampered payload or signature', () => {
    const [h, p, s] = signJwt(keys, clock, claims).split('.') as [string, string, string];
    const otherUser = b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'another-user' });
    expect(verifies(`${h}.${otherUser}.${s}`)).toBeUndefined();
    const flipped = Buffer.from(s, 'base64url');
    flipped[10]! ^= 1;
    expect(verifies(`${h}.${p}.${flipped.toString('base64url')}`)).toBeUndefined();
    // Same bytes, different text: stray characters or a non-canonical last character.
    expect(verifies(`${h}.${p}.${s}=`)).toBeUndefined();
    // 64 bytes take 86 characters; the last one's low 4 bits are padding, so setting one keeps the bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const nonCanonical = `${s.slice(0, -1)}${alphabet[alphabet.indexOf(s.at(-1)!) | 1]}`;
    expect(Buffer.from(nonCanonical, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true);
    expect(verifies(`${h}.${p}.${nonCanonical}`)).toBeUndefined();
    expect(verifies(`${h}.${p}.${s}`)).toEqual(claims);
  });

  it('malformed segments', () => {
    const [h, p, s] = signJwt(keys, clock, claims).split('.') as [string, string, string];
    for (const token of ['', '.', '..', `${h}.${p}`, `${h}.${p}.${s}.${s}`, `${h}..${s}`, `.${p}.${s}`, `${h}.${p}.`, `${h}!.${p}.${s}`, 'not a token']) {
      expect(verifies(token), JSON.stringify(token)).toBeUndefined();
    }
    expect(verifies(forge({ ...header() }, [goodPayload()]))).toBeUndefined(); // payload an array
    expect(verifies(forge({ ...header() }, 'just a string'))).toBeUndefined();
    const notJson = `${b64('{"alg":"EdDSA"')}.${p}`;
    expect(verifies(`${notJson}.${sign(null, Buffer.from(notJson), keys.signingKey).toString('base64url')}`)).toBeUndefined();
  });
});

describe('verified-token cache (a token presented again skips its signature check, never its time checks)', () => {
  it('a verified token is kept once and then answered without the keys; its exp still ends it', async () => {
    const own = await loadTokenKeys([jwk], ISSUER);
    const token = signJwt(own, clock, claims);
    expect(verifyJwt(own, clock, token)).toEqual(claims);
    expect(verifyJwt(own, clock, token)).toEqual(claims);
    expect(verifiedTokenCount(own)).toBe(1);
    // Answered from the cache: the key that signed it is no longer consulted.
    own.verifyKeys.clear();
    expect(verifyJwt(own, clockAt(NOW_MS + 299_000), token)).toEqual(claims);
    expect(Object.isFrozen(verifyJwt(own, clock, token))).toBe(true);
    expect(verifyJwt(own, clockAt(NOW_MS + 300_000), token)).toBeUndefined();
    expect(verifiedTokenCount(own)).toBe(0);
    // Gone from the cache, it is verified afresh, and without its key it fails.
    expect(verifyJwt(own, clock, token)).toBeUndefined();
  });

  it('only valid tokens enter: tampered, foreign, expired or malformed ones leave it as it was', async () => {
    const own = await loadTokenKeys([jwk], ISSUER);
    const [h, p, s] = signJwt(own, clock, claims).split('.') as [string, string, string];
    const flipped = Buffer.from(s, 'base64url');
    flipped[5]! ^= 1;
    const foreign = forge(header(), goodPayload(), await loadTokenKeys([await generateSigningKey()], ISSUER));
    const expired = forge(header(), { ...goodPayload(), exp: now });
    for (const bad of [`${h}.${p}.${flipped.toString('base64url')}`, foreign, expired, `${h}.${p}`, 'x.y.z']) expect(verifyJwt(own, clock, bad)).toBeUndefined();
    expect(verifiedTokenCount(own)).toBe(0);
  });

  it('is per key set: a token another key set verified is checked against these keys', async () => {
    const mine = await loadTokenKeys([jwk], ISSUER);
    const other = await loadTokenKeys([await generateSigningKey()], ISSUER);
    const token = signJwt(mine, clock, claims);
    expect(verifyJwt(mine, clock, token)).toEqual(claims);
    expect(verifyJwt(other, clock, token)).toBeUndefined();
  });

  it(`holds at most ${VERIFIED_TOKEN_CACHE_SIZE} tokens, the oldest leaving first`, async () => {
    const own = await loadTokenKeys([jwk], ISSUER);
    const tokens = Array.from({ length: VERIFIED_TOKEN_CACHE_SIZE + 5 }, () => signJwt(own, clock, claims));
    for (const token of tokens) expect(verifyJwt(own, clock, token)).toEqual(claims);
    expect(verifiedTokenCount(own)).toBe(VERIFIED_TOKEN_CACHE_SIZE);
    own.verifyKeys.clear();
    // The newest are still cached; the first five were pushed out and now need the (removed) key.
    expect(verifyJwt(own, clock, tokens.at(-1)!)).toEqual(claims);
    expect(tokens.slice(0, 5).map((token) => verifyJwt(own, clock, token))).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('verification on the thread pool (verifyJwtOffLoop, for tokens presented once)', () => {
  it('gives verifyJwt\'s answer for every token, and answers a token it verified before from the cache, without a hop', async () => {
    const [h, p, s] = signJwt(keys, clock, claims).split('.') as [string, string, string];
    const flipped = Buffer.from(s, 'base64url');
    flipped[7]! ^= 1;
    const tokens = [
      signJwt(keys, clock, claims),
      signJwt(keys, clock, { ...claims, kind: 'partial' }),
      `${h}.${p}.${flipped.toString('base64url')}`,
      forge(header(), goodPayload(), await loadTokenKeys([await generateSigningKey()], ISSUER)),
      forge(header(), { ...goodPayload(), exp: now }),
      forge(header(), { ...goodPayload(), nbf: now + 1 }),
      forge(header(), { ...goodPayload(), iss: 'http://evil.test' }),
      forge({ ...header(), alg: 'none' }, goodPayload()),
      forge({ ...header(), crit: ['x'] }, goodPayload()),
      `${h}.${p}`,
      'x.y.z',
    ];
    const offLoop = await loadTokenKeys([jwk], ISSUER);
    const onLoop = await loadTokenKeys([jwk], ISSUER);
    for (const token of tokens) expect(await verifyJwtOffLoop(offLoop, clock, token), token).toEqual(verifyJwt(onLoop, clock, token));
    // The access token entered the cache; the partial token (HS256, checked on the loop) never does.
    expect(verifiedTokenCount(offLoop)).toBe(1);
    expect(verifyJwtOffLoop(offLoop, clock, tokens[1]!)).not.toBeInstanceOf(Promise);
    const again = verifyJwtOffLoop(offLoop, clock, tokens[0]!);
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toEqual(claims);
    expect(verifyJwtOffLoop(offLoop, clockAt(NOW_MS + 300_000), tokens[0]!)).toBeUndefined();
  });
});

describe('partial tokens (HS256 under a key derived from the signing key)', () => {
  // The derivation written out again here, from RFC 5869's terms, not imported: HKDF-SHA256 of the
  // JWK's Ed25519 seed, salt = kid, the service's fixed info string.
  const partialKeyOf = (key: JWK) =>
    Buffer.from(hkdfSync('sha256', Buffer.from(key.d!, 'base64url'), key.kid!, 'smartgridone-auth partial token HS256 v1', 32));
  const partial = { ...claims, kind: 'partial' as const };
  const partialHeader = () => ({ alg: 'HS256', kid: keys.signingKid, typ: 'JWT' });
  const hmacForge = (head: Record<string, unknown>, payload: unknown, secret: Buffer = partialKeyOf(jwk)) => {
    const input = `${b64(head)}.${b64(payload)}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };

  it('are HS256 JWTs with the signing kid, which jose verifies with the derived key (and not with the JWKS)', async () => {
    const token = signJwt(keys, clock, partial);
    expect(verifies(token)).toEqual(partial);
    const { payload, protectedHeader } = await jwtVerify(token, partialKeyOf(jwk), { issuer: ISSUER, algorithms: ['HS256'], currentDate: new Date(NOW_MS) });
    expect(protectedHeader).toEqual(partialHeader());
    expect(payload).toMatchObject({ sub: claims.userId, typ: 'partial', pwc: claims.passwordChangedAt, exp: now + 300 });
    await expect(jwtVerify(token, createLocalJWKSet({ keys: keys.publicJwks }), { issuer: ISSUER, currentDate: new Date(NOW_MS) })).rejects.toThrow();
    expect(await signJwtOffLoop(keys, clock, partial).then((t) => verifies(t))).toEqual(partial);
  });

  it('accepts one jose signed with the derived key; every instance with the same JWT_SIGNING_KEYS derives it', async () => {
    const token = await new SignJWT({ typ: 'partial', pwc: 5 })
      .setProtectedHeader({ alg: 'HS256', kid: keys.signingKid })
      .setSubject('u1')
      .setIssuer(ISSUER)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(partialKeyOf(jwk));
    expect(verifies(token)).toEqual({ userId: 'u1', kind: 'partial', passwordChangedAt: 5 });
    expect(verifyJwt(await loadTokenKeys([jwk], ISSUER), clock, signJwt(keys, clock, partial))).toEqual(partial);
  });

  it('an HS256 token of any other kind, or an EdDSA partial token, even with a valid signature', () => {
    for (const typ of ['access', 'sudo']) expect(verifies(hmacForge(partialHeader(), { ...goodPayload(), typ })), typ).toBeUndefined();
    expect(verifies(forge(header(), { ...goodPayload(), typ: 'partial' }))).toBeUndefined();
    expect(verifies(hmacForge(partialHeader(), { ...goodPayload(), typ: 'partial' }))?.kind).toBe('partial');
  });

  it('an HMAC under anything but the derived key: the public key (alg confusion), the seed itself, another key\'s', async () => {
    const payload = { ...goodPayload(), typ: 'partial' };
    expect(verifies(hmacForge(partialHeader(), payload, Buffer.from(jwk.x!, 'base64url')))).toBeUndefined();
    expect(verifies(hmacForge(partialHeader(), payload, Buffer.from(jwk.d!, 'base64url')))).toBeUndefined();
    expect(verifies(hmacForge(partialHeader(), payload, partialKeyOf(await generateSigningKey())))).toBeUndefined();
    expect(verifies(hmacForge({ ...partialHeader(), kid: 'someone-else' }, payload))).toBeUndefined();
  });

  it('a tampered payload or signature, a truncated signature, an expired token', () => {
    const [h, p, s] = signJwt(keys, clock, partial).split('.') as [string, string, string];
    const otherUser = b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'another-user' });
    expect(verifies(`${h}.${otherUser}.${s}`)).toBeUndefined();
    const flipped = Buffer.from(s, 'base64url');
    flipped[0]! ^= 1;
    expect(verifies(`${h}.${p}.${flipped.toString('base64url')}`)).toBeUndefined();
    expect(verifies(`${h}.${p}.${Buffer.from(s, 'base64url').subarray(0, 16).toString('base64url')}`)).toBeUndefined();
    expect(verifies(`${h}.${p}.${s}`, clockAt(NOW_MS + 300_000))).toBeUndefined();
  });

  it('rotation: a partial token of a retired key still verifies while the key is configured', async () => {
    const older = await generateSigningKey();
    const fromOld = signJwt(await loadTokenKeys([older], ISSUER), clock, partial);
    expect(verifyJwt(await loadTokenKeys([await generateSigningKey(), older], ISSUER), clock, fromOld)).toEqual(partial);
    expect(verifyJwt(keys, clock, fromOld)).toBeUndefined();
  });
});
