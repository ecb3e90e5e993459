// Messages as the dispatcher leaves them, written straight into the message table at chosen
// times (its triggers keep the rollups the reports read).
import { DateTime } from 'luxon';
import type { MikroORM } from '@mikro-orm/postgresql';
import { query } from '../sending/helpers.js';
import { withAccount } from '../../src/db/tenant.js';
import { Campaign } from '../../src/modules/campaigns/index.js';
import type { Account } from '../../src/modules/accounts/account.entity.js';

export interface Sent {
  at: string;
  kind?: 'batch' | 'automated' | 'transactional';
  country?: string | null;
  parts?: number;
  cost?: number;
  status?: 'sent' | 'delivered' | 'undelivered' | 'failed';
}

export async function campaignOf(orm: MikroORM, account: Account): Promise<string> {
  const em = withAccount(orm.em.fork(), account.id);
  const campaign = em.create(Campaign, { account: account.id, name: 'Sale', sender: 'ACME', body: 'Hi', createdBy: 'test', status: 'sent' });
  await em.flush();
  return campaign.id;
}

/** Messages that left for the gateway at `at`: batch ones of a campaign, automated ones of a
 * program's run, transactional ones (replies) without a campaign. */
export async function sent(orm: MikroORM, account: Account, messages: Sent[]): Promise<void> {
  const campaignId = await campaignOf(orm, account);
  for (const m of messages) {
    const kind = m.kind ?? 'batch';
    await query(
      orm,
      `insert into message (account_id, campaign_id, run_id, phone, country, status, parts, cost_micros, sent_at) values (?, ?, ?, '+33600000000', ?, ?, ?, ?, ?)`,
      [account.id, kind === 'transactional' ? null : campaignId, kind === 'automated' ? 1 : null, m.country === undefined ? 'FR' : m.country, m.status ?? 'delivered', m.parts ?? 1, m.cost ?? 50_000, m.at],
    );
  }
}


/** Noon of a day `daysAgo` before today in `zone` (Europe/Paris, test accounts' zone), as UTC ISO. */
export function localNoon(daysAgo: number, zone = 'Europe/Paris'): string {
  return DateTime.now().setZone(zone).startOf('day').minus({ days: daysAgo }).set({ hour: 12 }).toUTC().toISO()!;
}
