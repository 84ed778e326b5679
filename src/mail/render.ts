import type { Deps } from '../deps.js';
import { CODE_VALID_MINUTES, REQUIRED_VARIABLES } from './constants.js';
import { selectConfiguration, type KindTemplates, type MailConfiguration } from './configurations.js';
import { mailErrors } from './errors.js';
import type { MailKind } from './kinds.js';

export interface MailRequest {
  kind: MailKind;
  to: string;
  /** The `origin` query parameter: selects the configuration (brand) serving it, else the default one. */
  origin?: string;
  /** The `language` query parameter (2 letters): else the configuration's default language. */
  language?: string;
  /** Shown to templates as `it.<name>`, e.g. { code: '123456', email: 'new@example.com' }. */
  variables: Record<string, string>;
  /** Resolved against the configuration's link base; templates see `it.links.<name>` as a full URL. */
  links?: Record<string, { path: string; query: Record<string, string> }>;
}

export interface PreparedMail {
  kind: MailKind;
  /** The configuration id (templates folder name). */
  brand: string;
  language: string;
  to: string;
  /** `"Name" <address>` */
  from: string;
  subject: string;
  html: string;
  text: string;
}

/** Paths come from code, never from a request; anything beyond plain path characters is a bug. */
const SAFE_PATH = /^\/[A-Za-z0-9\-._~/]*$/;

/** `<linkBase><path>?k=v…`, each key and value percent-encoded (so `+`, `&`, `@` survive any parser). */
export function buildLink(linkBase: string, link: { path: string; query: Record<string, string> }): string {
  if (!SAFE_PATH.test(link.path) || link.path.startsWith('//')) throw new Error(`mail link path ${JSON.stringify(link.path)} is not a plain absolute path`);
  const query = Object.entries(link.query)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
  return `${linkBase}${link.path}${query ? `?${query}` : ''}`;
}

/** The requested language when it has this kind, else the default language's; undefined if neither. */
function pickTemplates(configuration: MailConfiguration, kind: MailKind, language: string | undefined): { language: string; templates: KindTemplates } | undefined {
  const wanted = language?.toLowerCase();
  for (const candidate of [wanted, configuration.defaultLanguage]) {
    const templates = candidate ? configuration.templates.get(candidate)?.get(kind) : undefined;
    if (candidate && templates) return { language: candidate, templates };
  }
  return undefined;
}

function quoteDisplayName(name: string): string {
  return `"${name.replace(/["\\\r\n]/g, '')}"`;
}

/**
 * Renders a mail from the preloaded templates; synchronous, and called before anything is stored
 * so a missing template (500 UNABLE_TO_FIND_MAIL_TEMPLATE) leaves no code or outbox row behind.
 */
export function prepareMail(deps: Pick<Deps, 'mail'>, request: MailRequest): PreparedMail {
  const { configurations } = deps.mail;
  const configuration = selectConfiguration(configurations, request.origin);
  const picked = pickTemplates(configuration, request.kind, request.language);
  if (!picked) throw mailErrors('UNABLE_TO_FIND_MAIL_TEMPLATE');

  const required = REQUIRED_VARIABLES[request.kind];
  const missing = [
    ...required.variables.filter((name) => typeof request.variables[name] !== 'string'),
    ...required.links.filter((name) => !request.links?.[name]).map((name) => `links.${name}`),
  ];
  if (missing.length) throw new Error(`mail ${request.kind} needs ${missing.join(', ')}`);

  const links = Object.fromEntries(Object.entries(request.links ?? {}).map(([name, link]) => [name, buildLink(configuration.linkBaseUrl, link)]));
  // Request variables first: they may not replace what the configuration decides (brand, links).
  const data = {
    validMinutes: String(CODE_VALID_MINUTES),
    ...request.variables,
    to: request.to,
    brand: configuration.name,
    language: picked.language,
    linkBase: configuration.linkBaseUrl,
    links,
  };
  const { html: htmlEngine, plain: plainEngine } = configurations.engines;
  // A subject is one header line.
  const subject = picked.templates.subject.call(plainEngine, data).replace(/\s+/g, ' ').trim();
  const htmlBody = picked.templates.html.call(htmlEngine, data);
  const textBody = picked.templates.txt.call(plainEngine, data).trim();
  const layoutData = { ...data, subject };
  const html = configuration.layouts.html ? configuration.layouts.html.call(htmlEngine, { ...layoutData, body: htmlBody }) : htmlBody;
  const text = `${(configuration.layouts.txt ? configuration.layouts.txt.call(plainEngine, { ...layoutData, body: textBody }) : textBody).trim()}\n`;

  return {
    kind: request.kind,
    brand: configuration.id,
    language: picked.language,
    to: request.to,
    from: `${quoteDisplayName(configuration.from.name)} <${configuration.from.address}>`,
    subject,
    html,
    text,
  };
}
