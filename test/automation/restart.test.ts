// A program's wait survives the process: a contact enters a program in one real process, which is
// killed while the contact waits; the wait ends while nothing runs; the next process takes the
// run up where it stood and finishes it, once.
import t from 'tap';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, createTenant, eventually, freePort } from '../helper.js';
import { launch, waitForHealth } from '../running/helpers.js';
import { openOrm } from '../../src/orm.js';
import { withAccount } from '../../src/db/tenant.js';
import { ContactList } from '../../src/modules/contacts/contact-list.entity.js';
import { query } from '../sending/helpers.js';
import { contact, externalEvent, program, trigger } from './helpers.js';

t.setTimeout(120_000);

function start(env: Record<string, string>) {
  return launch(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { HOME: os.tmpdir(), DATA_DIR: path.join(os.tmpdir(), 'textcast-automation-restart'), LOG_LEVEL: 'warn', ROLE: 'all', ...env },
  });
}

t.test('a contact waiting in a program when the process dies goes on after the restart, once', async (t) => {
  const url = await createTestDatabase(t);
  const orm = await openOrm(url, 2);
  t.teardown(() => orm.close());
  const { account } = await createTenant(orm);
  const em = withAccount(orm.em.fork(), account.id);
  const [before, after] = ['Before the wait', 'After the wait'].map((name) => em.create(ContactList, { account: account.id, name }));
  await em.flush();
  const eventId = await externalEvent(orm, account);
  const prog = await program(orm, account, eventId, [
    { kind: 'add_to_list', list: before!.id },
    { kind: 'wait', wait_mode: 'for', wait_amount: '1', wait_unit: 'minutes' },
    { kind: 'add_to_list', list: after!.id },
  ]);
  const ann = await contact(orm, account, '+33612345001');
  const run = async () => (await query<{ status: string; due_at: Date; path: string }>(orm, `select status, due_at, (select string_agg(kind || ':' || outcome, ' > ' order by id) from automation_run_step x where x.run_id = r.id) as path from automation_run r where program_id = ?`, [prog.id]))[0];

  const port = await freePort();
  const env = { DATABASE_URL: url, PORT: String(port) };
  const first = start(env);
  t.teardown(() => first.child.kill('SIGKILL'));
  await waitForHealth(port, first);
  await trigger(orm, account, eventId, [ann]);
  const waiting = await eventually('the contact to wait in the program', run, { until: (r) => r?.path === 'add_to_list:passed', timeoutMs: 20_000 });
  t.equal(waiting!.status, 'running');
  first.child.kill('SIGKILL');
  await first.exited;

  // The minute passes while no process runs (moved on by the clock, not waited out).
  await query(orm, `update automation_run set due_at = now() - interval '1 second' where program_id = ?`, [prog.id]);
  t.equal((await run())!.status, 'running', 'nothing moves it without a process');

  const second = start(env);
  t.teardown(() => second.child.kill('SIGKILL'));
  await waitForHealth(port, second);
  const done = await eventually('the run to finish', run, { until: (r) => r?.status === 'completed', timeoutMs: 20_000 });
  t.equal(done!.path, 'add_to_list:passed > wait:passed > add_to_list:passed', 'each step once, in order');
  const members = await query<{ list_id: string }>(orm, 'select list_id from contact_list_member where contact_id = ?', [ann.id]);
  t.equal(members.length, 2, 'on both lists');
  second.child.kill('SIGTERM');
  t.equal((await second.exited).code, 0, 'the second process stops cleanly');
});
