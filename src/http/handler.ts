import type { Request } from 'express';
import type { Deps } from '../deps.js';
import type { AuthContext } from '../tokens/authenticate.js';
import type { HashPermit } from '../crypto/hash-limiter.js';

type BodyOf<D> = D extends { body: infer B } ? B : D extends { body?: infer B } ? B : undefined;
type PathOf<D> = D extends { path: infer P } ? P : undefined;
type QueryOf<D> = D extends { query?: infer Q } ? (undefined extends Q ? Partial<NonNullable<Q>> : Q) : undefined;

/** What a handler sees: the validated request, the caller's identity and the service's dependencies. */
export interface OperationContext<D, A> {
  body: BodyOf<D>;
  query: QueryOf<D>;
  /** Path parameters, validated and coerced by the spec. */
  path: PathOf<D>;
  auth: A;
  deps: Deps;
  req: Request;
  /** Set for the operations that hash a password (http/hash-admission.ts): every hash runs through it. */
  hashPermit?: HashPermit;
}

/** A handler's answer: one of the operation's documented statuses with its body type. */
export type Reply<R> = { [S in keyof R & number]: { status: S; body: R[S]; contentType?: string; headers?: Record<string, string> } }[keyof R & number];

/** An operation that takes a token: `D`/`R` are the generated `*Data` and `*Responses` types. */
export type Handler<D, R> = (ctx: OperationContext<D, AuthContext>) => Promise<Reply<R>>;
/** An operation with `security: []`. */
export type PublicHandler<D, R> = (ctx: OperationContext<D, undefined>) => Promise<Reply<R>>;

// Reply helpers: the writer in operations.ts turns them into bytes.
export const ok = <B>(body: B) => ({ status: 200 as const, body });
/** 200 with the JSON body `null` (the contract's "success without content"). */
export const okNull = () => ({ status: 200 as const, body: null });
export const okText = (body: string, contentType = 'text/plain') => ({ status: 200 as const, body, contentType });
export const noContent = () => ({ status: 204 as const, body: undefined as void });
