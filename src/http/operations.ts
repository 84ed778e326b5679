import type { Request, RequestHandler, Response } from 'express';
import type { AddressLimits } from '../address-limits/guard.js';
import type { Deps } from '../deps.js';
import { authenticate, TOKEN_POLICIES, type TokenPolicy, type UserRowCheck } from '../tokens/authenticate.js';
import { admittedPermit, HASHING_OPERATIONS } from './hash-admission.js';
import { handlers, type AnyHandler } from './registry.js';
import { clientInfoOf } from './request-context.js';

interface OperationSchema {
  operationId?: string;
  security?: Record<string, string[]>[];
}

interface RouteMetadata {
  openApiRoute: string;
  method: string;
}

/** Schemes that are not a user's token: the handler checks them itself (GET /metrics: src/ops/metrics-access.ts). */
const HANDLER_CHECKED_SCHEMES: readonly string[] = ['metricsToken'];

/**
 * Operations whose one statement also checks the token's user row (and answers INVALID_TOKEN),
 * so the token check makes no round trip of its own. Each has a test with a voided token.
 */
const USER_ROW_CHECKED_IN_OPERATION: ReadonlySet<string> = new Set(['verifyTotp', 'verifyRecoveryCodes', 'verifyEmailOtpAuthentication']);

/** Operations whose one statement does the whole online token check (user row and session). */
const TOKEN_CHECKED_IN_OPERATION: ReadonlySet<string> = new Set(['getTwoFa']);

/** The operation's token policy is the name of its (single) security scheme; none for `security: []`. */
export function tokenPolicyOf(schema: OperationSchema): TokenPolicy | undefined {
  const scheme = schema.security?.[0] && Object.keys(schema.security[0])[0];
  if (!scheme || HANDLER_CHECKED_SCHEMES.includes(scheme)) return undefined;
  if (!(TOKEN_POLICIES as readonly string[]).includes(scheme)) throw new Error(`unknown security scheme ${scheme} on ${schema.operationId}`);
  return scheme as TokenPolicy;
}

function writeReply(res: Response, reply: { status: number; body: unknown; contentType?: string; headers?: Record<string, string> }): void {
  res.status(reply.status);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.status === 204) res.end();
  else if (reply.contentType) res.type(reply.contentType).send(reply.body);
  // The validator hooks res.json and refuses a null body; the contract's `null` is written as bytes.
  else if (reply.body === null) res.type('application/json').send('null');
  else res.json(reply.body);
}

/**
 * express-openapi-validator's resolver: each spec operation gets (hash admission) → per-address
 * limit → token check → handler → reply. Runs after request validation, so handlers only ever see valid input.
 */
export function operationResolver(deps: Deps, addressLimits: AddressLimits) {
  return (_basePath: string, route: RouteMetadata, apiDoc: { paths: Record<string, Record<string, OperationSchema>> }): RequestHandler => {
    const schema = apiDoc.paths[route.openApiRoute]![route.method.toLowerCase()]!;
    const handler: AnyHandler | undefined = handlers[schema.operationId as keyof typeof handlers];
    // The type check guarantees a handler per generated operation; a spec edited without
    // regenerating is the only way here.
    if (!handler) throw new Error(`no handler for operation ${schema.operationId}: run npm run generate`);
    const policy = tokenPolicyOf(schema);
    const limitAddress = addressLimits.guard(schema.operationId);
    const hashes = HASHING_OPERATIONS.has(schema.operationId!);
    const userRowCheck: UserRowCheck = TOKEN_CHECKED_IN_OPERATION.has(schema.operationId!)
      ? 'allInOperation'
      : USER_ROW_CHECKED_IN_OPERATION.has(schema.operationId!) ? 'inOperation' : 'here';
    return async (req: Request, res: Response) => {
      // This request's deps: the service's, and its client (recorded with sessions and events).
      const requestDeps: Deps = { ...deps, client: clientInfoOf(req) };
      // Before the token check or any query (taken by hashAdmission ahead of the validator): past
      // the hash queue the answer is an immediate 503 SERVER_BUSY that cost no database work.
      const hashPermit = hashes ? admittedPermit(res, deps.hashLimiter) : undefined;
      try {
        if (limitAddress) await limitAddress(req);
        const { authorization, cookie, origin } = req.headers;
        const auth = policy ? await authenticate(requestDeps, policy, { authorization, cookie, origin }, userRowCheck) : undefined;
        const reply = await (handler as AnyHandler)({ body: req.body, query: req.query, path: req.params, auth, deps: requestDeps, req, hashPermit } as never);
        writeReply(res, reply as never);
      } finally {
        hashPermit?.release();
      }
    };
  };
}
