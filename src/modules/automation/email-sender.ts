// The email sender: a poller in each job-running process that takes the due emails of the outbox
// (SKIP LOCKED, so several can run). With SMTP_URL it sends each through nodemailer and records
// the server's answer: sent with its Message-ID, or the error kept and tried again later (1 min,
// 5 min, 30 min, 2 h), failed after the fifth attempt. Without SMTP_URL the emails are stored,
// to be read in the Email outbox (the embedded default: a fresh machine needs no mail server).
// An email left `sending` by a sender that died is queued again after the lease.
import nodemailer, { type Transporter } from 'nodemailer';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { withClient } from '../../db/raw-client.js';
import { redact } from '../../config.js';
import { Poller } from '../../poller.js';
import { claimDueEmailsOn, markEmailRefusedOn, markEmailSentOn, reclaimStaleEmailsOn, storeDueEmailsOn, type ClaimedEmail } from './email.queries.js';

const BATCH = 20;
const POLL_MS = 500;
/** Longer than the slowest send the transport's timeouts allow. */
const LEASE_SECONDS = 120;
/** The waits before the 2nd, 3rd, 4th and 5th attempts; the 5th failure is final. */
export const RETRY_DELAYS_SECONDS = [60, 5 * 60, 30 * 60, 2 * 3600];
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;
const MAX_ERROR = 500;

export interface EmailSettings {
  /** smtp:// or smtps:// URL of the server to send through; none keeps emails in the outbox. */
  smtpUrl: string | undefined;
  /** The From of every email, "Name <address>". */
  from: string;
}

/** When the email that failed its `attempts`-th try is tried again (seconds), or null: failed. */
export function retryDelay(attempts: number): number | null {
  return RETRY_DELAYS_SECONDS[attempts - 1] ?? null;
}

interface SmtpError extends Error {
  responseCode?: number;
  response?: string;
}

/** The server's answer (or the connection's error) as people read it, without the URL's password. */
export function smtpErrorText(error: unknown, smtpUrl: string): string {
  const { response, message } = error as SmtpError;
  const text = (response || message || String(error)).replace(/\s+/g, ' ').trim();
  return redact(text.split(smtpUrl).join(redact(smtpUrl))).slice(0, MAX_ERROR);
}

export class EmailSender extends Poller {
  private lastReclaim = 0;
  private readonly transport: Transporter | null;

  constructor(
    private readonly orm: MikroORM,
    log: FastifyBaseLogger,
    private readonly settings: EmailSettings,
  ) {
    super(log, { what: 'sending emails', batch: BATCH, pollMs: POLL_MS });
    // A pool: a batch goes out over a few kept connections. Short timeouts, so a server that does
    // not answer costs a retry, not the lease.
    this.transport = settings.smtpUrl
      ? nodemailer.createTransport({ url: settings.smtpUrl, pool: true, maxConnections: 3, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 }, { from: settings.from })
      : null;
  }

  /** Sends (or stores) the due emails; returns how many it took. */
  override async tick(): Promise<number> {
    const em = this.orm.em.fork();
    if (!this.transport) return withClient(em, (client) => storeDueEmailsOn(client, BATCH));
    if (Date.now() - this.lastReclaim > (LEASE_SECONDS * 1000) / 2) {
      await withClient(em, (client) => reclaimStaleEmailsOn(client, LEASE_SECONDS));
      this.lastReclaim = Date.now();
    }
    const claimed = await withClient(em, (client) => claimDueEmailsOn(client, BATCH));
    await Promise.all(claimed.map((email) => this.send(email)));
    return claimed.length;
  }

  /** Sends one email and records what the server answered. */
  private async send(email: ClaimedEmail): Promise<void> {
    const em = this.orm.em.fork();
    try {
      const info = await this.transport!.sendMail({ to: email.to_address, subject: email.subject, text: email.textBody, ...(email.htmlBody ? { html: email.htmlBody } : {}) });
      await withClient(em, (client) => markEmailSentOn(client, email.id, info.messageId ?? null));
    } catch (error) {
      const text = smtpErrorText(error, this.settings.smtpUrl!);
      const retryIn = retryDelay(email.attempts + 1);
      this.log.warn({ email: email.id, error: text, retryIn }, 'email not sent');
      await withClient(em, (client) => markEmailRefusedOn(client, email.id, text, retryIn));
    }
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.transport?.close();
  }
}
