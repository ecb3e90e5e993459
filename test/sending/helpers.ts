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

export async function query<T = Record<string, unknown>>(orm: MikroORM, sql: string, params: unknown[] = []): Promise<T[]> {
  return orm.em.fork().getConnection().execute<T[]>(sql, params);
}
