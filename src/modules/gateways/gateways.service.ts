// Gateways of an account: creating them with their options, the default one, and the webhook
// URLs an operator pastes into the provider. New accounts get a simulator gateway by default.
import type { EntityManager } from '@mikro-orm/postgresql';
import { ValidationError } from '../../errors.js';
import type { Account } from '../accounts/account.entity.js';
import { Gateway, GATEWAY_KINDS, type GatewayKind } from './gateway.entity.js';

/** The options each kind accepts (DESIGN.md "Gateway options"), and which are required. */
export const GATEWAY_OPTIONS: Record<GatewayKind, { name: string; required: boolean }[]> = {
  simulator: [
    { name: 'delay_ms', required: false },
    { name: 'failure_rate', required: false },
    { name: 'soft_bounce_rate', required: false },
    { name: 'reject_rate', required: false },
  ],
  kannel: [
    { name: 'url', required: true },
    { name: 'username', required: true },
    { name: 'password', required: true },
    { name: 'smsc', required: false },
  ],
  twilio: [
    { name: 'account_sid', required: true },
    { name: 'auth_token', required: true },
    { name: 'from', required: false },
    { name: 'messaging_service_sid', required: false },
    { name: 'base_url', required: false },
  ],
  generic: [
    { name: 'url', required: true },
    { name: 'token', required: false },
  ],
};

export interface GatewayInput {
  kind: unknown;
  name: unknown;
  mps?: unknown;
  isDefault?: boolean;
  options?: Record<string, string>;
}

function validRate(value: string | undefined): boolean {
  return value === undefined || (/^\d*\.?\d+$/.test(value) && Number(value) >= 0 && Number(value) <= 1);
}

export async function createGateway(em: EntityManager, account: Account, input: GatewayInput): Promise<Gateway> {
  const errors: Record<string, string> = {};
  const kind = String(input.kind ?? '') as GatewayKind;
  if (!GATEWAY_KINDS.includes(kind)) errors.kind = `The kind is one of ${GATEWAY_KINDS.join(', ')}.`;
  const name = String(input.name ?? '').trim();
  if (!name || name.length > 100) errors.name = 'Give the gateway a name of at most 100 characters.';
  const mps = input.mps === undefined || input.mps === '' ? 50 : Number(input.mps);
  if (!Number.isInteger(mps) || mps < 1 || mps > 10_000) errors.mps = 'Messages per second is a whole number from 1 to 10,000.';
  const options = input.options ?? {};
  if (!errors.kind) {
    const allowed = GATEWAY_OPTIONS[kind];
    for (const key of Object.keys(options)) {
      if (!allowed.some((o) => o.name === key)) errors[`option.${key}`] = `A ${kind} gateway has no option "${key}" (it takes ${allowed.map((o) => o.name).join(', ')}).`;
    }
    for (const option of allowed) if (option.required && !options[option.name]) errors[`option.${option.name}`] = `A ${kind} gateway needs the option ${option.name}.`;
    if (kind === 'simulator') {
      for (const key of ['failure_rate', 'soft_bounce_rate', 'reject_rate']) if (!validRate(options[key])) errors[`option.${key}`] = `${key} is a number from 0 to 1.`;
      if (options.delay_ms !== undefined && !/^\d{1,7}$/.test(options.delay_ms)) errors['option.delay_ms'] = 'delay_ms is a whole number of milliseconds.';
    }
    for (const key of ['url', 'base_url']) {
      if (options[key] && !/^https?:\/\/\S+$/.test(options[key])) errors[`option.${key}`] = `${key} must be an http:// or https:// URL.`;
    }
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const first = (await em.count(Gateway, {})) === 0;
  const gateway = em.create(Gateway, { account, kind, name, config: options, messagesPerSecond: mps, isDefault: first || Boolean(input.isDefault) });
  if (gateway.isDefault) await em.nativeUpdate(Gateway, { isDefault: true }, { isDefault: false });
  await em.flush();
  return gateway;
}

export async function makeDefault(em: EntityManager, gateway: Gateway): Promise<void> {
  await em.nativeUpdate(Gateway, { isDefault: true, id: { $ne: gateway.id } }, { isDefault: false });
  gateway.isDefault = true;
  await em.flush();
}

/** The webhook URLs of a gateway. Kannel's inbound URL carries its escape codes (%p from, %P to,
 * %a text, %t time, %I message id) and the secret, ready to paste as an sms-service get-url. */
export function webhookUrls(gateway: Pick<Gateway, 'id' | 'kind' | 'secret'>, publicUrl: string): { inbound: string; dlr: string } {
  const base = `${publicUrl}/webhooks/${gateway.id}`;
  if (gateway.kind === 'kannel') {
    return {
      inbound: `${base}/inbound?secret=${gateway.secret}&from=%p&to=%P&text=%a&time=%t&id=%I`,
      dlr: `${base}/dlr?secret=${gateway.secret}&type=%d&id=`,
    };
  }
  return { inbound: `${base}/inbound`, dlr: `${base}/dlr` };
}

export const SIMULATOR_DEFAULTS = { delay_ms: '2000', failure_rate: '0.02', soft_bounce_rate: '0.01' };
