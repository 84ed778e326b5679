import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';

function capture() {
  const lines: Record<string, any>[] = [];
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe('log redaction', () => {
  it('hides secrets that reach a log line, but keeps error codes', () => {
    const { log, lines } = capture();
    const err = Object.assign(new Error('duplicate key'), { code: '23505' });
    log.error({ err, body: { password: 'Sturdy-Pass-42', otp: '123456' }, refreshToken: 'abc', variables: { code: '654321' } }, 'failed');
    const [line] = lines;
    expect(line!.err.code).toBe('23505');
    expect(line!.body).toEqual({ password: '[redacted]', otp: '[redacted]' });
    expect(line!.refreshToken).toBe('[redacted]');
    expect(line!.variables.code).toBe('[redacted]');
    expect(JSON.stringify(lines)).not.toMatch(/Sturdy-Pass-42|123456|654321/);
  });
});
