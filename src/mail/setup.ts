import type { Config } from '../config/index.js';
import { createMailBlocklist, type MailBlocklist } from './blocklist.js';
import { loadMailConfigurations, type MailConfigurations } from './configurations.js';
import { OutboxSignal } from './signal.js';

/** The mail part of Deps: loaded once at start, shared by every request. */
export interface MailDeps {
  configurations: MailConfigurations;
  blocklist: MailBlocklist;
  signal: OutboxSignal;
}

/** Throws MailConfigurationError when the templates folder is broken: the service must not start. */
export function createMailDeps(config: Pick<Config, 'templatesDir' | 'blockedMailDomains'>): MailDeps {
  return {
    configurations: loadMailConfigurations(config.templatesDir),
    blocklist: createMailBlocklist(config.blockedMailDomains),
    signal: new OutboxSignal(),
  };
}
