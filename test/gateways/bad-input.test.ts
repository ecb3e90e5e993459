// Bad input on Settings → Gateways: the new-gateway form with a repeated field, a list where text
// belongs, a NUL byte, an over-long value or a rate limit out of range comes back (422) with the
// field marked, no gateway added, and never a secret option (a password, a token) sent back; a
// malformed gateway id in a URL is "not found".
import t from 'tap';
import { buildTestApp, createTenant, signedIn, fieldError } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Gateway } from '../../src/modules/gateways/gateway.entity.js';

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  await client.get('/settings/gateways');
  const gateways = () => withAccount(orm.em.fork(), account.id).find(Gateway, {}, { orderBy: { createdAt: 'asc' } });
  return { app, orm, account, owner, client, gateways };
}

const SINGLE = 'Must be a single value, not 2 values.';
const KANNEL = 'kind=kannel&name=Kannel&option_url=http%3A%2F%2F127.0.0.1%3A13013%2Fcgi-bin%2Fsendsms&option_username=tc';

t.test('a gateway form with an option typed twice comes back with that option marked, adds nothing and never shows the password typed', async (t) => {
  const { client, gateways } = await setup(t);
  const response = await client.postRaw('/settings/gateways', `${KANNEL}&option_password=kannel-pass-7731&option_smsc=a&option_smsc=b`);
  t.equal(response.statusCode, 422);
  t.match(response.body, '<h2>Add a gateway</h2>', 'the form again');
  t.match(response.body, fieldError('option-smsc', SINGLE), 'marked on the option, where the service marks its own problems');
  t.match(response.body, /name="option_smsc"\s+value="" aria-invalid="true"/);
  t.match(response.body, 'value="tc"', 'the other options typed are kept');
  t.notMatch(response.body, 'kannel-pass-7731', 'the password is not sent back');
  t.equal((await gateways()).length, 1, 'only the simulator');
});

t.test('a secret option sent twice or as a list is refused on its field and never echoed', async (t) => {
  const { client, gateways } = await setup(t);
  const twice = await client.postRaw('/settings/gateways', `${KANNEL}&option_password=first-secret-91&option_password=second-secret-92`);
  t.equal(twice.statusCode, 422);
  t.match(twice.body, fieldError('option-password', SINGLE));
  t.notMatch(twice.body, /first-secret-91|second-secret-92/, 'neither value is sent back');
  const list = await client.postJson('/settings/gateways', { kind: 'twilio', name: 'Twilio', option_account_sid: 'AC1', option_auth_token: ['token-as-list-93'] });
  t.equal(list.statusCode, 422);
  t.match(list.body, fieldError('option-auth_token', 'Must be text, not a list.'));
  t.notMatch(list.body, 'token-as-list-93');
  const other = await client.postJson('/settings/gateways', { kind: ['twilio'], name: 'Twilio', option_account_sid: 'AC1', option_auth_token: 'valid-token-94' });
  t.equal(other.statusCode, 422, 'a kind sent as a list');
  t.match(other.body, fieldError('kind', 'Must be text, not a list.'));
  t.notMatch(other.body, 'valid-token-94', 'a valid secret in a refused form is not sent back either');
  t.equal((await gateways()).length, 1);
});

t.test('messages per second out of range or not a plain whole number is refused in words', async (t) => {
  const { client, gateways } = await setup(t);
  for (const mps of ['0', '10001', '99999999999999999999', '-5', '12.5', '1e3', '0x10', 'fast']) {
    const response = await client.post('/settings/gateways', { kind: 'simulator', name: 'Sim 2', mps });
    t.equal(response.statusCode, 422, `${mps} is refused`);
    t.match(response.body, fieldError('mps', 'Messages per second is a whole number from 1 to 10,000.'));
  }
  const twice = await client.postRaw('/settings/gateways', 'kind=simulator&name=Sim+2&mps=10&mps=20');
  t.equal(twice.statusCode, 422);
  t.match(twice.body, fieldError('mps', SINGLE));
  const huge = await client.post('/settings/gateways', { kind: 'simulator', name: 'Sim 2', mps: '1'.repeat(2000) });
  t.equal(huge.statusCode, 422);
  t.match(huge.body, fieldError('mps', 'At most 1,000 characters.'));
  t.equal((await gateways()).length, 1, 'nothing added');
  t.equal((await client.post('/settings/gateways', { kind: 'simulator', name: 'Sim 2', mps: '10000' })).statusCode, 303, 'the top of the range is taken');
  t.equal((await client.post('/settings/gateways', { kind: 'simulator', name: 'Sim 3' })).statusCode, 303, 'an empty rate is the default');
  t.same((await gateways()).map((g) => g.messagesPerSecond).slice(1), [10_000, 50]);
});

t.test('a NUL byte or an over-long value in the gateway form is marked on its field', async (t) => {
  const { client, gateways } = await setup(t);
  const nul = await client.postRaw('/settings/gateways', 'kind=simulator&name=Sim%00ulator');
  t.equal(nul.statusCode, 422);
  t.match(nul.body, fieldError('name', 'Contains a NUL character.'));
  const nulOption = await client.postRaw('/settings/gateways', `${KANNEL}&option_password=pw&option_smsc=sm%00sc`);
  t.equal(nulOption.statusCode, 422);
  t.match(nulOption.body, fieldError('option-smsc', 'Contains a NUL character.'));
  const huge = await client.post('/settings/gateways', { kind: 'generic', name: 'Generic', option_url: 'https://sms.example.com/' + 'x'.repeat(2000) });
  t.equal(huge.statusCode, 422);
  t.match(huge.body, fieldError('option-url', 'At most 1,000 characters.'));
  const long = await client.post('/settings/gateways', { kind: 'generic', name: 'Generic', option_url: 'https://sms.example.com/' + 'x'.repeat(500) });
  t.equal(long.statusCode, 422);
  t.match(long.body, 'url has at most 500 characters.', "the service's own limit");
  const name = await client.post('/settings/gateways', { kind: 'simulator', name: 'n'.repeat(101) });
  t.match(name.body, fieldError('name', 'Give the gateway a name of at most 100 characters.'));
  t.equal((await gateways()).length, 1);
});

t.test('making a gateway the default through a malformed id is "not found" and changes nothing', async (t) => {
  const { client, gateways } = await setup(t);
  for (const id of ['not-a-uuid', '123', '%00']) {
    const response = await client.post(`/settings/gateways/${id}/default`);
    t.equal(response.statusCode, 404, `${id}: 404`);
  }
  t.match((await client.post('/settings/gateways/not-a-uuid/default')).body, 'There is no such gateway.');
  t.same((await gateways()).map((g) => g.isDefault), [true], 'the simulator is still the default');
});
