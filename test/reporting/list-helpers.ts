// The Reporting list's fixtures: campaigns launched at a chosen time (or automation campaigns) with
// messages of known statuses, costs and times, written straight into the message table (its
// triggers keep the rollups).
import type { MikroORM } from '@mikro-orm/postgresql';
import { withAccount } from '../../src/db/tenant.js';
import type { Account } from '../../src/modules/accounts/account.entity.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { query } from '../sending/helpers.js';

export interface Sent {
  status: 'delivered' | 'undelivered' | 'skipped' | 'failed';
  cost?: number;
  /** When it left; skipped messages and those refused before leaving have none. */
  at?: string;
  isTest?: boolean;
}

let phones = 0;

/** A campaign of `account` launched at `launchedAt` (or an automation campaign), with its messages. */
export async function campaignWith(orm: MikroORM, account: Account, name: string, launchedAt: string | null, messages: Sent[], kind: 'batch' | 'automation' = 'batch') {
  const em = withAccount(orm.em.fork(), account.id);
  const campaign = em.create(Campaign, {
    account: account.id,
    name,
    kind,
    sender: 'ACME',
    body: 'Spring sale today! STOP to opt out',
    createdBy: 'test',
    status: kind === 'automation' ? 'draft' : 'sent',
    recipientSource: kind === 'automation' ? 'automation' : null,
    launchedAt: launchedAt ? new Date(launchedAt) : null,
    firstSentAt: launchedAt ? new Date(launchedAt) : null,
  });
  await em.flush();
  for (const m of messages) {
    const sentAt = m.status === 'skipped' || m.status === 'failed' ? null : (m.at ?? launchedAt);
    await query(
      orm,
      `insert into message (account_id, campaign_id, phone, country, status, skip_reason, sent_at, parts, cost_micros, is_test, token)
       values (?, ?, ?, 'FR', ?, ?, ?, 1, ?, ?, ?)`,
      [account.id, campaign.id, `+3361000${String(++phones).padStart(4, '0')}`, m.status, m.status === 'skipped' ? 'opted_out' : null, sentAt, m.status === 'skipped' ? null : (m.cost ?? 50_000), m.isTest ?? false, `tok${String(phones).padStart(7, '0')}`],
    );
  }
  return campaign;
}

export const times = (n: number, sent: Sent) => Array.from({ length: n }, () => sent);
