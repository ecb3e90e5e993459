// Can this campaign go out? The one answer, used by the wizard's warnings (step 2 and the
// campaign page), the launch (which refuses with the first problem), the API, and the test send
// (whose recipients are the test numbers instead of the campaign's).
import type { EntityManager } from '@mikro-orm/postgresql';
import { formatMoney } from '../../money.js';
import { creditBalance, partPrice, priceTable } from '../accounts/index.js';
import { cannotSend, gatewayFor, type Gateway } from '../gateways/index.js';
import type { Campaign } from './campaign.entity.js';
import { checkCampaignText, reachOf, type Reach, type TextCheck } from './campaigns.service.js';

export interface TestNumber {
  phone: string;
  country: string | null;
}

export interface Problem {
  /** What to fix: the form field or setting it concerns. */
  field: 'body' | 'recipients' | 'gateway' | 'prices' | 'credit';
  message: string;
}

export interface Sendability {
  /** The gateway it would go out through: its own once launched; before, its inbound number's when
   * it is sent from one, else the account's default. */
  gateway: Gateway | null;
  /** The campaign's reach (null for a test send, or before recipients are chosen). */
  reach: Reach | null;
  text: TextCheck;
  costMicros: number | null;
  balanceMicros: number;
  /** Each one stops it from going out; empty when it can. */
  problems: Problem[];
}

/** Per destination country: how many recipients, for pricing. */
type Destinations = { country: string | null; recipients: number }[];

/** Why messages cannot go out through this gateway (none, or a kind that cannot send yet). */
export function gatewayProblem(gateway: Gateway | null): string | null {
  if (!gateway) return 'There is no default gateway: choose one under Settings → Gateways.';
  if (gateway.disabled) return `The gateway "${gateway.name}" is disabled: enable it, or choose another, under Settings → Gateways.`;
  return cannotSend(gateway.kind);
}

export async function sendability(em: EntityManager, campaign: Campaign, publicUrl: string, options: { testNumbers?: TestNumber[] } = {}): Promise<Sendability> {
  const problems: Problem[] = [];
  const test = options.testNumbers;
  const reach = test ? null : await reachOf(em, campaign, publicUrl);
  const text = reach?.text ?? (await checkCampaignText(em, campaign, publicUrl));
  if (text.error) problems.push({ field: 'body', message: text.error });

  const gateway = await gatewayFor(em, campaign.gateway?.id, campaign.inboundNumber?.id);
  const noGateway = gatewayProblem(gateway);
  if (noGateway) problems.push({ field: 'gateway', message: noGateway });

  let destinations: Destinations = [];
  if (test) destinations = test.map((n) => ({ country: n.country, recipients: 1 }));
  else if (!reach) problems.push({ field: 'recipients', message: 'Choose the recipients first: a segment or a contact list.' });
  else if (reach.summary.receiving === 0) problems.push({ field: 'recipients', message: 'No contact of its recipient source can receive it (all are opted out or have a bad number).' });
  else destinations = reach.partsByCountry.map((c) => ({ country: c.country, recipients: c.recipients }));

  const prices = await priceTable(em);
  const unpriced = destinations.filter((d) => partPrice(prices, d.country) === null).map((d) => d.country ?? 'unknown');
  const costMicros = unpriced.length ? null : destinations.reduce((sum, d) => sum + d.recipients * text.count.parts * partPrice(prices, d.country)!, 0);
  const balanceMicros = reach?.balanceMicros ?? (await creditBalance(em, campaign.account.id));
  if (unpriced.length) problems.push({ field: 'prices', message: `No price applies to ${unpriced.join(', ')}: set one (or a default) in Settings → Prices before sending.` });
  else if (costMicros !== null && costMicros > balanceMicros) {
    const currency = campaign.account.currency;
    problems.push({ field: 'credit', message: `Insufficient credit. It needs up to ${formatMoney(costMicros, currency)}; the balance is ${formatMoney(balanceMicros, currency)}. Add credit under Settings → Credits.` });
  }
  return { gateway, reach, text, costMicros, balanceMicros, problems };
}
