// Segment rules -> SQL: every operator of every field kind, AND/OR and nested groups, values and
// keys that try to inject SQL, unknown fields and lists; then count and pages against a small
// dataset on a real PostgreSQL, compared with what the rules mean.
import t from 'tap';
import { ValidationError } from '../../src/errors.js';
import { withAccount } from '../../src/db/tenant.js';
import { withClient } from '../../src/db/raw-client.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { compileRules, OPERATORS, type FieldInfo } from '../../src/modules/contacts/segment-compiler.js';
import { countSegment, segmentPage, segmentSize, compileSegment, compileSegmentOn, segmentIdsQuery } from '../../src/modules/contacts/segment.queries.js';
import { fieldIndexName, syncFieldIndexes } from '../../src/modules/contacts/field-indexes.queries.js';
import { openOrm } from '../../src/orm.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SegmentRules, Condition } from '../../src/modules/contacts/segment-rules.js';
import { buildTestApp, createTenant } from '../helper.js';

const ACCOUNT = '11111111-2222-4333-8444-555555555555';
const LIST = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const FIELDS: FieldInfo[] = [
  { key: 'tier', label: 'Tier', type: 'text' },
  { key: 'points', label: 'Points', type: 'number' },
  { key: 'birthday', label: 'Birthday', type: 'date' },
  { key: 'vip', label: 'VIP', type: 'boolean' },
];
const options = { accountId: ACCOUNT, lists: new Set([LIST]), timeZone: 'Europe/Paris' };
const and = (...conditions: SegmentRules['conditions']): SegmentRules => ({ combinator: 'and', conditions });
const or = (...conditions: SegmentRules['conditions']): SegmentRules => ({ combinator: 'or', conditions });
const c = (field: string, operator: string, value?: string): Condition => (value === undefined ? { field, operator } : { field, operator, value });

function failure(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

t.test('the compiled SQL holds only fixed text; values, keys and list ids are parameters', async (t) => {
  const compiled = compileRules(and(c('country', 'equals', 'fr'), c('field:tier', 'contains', 'go'), c('list', 'in_list', LIST)), FIELDS, options);
  t.match(compiled.sql, /^c\.account_id = \$1 and \(/, 'begins with the account');
  t.same(compiled.params, [ACCOUNT, 'FR', 'tier', 'go', LIST]);
  t.notMatch(compiled.sql, /FR|tier|'go'|aaaaaaaa/);
  t.equal(compileRules(and(), FIELDS, options).sql, 'c.account_id = $1', 'no condition: the whole account');

  const evil = `x'); DROP TABLE contact; --`;
  const injected = compileRules(and(c('field:tier', 'equals', evil), c('first_name', 'starts_with', evil), c('email', 'contains', evil)), FIELDS, options);
  t.notMatch(injected.sql, /drop table/i, 'values stay out of the SQL text');
  t.equal(injected.params.filter((p) => p === evil).length, 2);
  t.ok(injected.params.includes(evil.toLowerCase()), 'emails compare lower-case');

  const oddKey: FieldInfo[] = [{ key: `k'); delete from contact; --`, label: 'Odd', type: 'text' }];
  const keyed = compileRules(and(c(`field:k'); delete from contact; --`, 'is_not_empty')), oddKey, options);
  t.notMatch(keyed.sql, /delete/, 'a custom field key is a parameter too');
  t.same(keyed.params, [ACCOUNT, `k'); delete from contact; --`]);
});

t.test('every operator of every field kind compiles, and only those', async (t) => {
  const values: Record<string, string> = { text: 'abc', number: '12,5', date: '2026-01-31', days: '30', country: 'de', list: LIST, none: '' };
  const fieldOf: Record<string, string> = {
    country: 'country', opt_in: 'sms_opt_in', email: 'email', name: 'last_name', phone: 'phone', created: 'created_at', list: 'list',
    text: 'field:tier', number: 'field:points', date: 'field:birthday', boolean: 'field:vip',
  };
  for (const [kind, operators] of Object.entries(OPERATORS)) {
    for (const op of operators) {
      const value = kind === 'phone' ? '+33 6' : values[op.input];
      const compiled = compileRules(and(c(fieldOf[kind], op.value, op.input === 'none' ? undefined : value)), FIELDS, options);
      t.match(compiled.sql, /^c\.account_id = \$1 and /, `${kind} ${op.value}`);
    }
    const wrong = failure(() => compileRules(and(c(fieldOf[kind], 'no_such_operator', 'x')), FIELDS, options));
    t.match(wrong.fields['conditions.0'], /Choose how to compare/, `${kind}: an unknown operator is refused`);
  }
  t.same(compileRules(and(c('field:points', 'greater_than', '12,5')), FIELDS, options).params, [ACCOUNT, 'points', '12.5'], 'numbers are parsed as fields.ts parses them');
  t.same(compileRules(and(c('field:birthday', 'before', '31/01/2026')), FIELDS, options).params, [ACCOUNT, 'birthday', '2026-01-31'], 'dates in their canonical form');
  t.same(compileRules(and(c('phone', 'starts_with', '0033 6')), FIELDS, options).params, [ACCOUNT, '+336']);
  t.match(compileRules(and(c('created_at', 'on', '2026-03-01')), FIELDS, options).params, [ACCOUNT, '2026-03-01', 'Europe/Paris'], 'created dates are days in the account time zone');
});

t.test('AND, OR and nested groups', async (t) => {
  const flat = compileRules(or(c('country', 'equals', 'FR'), c('country', 'equals', 'DE')), FIELDS, options);
  t.equal(flat.sql, 'c.account_id = $1 and (c.country = $2::text or c.country = $3::text)');
  const nested = compileRules(
    or({ combinator: 'and', conditions: [c('country', 'equals', 'FR'), c('sms_opt_in', 'is_true')] }, c('list', 'in_list', LIST)),
    FIELDS,
    options,
  );
  t.match(nested.sql, /^c\.account_id = \$1 and \(\(c\.country = \$2::text and c\.sms_opt_in is distinct from false\) or exists \(/);
  const deep = failure(() => compileRules(and({ combinator: 'and', conditions: [{ combinator: 'or', conditions: [] } as never] }), FIELDS, options));
  t.match(deep.fields['conditions.0.0'], /one level deep/);
  const badCombinator = failure(() => compileRules({ combinator: 'xor' as never, conditions: [] }, FIELDS, options));
  t.ok(badCombinator.fields.rules);
  t.ok(failure(() => compileRules({ combinator: 'and' } as never, FIELDS, options)).fields.rules, 'rules without a list of conditions');
  const many = and(...Array.from({ length: 51 }, () => c('sms_opt_in', 'is_true')));
  t.match(failure(() => compileRules(many, FIELDS, options)).fields.rules, /at most 50 conditions/);
});

t.test('wrong rules get a clear message per condition, never a crash', async (t) => {
  const error = failure(() =>
    compileRules(
      and(
        c('field:deleted_field', 'equals', 'x'),
        c('no_such_field', 'equals', 'x'),
        c('list', 'in_list', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'),
        c('field:points', 'greater_than', 'lots'),
        c('field:birthday', 'on', '2026-02-30'),
        c('country', 'equals', 'XX'),
        c('created_at', 'in_last_days', '-3'),
        c('field:tier', 'equals', ''),
        c('', 'equals', 'x'),
      ),
      FIELDS,
      options,
    ),
  );
  t.equal(error.statusCode, 422);
  t.match(error.fields, {
    'conditions.0': /no custom field "deleted_field" \(it may have been deleted\)/,
    'conditions.1': /no field "no_such_field"/,
    'conditions.2': /no such list/,
    'conditions.3': /"lots" is not a number/,
    'conditions.4': /not a real date/,
    'conditions.5': /not a country code/,
    'conditions.6': /whole number from 1/,
    'conditions.7': /Enter a value for Tier/,
    'conditions.8': /Choose a field/,
  });
  t.match(error.message, /^Condition 1: There is no custom field "deleted_field"/);
  t.match(error.message, /Condition 9: Choose a field\./);
  t.match(failure(() => compileRules(and(c('list', 'in_list', LIST)), FIELDS, { accountId: ACCOUNT })).fields['conditions.0'], /no such list/, 'a list must be known to belong to the account');
});

// --- Against PostgreSQL ----------------------------------------------------------------------

interface Row {
  phone: string;
  country: string | null;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  fields: Record<string, unknown>;
  sms_opt_in: boolean | null;
  days_ago: number;
  lists: number[];
}

const ROWS: Row[] = [
  { phone: '+33612345601', country: 'FR', email: 'ann@example.com', first_name: 'Ann', last_name: 'Martin', fields: { tier: 'gold', points: 100, birthday: '1990-05-01', vip: true }, sms_opt_in: null, days_ago: 10, lists: [0] },
  { phone: '+33612345602', country: 'FR', email: null, first_name: 'Bob', last_name: 'Dubois', fields: { tier: 'Silver', points: 2500.5 }, sms_opt_in: false, days_ago: 400, lists: [] },
  { phone: '+4915112345678', country: 'DE', email: 'clara@example.de', first_name: 'Clara', last_name: null, fields: { points: -3, vip: false }, sms_opt_in: true, days_ago: 2, lists: [0, 1] },
  { phone: '+12125550123', country: 'US', email: 'dan@example.com', first_name: 'Dan', last_name: 'Golden', fields: {}, sms_opt_in: null, days_ago: 0, lists: [1] },
  // Values stored before a field changed type: they must not break a comparison, and do not match.
  { phone: '+33612345605', country: null, email: 'eve@example.com', first_name: null, last_name: null, fields: { points: '12', birthday: 'soon', tier: 'GOLDEN' }, sms_opt_in: null, days_ago: 30, lists: [] },
];

type Expect = (rules: SegmentRules, wanted: number[], label: string) => Promise<void>;

/** Every comparison of every custom field type, run without and with the fields' indexes. */
async function customFieldCases(expect: Expect) {
  await expect(and(c('field:tier', 'equals', 'GOLD')), [0], 'text equals (case-insensitive)');
  await expect(and(c('field:tier', 'contains', 'gold')), [0, 4], 'text contains');
  await expect(and(c('field:tier', 'starts_with', 'sil')), [1], 'text starts with');
  await expect(and(c('field:tier', 'not_equals', 'gold')), [1, 2, 3, 4], 'text is not (empty included)');
  await expect(and(c('field:tier', 'is_empty')), [2, 3], 'text empty');
  await expect(and(c('field:tier', 'is_not_empty')), [0, 1, 4], 'text not empty');
  await expect(and(c('field:points', 'greater_than', '100')), [1], 'number >');
  await expect(and(c('field:points', 'at_least', '100')), [0, 1], 'number ≥');
  await expect(and(c('field:points', 'less_than', '0')), [2], 'number <, a string "12" is not a number');
  await expect(and(c('field:points', 'at_most', '100')), [0, 2], 'number ≤');
  await expect(and(c('field:points', 'equals', '2500,5')), [1], 'number =');
  await expect(and(c('field:points', 'not_equals', '100')), [1, 2, 3, 4], 'number ≠');
  await expect(and(c('field:points', 'is_empty')), [3], 'number empty');
  await expect(and(c('field:points', 'is_not_empty')), [0, 1, 2, 4], 'number not empty');
  await expect(and(c('field:birthday', 'before', '1991-01-01')), [0], 'date before (a bad stored date does not break it)');
  await expect(and(c('field:birthday', 'after', '1990-05-01')), [], 'date after');
  await expect(and(c('field:birthday', 'on', '01/05/1990')), [0], 'date on');
  await expect(and(c('field:birthday', 'is_empty')), [1, 2, 3], 'date empty');
  await expect(and(c('field:vip', 'is_true')), [0], 'yes');
  await expect(and(c('field:vip', 'is_false')), [2], 'no');
  await expect(and(c('field:vip', 'is_empty')), [1, 3, 4], 'yes/no empty');
}

t.test('count, size and pages match what the rules mean', async (t) => {
  const { orm, databaseUrl } = await buildTestApp(t);
  const { account } = await createTenant(orm, 'Segments Inc');
  const other = await createTenant(orm, 'Other Inc');
  const em = withAccount(orm.em, account.id);
  const lists: string[] = await withClient(em, async (client) => {
    for (const tenant of [account, other.account]) {
      for (const f of FIELDS) await client.query(`insert into custom_field (id, account_id, key, label, type, created_at) values (gen_random_uuid(), $1, $2, $3, $4, now())`, [tenant.id, f.key, f.label, f.type]);
    }
    const ids: string[] = [];
    for (const name of ['L0', 'L1']) ids.push((await client.query(`insert into contact_list (id, account_id, name, created_at) values (gen_random_uuid(), $1, $2, now()) returning id`, [account.id, name])).rows[0].id);
    for (const [tenant, rows] of [[account, ROWS], [other.account, ROWS.slice(0, 3)]] as const) {
      for (const row of rows) {
        const { rows: inserted } = await client.query(
          `insert into contact (account_id, phone, country, email, first_name, last_name, fields, sms_opt_in, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, now() - make_interval(days => $9)) returning id`,
          [tenant.id, row.phone, row.country, row.email, row.first_name, row.last_name, JSON.stringify(row.fields), row.sms_opt_in, row.days_ago],
        );
        if (tenant === account) for (const l of row.lists) await client.query(`insert into contact_list_member (list_id, contact_id, account_id) values ($1, $2, $3)`, [ids[l], inserted[0].id, tenant.id]);
      }
    }
    return ids;
  });

  const expectOn = (em: EntityManager): Expect => async (rules, wanted, label) => {
    const expected = wanted.map((i) => ROWS[i].phone).sort();
    const page = await segmentPage(em, account.id, rules, { limit: 100 });
    t.same(page.contacts.map((contact) => contact.phone).sort(), expected, label);
    t.equal(await countSegment(em, account.id, rules), expected.length, `${label}: count`);
  };
  const expect = expectOn(em);

  await expect(and(), [0, 1, 2, 3, 4], 'no condition: every contact of the account, none of another');
  await expect(and(c('country', 'equals', 'fr')), [0, 1], 'country is');
  await expect(and(c('country', 'not_equals', 'FR')), [2, 3, 4], 'country is not (unknown countries included)');
  await expect(and(c('country', 'is_empty')), [4], 'country unknown');
  await expect(and(c('sms_opt_in', 'is_true')), [0, 2, 3, 4], 'opted in: not set counts as opted in');
  await expect(and(c('sms_opt_in', 'is_false')), [1], 'opted out');
  await expect(and(c('email', 'is_not_empty')), [0, 2, 3, 4], 'email present');
  await expect(and(c('email', 'is_empty')), [1], 'email missing');
  await expect(and(c('email', 'equals', 'ANN@example.com')), [0], 'email is (case-insensitive)');
  await expect(and(c('email', 'contains', '.DE')), [2], 'email contains');
  await expect(and(c('first_name', 'equals', 'ann')), [0], 'first name is (case-insensitive)');
  await expect(and(c('last_name', 'contains', 'OLD')), [3], 'last name contains');
  await expect(and(c('last_name', 'starts_with', 'du')), [1], 'last name starts with');
  await expect(and(c('last_name', 'not_equals', 'martin')), [1, 2, 3, 4], 'last name is not (empty ones included)');
  await expect(and(c('last_name', 'is_empty')), [2, 4], 'last name empty');
  await expect(and(c('phone', 'starts_with', '00 49')), [2], 'phone starts with');
  await expect(and(c('phone', 'equals', '+12125550123')), [3], 'phone is');
  await expect(and(c('created_at', 'in_last_days', '7')), [2, 3], 'created in the last 7 days');
  await expect(and(c('created_at', 'not_in_last_days', '100')), [1], 'created more than 100 days ago');
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
  await expect(and(c('created_at', 'on', today)), [3], 'created today (account time zone)');
  await expect(and(c('created_at', 'before', today)), [0, 1, 2, 4], 'created before today');
  await expect(and(c('created_at', 'after', '2000-01-01')), [0, 1, 2, 3, 4], 'created after a date');
  await expect(and(c('list', 'in_list', lists[0])), [0, 2], 'member of a list');
  await expect(and(c('list', 'not_in_list', lists[0])), [1, 3, 4], 'not a member of a list');
  await customFieldCases(expect);

  await expect(and(c('country', 'equals', 'FR'), c('sms_opt_in', 'is_true')), [0], 'AND');
  await expect(or(c('country', 'equals', 'DE'), c('field:tier', 'equals', 'silver')), [1, 2], 'OR');
  await expect(
    or({ combinator: 'and', conditions: [c('country', 'equals', 'FR'), c('email', 'is_empty')] }, { combinator: 'and', conditions: [c('list', 'in_list', lists[1]), c('field:vip', 'is_false')] }),
    [1, 2],
    '(A and B) or (C and D)',
  );
  await expect(and(c('field:tier', 'equals', `gold' or '1'='1`)), [], 'an injection attempt is just a value that matches nothing');

  t.same(await segmentSize(em, account.id, and(c('country', 'equals', 'FR'))), { total: 2, textable: 1 }, 'size: opted-out contacts cannot be texted');

  const first = await segmentPage(em, account.id, and(), { limit: 2 });
  t.equal(first.contacts.length, 2);
  t.ok(first.contacts[0].id > first.contacts[1].id, 'newest first');
  const second = await segmentPage(em, account.id, and(), { after: first.next, limit: 2 });
  const third = await segmentPage(em, account.id, and(), { after: second.next, limit: 2 });
  t.equal(third.contacts.length, 1);
  t.equal(third.next, null, 'the last page says so');
  t.same(new Set([...first.contacts, ...second.contacts, ...third.contacts].map((x) => x.phone)).size, 5, 'keyset pages cover every contact once');

  const other_list = await withClient(em, async (client) => (await client.query(`insert into contact_list (id, account_id, name, created_at) values (gen_random_uuid(), $1, 'Theirs', now()) returning id`, [other.account.id])).rows[0].id);
  const refused = async (rules: SegmentRules) => countSegment(em, account.id, rules).then(() => null, (error: unknown) => error);
  t.match(await refused(and(c('list', 'in_list', other_list))), { statusCode: 422, fields: { 'conditions.0': /no such list/ } }, "another account's list is refused");
  t.match(await refused(and(c('field:gone', 'equals', 'x'))), { statusCode: 422 }, 'an unknown field is refused');

  // The recipient set for INSERT ... SELECT by the campaign engine.
  const compiled = await compileSegment(em, account.id, and(c('country', 'equals', 'FR')));
  const ids = segmentIdsQuery(compiled);
  const selected = await withClient(em, (client) => client.query(`select count(*)::int as n from (${ids.sql}) s`, ids.params));
  t.equal(selected.rows[0].n, 2);
  t.ok(await em.findOne(Account, { id: account.id }), 'the contact table and account are intact');

  // Saved segments on the four fields give them their indexes (the account's only: the other
  // account has the same fields but no segment). With the planner kept off sequential scans, every
  // comparison answers as before, and those an index serves go through it.
  const fieldIds = await withClient(em, async (client) => {
    for (const f of FIELDS) await client.query(`insert into segment (id, account_id, name, rules, created_at, updated_at) values (gen_random_uuid(), $1, $2, $3, now(), now())`, [account.id, f.label, JSON.stringify(and(c(`field:${f.key}`, 'is_not_empty')))]);
    return new Map((await client.query<{ key: string; id: string }>(`select key, id from custom_field where account_id = $1`, [account.id])).rows.map((row) => [row.key, row.id]));
  });
  const { built } = await syncFieldIndexes(orm);
  t.same(built.sort(), [...fieldIds.values()].map(fieldIndexName).sort(), "one index per field of the account's segments");
  await withClient(em, (client) => client.query(`alter database ${client.escapeIdentifier(new URL(databaseUrl).pathname.slice(1))} set enable_seqscan = off`));
  const indexed = await openOrm(databaseUrl, 2);
  try {
    const indexedEm = withAccount(indexed.em, account.id);
    await customFieldCases(expectOn(indexedEm));
    const served: [string, SegmentRules][] = [
      ['tier', and(c('field:tier', 'equals', 'GOLD'))],
      ['points', and(c('country', 'equals', 'FR'), c('field:points', 'greater_than', '100'))],
      ['birthday', and(c('field:birthday', 'before', '1991-01-01'))],
      ['vip', and(c('field:vip', 'is_true'))],
    ];
    for (const [key, rules] of served) {
      const plan = await withClient(indexedEm, async (client) => {
        const compiled = await compileSegmentOn(client, account.id, rules);
        return (await client.query(`explain select count(*) from contact c where ${compiled.sql}`, compiled.params)).rows.map((row) => row['QUERY PLAN']).join('\n');
      });
      t.match(plan, fieldIndexName(fieldIds.get(key)!), `${key}: the plan reads the field's index`);
    }
  } finally {
    await indexed.close();
  }
});
