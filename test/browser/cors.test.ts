import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_MAX_AGE_S } from '../../src/http/cors.js';
import { startTestServer, type TestServer } from '../support/server.js';

const APP = 'http://app.test:8080'; // through CORS_ORIGINS
const BRAND = 'https://app.gridwise.eu'; // a mail configuration's origin (templates/gridwise)
const FOREIGN = 'https://evil.example';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ corsOrigins: [APP] });
});
afterAll(() => server.close());
// The service itself: a Prism proxy in front (VIA_PRISM_PROXY=1) answers CORS with its own headers.
const apiUrl = () => server.directUrl!;

const preflight = (path: string, origin: string, method = 'POST') =>
  fetch(apiUrl() + path, {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'authorization, content-type' },
  });

const CORS_HEADERS = [
  'access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods',
  'access-control-allow-headers', 'access-control-max-age', 'access-control-expose-headers',
];
const corsHeadersOf = (response: Response) => CORS_HEADERS.filter((name) => response.headers.has(name));

describe('CORS preflight', () => {
  it.each([
    ['CORS_ORIGINS', APP, '/auth/login', 'POST'],
    ['a mail configuration', BRAND, '/user/2fa', 'GET'], // a token-protected operation: no token needed
    ['a mail configuration', BRAND, '/user/password/otp', 'PUT'],
  ])('answers an origin from %s with 204 and the CORS headers, without a token (%s %s)', async (_from, origin, path, method) => {
    const response = await preflight(path, origin, method);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toBe(CORS_ALLOW_METHODS);
    expect(response.headers.get('access-control-allow-methods')).toContain(method);
    expect(response.headers.get('access-control-allow-headers')).toBe(CORS_ALLOW_HEADERS);
    expect(response.headers.get('access-control-max-age')).toBe(String(CORS_MAX_AGE_S));
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
    expect(await response.text()).toBe('');
  });

  it.each([FOREIGN, 'null', `${APP}.evil.example`, 'http://app.test'])('gives %s no CORS header at all', async (origin) => {
    const response = await preflight('/auth/login', origin);
    expect(response.status).not.toBe(204);
    expect(corsHeadersOf(response)).toEqual([]);
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
  });
});

describe('CORS on actual responses', () => {
  it('an allowed origin gets Allow-Origin, Allow-Credentials and Expose-Headers: retry-after, also on an error', async () => {
    for (const [path, status] of [['/healthz', 200], ['/auth/accesstoken', 401]] as const) {
      const response = await fetch(apiUrl() + path, { headers: { Origin: APP } });
      expect(response.status).toBe(status);
      expect(response.headers.get('access-control-allow-origin')).toBe(APP);
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      expect(response.headers.get('access-control-expose-headers')).toBe('retry-after');
      expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
    }
  });

  it('another origin is served as without CORS: same status and body, no CORS header', async () => {
    const plain = await fetch(apiUrl() + '/auth/accesstoken');
    const foreign = await fetch(apiUrl() + '/auth/accesstoken', { headers: { Origin: FOREIGN } });
    expect(foreign.status).toBe(plain.status);
    expect(await foreign.text()).toBe(await plain.text());
    expect(corsHeadersOf(foreign)).toEqual([]);
    expect(corsHeadersOf(plain)).toEqual([]);
  });
});

describe('CORS_ORIGINS', () => {
  const load = (value: string) => loadConfig({ NODE_ENV: 'test', DATA_DIR: '.data/test', CORS_ORIGINS: value });

  it('takes a comma list of origins (a trailing slash is tolerated)', async () => {
    expect((await load(' https://a.example , http://localhost:5173/ ')).corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
    expect((await loadConfig({ NODE_ENV: 'test', DATA_DIR: '.data/test' })).corsOrigins).toEqual([]);
  });

  it.each(['*', 'https://*.example.com', 'app.example.com', 'https://app.example.com/path', 'ftp://app.example.com', 'null'])('refuses %s, naming the variable', async (value) => {
    await expect(load(value)).rejects.toThrow(ConfigError);
    await expect(load(value)).rejects.toThrow(/^CORS_ORIGINS must be a comma list of origins/);
  });
});
