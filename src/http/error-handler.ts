import { operationIdOf } from './operation-id.js';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
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
 * The one place a failure becomes a response: `{statusCode, error, message}` (+ extras).
 * Bodies are written with `send`, not `json`, so a broken error can never loop through the
 * response validator. 5xx bodies carry a code only; the detail goes to the log.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let status = 500;
    let message = 'INTERNAL_SERVER_ERROR';
    let extras: Record<string, unknown> = {};

    if (err instanceof ApiError) {
      ({ status, code: message, extras } = err);
    } else if (isValidatorError(err) && err.status >= 400 && err.status < 500) {
      status = err.status;
      message = status === 400 ? validationMessage(err) : (CLIENT_ERROR_CODES[status] ?? validationMessage(err));
    } else if (err?.type === 'entity.parse.failed') {
      status = 400;
      message = 'body is not valid JSON';
    } else if (err?.type === 'entity.too.large') {
      status = 413;
      message = 'PAYLOAD_TOO_LARGE';
    }

    // A shed request (503 ApiError, e.g. SERVER_BUSY) is the service protecting itself, not a
    // failure: logging each would put a flood's cost back on the event loop.
    if (status >= 500 && !(err instanceof ApiError && status === 503)) {
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
