// Settings → Inbound numbers: owners add numbers (typed in any common form, kept in E.164 with
// their country and its keywords, replies in the account's name), change their keywords, replies
// and gateway, reset the keywords and delete them unless a campaign still sends from them;
// marketers and viewers only look. And `npm run cli -- number add`.
import t from 'tap';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildTestApp, createTenant, addUser, signedIn, fieldError } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { Gateway } from '../../src/modules/gateways/gateway.entity.js';
import { InboundNumber } from '../../src/modules/gateways/inbound-number.entity.js';
import { numberSettings } from '../../src/modules/gateways/inbound-numbers.service.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';

const run = promisify(execFile);

/** Every field of a number's settings form, as the page fills it, with `changes` applied. */
const settings = (number: InboundNumber, changes: Record<string, string> = {}): Record<string, string> => ({ ...numberSettings(number), ...changes });

/** An account with a second gateway (Kannel) besides its simulator, and its owner on the inbound numbers page. */
async function ownerOnNumbers(t: Parameters<typeof buildTestApp>[0], accountName?: string) {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm, accountName);
  const em = withAccount(orm.em, account.id);
  const kannel = em.create(Gateway, { account: em.getReference(Account, account.id), kind: 'kannel', name: 'Kannel', config: {} });
  await em.flush();
  const client = await signedIn(app, owner);
  const page = await client.get('/settings/inbound-numbers');
  /** Adds a number through the form; answers its page's URL. */
  const add = async (number: string) => (await client.post('/settings/inbound-numbers', { number })).headers.location as string;
  return { app, orm, account, em, kannel, client, page, add };
}

t.test('an owner adds a number typed in a national form: it is kept in E.164 with its country, its keywords and replies in the account name', async (t) => {
  const { account, em, client, page } = await ownerOnNumbers(t, 'Fromagerie Dupont');
  await em.nativeUpdate(Account, { id: account.id }, { defaultCountry: 'FR' });
  t.match(page.body, 'No inbound number yet');
  t.match((await client.get('/settings')).body, 'href="/settings/inbound-numbers"', 'Settings links to it');

  const added = await client.post('/settings/inbound-numbers', { number: '06 44 00 00 00' });
  t.equal(added.statusCode, 303);
  const number = await em.findOneOrFail(InboundNumber, { number: '+33644000000' }, { populate: ['gateway'] });
  t.equal(added.headers.location, `/settings/inbound-numbers/${number.id}`);
  t.equal(number.country, 'FR');
  t.equal(number.gateway.name, 'Simulator', 'through the default gateway when none is chosen');
  t.same([number.optOutKeywords, number.optInKeywords, number.helpKeywords], [['STOP', 'ARRET'], ['START', 'UNSTOP'], ['HELP', 'AIDE', 'INFO']], "France's keywords");
  t.equal(number.helpReply, 'Fromagerie Dupont: reply STOP to unsubscribe. Msg&data rates may apply.');
  t.equal(number.optOutReply, 'You are unsubscribed from Fromagerie Dupont messages and will receive no more. Reply START to subscribe again.');
  t.equal(number.optInReply, 'You are subscribed to Fromagerie Dupont messages again. Reply STOP to unsubscribe.');

  const list = await client.get('/settings/inbound-numbers');
  t.match(list.body, '+33644000000');
  t.match(list.body, 'France · via Simulator');
  t.match(list.body, '<li>ARRET</li>');
  t.match(list.body, 'Fromagerie Dupont: reply STOP to unsubscribe. Msg&amp;data rates may apply.');
});

t.test("a number's keywords start with its country's: the US and Canada carrier lists, Canada adding ARRET and AIDE, the broad list elsewhere", async (t) => {
  const { em, kannel, client } = await ownerOnNumbers(t);
  for (const [typed, gateway] of [['+1 (202) 555-0123', ''], ['+14165550123', kannel.id], ['0049 151 12345678', '']]) {
    t.equal((await client.post('/settings/inbound-numbers', { number: typed, gateway })).statusCode, 303, `${typed} is added`);
  }
  const numbers = new Map((await em.find(InboundNumber, {}, { populate: ['gateway'] })).map((n) => [n.country, n]));
  t.same(numbers.get('US')!.optOutKeywords, ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
  t.same(numbers.get('US')!.optInKeywords, ['START', 'YES', 'UNSTOP']);
  t.ok(numbers.get('CA')!.optOutKeywords.includes('ARRET') && numbers.get('CA')!.helpKeywords.includes('AIDE'), 'Canada adds ARRET and AIDE');
  t.equal(numbers.get('CA')!.gateway.name, 'Kannel', 'through the gateway chosen');
  t.same(numbers.get('DE')!.optOutKeywords, ['ARRET', 'CANCEL', 'END', 'OPTOUT', 'QUIT', 'REMOVE', 'STOP', 'TD', 'UNSUBSCRIBE'], 'the broad list, OPT-OUT and OPTOUT being one keyword');
  t.match((await client.get('/settings/inbound-numbers')).body, 'Canada · via Kannel');
});

t.test('a number that does not parse, one already added, and a gateway that is not one of ours are refused on the field', async (t) => {
  const { orm, account, client, add } = await ownerOnNumbers(t);
  const other = await createTenant(orm);
  const theirGateway = await withAccount(orm.em, other.account.id).findOneOrFail(Gateway, {});
  await add('+33644000000');
  const cases: [Record<string, string>, string, string][] = [
    [{ number: '+33 1 23' }, 'number', '&quot;+33 1 23&quot; is not a valid phone number.'],
    [{ number: '06 44 00 00 00' }, 'number', '&quot;06 44 00 00 00&quot; has no international prefix (+ or 00) and the account has no default country.'],
    [{ number: '' }, 'number', 'The phone number is missing.'],
    [{ number: '0033 6 44 00 00 00' }, 'number', '+33644000000 is already one of your inbound numbers.'],
    [{ number: '+33644000002', gateway: theirGateway.id }, 'gateway', 'There is no such gateway: choose one of yours.'],
    [{ number: '+33644000002', gateway: 'not-an-id' }, 'gateway', 'There is no such gateway: choose one of yours.'],
  ];
  for (const [form, field, message] of cases) {
    const refused = await client.post('/settings/inbound-numbers', form);
    t.equal(refused.statusCode, 422, `${JSON.stringify(form)} is refused`);
    t.match(refused.body, fieldError(field, message));
    t.match(refused.body, `value="${form.number}"`, 'and what was typed is shown again');
  }
  t.equal(await withAccount(orm.em, account.id).count(InboundNumber, {}), 1, 'nothing more was added');
  t.equal(await withAccount(orm.em, other.account.id).count(InboundNumber, {}), 0);
});

t.test('an owner changes the keywords, replies and gateway; bad keywords, a keyword in two lists and over-long replies save nothing', async (t) => {
  const { orm, account, em, kannel, client, add } = await ownerOnNumbers(t);
  const location = await add('+33644000000');
  const number = await em.findOneOrFail(InboundNumber, {}, { populate: ['gateway'] });
  const page = await client.get(location);
  t.match(page.body, 'value="STOP, ARRET"', 'the keywords are editable as text');

  const saved = await client.post(location, settings(number, { gateway: kannel.id, optOutKeywords: 'stop arrêt, Opt-Out;fin', optInKeywords: 'start', helpKeywords: ' aide ', helpReply: 'Dupont: STOP to end.' }));
  t.equal(saved.statusCode, 200);
  t.match(saved.body, 'Saved.');
  let after = await withAccount(orm.em, account.id).findOneOrFail(InboundNumber, { id: number.id }, { populate: ['gateway'] });
  t.same(after.optOutKeywords, ['STOP', 'ARRET', 'OPTOUT', 'FIN'], 'keywords are kept upper case, without accents or hyphens');
  t.same([after.optInKeywords, after.helpKeywords, after.helpReply, after.gateway.name], [['START'], ['AIDE'], 'Dupont: STOP to end.', 'Kannel']);

  const refusals: [Record<string, string>, string, string][] = [
    [{ optOutKeywords: 'STOP, X' }, 'optOutKeywords', 'Not a keyword: &quot;X&quot;. A keyword has 2 to 30 Latin letters and digits'],
    [{ optInKeywords: 'START, ¡¡' }, 'optInKeywords', 'Not a keyword: &quot;¡¡&quot;.'],
    [{ helpKeywords: 'A'.repeat(31) }, 'helpKeywords', 'Not a keyword'],
    [{ optOutKeywords: '' }, 'optOutKeywords', 'Keep at least one opt-out keyword: people must be able to reply STOP.'],
    [{ optInKeywords: 'START, stop' }, 'optInKeywords', 'STOP is already an opt-out keyword: a keyword belongs to one list.'],
    [{ helpKeywords: 'HELP, Start' }, 'helpKeywords', 'START is already an opt-in keyword: a keyword belongs to one list.'],
    [{ optOutReply: 'x'.repeat(481) }, 'optOutReply', 'The opt-out confirmation can have at most 480 characters; this one has 481.'],
    [{ helpReply: '   ' }, 'helpReply', 'Write the help reply.'],
    [{ gateway: crypto.randomUUID() }, 'gateway', 'There is no such gateway: choose one of yours.'],
  ];
  for (const [changes, field, message] of refusals) {
    const refused = await client.post(location, settings(after, changes));
    t.equal(refused.statusCode, 422, `${JSON.stringify(changes).slice(0, 60)} is refused`);
    t.match(refused.body, fieldError(field, message).replace(/<\/small>$/, ''));
    t.match(refused.body, 'Nothing was saved.');
  }
  const unchanged = await withAccount(orm.em, account.id).findOneOrFail(InboundNumber, { id: number.id });
  t.same([unchanged.optOutKeywords, unchanged.optInKeywords, unchanged.helpKeywords, unchanged.helpReply], [['STOP', 'ARRET', 'OPTOUT', 'FIN'], ['START'], ['AIDE'], 'Dupont: STOP to end.']);

  const reset = await client.post(`${location}/reset-keywords`);
  t.equal(reset.statusCode, 200);
  t.match(reset.body, 'The keywords are France&#39;s defaults again.');
  after = await withAccount(orm.em, account.id).findOneOrFail(InboundNumber, { id: number.id });
  t.same([after.optOutKeywords, after.optInKeywords, after.helpKeywords], [['STOP', 'ARRET'], ['START', 'UNSTOP'], ['HELP', 'AIDE', 'INFO']]);
  t.equal(after.helpReply, 'Dupont: STOP to end.', 'the replies stay as they were');
});

t.test('a number a campaign still sends from cannot be deleted; once the campaign is sent, it can', async (t) => {
  const { orm, account, em, client, add } = await ownerOnNumbers(t);
  const location = await add('+33644000000');
  const number = await em.findOneOrFail(InboundNumber, {});
  const campaign = em.create(Campaign, { account: em.getReference(Account, account.id), name: 'Spring sale', sender: number.number, inboundNumber: number, body: 'Hi STOP', createdBy: 'test', status: 'scheduled' });
  await em.flush();

  const ask = await client.get(`${location}/delete`);
  t.match(ask.body, '+33644000000 cannot be deleted: it is the sender of a campaign still to send (&quot;Spring sale&quot;).');
  t.notMatch(ask.body, 'Delete the number</button>', 'no delete button while it is needed');
  const refused = await client.post(`${location}/delete`);
  t.equal(refused.statusCode, 409);
  t.match(refused.body, 'it is the sender of a campaign still to send');
  t.equal(await withAccount(orm.em, account.id).count(InboundNumber, {}), 1, 'the number is still there');

  await em.nativeUpdate(Campaign, { id: campaign.id }, { status: 'sent' });
  const confirm = await client.get(`${location}/delete`);
  t.match(confirm.body, 'Delete the number</button>');
  const deleted = await client.post(`${location}/delete`);
  t.equal(deleted.statusCode, 303);
  t.equal(deleted.headers.location, '/settings/inbound-numbers');
  t.equal(await withAccount(orm.em, account.id).count(InboundNumber, {}), 0, 'the number is gone');
  const sent = await withAccount(orm.em, account.id).findOneOrFail(Campaign, { id: campaign.id });
  t.equal(sent.inboundNumber, null, 'the sent campaign keeps its record without it');
  t.equal(sent.sender, '+33644000000');
});

t.test('marketers and viewers see the inbound numbers but cannot add, change, reset or delete them', async (t) => {
  const { app, orm, account, add } = await ownerOnNumbers(t);
  const location = await add('+33644000000');
  const number = await withAccount(orm.em, account.id).findOneOrFail(InboundNumber, {}, { populate: ['gateway'] });
  for (const role of ['marketer', 'viewer'] as const) {
    const client = await signedIn(app, await addUser(orm, account, role));
    const list = await client.get('/settings/inbound-numbers');
    t.match(list.body, '+33644000000', `a ${role} sees the numbers`);
    t.notMatch(list.body, 'Add number</button>', `a ${role} gets no add form`);
    const page = await client.get(location);
    t.match(page.body, '<li>ARRET</li>', `a ${role} sees the keywords`);
    t.notMatch(page.body, 'name="optOutKeywords"', `a ${role} gets no settings form`);
    t.notMatch((await client.get(`${location}/delete`)).body, 'Delete the number</button>');
    t.equal((await client.post('/settings/inbound-numbers', { number: '+33644000002' })).statusCode, 403);
    t.equal((await client.post(location, settings(number, { helpReply: 'Changed' }))).statusCode, 403);
    t.equal((await client.post(`${location}/reset-keywords`)).statusCode, 403);
    t.equal((await client.post(`${location}/delete`)).statusCode, 403);
  }
  const after = await withAccount(orm.em, account.id).find(InboundNumber, {});
  t.same(after.map((n) => [n.number, n.helpReply]), [['+33644000000', number.helpReply]], 'nothing changed');
});

t.test('npm run cli -- number add prints the new id last; bad arguments are one line and exit 2', async (t) => {
  const { orm, databaseUrl } = await buildTestApp(t);
  const { account } = await createTenant(orm, 'CLI Corp');
  const gateway = await withAccount(orm.em, account.id).findOneOrFail(Gateway, {});
  const env = { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' };
  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env });
  const { stdout } = await cli('number', 'add', '--account', account.id, '--number', '+33 6 44 00 00 00', '--gateway', gateway.id);
  const id = stdout.trim().split('\n').pop()!.split(' ').pop()!;
  const number = await withAccount(orm.em, account.id).findOneOrFail(InboundNumber, { id }, { populate: ['gateway'] });
  t.same([number.number, number.country, number.gateway.id], ['+33644000000', 'FR', gateway.id]);
  t.equal(number.optOutReply, 'You are unsubscribed from CLI Corp messages and will receive no more. Reply START to subscribe again.');
  for (const [args, message] of [
    [['number', 'add', '--account', account.id, '--number', '+33644000000'], 'textcast: +33644000000 is already one of your inbound numbers.'],
    [['number', 'add', '--account', account.id, '--number', 'abc'], 'textcast: "abc" contains characters a phone number cannot have.'],
    [['number', 'add', '--account', account.id, '--number', '+33644000002', '--gateway', crypto.randomUUID()], 'textcast: There is no such gateway: choose one of yours.'],
    [['number', 'add', '--account', account.id], 'textcast: --number is required'],
    [['number', 'add', '--account', account.id, '--number', '+33644000002', '--colour', 'red'], "textcast: Unknown option '--colour'"],
  ] as [string[], string][]) {
    const bad = await cli(...args).catch((error) => error);
    t.equal(bad.code, 2, `${args.slice(3).join(' ')}: exit code 2`);
    t.equal(bad.stderr.trim().split('\n').length, 1, 'one line');
    t.match(bad.stderr, message);
  }
  const usage = await cli().catch((error) => error);
  t.match(usage.stderr, 'number add --account ID --number +33644000000', 'the usage lists it');
});
