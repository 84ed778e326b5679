import { pino, type Logger } from 'pino';

/**
 * Structured logs. Bodies are never logged; the paths below are redacted anyway in case an
 * error object or a future log line carries them.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'smartgridone-auth' },
    redact: {
      paths: [
        'authorization', '*.authorization', 'req.headers.authorization', 'headers.authorization',
        'password', '*.password', 'oldPassword', '*.oldPassword', 'newPassword', '*.newPassword',
        'otp', '*.otp', 'totp', '*.totp', 'recoveryCode', '*.recoveryCode', 'code', '*.code',
        'token', '*.token', 'refreshToken', '*.refreshToken', 'accessToken', '*.accessToken',
        'sudoToken', '*.sudoToken', 'partialToken', '*.partialToken', 'secret', '*.secret',
      ],
      censor: '[redacted]',
    },
  });
}
