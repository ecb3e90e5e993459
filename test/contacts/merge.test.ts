import t from 'tap';
import { buildTestApp, createTenant } from '../helper.js';
import { inTransaction } from '../../src/db/raw-client.js';
import { createStageOn, stageRowsOn, mergeStagedOn, type StagedContact } from '../../src/modules/contacts/contact-merge.queries.js';
import { withAccount } from '../../src/db/tenant.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { ConsentEvent, Suppression } from '../../src/modules/contacts/consent.entity.js';
import { ContactList } from '../../src/modules/contacts/contact-list.entity.js';
import { phoneHash } from '../../src/phone.js';

const row = (line: number, phone: string, extra: Partial<StagedContact> = {}): StagedContact => ({
  line, phone, country: 'FR', email: null, first_name: null, last_name: null, fields: null, sms_opt_in: null, bad_number: false, time_zone: 'Europe/Paris', time_zone_source: 'number', ...extra,
});

t.test('merging staged rows creates, updates, skips, dedupes and records consent changes', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  const list = em.create(ContactList, { account, name: 'Newsletter' });
  await em.flush();
  const merge = (rows: StagedContact[], existing: 'update' | 'skip', allowOptIn = false) =>
    inTransaction(em, async (client) => {
      await createStageOn(client);
      await stageRowsOn(client, rows);
      return mergeStagedOn(client, { accountId: account.id, existing, listId: list.id, allowOptIn, source: 'import', actor: 'import:test.csv' });
    });

  const first = await merge([row(2, '+33612345601', { first_name: 'Ann', fields: { tier: 'gold' } }), row(3, '+33612345602', { sms_opt_in: false }), row(4, '+33612345601', { first_name: 'Anne' })], 'update');
  t.equal(first.created, 2);
  t.same(first.duplicates, [{ line: 2, keptLine: 4, phone: '+33612345601' }], 'a repeated phone: the last line wins');
  const anne = await em.fork().findOneOrFail(Contact, { phone: '+33612345601' });
  t.equal(anne.firstName, 'Anne');
  const optedOut = await em.fork().findOneOrFail(Contact, { phone: '+33612345602' });
  t.equal(optedOut.smsOptIn, false);
  t.equal(optedOut.optOutSource, 'import');

  const second = await merge([row(2, '+33612345601', { email: 'anne@example.com', sms_opt_in: false }), row(3, '+33612345602', { sms_opt_in: true }), row(4, '+33612345603')], 'update');
  t.match(second, { created: 1, updated: 2 });
  t.equal((await em.fork().findOneOrFail(Contact, { phone: '+33612345601' })).email, 'anne@example.com');
  t.equal((await em.fork().findOneOrFail(Contact, { phone: '+33612345601' })).firstName, 'Anne', 'unmapped or empty values are kept');
  t.equal((await em.fork().findOneOrFail(Contact, { phone: '+33612345602' })).smsOptIn, false, 'an import never opts a contact back in');

  const third = await merge([row(2, '+33612345601', { email: 'other@example.com' })], 'skip');
  t.match(third, { created: 0, updated: 0, skipped: 1 });
  t.equal((await em.fork().findOneOrFail(Contact, { phone: '+33612345601' })).email, 'anne@example.com', 'skip leaves existing contacts alone');

  const events = await em.fork().find(ConsentEvent, {}, { orderBy: { id: 'asc' } });
  t.same(events.map((e) => [e.optedIn, e.source]), [[false, 'import'], [false, 'import']], 'one consent event per opt-in change');
  const members = await em.getConnection().execute(`select count(*)::int as n from contact_list_member where list_id = ?`, [list.id]);
  t.equal(members[0].n, 3, 'every contact of the files was added to the list');
});

t.test('a suppressed number comes back opted out', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  em.create(Suppression, { account, phoneHash: phoneHash(account.id, '+33612345609'), source: 'stop_keyword' });
  await em.flush();
  await inTransaction(em, async (client) => {
    await createStageOn(client);
    await stageRowsOn(client, [row(2, '+33612345609', { sms_opt_in: true })]);
    return mergeStagedOn(client, { accountId: account.id, existing: 'update', allowOptIn: true, source: 'api', actor: 'api' });
  });
  const contact = await em.fork().findOneOrFail(Contact, { phone: '+33612345609' });
  t.equal(contact.smsOptIn, false);
  t.equal(contact.optOutSource, 'suppressed');
});
