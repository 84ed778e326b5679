import { normalizeOrigin } from './configurations.js';

/** The `origin` and `language` query parameters of a mail-sending call, as far as they are usable. */
export interface MailChoice {
  origin?: string;
  language?: string;
}

/** C0 controls (NUL among them, which PostgreSQL text cannot hold) and DEL. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const LANGUAGE = /^[A-Za-z]{2}$/;

/**
 * What a mail-sending endpoint keeps of its `origin`/`language` query: a value that cannot be an
 * origin or a language (a control character anywhere, which the URL parser would otherwise
 * strip from the ends; not a URL; not two letters) is dropped, exactly like an unknown one, so
 * the default brand and language are used and nothing unstorable reaches the database.
 */
export function mailChoice(query: { origin?: string; language?: string } | undefined): MailChoice {
  const origin = query?.origin !== undefined && !CONTROL_CHARACTER.test(query.origin) ? normalizeOrigin(query.origin) : undefined;
  const language = query?.language !== undefined && LANGUAGE.test(query.language) ? query.language.toLowerCase() : undefined;
  return { ...(origin ? { origin } : {}), ...(language ? { language } : {}) };
}
