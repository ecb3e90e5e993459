// Shared by the inbound tests: an inbound number of an account, on its simulator gateway, with
// its country's default keywords (as Settings → Inbound numbers would add it).
import type { MikroORM } from '@mikro-orm/postgresql';
import { withAccount } from '../../src/db/tenant.js';
import type { Account } from '../../src/modules/accounts/account.entity.js';
import { Gateway } from '../../src/modules/gateways/gateway.entity.js';
import { InboundNumber } from '../../src/modules/gateways/inbound-number.entity.js';
import { defaultKeywords } from '../../src/modules/inbound/keywords.js';

export async function addInboundNumber(orm: MikroORM, account: Account, number = '+33644000000', country = 'FR'): Promise<InboundNumber> {
  const em = withAccount(orm.em.fork(), account.id);
  const gateway = await em.findOneOrFail(Gateway, {});
  const keywords = defaultKeywords(country);
  const inbound = em.create(InboundNumber, {
    account: account.id,
    number,
    country,
    gateway,
    optOutKeywords: keywords.optOut,
    optInKeywords: keywords.optIn,
    helpKeywords: keywords.help,
    helpReply: 'ACME: offers by SMS. Reply STOP to stop.',
    optOutReply: 'ACME: you will receive no more SMS.',
    optInReply: 'ACME: welcome back.',
  });
  await em.flush();
  return inbound;
}
