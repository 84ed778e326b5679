import { pino, type DestinationStream, type Logger } from 'pino';

/** Paths redacted in every log line, in case an error object or a future log call carries them. */
const REDACTED_PATHS = [
  'authorization', '*.authorization', 'req.headers.authorization', 'headers.authorization',
  'password', '*.password', 'oldPassword', '*.oldPassword', 'newPassword', '*.newPassword',
  'otp', '*.otp', 'totp', '*.totp', 'recoveryCode', '*.recoveryCode',
  // Not a bare 'code': errors carry theirs (err.code, e.g. a PostgreSQL SQLSTATE) and it must show.
  'variables.code', '*.variables.code',
  'token', '*.token', 'refreshToken', '*.refreshToken', 'accessToken', '*.accessToken',
  'sudoToken', '*.sudoToken', 'partialToken', '*.partialToken', 'secret', '*.secret',
  // PostgreSQL's error detail quotes row values ("Failing row contains (…)", "Key (email)=(…)"):
  // a failed outbox insert would log the rendered mail. The SQLSTATE (err.code) says enough.
  'err.detail', 'err.where', 'err.internalQuery', 'err.cause.detail',
];

/** Structured JSON logs. Request and response bodies are never logged. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { level, base: { service: 'smartgridone-auth' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination,
  );
}
