import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../project-root.js';

/** openapi.yaml, the single source of truth, read once at start. */
export const SPEC_PATH = join(PROJECT_ROOT, 'openapi.yaml');

export function loadSpecText(): string {
  return readFileSync(SPEC_PATH, 'utf8');
}

/** A fresh parsed copy: the validator annotates the document it is given. */
export function parseSpec(specText: string): Record<string, any> {
  return parse(specText);
}
