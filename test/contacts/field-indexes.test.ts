// Custom field indexes: a segment saved on a custom field gets the field's index (built by the
// contact-field-indexes job), with the same members as without it; deleting the last segment that
// uses the field, or the field, drops it; another account's same-named field keeps its own; a
// build that died half-way (an INVALID index) is dropped and done again. That the planner uses
// the indexes, and that every comparison answers as without them, is in segments-compiler.test.ts.
import t from 'tap';
import { withAccount } from '../../src/db/tenant.js';
import { withClient } from '../../src/db/raw-client.js';
import { seedDemoContacts } from '../../src/db/demo-seed.js';
import { countSegment, segmentPage } from '../../src/modules/contacts/segment.queries.js';
import { fieldIndexName, syncFieldIndexes } from '../../src/modules/contacts/field-indexes.queries.js';
import type { SegmentRules } from '../../src/modules/contacts/segment-rules.js';
import type { MikroORM } from '@mikro-orm/postgresql';
import { buildTestApp, createTenant, eventually, signedIn } from '../helper.js';

const row = (c: number, field: string, operator: string, value = '') => ({
  'groups[0][combinator]': 'and',
  [`groups[0][conditions][${c}][field]`]: field,
  [`groups[0][conditions][${c}][was]`]: field,
  [`groups[0][conditions][${c}][operator]`]: operator,
  [`groups[0][conditions][${c}][value]`]: value,
});
const BIG_SPENDERS = { ...row(0, 'country', 'equals', 'FR'), ...row(1, 'field:points', 'greater_than', '2500') };
const BIG_SPENDERS_RULES: SegmentRules = { combinator: 'and', conditions: [{ field: 'country', operator: 'equals', value: 'FR' }, { field: 'field:points', operator: 'greater_than', value: '2500' }] };

/** The definitions of the field indexes on `contact`, by name (valid ones only). */
async function fieldIndexes(orm: MikroORM): Promise<Map<string, string>> {
  return withClient(orm.em, async (client) => {
    const { rows } = await client.query<{ name: string; definition: string }>(
      `select c.relname as name, pg_get_indexdef(i.indexrelid) as definition from pg_index i join pg_class c on c.oid = i.indexrelid
        where i.indrelid = 'contact'::regclass and i.indisvalid and starts_with(c.relname, 'contact_field_')`,
    );
    return new Map(rows.map((r) => [r.name, r.definition]));
  });
}

const pointsFieldOf = (orm: MikroORM, accountId: string) =>
  withClient(orm.em, async (client) => (await client.query<{ id: string }>(`select id from custom_field where account_id = $1 and key = 'points'`, [accountId])).rows[0].id);

t.test('a saved segment on a custom field gets its index, per account, until the field or its last segment goes', async (t) => {
  const { app, orm } = await buildTestApp(t, {}, undefined, { jobs: true });
  const ours = await createTenant(orm, 'Indexed Bakery');
  const theirs = await createTenant(orm, 'Other Bakery');
  for (const tenant of [ours, theirs]) await withClient(orm.em, (client) => seedDemoContacts(client, { accountId: tenant.account.id, contacts: 400 }));
  const em = withAccount(orm.em, ours.account.id);
  const theirEm = withAccount(orm.em, theirs.account.id);
  const members = async (scoped: typeof em, accountId: string) => ({
    count: await countSegment(scoped, accountId, BIG_SPENDERS_RULES),
    phones: (await segmentPage(scoped, accountId, BIG_SPENDERS_RULES, { limit: 500 })).contacts.map((c) => c.phone).sort(),
  });
  const before = await members(em, ours.account.id);
  const theirsBefore = await members(theirEm, theirs.account.id);
  t.ok(before.count > 0 && before.count < 400, `some contacts match (${before.count})`);
  const ourIndex = fieldIndexName(await pointsFieldOf(orm, ours.account.id));
  const theirIndex = fieldIndexName(await pointsFieldOf(orm, theirs.account.id));
  t.same([...(await fieldIndexes(orm)).keys()], [], 'no segment, no index');

  const client = await signedIn(app, ours.owner);
  t.equal((await client.post('/contacts/segments', { name: 'Big spenders', ...BIG_SPENDERS })).statusCode, 303);
  const indexes = await eventually('the field index', async () => ((await fieldIndexes(orm)).has(ourIndex) ? fieldIndexes(orm) : null));
  t.same([...indexes.keys()], [ourIndex], "only the field of our account's segment has an index");
  t.match(indexes.get(ourIndex), new RegExp(`WHERE \\(\\(account_id = '${ours.account.id}'::uuid\\) AND .* IS NOT NULL\\)+$`, 's'), "it holds our account's contacts that have the field only");
  t.match(indexes.get(ourIndex), /\(country, \(\s*CASE\s+WHEN \(jsonb_typeof\(\(fields -> 'points'::text\)\) = 'number'::text\)/, 'on the country and the number the compiler compares');
  t.same(await members(em, ours.account.id), before, 'the same count and members with the index');
  t.same(await members(theirEm, theirs.account.id), theirsBefore, "the other account's answer is unchanged");

  // Their own segment on their own `points`: their own index; ours stays.
  const theirClient = await signedIn(app, theirs.owner);
  t.equal((await theirClient.post('/contacts/segments', { name: 'Big spenders', ...BIG_SPENDERS })).statusCode, 303);
  await eventually('their field index', async () => (await fieldIndexes(orm)).has(theirIndex));
  t.match((await fieldIndexes(orm)).get(theirIndex), `WHERE ((account_id = '${theirs.account.id}'::uuid)`, "theirs holds their account's contacts");
  t.same(await members(theirEm, theirs.account.id), theirsBefore, 'their count and members are unchanged');

  // Our last segment on the field deleted: our index goes, theirs stays.
  const segmentsPage = await client.get('/contacts/segments');
  const segmentId = /href="\/contacts\/segments\/([0-9a-f-]{36})"/.exec(segmentsPage.body)![1];
  t.equal((await client.post(`/contacts/segments/${segmentId}/delete`)).statusCode, 303);
  await eventually('our index dropped', async () => !(await fieldIndexes(orm)).has(ourIndex));
  t.ok((await fieldIndexes(orm)).has(theirIndex), 'their index stays');

  // Saved again, then the field deleted: the index goes with the field.
  t.equal((await client.post('/contacts/segments', { name: 'Big spenders', ...BIG_SPENDERS })).statusCode, 303);
  await eventually('our index built again', async () => (await fieldIndexes(orm)).has(ourIndex));
  const pointsId = await pointsFieldOf(orm, ours.account.id);
  t.equal((await client.post(`/contacts/fields/${pointsId}/delete`)).statusCode, 303);
  await eventually('our index dropped with the field', async () => !(await fieldIndexes(orm)).has(ourIndex));
  t.same([...(await fieldIndexes(orm)).keys()], [theirIndex], 'theirs is the only one left');
});

t.test('a build that died half-way is dropped and done again; a second sync changes nothing', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm, 'Crashy Bakery');
  await withClient(orm.em, (client) => seedDemoContacts(client, { accountId: account.id, contacts: 50 }));
  const name = fieldIndexName(await pointsFieldOf(orm, account.id));
  await withClient(orm.em, async (client) => {
    await client.query(`insert into segment (id, account_id, name, rules, created_at, updated_at) values (gen_random_uuid(), $1, 'Big spenders', $2, now(), now())`, [account.id, JSON.stringify(BIG_SPENDERS_RULES)]);
    // A concurrent build that fails (here on a uniqueness it cannot have) leaves its index INVALID.
    const failed = await client.query(`create unique index concurrently ${client.escapeIdentifier(name)} on contact (account_id) where account_id = $1`.replace('$1', client.escapeLiteral(account.id))).then(() => null, (error: Error) => error);
    t.match(failed, { code: '23505' }, 'the build failed');
  });
  const validity = () => withClient(orm.em, async (client) => (await client.query<{ valid: boolean }>(`select i.indisvalid as valid from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = $1`, [name])).rows.map((r) => r.valid));
  t.same(await validity(), [false], 'an INVALID index is left');

  t.same(await syncFieldIndexes(orm), { built: [name], dropped: [name] }, 'dropped and built again');
  t.same(await validity(), [true]);
  t.notMatch((await fieldIndexes(orm)).get(name), /UNIQUE/, 'with the definition of a field index');
  t.match((await fieldIndexes(orm)).get(name), /'points'::text/);
  t.same(await syncFieldIndexes(orm), { built: [], dropped: [] }, 'nothing to do the second time');
});
