import { loadSpecText, parseSpec } from '../../src/http/spec.js';
import { signJwt } from '../../src/tokens/jwt.js';
import { hashRefreshToken } from '../../src/tokens/refresh-token.js';
import type { Deps } from '../../src/deps.js';
import type { JwtKind } from '../../src/tokens/constants.js';

/** One operation of openapi.yaml, with what a valid request to it needs. */
export interface SpecOperation {
  operationId: string;
  method: string;
  /** The URL path, path parameters filled in with their examples. */
  path: string;
  /** The security scheme (= token policy), undefined for `security: []`. */
  scheme?: string;
  /** The request body's JSON schema (dereferenced one level) and example, when it has one. */
  bodySchema?: Record<string, any>;
  bodyExample?: unknown;
  queryParameters: { name: string; schema: Record<string, any> }[];
  /** Each path parameter's example, to fill the path template. */
  pathExamples: Record<string, string>;
  statuses: string[];
}

const spec = parseSpec(loadSpecText());

/** Follows `#/components/...` references (the spec's own, no remote ones). */
export function deref<T = Record<string, any>>(node: any): T {
  let current = node;
  while (current && typeof current === 'object' && typeof current.$ref === 'string') {
    current = current.$ref.replace(/^#\//, '').split('/').reduce((at: any, key: string) => at[key], spec);
  }
  return current as T;
}

export const specOperations: SpecOperation[] = Object.entries(spec.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => {
    const json = op.requestBody?.content?.['application/json'];
    return {
      operationId: op.operationId as string,
      method: method.toUpperCase(),
      // Path parameters take their examples: a concrete URL the router matches.
      path: path.replace(/\{(\w+)\}/g, (_, name: string) => String((op.parameters ?? []).map(deref).find((p: any) => p.in === 'path' && p.name === name)?.example)),
      scheme: op.security?.[0] ? Object.keys(op.security[0])[0] : undefined,
      bodySchema: json ? deref(json.schema) : undefined,
      bodyExample: json?.example,
      queryParameters: (op.parameters ?? []).map(deref).filter((p: any) => p.in === 'query').map((p: any) => ({ name: p.name, schema: p.schema })),
      pathExamples: Object.fromEntries((op.parameters ?? []).map(deref).filter((p: any) => p.in === 'path').map((p: any) => [p.name, String(p.example)])),
      statuses: Object.keys(op.responses),
    };
  }),
);

/** Operations that need no database: their answers must not change when it is away. */
export const DATABASE_FREE_OPERATIONS = ['getHealth', 'getMetrics', 'getOpenApiSpec', 'getApiReference', 'getJwks'];

/** The JWT kind each security scheme is named after (the token a client would send). */
const JWT_KIND_OF_SCHEME: Record<string, JwtKind> = {
  accessToken: 'access',
  accessOrPartialToken: 'partial',
  sudoToken: 'sudo',
  sudoOrAccessWithout2fa: 'sudo',
};

/**
 * A bearer token of the kind the operation's security scheme names, signed with the server's
 * key (JWTs; access and sudo ones carry `user.sessionId`), or the given refresh token (whose
 * lookup is the check).
 */
export async function tokenForScheme(
  deps: Pick<Deps, 'keys' | 'clock'>,
  scheme: string | undefined,
  user: { id: string; passwordChangedAt: number; sessionId?: string },
  refreshToken: string,
): Promise<string | undefined> {
  if (!scheme) return undefined;
  if (scheme === 'refreshToken') return refreshToken;
  const kind = JWT_KIND_OF_SCHEME[scheme];
  if (!kind) throw new Error(`unknown security scheme ${scheme}`);
  return signJwt(deps.keys, deps.clock, { userId: user.id, kind, passwordChangedAt: user.passwordChangedAt, sessionId: kind === 'partial' ? undefined : user.sessionId });
}

/** The operation's request as the spec's examples describe it. */
export function exampleRequest(op: SpecOperation, token: string | undefined): { url: string; init: RequestInit } {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (op.bodySchema) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(op.bodyExample ?? {});
  }
  const url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(op.pathExamples[name] ?? name));
  return { url, init: { method: op.method, headers, body } };
}

/** The session a refresh token belongs to (to mint JWTs of that session). */
export async function sessionIdOf(deps: Pick<Deps, 'db'>, refreshToken: string): Promise<string> {
  const row = await deps.db('refresh_tokens').where({ token_hash: hashRefreshToken(refreshToken) }).first('session_id');
  return row.session_id;
}
