// The first start's owner when several processes start together (a web process and a worker on a
// fresh database): one of them creates it, the others find it; the advisory lock is what orders
// them, so it must be held for the whole transaction.
import t from 'tap';
import { createTestDatabase } from '../helper.js';
import { openOrm } from '../../src/orm.js';
import { ensureFirstOwner } from '../../src/modules/accounts/first-owner.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { User } from '../../src/modules/accounts/user.entity.js';
import { ACROSS_ACCOUNTS } from '../../src/db/tenant.js';

t.test('processes starting together create one first owner', async (t) => {
  const url = await createTestDatabase(t);
  const orm = await openOrm(url, 4);
  t.teardown(() => orm.close());
  const config = { adminEmail: 'first@example.com', adminPassword: 'correct horse battery' };
  const results = await Promise.all([ensureFirstOwner(orm, config), ensureFirstOwner(orm, config), ensureFirstOwner(orm, config)]);
  t.same(
    results.filter((result) => result !== null),
    [{ email: 'first@example.com', generatedPassword: undefined }],
    'one start created the owner, the others found it',
  );
  const em = orm.em.fork();
  t.equal(await em.count(User, {}, ACROSS_ACCOUNTS), 1, 'one user');
  t.equal(await em.count(Account, {}, ACROSS_ACCOUNTS), 1, 'one account');
});
