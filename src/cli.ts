// `npm run cli -- <command>`: the operator's commands of DESIGN.md. Commands that create
// something print its id as the last word of their last line. Bad arguments: one line, exit 2.
import { parseArgs } from 'node:util';
import type { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { openOrm, migrate } from './orm.js';
import { withAccount, ACROSS_ACCOUNTS } from './db/tenant.js';
import { ValidationError } from './errors.js';
import { Account } from './modules/accounts/account.entity.js';
import { createAccount, createUser, createApiKey } from './modules/accounts/accounts.service.js';
import { addCredit, creditBalance } from './modules/accounts/credits.js';
import { formatMoney } from './money.js';
import { addInboundNumber, createGateway, setPrivateUrls, webhookUrls, Gateway } from './modules/gateways/index.js';
import { isUuid } from './db/find.js';
import { withClient } from './db/raw-client.js';
import { seedDemoContacts } from './db/demo-seed.js';

class UsageError extends Error {}

const USAGE = `usage: npm run cli -- <command>
  migrate
  account create --name N [--timezone TZ] [--currency EUR]
  user create --account ID --email E --password P --role owner|marketer|viewer
  api-key create --account ID --name N
  credits add --account ID --amount 12.50 [--note TEXT]
  gateway add --account ID --kind simulator|kannel|twilio|generic --name N [--mps 50] [--default] [--option key=value ...]
  gateway urls ID
  number add --account ID --number +33644000000 [--gateway ID]
  seed-demo [--contacts N] [--account ID]`;

type Flags = Record<string, string | undefined>;

function flags(args: string[], names: string[]): Flags {
  try {
    const { values } = parseArgs({ args, options: Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])), strict: true, allowPositionals: false });
    return values as Flags;
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
}

function required(values: Flags, name: string): string {
  const value = values[name];
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

async function findAccount(orm: MikroORM, id: string): Promise<Account> {
  if (!isUuid(id)) throw new UsageError(`--account must be an account id, got "${id}"`);
  const account = await withAccount(orm.em, id).findOne(Account, { id });
  if (!account) throw new UsageError(`no account with id ${id}`);
  return account;
}

const commands: Record<string, (orm: MikroORM, args: string[]) => Promise<string>> = {
  async migrate(orm) {
    const applied = await migrate(orm);
    return applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'the database is up to date';
  },
  async 'account create'(orm, args) {
    const values = flags(args, ['name', 'timezone', 'currency']);
    const em = orm.em.fork();
    const account = createAccount(em, { name: required(values, 'name'), timeZone: values.timezone, currency: values.currency });
    await em.flush();
    return `created account ${account.id}`;
  },
  async 'user create'(orm, args) {
    const values = flags(args, ['account', 'email', 'password', 'role']);
    const account = await findAccount(orm, required(values, 'account'));
    const em = withAccount(orm.em, account.id);
    const user = await createUser(em, em.getReference(Account, account.id), { email: required(values, 'email'), password: required(values, 'password'), role: required(values, 'role') });
    await em.flush();
    return `created user ${user.email} (${user.role}) ${user.id}`;
  },
  async 'api-key create'(orm, args) {
    const values = flags(args, ['account', 'name']);
    const account = await findAccount(orm, required(values, 'account'));
    const em = withAccount(orm.em, account.id);
    const { apiKey, key } = createApiKey(em, em.getReference(Account, account.id), required(values, 'name'));
    await em.flush();
    return `created API key ${apiKey.name} (id ${apiKey.id}); it is shown only now:\n${key}`;
  },
  async 'seed-demo'(orm, args) {
    const values = flags(args, ['contacts', 'account']);
    const raw = values.contacts ?? '1000';
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 10_000_000) throw new UsageError(`--contacts must be a whole number from 1 to 10000000, got "${raw}"`);
    const account = values.account
      ? await findAccount(orm, values.account)
      : (await orm.em.fork().find(Account, {}, { ...ACROSS_ACCOUNTS, orderBy: { createdAt: 'asc' }, limit: 1 }))[0];
    if (!account) throw new UsageError('there is no account yet: start Textcast once (npm start) or run `account create`');
    const contacts = Number(raw);
    const result = await withClient(orm.em.fork(), (client) =>
      seedDemoContacts(client, {
        accountId: account.id,
        contacts,
        onProgress: (done, total) => {
          if (total > 100_000) process.stderr.write(`seed-demo: ${done} of ${total} contacts\n`);
        },
      }),
    );
    const countries = Object.entries(result.byCountry)
      .sort(([, a], [, b]) => b - a)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    const skipped = result.requested - result.created;
    return [
      `created ${result.created} demo contacts in ${(result.ms / 1000).toFixed(1)} s (${countries})${skipped ? `; ${skipped} skipped: their numbers already existed` : ''}`,
      `custom fields: ${result.fields.join(', ') || 'none (fields with these keys but other types exist)'}; lists: ${result.lists.map((l) => `${l.name} (+${l.added})`).join(', ')}`,
      `account ${account.name} ${account.id}`,
    ].join('\n');
  },
};

commands['credits add'] = async (orm, args) => {
  const values = flags(args, ['account', 'amount', 'note']);
  const account = await findAccount(orm, required(values, 'account'));
  const em = withAccount(orm.em, account.id);
  const entry = await addCredit(em, em.getReference(Account, account.id), required(values, 'amount'), values.note, 'cli');
  const balance = await creditBalance(em, account.id);
  return `added ${formatMoney(entry.amountMicros, account.currency)} (balance ${formatMoney(balance, account.currency)}) ${entry.id}`;
};

commands['gateway add'] = async (orm, args) => {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { account: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' }, mps: { type: 'string' }, default: { type: 'boolean' }, option: { type: 'string', multiple: true } }, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  const values = parsed.values;
  const account = await findAccount(orm, required(values as Flags, 'account'));
  const options: Record<string, string> = {};
  for (const pair of values.option ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--option takes key=value, got "${pair}"`);
    options[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const em = withAccount(orm.em, account.id);
  const gateway = await createGateway(em, em.getReference(Account, account.id), { kind: required(values as Flags, 'kind'), name: required(values as Flags, 'name'), mps: values.mps, isDefault: values.default, options });
  return `created ${gateway.kind} gateway ${gateway.name}\nid=${gateway.id} secret=${gateway.secret}`;
};

commands['gateway urls'] = async (orm, args) => {
  const id = args[0];
  if (!isUuid(id)) throw new UsageError('usage: gateway urls <gateway id>');
  // The operator names a gateway of any account.
  const gateway = await orm.em.fork().findOne(Gateway, { id }, ACROSS_ACCOUNTS);
  if (!gateway) throw new UsageError(`no gateway with id ${id}`);
  const urls = webhookUrls(gateway, loadConfig().publicUrl);
  return `inbound=${urls.inbound}\ndlr=${urls.dlr}`;
};

commands['number add'] = async (orm, args) => {
  const values = flags(args, ['account', 'number', 'gateway']);
  const account = await findAccount(orm, required(values, 'account'));
  // Without --gateway, the account's default gateway (as in Settings → Inbound numbers).
  const number = await addInboundNumber(withAccount(orm.em, account.id), account, { number: required(values, 'number'), gateway: values.gateway });
  return `created inbound number ${number.number} (${number.country ?? 'no country'}) ${number.id}`;
};

async function main(argv: string[]): Promise<number> {
  const name = [argv[0], argv[1]].filter(Boolean).join(' ');
  const command = commands[name] ? name : commands[argv[0] ?? ''] ? argv[0] : undefined;
  if (!command) {
    process.stderr.write(argv.length ? `textcast: unknown command "${argv.join(' ')}"\n${USAGE}\n` : `${USAGE}\n`);
    return 2;
  }
  const rest = argv.slice(command.split(' ').length);
  let database: Database | undefined;
  let orm: MikroORM | undefined;
  try {
    const config = loadConfig();
    // `gateway add` judges URLs as the server will.
    setPrivateUrls(config.gatewayPrivateUrls);
    database = await openDatabase(config, (line) => process.stderr.write(line + '\n'));
    orm = await openOrm(database.url, 2);
    if (command !== 'migrate') await migrate(orm);
    process.stdout.write((await commands[command](orm, rest)) + '\n');
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`textcast: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ValidationError) {
      process.stderr.write(`textcast: ${Object.values(error.fields).join(' ')}\n`);
      return 2;
    }
    process.stderr.write(`textcast: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await orm?.close();
    await database?.stop();
  }
}

process.exitCode = await main(process.argv.slice(2));
