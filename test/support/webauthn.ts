import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  WebauthnAuthenticationResponse, WebauthnCreationOptions, WebauthnRegistrationResponse, WebauthnRequestOptions,
} from '../../generated/types.gen.js';

/**
 * A software authenticator for the tests, written from the WebAuthn and CTAP2 specs with node:crypto
 * only (ES256 keys, authenticator data, clientDataJSON, `none` attestation, a minimal CBOR
 * writer), so the tests do not check @simplewebauthn against itself. The browser test uses
 * Chromium's own virtual authenticator instead.
 */

// ---- a minimal CBOR writer (RFC 8949): unsigned/negative integers, byte and text strings, maps
type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

// ---- authenticator data (WebAuthn §6.1)
export const FLAG_UP = 0x01;
export const FLAG_UV = 0x04;
export const FLAG_AT = 0x40;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64url = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');

function authenticatorData(rpId: string, flags: number, signCount: number, attested?: Buffer): Buffer {
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(signCount);
  return Buffer.concat([sha256(rpId), Buffer.from([flags]), counter, ...(attested ? [attested] : [])]);
}

/** COSE_Key of an EC2 P-256 public key, alg ES256 (RFC 9053 §7.1.1, §2.1). */
function coseKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return cbor(new Map<Cbor, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]));
}

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  userHandle: string;
  signCount: number;
}

export interface CeremonyOverrides {
  /** The page origin written into clientDataJSON (default: the authenticator's origin). */
  origin?: string;
  /** The RP ID whose hash goes into the authenticator data (default: the options' RP ID). */
  rpId?: string;
  /** User verified (UV flag); default the authenticator's setting. */
  userVerified?: boolean;
  /** The signature counter to write; default: the credential's counter + its step. */
  signCount?: number;
  /** Sign with this credential instead of the first allowed one. */
  credential?: SoftCredential;
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  constructor(
    readonly origin: string,
    readonly options: { userVerification?: boolean; counterStep?: number } = {},
  ) {}

  private get userVerification() {
    return this.options.userVerification ?? true;
  }

  /** navigator.credentials.create(): a new ES256 credential with `none` attestation. */
  register(options: WebauthnCreationOptions, overrides: CeremonyOverrides = {}): WebauthnRegistrationResponse {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const id = randomBytes(32);
    const credential: SoftCredential = { id, privateKey, publicKey, userHandle: options.user.id, signCount: 0 };
    this.credentials.push(credential);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const attested = Buffer.concat([Buffer.alloc(16) /* AAGUID: none */, idLength, id, coseKey(publicKey)]);
    const flags = FLAG_UP | FLAG_AT | ((overrides.userVerified ?? this.userVerification) ? FLAG_UV : 0);
    const authData = authenticatorData(overrides.rpId ?? options.rp.id!, flags, 0, attested);
    const attestationObject = cbor(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientData('webauthn.create', options.challenge, overrides.origin ?? this.origin)),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
    };
  }

  /** navigator.credentials.get(): an assertion by an allowed credential (or any, for discoverable sign-in). */
  assert(options: WebauthnRequestOptions, overrides: CeremonyOverrides = {}): WebauthnAuthenticationResponse {
    const allowed = options.allowCredentials?.map((c) => c.id);
    const credential = overrides.credential ?? this.credentials.find((c) => !allowed?.length || allowed.includes(b64url(c.id)));
    if (!credential) throw new Error('the soft authenticator holds no allowed credential');
    credential.signCount = overrides.signCount ?? credential.signCount + (this.options.counterStep ?? 1);
    const flags = FLAG_UP | ((overrides.userVerified ?? this.userVerification) ? FLAG_UV : 0);
    const authData = authenticatorData(overrides.rpId ?? options.rpId!, flags, credential.signCount);
    const clientDataJSON = clientData('webauthn.get', options.challenge, overrides.origin ?? this.origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
    };
  }
}
