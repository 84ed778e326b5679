import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/http/errors.js';
import { createMailDeps, MailConfigurationError, prepareMail, type MailRequest } from '../../src/mail/index.js';

const deps = { mail: createMailDeps({ templatesDir: 'templates', blockedMailDomains: [] }) };
const request = (overrides: Partial<MailRequest> = {}): MailRequest => ({
  kind: 'password_reset_link',
  to: 'user@example.com',
  variables: { code: '123456' },
  links: { reset: { path: '/reset-password', query: { email: 'user@example.com', otp: '123456' } } },
  ...overrides,
});

const gridwiseConfig = () => JSON.parse(readFileSync(join('templates', 'gridwise', 'config.json'), 'utf8')) as Record<string, unknown>;

const temps: string[] = [];
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A copy of the real templates with `edit` applied: a configuration broken or incomplete on purpose. */
function templatesCopy(edit: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg1-templates-'));
  temps.push(dir);
  cpSync('templates', dir, { recursive: true });
  edit(dir);
  return dir;
}

describe('configuration (brand) by origin', () => {
  it('picks the configuration whose origins contain it', () => {
    const mail = prepareMail(deps, request({ origin: 'https://app.gridwise.eu', language: 'en' }));
    expect(mail).toMatchObject({ brand: 'gridwise', from: '"GridWise" <no-reply@gridwise.eu>' });
    expect(mail.text).toContain('https://app.gridwise.eu/account/reset-password?email=user%40example.com&otp=123456');
    expect(mail.html).toContain('GridWise');
  });

  it('compares origins as origins (case of the host, default port, a trailing slash)', () => {
    expect(prepareMail(deps, request({ origin: 'https://APP.GridWise.eu:443/' })).brand).toBe('gridwise');
  });

  it('falls back to the default configuration for an unknown origin, and never writes that origin into the mail', () => {
    const origin = 'https://phish.example.net';
    const mail = prepareMail(deps, request({ origin }));
    expect(mail.brand).toBe('smartgridone');
    expect(mail.text).toContain('https://app.smartgridone.com/reset-password?');
    for (const part of [mail.subject, mail.html, mail.text, mail.from]) expect(part).not.toContain('phish');
  });

  it('uses the default configuration without an origin, or with one that is not a URL', () => {
    expect(prepareMail(deps, request()).brand).toBe('smartgridone');
    expect(prepareMail(deps, request({ origin: 'not a url <b>' })).brand).toBe('smartgridone');
  });
});

describe('language', () => {
  it('uses the requested language when the configuration has it', () => {
    const mail = prepareMail(deps, request({ language: 'de' }));
    expect(mail.language).toBe('de');
    expect(mail.subject).toBe('Setzen Sie Ihr SmartgridOne-Passwort zurück');
    expect(prepareMail(deps, request({ language: 'FR' })).language).toBe('fr');
  });

  it("falls back to the configuration's default language for an unknown one", () => {
    expect(prepareMail(deps, request({ language: 'xx' })).language).toBe('en');
    const gridwise = prepareMail(deps, request({ origin: 'https://app.gridwise.eu', language: 'es' }));
    expect(gridwise.language).toBe('nl');
    expect(gridwise.subject).toBe('Stel uw GridWise-wachtwoord opnieuw in');
  });
});

describe('incomplete and broken configurations', () => {
  const incomplete = createMailDeps({
    blockedMailDomains: [],
    templatesDir: templatesCopy((dir) => {
      // gridwise lacks password_reset_link in German and in its default language (nl); English keeps it.
      for (const language of ['de', 'nl']) for (const part of ['subject', 'html', 'txt']) rmSync(join(dir, 'gridwise', language, `password_reset_link.${part}.eta`));
    }),
  });
  const gridwise = { origin: 'https://app.gridwise.eu' };

  it('loads, and names the holes', () => {
    expect(incomplete.configurations.warnings).toEqual(['gridwise/nl/password_reset_link: missing', 'gridwise/de/password_reset_link: missing']);
  });

  it('answers 500 UNABLE_TO_FIND_MAIL_TEMPLATE when neither the language nor the default has the template', () => {
    let error: unknown;
    try {
      prepareMail({ mail: incomplete }, request({ ...gridwise, language: 'de' }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 500, code: 'UNABLE_TO_FIND_MAIL_TEMPLATE' });
  });

  it('still serves a language that has it, and other kinds', () => {
    expect(prepareMail({ mail: incomplete }, request({ ...gridwise, language: 'en' })).language).toBe('en');
    expect(prepareMail({ mail: incomplete }, request({ ...gridwise, language: 'de', kind: 'password_reset_code' })).language).toBe('de');
  });

  it('falls back to the default language when only the requested one lacks the template', () => {
    const dir = templatesCopy((d) => ['subject', 'html', 'txt'].forEach((part) => rmSync(join(d, 'smartgridone', 'fr', `email_otp_setup.${part}.eta`))));
    const mail = createMailDeps({ templatesDir: dir, blockedMailDomains: [] });
    expect(prepareMail({ mail }, request({ kind: 'email_otp_setup', language: 'fr' })).language).toBe('en');
  });

  it.each([
    ['invalid JSON', (d: string) => writeFileSync(join(d, 'gridwise', 'config.json'), '{ "name": '), /not valid JSON/],
    ['a template syntax error', (d: string) => writeFileSync(join(d, 'gridwise', 'en', 'email_otp_setup.html.eta'), '<%= it.code'), /email_otp_setup\.html\.eta/],
    ['a misspelt template file', (d: string) => writeFileSync(join(d, 'gridwise', 'en', 'pasword_reset_code.txt.eta'), 'x'), /pasword_reset_code/],
    ['a kind with some parts only', (d: string) => rmSync(join(d, 'gridwise', 'en', 'email_otp_setup.txt.eta')), /not txt/],
    ['two default configurations', (d: string) => writeFileSync(join(d, 'gridwise', 'config.json'), JSON.stringify({ ...gridwiseConfig(), default: true })), /exactly one/],
    ['a default language it does not list', (d: string) => writeFileSync(join(d, 'gridwise', 'config.json'), JSON.stringify({ ...gridwiseConfig(), defaultLanguage: 'es' })), /defaultLanguage/],
  ])('refuses to start with %s', (_name, edit, message) => {
    const templatesDir = templatesCopy(edit);
    expect(() => createMailDeps({ templatesDir, blockedMailDomains: [] })).toThrow(MailConfigurationError);
    expect(() => createMailDeps({ templatesDir, blockedMailDomains: [] })).toThrow(message);
  });
});

describe('request checks', () => {
  it('refuses a kind rendered without the variable it shows (a bug, not a client error)', () => {
    expect(() => prepareMail(deps, { kind: 'email_otp_challenge', to: 'a@example.com', variables: {} })).toThrow('needs code');
    expect(() => prepareMail(deps, { kind: 'password_reset_link', to: 'a@example.com', variables: {} })).toThrow('needs links.reset');
  });

  it('refuses a link path that could leave the link base', () => {
    for (const path of ['//evil.example/x', 'https://evil.example', '/a?b=c', '/a#b']) {
      expect(() => prepareMail(deps, request({ links: { reset: { path, query: {} } } }))).toThrow(/not a plain absolute path/);
    }
  });

  it('does not let variables replace what the configuration decides', () => {
    const mail = prepareMail(deps, request({ variables: { brand: 'Evil Corp', links: 'x', code: '1' } as Record<string, string> }));
    expect(mail.html).not.toContain('Evil Corp');
    expect(mail.text).toContain('https://app.smartgridone.com/reset-password');
  });
});

