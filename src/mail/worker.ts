import { Counter, type Registry } from 'prom-client';
import type { Deps } from '../deps.js';
import {
  CLAIM_BATCH_SIZE,
  CLAIM_LEASE_MS,
  LAST_ERROR_MAX_LENGTH,
  MAX_BATCHES_PER_WAKE,
  MAX_SEND_ATTEMPTS,
  RETRY_BASE_MS,
  RETENTION_SWEEP_INTERVAL_MS,
  RETRY_CAP_MS,
} from './constants.js';
import { runSweeps } from '../sweep/index.js';
import { claimDueMails, failAbandonedMails, markFailed, markRetry, markSent, type ClaimedMail } from './outbox.js';
import { UNCOUNTED_MAIL_KINDS } from './kinds.js';
import { createTransport, type MailTransport } from './transport.js';

type WorkerDeps = Pick<Deps, 'db' | 'clock' | 'log' | 'config' | 'metrics' | 'mail'>;

export interface MailWorkerOptions {
  /** Default: SMTP over config.smtpUrl, else .eml files under <dataDir>/mail. */
  transport?: MailTransport;
  intervalMs?: number;
  batchSize?: number;
  leaseMs?: number;
  retryBaseMs?: number;
  retryCapMs?: number;
  maxAttempts?: number;
}

export interface PassResult {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
}

/** Delay before try n+1 after n failed tries: base · 2^(n-1), capped. */
export function retryDelayMs(attempts: number, baseMs = RETRY_BASE_MS, capMs = RETRY_CAP_MS): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

function counter(registry: Registry, name: string, help: string): Counter<'kind'> {
  // Several workers may share one registry (tests; a second worker object): register once.
  return (registry.getSingleMetric(name) as Counter<'kind'> | undefined) ?? new Counter({ name, help, labelNames: ['kind'] as const, registers: [registry] });
}

/** A short operator-facing reason: the error's message and SMTP code, never a body. */
function describeError(err: unknown): string {
  const e = err as { message?: string; code?: string; responseCode?: number };
  const text = [e.code, e.responseCode, e.message ?? String(err)].filter((part) => part !== undefined).join(' ');
  return text.slice(0, LAST_ERROR_MAX_LENGTH);
}

/**
 * Delivers the outbox. Each pass leases a small batch in one statement (SKIP LOCKED, so several
 * instances share the work and never take the same row), sends outside any transaction, then
 * settles each row only if it still holds the lease. A worker that dies mid-send loses its lease
 * and the row is sent again later: delivery is exactly once while workers live, at least once if
 * one dies between the SMTP "250 OK" and marking the row sent.
 */
export class MailWorker {
  private readonly transport: MailTransport;
  private readonly settings: Required<Omit<MailWorkerOptions, 'transport'>>;
  private readonly metrics: { sent: Counter<'kind'>; failed: Counter<'kind'>; errors: Counter<'kind'> };
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private wakeAgain = false;
  private stopped = false;
  private lastSweepAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: WorkerDeps,
    options: MailWorkerOptions = {},
  ) {
    this.transport = options.transport ?? createTransport(deps.config, deps.log);
    this.settings = {
      intervalMs: options.intervalMs ?? deps.config.mailWorkerIntervalMs,
      batchSize: options.batchSize ?? CLAIM_BATCH_SIZE,
      leaseMs: options.leaseMs ?? CLAIM_LEASE_MS,
      retryBaseMs: options.retryBaseMs ?? RETRY_BASE_MS,
      retryCapMs: options.retryCapMs ?? RETRY_CAP_MS,
      maxAttempts: options.maxAttempts ?? MAX_SEND_ATTEMPTS,
    };
    const registry = deps.metrics.registry;
    this.metrics = {
      sent: counter(registry, 'mail_sent_total', 'Mails accepted by the SMTP server (or written to a file)'),
      failed: counter(registry, 'mail_failed_total', 'Mails given up after the last attempt'),
      errors: counter(registry, 'mail_send_errors_total', 'Failed delivery attempts (each is retried until the last)'),
    };
  }

  /** Polls on the interval and whenever a mail is committed in this process. */
  start(): this {
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), this.settings.intervalMs);
    this.timer.unref();
    this.unlisten = this.deps.mail.signal.listen(() => this.wake());
    this.wake();
    return this;
  }

  /** Stops polling, lets the current pass finish (bounded by the SMTP timeouts), closes the transport. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unlisten?.();
    await this.running;
    this.transport.close();
  }

  /** Runs passes until nothing is due; concurrent wake-ups fold into one more round. */
  wake(): Promise<void> {
    if (this.running) {
      this.wakeAgain = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.wakeAgain = false;
          await this.drain();
        } while (this.wakeAgain && !this.stopped);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Passes until a batch comes back short. Never throws: SMTP and database errors are logged. */
  async drain(): Promise<PassResult> {
    const total: PassResult = { claimed: 0, sent: 0, retried: 0, failed: 0 };
    for (let i = 0; i < MAX_BATCHES_PER_WAKE && !this.stopped; i++) {
      let pass: PassResult;
      try {
        pass = await this.runPass();
      } catch (err) {
        this.deps.log.error({ error: describeError(err) }, 'mail outbox pass failed; retrying at the next interval');
        break;
      }
      for (const key of Object.keys(total) as (keyof PassResult)[]) total[key] += pass[key];
      if (pass.claimed < this.settings.batchSize) break;
    }
    return total;
  }

  /** One lease-send-settle round over at most batchSize rows. */
  async runPass(): Promise<PassResult> {
    const { db, clock } = this.deps;
    const now = clock.now();
    if (now - this.lastSweepAt >= RETENTION_SWEEP_INTERVAL_MS) {
      this.lastSweepAt = now;
      await runSweeps(this.deps); // finished mails past retention, expired slots, counters, secrets (src/sweep)
    }
    const abandoned = await failAbandonedMails(db, new Date(now), this.settings.maxAttempts);
    if (abandoned) this.deps.log.warn({ count: abandoned }, 'mail given up: lease expired on the last attempt');
    const claimed = await claimDueMails(db, new Date(now), new Date(now + this.settings.leaseMs), this.settings.batchSize, this.settings.maxAttempts);
    const result: PassResult = { claimed: claimed.length, sent: 0, retried: 0, failed: abandoned };
    const outcomes = await Promise.all(claimed.map((mail) => this.deliver(mail)));
    for (const outcome of outcomes) if (outcome) result[outcome]++;
    return result;
  }

  /** Mail metrics by kind, except the kinds that would tell which addresses have an account. */
  private count(metric: 'sent' | 'failed' | 'errors', mail: ClaimedMail): void {
    if (!UNCOUNTED_MAIL_KINDS.has(mail.kind)) this.metrics[metric].inc({ kind: mail.kind });
  }

  private async deliver(mail: ClaimedMail): Promise<'sent' | 'retried' | 'failed' | undefined> {
    const { db, clock, log } = this.deps;
    const about = { outboxId: mail.id, kind: mail.kind, brand: mail.brand, attempt: mail.attempts };
    let error: string;
    try {
      await this.transport.send(mail);
    } catch (err) {
      error = describeError(err);
      this.count('errors', mail);
      try {
        if (mail.attempts >= this.settings.maxAttempts) {
          if (!(await markFailed(db, mail, error))) return undefined;
          this.count('failed', mail);
          log.error({ ...about, error }, 'mail given up after the last attempt');
          return 'failed';
        }
        const delay = retryDelayMs(mail.attempts, this.settings.retryBaseMs, this.settings.retryCapMs);
        if (!(await markRetry(db, mail, new Date(clock.now() + delay), error))) return undefined;
        log.warn({ ...about, error, retryInMs: delay }, 'mail not delivered; will retry');
        return 'retried';
      } catch (dbErr) {
        // The lease runs out and the row is tried again: nothing is lost.
        log.error({ ...about, error: describeError(dbErr) }, 'could not record a failed mail attempt');
        return undefined;
      }
    }
    try {
      if (!(await markSent(db, mail, new Date(clock.now())))) {
        log.warn(about, 'mail sent after its lease expired (it may be delivered twice)');
        return undefined;
      }
    } catch (dbErr) {
      log.error({ ...about, error: describeError(dbErr) }, 'mail sent but not marked sent; it will be sent again when its lease expires');
      return undefined;
    }
    this.count('sent', mail);
    log.info(about, 'mail sent');
    return 'sent';
  }
}

export function startMailWorker(deps: WorkerDeps, options: MailWorkerOptions = {}): MailWorker {
  return new MailWorker(deps, options).start();
}
