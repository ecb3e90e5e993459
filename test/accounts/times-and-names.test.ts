// Every time a page shows is in the account's time zone, and says which zone; "By" columns name
// the person (their email), not the audit trail's `user:` record.
import t from 'tap';
import { buildTestApp, createTenant, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { CreditTransaction } from '../../src/modules/accounts/credit-transaction.entity.js';
import { User } from '../../src/modules/accounts/user.entity.js';
import { ApiKey } from '../../src/modules/accounts/api-key.entity.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { ConsentEvent } from '../../src/modules/contacts/consent.entity.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';

// 05:05 UTC is 14:05 in Tokyo (no daylight saving time there), and already the next day at 23:30.
const MORNING = new Date('2026-12-02T05:05:00Z');
const LATE = new Date('2026-12-02T23:30:00Z');

async function tokyoTenant(orm: Parameters<typeof createTenant>[0]) {
  const tenant = await createTenant(orm);
  const em = withAccount(orm.em, tenant.account.id);
  await em.nativeUpdate(Account, { id: tenant.account.id }, { timeZone: 'Asia/Tokyo' });
  return { ...tenant, em };
}

t.test('the credit ledger shows its times in the account zone and who added credit by email', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, em, account } = await tokyoTenant(orm);
  em.create(CreditTransaction, { account: em.getReference(Account, account.id), kind: 'topup', amountMicros: 5_000_000, note: 'Invoice 7', actor: `user:${owner.email}`, createdAt: MORNING });
  await em.flush();
  const client = await signedIn(app, owner);
  const page = await client.get('/settings/credits');
  t.match(page.body, 'When (Asia/Tokyo)', 'the zone is named');
  t.match(page.body, '<td>02-12-2026 14:05</td>');
  t.match(page.body, `<td>${owner.email}</td>`, 'the person who added credit');
  t.notMatch(page.body, 'user:', 'no audit-trail prefix');
  t.notMatch(page.body, 'UTC');
});

t.test('users, API keys and a contact show their times in the account zone', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, em } = await tokyoTenant(orm);
  const client = await signedIn(app, owner);
  await em.nativeUpdate(User, { id: owner.id }, { lastLoginAt: MORNING });
  await client.post('/settings/api-keys', { name: 'CRM sync' });
  await em.nativeUpdate(ApiKey, { name: 'CRM sync' }, { createdAt: LATE, lastUsedAt: MORNING });

  const users = await client.get('/settings/users');
  t.match(users.body, 'Times in Asia/Tokyo.');
  t.match(users.body, '<td>02-12-2026 14:05</td>', 'last sign-in');
  const keys = await client.get('/settings/api-keys');
  t.match(keys.body, 'Times in Asia/Tokyo.');
  t.match(keys.body, '<td>03-12-2026</td>', 'created on the Tokyo day');
  t.match(keys.body, '<td>02-12-2026 14:05</td>', 'last used');

  await client.get('/contacts/new');
  const created = await client.post('/contacts', { phone: '+33612345678', sms_opt_in: 'yes' });
  t.equal(created.statusCode, 303);
  const contact = await em.findOneOrFail(Contact, { phone: '+33612345678' });
  await em.nativeUpdate(Contact, { id: contact.id }, { createdAt: LATE });
  await em.nativeUpdate(ConsentEvent, { contact: contact.id }, { at: MORNING });
  const detail = await client.get(created.headers.location as string);
  t.match(detail.body, '<dd>03-12-2026 08:30 (Asia/Tokyo)</dd>', 'added, with its zone');
  t.match(detail.body, '<th>When (Asia/Tokyo)</th>');
  t.match(detail.body, '<td>02-12-2026 14:05</td>', 'the consent event');
  t.match(detail.body, `<td>${owner.email}</td>`, 'who changed the consent');
  t.notMatch(detail.body, 'user:');
  t.notMatch(detail.body, 'UTC');
  const list = await client.get('/contacts');
  t.match(list.body, '<td>03-12-2026</td>', 'the contacts table: added on the Tokyo day');
});

t.test('a campaign page says who created it by email, in the account zone', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, em, account } = await tokyoTenant(orm);
  const campaign = em.create(Campaign, { account: em.getReference(Account, account.id), name: 'Winter', sender: 'ACME', body: 'Hello', createdBy: `user:${owner.email}` });
  await em.flush();
  await em.nativeUpdate(Campaign, { id: campaign.id }, { createdAt: MORNING, updatedAt: MORNING });
  const client = await signedIn(app, owner);
  const page = await client.get(`/create/${campaign.id}`);
  t.match(page.body, `02-12-2026 14:05 (Asia/Tokyo) by ${owner.email}`);
  const list = await client.get('/create');
  t.match(list.body, 'Times in Asia/Tokyo.');
  t.match(list.body, '<td>02-12-2026 14:05</td>');
});
