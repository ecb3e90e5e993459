// Fixtures for sending tests: an account with credit, prices, a fast simulator, an audience and
// a campaign ready to launch; and plain SQL beside the ORM. (Waiting for what jobs do: `eventually`
// in test/helper.ts.)
import type { MikroORM } from '@mikro-orm/postgresql';
import { withAccount } from '../../src/db/tenant.js';
import type { Account } from '../../src/modules/accounts/account.entity.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { CreditTransaction } from '../../src/modules/accounts/credit-transaction.entity.js';
import { Price } from '../../src/modules/accounts/price.entity.js';
import { Gateway } from '../../src/modules/gateways/gateway.entity.js';
import { audience } from '../campaigns/helpers.js';
import { createTenant } from '../helper.js';
import { inTransaction } from '../../src/db/raw-client.js';
import { queueAutomationSmsOn } from '../../src/modules/sending/index.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';

export const PART_PRICE = 50_000; // 0.05 per part

export async function readyToSend(orm: MikroORM, account: Account, options: { credit?: number; simulator?: Record<string, string>; mps?: number; body?: string; quietHours?: boolean } = {}) {
  const em = withAccount(orm.em, account.id);
  em.create(CreditTransaction, { account: account.id, kind: 'topup', amountMicros: options.credit ?? 100_000_000, actor: 'test' });
  em.create(Price, { account: account.id, country: null, partPriceMicros: PART_PRICE });
  await em.flush();
  await em.nativeUpdate(Gateway, { isDefault: true }, { config: { delay_ms: '50', failure_rate: '0', soft_bounce_rate: '0', ...options.simulator }, messagesPerSecond: options.mps ?? 1000 });
  await em.getConnection().execute('update account set quiet_hours = ? where id = ?', [options.quietHours ?? false, account.id]);
  const people = await audience(orm, account);
  const campaign = em.create(Campaign, {
    account: account.id,
    name: 'Spring sale',
    sender: 'Textcast',
    body: options.body ?? 'Hello {{first_name|there}}, spring sale today!',
    recipientSource: 'list',
    list: people.list,
    createdBy: 'test',
  });
  await em.flush();
  return { ...people, campaign, em };
}

/** Marks the campaign scheduled for now (what the wizard's "send now" does). */
export async function scheduleNow(orm: MikroORM, account: Account, campaignId: string): Promise<void> {
  await orm.em.fork().getConnection().execute(`update campaign set status = 'scheduled', scheduled_at = now() where account_id = ? and id = ?`, [account.id, campaignId]);
}

const PUBLIC_URL = 'http://localhost:3000';
const AUTOMATION_BODY = 'Hi {{first_name|there}}, order {{event.order_id}} has shipped.';

/** An account ready to send, with an automation campaign; `queue` runs Send SMS steps (each entry
 * a run of its own), `dispatch` one pass of the dispatcher (at `now`). */
export async function automationCampaign(orm: MikroORM, options: Parameters<typeof readyToSend>[2] = {}) {
  const { account, owner } = await createTenant(orm);
  const ready = await readyToSend(orm, account, { body: AUTOMATION_BODY, ...options });
  await query(orm, `update campaign set name = 'Order shipped', kind = 'automation', recipient_source = 'automation', list_id = null where id = ?`, [ready.campaign.id]);
  const [ann, bart, carl, dora, eve] = ready.contacts;
  let runs = 1000;
  const queue = (steps: { contactId: string | number; eventData?: Record<string, unknown>; campaignId?: string; programId?: string }[]) =>
    inTransaction(withAccount(orm.em, account.id), (client) =>
      queueAutomationSmsOn(
        client,
        steps.map((step) => ({ accountId: account.id, campaignId: step.campaignId ?? ready.campaign.id, contactId: String(step.contactId), runId: String(++runs), programId: step.programId ?? '00000000-0000-4000-8000-000000000001', eventData: step.eventData ?? { order_id: 'A-17' } })),
      ),
    );
  const dispatch = (now?: Date) => dispatchCampaign(withAccount(orm.em, account.id), account.id, ready.campaign.id, { publicUrl: PUBLIC_URL, ...(now ? { now: () => now } : {}) });
  const messages = async () =>
    (await query<{ phone: string; status: string; skip_reason: string | null }>(orm, 'select phone, status, skip_reason from message where campaign_id = ? order by id', [ready.campaign.id])).map(
      (m) => `${m.phone}:${m.status}${m.skip_reason ? `:${m.skip_reason}` : ''}`,
    );
  const campaignRow = async () => (await query<{ status: string; problem: string | null }>(orm, 'select status, problem from campaign where id = ?', [ready.campaign.id]))[0];
  const received = async () => (await query<{ phone: string; body: string }>(orm, 'select phone, body from simulator_message order by accepted_at, phone')).map((m) => `${m.phone} ${m.body}`);
  const topUp = (micros: number) => query(orm, `insert into credit_transaction (account_id, kind, amount_micros, actor) values (?, 'topup', ?, 'test')`, [account.id, micros]);
  const emptyCredit = () => query(orm, `insert into credit_transaction (account_id, kind, amount_micros, actor) select ?, 'adjustment', -sum(amount_micros), 'test' from credit_transaction where account_id = ?`, [account.id, account.id]);
  return { ...ready, account, owner, ann: ann!, bart: bart!, carl: carl!, dora: dora!, eve: eve!, queue, dispatch, messages, campaignRow, received, topUp, emptyCredit };
}

export async function query<T = Record<string, unknown>>(orm: MikroORM, sql: string, params: unknown[] = []): Promise<T[]> {
  return orm.em.fork().getConnection().execute<T[]>(sql, params);
}
