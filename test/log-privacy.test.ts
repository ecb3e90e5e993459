// A 500 is logged with what finds the bug (the request id, the SQLSTATE, the statement's shape,
// the stack) and without the personal data the failing statement carried: the driver inlines
// every parameter into the error's message, and PostgreSQL's `detail` repeats key values.
import t from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import { buildTestApp, createTenant, createKey } from './helper.js';
import { loggerOptions, withoutValues } from '../src/log.js';

function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino(loggerOptions('info'), stream), errors: () => lines.filter((line) => JSON.parse(line).level >= 50) };
}

t.test('a database failure answers with a reference, and its log line has the reference and the SQLSTATE but not the values', async (t) => {
  const { logger, errors } = capturedLogger();
  const { app, orm } = await buildTestApp(t, {}, undefined, { logger });
  const { account } = await createTenant(orm);
  const key = await createKey(orm, account);
  // A table gone missing under the app: the one sure way to get a real database error.
  await orm.em.getConnection().execute('alter table contact_list rename to contact_list_gone');
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/contact-lists',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ name: 'Zelda Privatperson 4915112345678' }),
  });
  t.equal(res.statusCode, 500);
  const reference = res.json().error.message.match(/Reference: (\S+)/)?.[1];
  t.ok(reference, 'the answer gives a reference');
  const logged = errors().join('\n');
  t.match(logged, reference, 'the log line carries the same reference');
  t.match(logged, '"code":"42P01"', 'and the SQLSTATE');
  t.match(logged, 'contact_list', 'and the statement, to find the bug');
  t.notMatch(logged, 'Zelda', 'but not the name sent');
  t.notMatch(logged, '4915112345678', 'nor the number in it');
  t.notMatch(logged, account.id, 'nor the account id the statement was scoped to');
});

t.test('a duplicate-key detail and the values PostgreSQL quotes in its own messages are taken out', async (t) => {
  t.equal(withoutValues(`insert into "contact" ("phone") values ('+4915112345678') - duplicate key value violates unique constraint "contact_phone_unique"`), `insert into "contact" ("phone") values ('…') - duplicate key value violates unique constraint "contact_phone_unique"`);
  t.equal(withoutValues('invalid input syntax for type uuid: "ann@example.com"'), 'invalid input syntax for type uuid: "…"');
  t.equal(withoutValues('Key (account_id, phone)=(b228, +4915112345678) already exists.'), 'Key (account_id, phone)=(…) already exists.');
  t.equal(withoutValues(`select "c0".* from "t1" as "c0" where "c0"."n" = 4915112345678 limit 1`), `select "c0".* from "t1" as "c0" where "c0"."n" = … limit …`);
});
