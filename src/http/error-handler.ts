import { operationIdOf } from './operation-id.js';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { DB_UNAVAILABLE_RETRY_AFTER_S, isDatabaseUnavailable } from '../db/errors.js';
import { ApiError, reasonPhrase } from './errors.js';

interface ValidatorError {
  status: number;
  errors?: { path?: string; message?: string }[];
  message?: string;
}

const isValidatorError = (err: unknown): err is ValidatorError =>
  typeof err === 'object' && err !== null && 'status' in err && Array.isArray((err as ValidatorError).errors);

/** The validator writes "request/body must …"; the contract's text is "body must …". */
function validationMessage(err: ValidatorError): string {
  const first = err.errors?.[0];
  if (!first?.message) return err.message ?? 'Bad Request';
  const where = first.path?.replace(/^\/?(request\/)?/, '').replace(/\//g, '.') ?? '';
  const [location] = where.split('.');
  // "must have required property 'x'" is said of the parent object, so name the location only.
  const subject = first.message.startsWith('must have required property') || first.message.startsWith('must NOT have additional properties') ? location : where;
  return subject ? `${subject} ${first.message}` : first.message;
}

const CLIENT_ERROR_CODES: Record<number, string> = {
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/**
 * body-parser's error types (`err.type`), each with the status and message the client gets.
 * Our own fixed texts: body-parser's messages echo request bytes (a charset name, the body).
 */
const BODY_ERRORS: Record<string, { status: number; message: string }> = {
  'entity.parse.failed': { status: 400, message: 'body is not valid JSON' },
  'entity.too.large': { status: 413, message: 'PAYLOAD_TOO_LARGE' },
  'charset.unsupported': { status: 415, message: 'UNSUPPORTED_CHARSET' },
  'encoding.unsupported': { status: 415, message: 'UNSUPPORTED_CONTENT_ENCODING' },
  'request.aborted': { status: 400, message: 'request aborted before the body was complete' },
  'request.size.invalid': { status: 400, message: 'body length does not match Content-Length' },
  'entity.verify.failed': { status: 400, message: 'body failed verification' },
  'parameters.too.many': { status: 400, message: 'body has too many parameters' },
};

interface HttpishError {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  type?: unknown;
}

/**
 * Any other error that declares itself a client error (http-errors' `expose: true` with a 4xx
 * `status`, as body-parser raises for a `Content-Encoding: gzip` body that is not gzip) keeps
 * its status: such errors are the request's fault, never the server's.
 */
function exposedClientStatus(err: HttpishError): number | undefined {
  const status = typeof err.status === 'number' ? err.status : typeof err.statusCode === 'number' ? err.statusCode : undefined;
  return status !== undefined && status >= 400 && status < 500 && err.expose === true ? status : undefined;
}

/**
 * The one place a failure becomes a response: `{statusCode, error, message}` (+ extras).
 * Bodies are written with `send`, not `json`, so a broken error can never loop through the
 * response validator. 5xx bodies carry a code only; the detail goes to the log.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let status = 500;
    let message = 'INTERNAL_SERVER_ERROR';
    let extras: Record<string, unknown> = {};
    const bodyError = typeof err?.type === 'string' ? BODY_ERRORS[err.type] : undefined;
    const clientStatus = err && typeof err === 'object' ? exposedClientStatus(err) : undefined;

    if (err instanceof ApiError) {
      ({ status, code: message, extras } = err);
    } else if (isValidatorError(err) && err.status >= 400 && err.status < 500) {
      status = err.status;
      message = status === 400 ? validationMessage(err) : (CLIENT_ERROR_CODES[status] ?? validationMessage(err));
    } else if (bodyError) {
      ({ status, message } = bodyError);
    } else if (clientStatus !== undefined) {
      status = clientStatus;
      message = status === 400 ? 'body cannot be read (does it match its Content-Encoding?)' : (CLIENT_ERROR_CODES[status] ?? 'BAD_REQUEST');
    } else if (isDatabaseUnavailable(err)) {
      status = 503;
      message = 'SERVICE_UNAVAILABLE';
      extras = { retryAfter: DB_UNAVAILABLE_RETRY_AFTER_S };
    }

    if (status === 503 && message === 'SERVICE_UNAVAILABLE') {
      // An outage is one line per request, not a stack trace each.
      log.warn({ err: { code: err?.code, message: err?.message }, operation: operationIdOf(req) }, 'database unavailable');
    } else if (status >= 500 && !(err instanceof ApiError && status === 503)) {
      // A shed request (503 ApiError, e.g. SERVER_BUSY) is the service protecting itself, not a
      // failure: logging each would put a flood's cost back on the event loop.
      log.error({ err, operation: operationIdOf(req), path: req.path }, 'request failed');
    }
    if (res.headersSent) return;
    if ((status === 429 || status === 503) && typeof extras.retryAfter === 'number') res.setHeader('Retry-After', String(extras.retryAfter));
    res
      .status(status)
      .type('application/json')
      .send(JSON.stringify({ statusCode: status, error: reasonPhrase(status), message, ...extras }));
  };
}
