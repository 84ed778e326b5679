import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Eta, type TemplateFunction } from 'eta';
import { MAIL_KINDS, TEMPLATE_PARTS, type TemplatePart } from './constants.js';
import { MailConfigurationError } from './errors.js';
import type { MailKind } from './kinds.js';

/** `templates/<id>/config.json`, as written by whoever adds a brand. */
interface ConfigFile {
  /** Display name, shown in mails as `it.brand`. */
  name: string;
  /** Exactly one configuration says `true`; it serves every origin the others do not. */
  default?: boolean;
  /** Origins (scheme://host[:port]) whose `origin` query parameter selects this configuration. */
  origins: string[];
  from: { address: string; name: string };
  /** Where links in mails point, e.g. https://app.smartgridone.com (a path prefix is kept). */
  linkBaseUrl: string;
  defaultLanguage: string;
  languages: string[];
}

/** A kind's three compiled parts for one language. */
export type KindTemplates = Record<TemplatePart, TemplateFunction>;

export interface MailConfiguration {
  /** The folder name; stored on each outbox row. */
  id: string;
  name: string;
  isDefault: boolean;
  origins: string[];
  from: { address: string; name: string };
  linkBaseUrl: string;
  defaultLanguage: string;
  languages: string[];
  layouts: { html?: TemplateFunction; txt?: TemplateFunction };
  /** language → kind → parts; a kind may be missing (that is a 500 when it is needed). */
  templates: Map<string, Map<MailKind, KindTemplates>>;
}

export interface MailConfigurations {
  /** Absolute templates directory they came from. */
  dir: string;
  all: MailConfiguration[];
  default: MailConfiguration;
  /** Rendering engines: HTML escapes every `<%= %>`, subject and text do not. */
  engines: { html: Eta; plain: Eta };
  /** Language × kind holes, for a start-up log line (not fatal: the contract has a 500 for it). */
  warnings: string[];
}

const LANGUAGE = /^[a-z]{2}$/;
const TEMPLATE_FILE = /^([a-z_]+)\.(subject|html|txt)\.eta$/;
const LAYOUT_FILES = { html: 'layout.html.eta', txt: 'layout.txt.eta' } as const;

/** Normalises an origin (scheme, host, port) for comparison; undefined when it is not a URL. */
export function normalizeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

function createEngines(): MailConfigurations['engines'] {
  // Templates are compiled here, once; rendering never touches the file system. Text keeps every
  // newline as written (a control line ends in `-%>` to drop its own); HTML does not care.
  return {
    html: new Eta({ cache: false, autoEscape: true, autoTrim: [false, 'nl'] }),
    plain: new Eta({ cache: false, autoEscape: false, autoTrim: false }),
  };
}

function compile(engine: Eta, file: string): TemplateFunction {
  try {
    return engine.compile(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MailConfigurationError(`${file}: ${(err as Error).message}`);
  }
}

function parseConfigFile(file: string): ConfigFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MailConfigurationError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const c = raw as Partial<ConfigFile>;
  const problem = (what: string) => new MailConfigurationError(`${file}: ${what}`);
  if (!c || typeof c !== 'object') throw problem('must be a JSON object');
  if (typeof c.name !== 'string' || !c.name) throw problem('"name" must be a non-empty string');
  if (c.default !== undefined && typeof c.default !== 'boolean') throw problem('"default" must be true or false');
  if (!Array.isArray(c.origins) || !c.origins.every((o) => typeof o === 'string' && normalizeOrigin(o) === o.replace(/\/$/, ''))) {
    throw problem('"origins" must be a list of origins like "https://app.example.com" (no path)');
  }
  if (!c.from || typeof c.from.address !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(c.from.address) || typeof c.from.name !== 'string') {
    throw problem('"from" must be { "address": "no-reply@example.com", "name": "Example" }');
  }
  if (typeof c.linkBaseUrl !== 'string' || !/^https?:$/.test(safeProtocol(c.linkBaseUrl))) throw problem('"linkBaseUrl" must be an http(s) URL');
  if (!Array.isArray(c.languages) || !c.languages.length || !c.languages.every((l) => typeof l === 'string' && LANGUAGE.test(l))) {
    throw problem('"languages" must be a non-empty list of 2-letter lower-case codes');
  }
  if (typeof c.defaultLanguage !== 'string' || !c.languages.includes(c.defaultLanguage)) throw problem('"defaultLanguage" must be one of "languages"');
  return c as ConfigFile;
}

function safeProtocol(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}

function loadConfiguration(dir: string, id: string, engines: MailConfigurations['engines'], warnings: string[]): MailConfiguration {
  const file = parseConfigFile(join(dir, 'config.json'));
  const layouts: MailConfiguration['layouts'] = {};
  if (existsSync(join(dir, LAYOUT_FILES.html))) layouts.html = compile(engines.html, join(dir, LAYOUT_FILES.html));
  if (existsSync(join(dir, LAYOUT_FILES.txt))) layouts.txt = compile(engines.plain, join(dir, LAYOUT_FILES.txt));

  const templates = new Map<string, Map<MailKind, KindTemplates>>();
  for (const language of file.languages) {
    const languageDir = join(dir, language);
    const kinds = new Map<MailKind, KindTemplates>();
    templates.set(language, kinds);
    if (!existsSync(languageDir)) {
      warnings.push(`${id}/${language}: no templates`);
      continue;
    }
    const parts = new Map<MailKind, Partial<KindTemplates>>();
    for (const name of readdirSync(languageDir)) {
      const match = TEMPLATE_FILE.exec(name);
      const kind = match?.[1] as MailKind | undefined;
      // A misspelt file would silently be "missing" at run time: refuse it now.
      if (!match || !kind || !MAIL_KINDS.includes(kind)) throw new MailConfigurationError(`${join(languageDir, name)}: not <kind>.{subject,html,txt}.eta for a known kind`);
      const part = match[2] as TemplatePart;
      const engine = part === 'html' ? engines.html : engines.plain;
      parts.set(kind, { ...parts.get(kind), [part]: compile(engine, join(languageDir, name)) });
    }
    for (const kind of MAIL_KINDS) {
      const found = parts.get(kind);
      if (!found) {
        warnings.push(`${id}/${language}/${kind}: missing`);
        continue;
      }
      const absent = TEMPLATE_PARTS.filter((part) => !found[part]);
      if (absent.length) throw new MailConfigurationError(`${languageDir}/${kind}: has some parts but not ${absent.join(', ')}`);
      kinds.set(kind, found as KindTemplates);
    }
  }
  return {
    id,
    name: file.name,
    isDefault: file.default === true,
    origins: file.origins.map((o) => normalizeOrigin(o)!),
    from: file.from,
    linkBaseUrl: file.linkBaseUrl.replace(/\/+$/, ''),
    defaultLanguage: file.defaultLanguage,
    languages: file.languages,
    layouts,
    templates,
  };
}

/**
 * Reads and compiles every configuration under `templatesDir` (one folder each, with config.json).
 * Synchronous and done once at start: anything broken throws MailConfigurationError so the service
 * does not start; a configuration merely lacking a kind's template is allowed (warned).
 */
export function loadMailConfigurations(templatesDir: string): MailConfigurations {
  const dir = resolve(templatesDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new MailConfigurationError(`templates directory ${dir} does not exist (TEMPLATES_DIR)`);
  const engines = createEngines();
  const warnings: string[] = [];
  const all = readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory() && existsSync(join(dir, name, 'config.json')))
    .sort()
    .map((id) => loadConfiguration(join(dir, id), id, engines, warnings));
  if (!all.length) throw new MailConfigurationError(`${dir}: no configuration (a folder with config.json)`);
  const defaults = all.filter((c) => c.isDefault);
  if (defaults.length !== 1 && !(all.length === 1 && defaults.length === 0)) {
    throw new MailConfigurationError(`${dir}: exactly one configuration must say "default": true (found ${defaults.map((c) => c.id).join(', ') || 'none'})`);
  }
  const seen = new Map<string, string>();
  for (const c of all) {
    for (const origin of c.origins) {
      if (seen.has(origin)) throw new MailConfigurationError(`${dir}: origin ${origin} is claimed by both ${seen.get(origin)} and ${c.id}`);
      seen.set(origin, c.id);
    }
  }
  return { dir, all, default: defaults[0] ?? all[0]!, engines, warnings };
}

/** The configuration serving `origin`, else the default one (an unknown origin is never used further). */
export function selectConfiguration(configurations: MailConfigurations, origin: string | undefined): MailConfiguration {
  const wanted = origin ? normalizeOrigin(origin) : undefined;
  if (!wanted) return configurations.default;
  return configurations.all.find((c) => c.origins.includes(wanted)) ?? configurations.default;
}
