// Fixtures for campaign tests: contacts in a few countries, a list and a segment.
import type { MikroORM } from '@mikro-orm/postgresql';
import { withAccount } from '../../src/db/tenant.js';
import type { Account } from '../../src/modules/accounts/account.entity.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { ContactList } from '../../src/modules/contacts/contact-list.entity.js';
import { Segment } from '../../src/modules/contacts/segment.entity.js';

export async function audience(orm: MikroORM, account: Account) {
  const em = withAccount(orm.em, account.id);
  const list = em.create(ContactList, { account, name: 'Customers' });
  const people = [
    { phone: '+33612345601', country: 'FR', firstName: 'Ann' },
    { phone: '+33612345602', country: 'FR', firstName: 'Bartholomew-Alexander' },
    { phone: '+4915112345603', country: 'DE', firstName: 'Carl' },
    { phone: '+33612345604', country: 'FR', firstName: 'Dora', smsOptIn: false },
    { phone: '+33612345605', country: 'FR', firstName: 'Eve', badNumber: true },
  ];
  const contacts = people.map((p) => em.create(Contact, { account, ...p }));
  await em.flush();
  for (const contact of contacts) {
    await em.getConnection().execute('insert into contact_list_member (list_id, contact_id, account_id) values (?, ?, ?)', [list.id, contact.id, account.id]);
  }
  const germans = em.create(Segment, { account, name: 'Germans', rules: { combinator: 'and', conditions: [{ field: 'country', operator: 'equals', value: 'DE' }] } });
  await em.flush();
  return { list, segment: germans, contacts };
}
