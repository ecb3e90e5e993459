// What the email tests share: contacts with an address, a template, emails queued as the
// automation engine queues them (queueEmailsOn on a raw client), the sender run until the outbox
// has nothing due, and a real SMTP server (the smtp-server package) on a free local port.
import pino from 'pino';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { MikroORM } from '@mikro-orm/postgresql';
import { withAccount } from '../../src/db/tenant.js';
import { inTransaction } from '../../src/db/raw-client.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import type { Account } from '../../src/modules/accounts/account.entity.js';
import { EmailTemplate } from '../../src/modules/automation/email.entity.js';
import { queueEmailsOn, type EmailToQueue } from '../../src/modules/automation/email.queries.js';
import { EmailSender, type EmailSettings } from '../../src/modules/automation/email-sender.js';
import { addUser, buildTestApp, createTenant, freePort, signedIn } from '../helper.js';

export async function contact(orm: MikroORM, account: Account, values: { phone: string; firstName?: string | null; lastName?: string | null; email?: string | null; fields?: Record<string, string> }) {
  const em = withAccount(orm.em.fork(), account.id);
  const created = em.create(Contact, { account: account.id, country: 'FR', firstName: null, lastName: null, email: null, ...values });
  await em.flush();
  return { id: String(created.id), ...values };
}

export async function template(orm: MikroORM, account: Account, values: { name?: string; subject: string; textBody: string; htmlBody?: string | null }) {
  const em = withAccount(orm.em.fork(), account.id);
  const created = em.create(EmailTemplate, { account: account.id, name: values.name ?? `Template ${Math.random()}`, htmlBody: null, ...values });
  await em.flush();
  return created.id;
}

/** The app (with `env`), an account with a marketer signed in, and a template using a contact's
 * fields, a custom field and the event's data. */
export async function emailSetUp(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}, options: { jobs?: boolean } = {}) {
  const { app, orm } = await buildTestApp(t, env, undefined, options);
  const { account } = await createTenant(orm);
  const client = await signedIn(app, await addUser(orm, account, 'marketer'));
  const templateId = await template(orm, account, {
    name: 'Order ready',
    subject: 'Order {{event.order_id}} for {{first_name|you}}',
    textBody: 'Hi {{first_name|there}} {{last_name}}, order {{event.order_id|?}} is ready ({{tier|standard}}).',
    htmlBody: '<p>Hi <b>{{first_name|there}}</b>, order {{event.order_id}}</p>',
  });
  return { app, orm, account, client, templateId };
}

/** Queues emails in one transaction, as a program's Send email step does. */
export const queue = (orm: MikroORM, emails: EmailToQueue[]) => inTransaction(orm.em.fork(), (client) => queueEmailsOn(client, emails));

/** The email sender with these settings; `drain()` runs it until nothing is due. */
export function sender(orm: MikroORM, settings: Partial<EmailSettings> = {}) {
  const worker = new EmailSender(orm, pino({ level: 'silent' }), { smtpUrl: undefined, from: 'Textcast Tests <tests@example.com>', ...settings });
  return {
    worker,
    async drain() {
      while ((await worker.tick()) > 0);
    },
  };
}

export interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server on a free port that keeps what it receives; `answer` decides each message
 * (null accepts, an error code refuses it with that code). */
export async function smtpServer(t: { teardown(fn: () => unknown): void }) {
  const received: Received[] = [];
  const control = { refuse: null as null | { code: number; text: string } };
  const port = await freePort();
  const makeServer = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      // Stopping ends the sender's pooled connections at once (421) instead of waiting 30 s.
      closeTimeout: 100,
      logger: false,
      onData(stream, session: SMTPServerSession, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (control.refuse) return callback(Object.assign(new Error(control.refuse.text), { responseCode: control.refuse.code }));
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          callback(null);
        });
      },
    });
  let server: SMTPServer | null = null;
  const start = async () => {
    const next = makeServer();
    await new Promise<void>((resolve) => next.listen(port, '127.0.0.1', resolve));
    server = next;
  };
  const stop = async () => {
    const current = server;
    server = null;
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  };
  await start();
  t.teardown(stop);
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    control,
    /** Stops listening: the server is down, until `start()`. */
    stop,
    start,
  };
}
