import t from 'tap';
import { buildTestApp, createTenant, Client, PASSWORD } from '../helper.js';

t.test('a user signs in with the right password and lands on the dashboard', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm, 'Bakery');
  const client = new Client(app);
  const response = await client.login(owner.email, PASSWORD);
  t.equal(response.statusCode, 303);
  t.equal(response.headers.location, '/dashboard');
  const page = await client.get('/dashboard');
  t.equal(page.statusCode, 200);
  t.match(page.body, account.name);
  t.match(page.body, 'Credit:');
});
