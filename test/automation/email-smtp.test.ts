// Emails through SMTP_URL, to a real SMTP server started here (the smtp-server package): the email
// arrives with the contact's data filled in, From EMAIL_FROM, and is recorded sent with the
// server's Message-ID. A refusal (451) or a server that is down is shown in the outbox with the
// error and the next try; the email goes out once the server is back; after the fifth failure it
// has failed for good. The application's own job runner sends them too.
import t from 'tap';
import { eventually } from '../helper.js';
import { query } from '../sending/helpers.js';
import { contact, emailSetUp, queue, sender, smtpServer } from './email-helpers.js';
import { MAX_ATTEMPTS, smtpErrorText } from '../../src/modules/automation/email-sender.js';
import { loadConfig } from '../../src/config.js';

async function setUp(t: Parameters<typeof emailSetUp>[0], options: { jobs?: boolean } = {}) {
  const smtp = await smtpServer(t);
  const { orm, account, client, templateId } = await emailSetUp(t, { SMTP_URL: smtp.url, EMAIL_FROM: 'Bakery <news@bakery.example>' }, options);
  const ann = await contact(orm, account, { phone: '+33612345601', firstName: 'Ann', lastName: 'Martin', email: 'ann@example.com', fields: { tier: 'gold' } });
  const queueForAnn = async () => (await queue(orm, [{ accountId: account.id, contactId: ann.id, templateId, runId: null, eventData: { order_id: 'A-17' } }]))[0]!.id;
  return { orm, client, smtp, queueForAnn };
}

/** What a mail program shows of a raw message: its headers and its decoded text. */
function decoded(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

t.test('an email reaches the SMTP server with the contact\'s data and is recorded sent', async (t) => {
  const { orm, smtp, queueForAnn } = await setUp(t);
  const id = await queueForAnn();
  const emails = sender(orm, { smtpUrl: smtp.url, from: 'Bakery <news@bakery.example>' });
  t.teardown(() => emails.worker.stop());
  await emails.drain();

  t.equal(smtp.received.length, 1, 'one email arrived');
  const [mail] = smtp.received;
  t.same(mail!.to, ['ann@example.com'], 'to the contact');
  t.equal(mail!.from, 'news@bakery.example', 'from EMAIL_FROM');
  const text = decoded(mail!.raw);
  t.match(text, /^Subject: Order A-17 for Ann$/m);
  t.match(text, /^From: Bakery <news@bakery\.example>$/m);
  t.match(text, 'Hi Ann Martin, order A-17 is ready (gold).', "the text body with the contact's fields and the event's data");
  t.match(text, '<p>Hi <b>Ann</b>, order A-17</p>', 'and the HTML body');
  const [row] = await query<{ status: string; smtp_message_id: string; sent_at: Date | null; attempts: number }>(orm, 'select status, smtp_message_id, sent_at, attempts from email_message where id = ?', [id]);
  t.equal(row!.status, 'sent');
  t.ok(row!.sent_at);
  t.equal(row!.attempts, 1);
  t.match(text, new RegExp(`^Message-ID: ${row!.smtp_message_id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), 'with the Message-ID it was sent with');
});

t.test('a refusal or a server that is down is shown with the error and tried again later, until the server takes it', async (t) => {
  const { orm, client, smtp, queueForAnn } = await setUp(t);
  const id = await queueForAnn();
  const emails = sender(orm, { smtpUrl: smtp.url, from: 'Bakery <news@bakery.example>' });
  t.teardown(() => emails.worker.stop());
  /** Time passes: the retry is due now. */
  const retryIsDue = () => query(orm, 'update email_message set not_before = now() where id = ?', [id]);

  smtp.control.refuse = { code: 451, text: 'Mailbox busy, try again later' };
  await emails.drain();
  t.equal(smtp.received.length, 0);
  const [refused] = await query<{ status: string; error: string; attempts: number; wait: number }>(orm, `select status, error, attempts, extract(epoch from not_before - now())::int as wait from email_message where id = ?`, [id]);
  t.same({ ...refused, wait: undefined }, { status: 'queued', error: '451 Mailbox busy, try again later', attempts: 1, wait: undefined }, "the server's answer is kept");
  t.ok(refused!.wait > 50 && refused!.wait <= 60, 'the next try is a minute later');
  await emails.drain();
  t.equal(smtp.received.length, 0, 'not before its time');

  const outbox = await client.get('/automation/emails/outbox');
  t.match(outbox.body, /Waiting to retry[\s\S]*451 Mailbox busy, try again later[\s\S]*Next try \d\d-\d\d-\d{4} \d\d:\d\d \(attempt 2\)/, 'the outbox shows the error and the next try');
  t.match((await client.get(`/automation/emails/outbox/${id}`)).body, '451 Mailbox busy, try again later');

  smtp.control.refuse = null;
  await smtp.stop();
  await retryIsDue();
  await emails.drain();
  const [down] = await query<{ status: string; error: string; attempts: number; wait: number }>(orm, `select status, error, attempts, extract(epoch from not_before - now())::int as wait from email_message where id = ?`, [id]);
  t.equal(down!.status, 'queued');
  t.match(down!.error, /ECONNREFUSED 127\.0\.0\.1:\d+/, 'a server that is down: the connection error');
  t.equal(down!.attempts, 2);
  t.ok(down!.wait > 290 && down!.wait <= 300, 'the next try is 5 minutes later');

  await smtp.start();
  await retryIsDue();
  await emails.drain();
  t.equal(smtp.received.length, 1, 'the server is back: the email arrives');
  t.same(await query(orm, 'select status, error, attempts from email_message where id = ?', [id]), [{ status: 'sent', error: null, attempts: 3 }]);
});

t.test('after the fifth failure an email has failed for good, with the last error', async (t) => {
  const { orm, client, smtp, queueForAnn } = await setUp(t);
  const id = await queueForAnn();
  const emails = sender(orm, { smtpUrl: smtp.url, from: 'Bakery <news@bakery.example>' });
  t.teardown(() => emails.worker.stop());
  smtp.control.refuse = { code: 550, text: 'Relaying denied' };
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    await query(orm, 'update email_message set not_before = now() where id = ?', [id]);
    await emails.drain();
  }
  t.same(await query(orm, 'select status, error, attempts from email_message where id = ?', [id]), [{ status: 'failed', error: '550 Relaying denied', attempts: MAX_ATTEMPTS }]);
  const failed = await client.get('/automation/emails/outbox?status=failed');
  t.match(failed.body, /Failed[\s\S]*550 Relaying denied[\s\S]*Gave up after 5 attempts\./);
});

t.test('with SMTP_URL set, the application sends queued emails by itself', async (t) => {
  const { orm, smtp, queueForAnn } = await setUp(t, { jobs: true });
  const id = await queueForAnn();
  await eventually('the email to arrive', () => smtp.received.length === 1);
  await eventually('the email to be recorded sent', async () => (await query<{ status: string }>(orm, 'select status from email_message where id = ?', [id]))[0]!.status === 'sent');
  t.match(decoded(smtp.received[0]!.raw), /^Subject: Order A-17 for Ann$/m);
});

t.test('EMAIL_FROM must be an address, and an SMTP error never shows the password of SMTP_URL', async (t) => {
  t.equal(loadConfig({}).emailFrom, 'Textcast <no-reply@localhost>', 'a default that works on a fresh machine');
  t.equal(loadConfig({ EMAIL_FROM: 'Bakery <news@bakery.example>' }).emailFrom, 'Bakery <news@bakery.example>');
  t.equal(loadConfig({ EMAIL_FROM: 'news@bakery.example' }).emailFrom, 'news@bakery.example');
  t.throws(() => loadConfig({ EMAIL_FROM: 'Bakery' }), /EMAIL_FROM must be an email address, alone or as "Name <address>", got "Bakery"/);
  const text = smtpErrorText(new Error('Cannot reach smtp://mailer:s3cret@mail.example:587 right now'), 'smtp://mailer:s3cret@mail.example:587');
  t.equal(text, 'Cannot reach smtp://mailer:***@mail.example:587 right now');
});
