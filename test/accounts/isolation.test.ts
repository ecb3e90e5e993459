import t from 'tap';
import { buildTestApp, createTenant, createKey, signedIn } from '../helper.js';
import { isolationModules, type IsolatedRoute } from '../isolation.js';
import { User } from '../../src/modules/accounts/user.entity.js';

t.test("a user of account B gets 404 for every record of account A, through every route", async (t) => {
  const { app, orm } = await buildTestApp(t);
  const a = await createTenant(orm, 'Account A');
  const b = await createTenant(orm, 'Account B');
  // Every row of every table that belongs to account A, as one fingerprint per table.
  const snapshot = async () => {
    const connection = orm.em.getConnection();
    const tables = await connection.execute<{ table_name: string }[]>(
      `select table_name from information_schema.columns where column_name = 'account_id' and table_schema = 'public' order by table_name`,
    );
    const prints: string[] = [];
    for (const { table_name } of tables) {
      const [row] = await connection.execute<{ print: string | null }[]>(`select md5(string_agg(t::text, ',' order by t::text)) as print from "${table_name}" t where account_id = ?`, [a.account.id]);
      prints.push(`${table_name}:${row.print}`);
    }
    return prints.join('\n');
  };
  const client = await signedIn(app, b.owner);
  const bKey = await createKey(orm, b.account);

  for (const module of isolationModules) {
    const fixture = await module.fixture(orm, a);
    const before = await snapshot();
    const bodyOf = (route: IsolatedRoute) => (typeof route.body === 'function' ? route.body(fixture) : route.body);
    for (const route of module.browser) {
      const url = route.url(fixture);
      const response =
        route.method === 'GET'
          ? await client.get(url)
          : await client.post(url, Object.fromEntries(Object.entries(bodyOf(route) ?? {}).map(([k, v]) => [k, String(v)])));
      t.equal(response.statusCode, 404, `${module.name}: ${route.method} ${url} answers 404`);
      t.notMatch(response.body, a.account.name, 'and shows nothing of account A');
    }
    for (const route of module.api) {
      const url = route.url(fixture);
      const response = await app.inject({ method: route.method, url, headers: { authorization: `Bearer ${bKey}` }, ...(route.body ? { payload: bodyOf(route) as object } : {}) });
      t.equal(response.statusCode, 404, `${module.name}: API ${route.method} ${url} answers 404`);
      t.equal(response.json().error.code, 'not_found');
    }
    t.equal(await snapshot(), before, `${module.name}: account A's records are unchanged`);
  }
});

t.test("an API key only ever sees its own account", async (t) => {
  const { app, orm } = await buildTestApp(t);
  await createTenant(orm, 'Account A');
  const b = await createTenant(orm, 'Account B');
  const key = await createKey(orm, b.account);
  const response = await app.inject({ url: '/api/v1/account', headers: { authorization: `Bearer ${key}` } });
  t.equal(response.statusCode, 200);
  t.equal(response.json().name, 'Account B');
});

t.test('a query for tenant data without an account fails instead of reading every account', async (t) => {
  const { orm } = await buildTestApp(t);
  await createTenant(orm);
  await t.rejects(orm.em.fork().find(User, {}), /No arguments provided for filter 'tenant'/);
});

t.test('every entity that belongs to an account carries the tenant filter', async (t) => {
  const { orm } = await buildTestApp(t);
  for (const meta of Object.values(orm.getMetadata().getAll())) {
    if (meta.properties.account || meta.className === 'Account') {
      if (meta.className === 'Session') continue; // looked up by an unguessable token hash, before the account is known
      t.ok(meta.filters.tenant, `${meta.className} is scoped to the account`);
    }
  }
});

t.test('the migrations create exactly the schema the entities describe', async (t) => {
  const { orm } = await buildTestApp(t);
  const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false, safe: true, dropTables: false });
  t.equal(diff.trim(), '', 'no difference between migrations and entities');
});
