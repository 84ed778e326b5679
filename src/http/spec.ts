import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** openapi.yaml, the single source of truth, read once at start. */
export const SPEC_PATH = new URL('../../openapi.yaml', import.meta.url);

export function loadSpecText(): string {
  return readFileSync(SPEC_PATH, 'utf8');
}

/** A fresh parsed copy: the validator annotates the document it is given. */
export function parseSpec(specText: string): Record<string, any> {
  return parse(specText);
}
