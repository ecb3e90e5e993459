// Gateways of an account: creating them with their kind's options, the default one. New accounts
// get a simulator gateway as their default (an account set-up registered in src/wiring.ts).
import type { EntityManager } from '@mikro-orm/postgresql';
import { ValidationError } from '../../errors.js';
import type { Account } from '../accounts/index.js';
import { Gateway } from './gateway.entity.js';
import { InboundNumber } from './inbound-number.entity.js';
import { GATEWAY_KINDS, gatewayKind, isGatewayKind } from './registry.js';
import type { GatewayOption } from './gateway-kind.js';

export interface GatewayInput {
  kind: unknown;
  name: unknown;
  mps?: unknown;
  isDefault?: boolean;
  options?: Record<string, string>;
}

/** What is wrong with an option's value, by its declared type; null when nothing. */
function optionValueError(option: GatewayOption, value: string): string | null {
  if (option.type === 'url' && !/^https?:\/\/\S+$/.test(value)) return `${option.name} must be an http:// or https:// URL.`;
  if (option.type === 'rate' && !(/^\d*\.?\d+$/.test(value) && Number(value) >= 0 && Number(value) <= 1)) return `${option.name} is a number from 0 to 1.`;
  if (option.type === 'milliseconds' && !/^\d{1,7}$/.test(value)) return `${option.name} is a whole number of milliseconds.`;
  if (value.length > 500) return `${option.name} has at most 500 characters.`;
  return null;
}

/** Errors keyed `option.<name>` for the options of a kind: unknown ones, missing required ones, bad values. */
export function optionErrors(kind: string, options: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  const declared = gatewayKind(kind).options;
  for (const key of Object.keys(options)) {
    if (!declared.some((o) => o.name === key)) errors[`option.${key}`] = `A ${kind} gateway has no option "${key}" (it takes ${declared.map((o) => o.name).join(', ')}).`;
  }
  for (const option of declared) {
    const value = options[option.name];
    if (value === undefined || value === '') {
      if (option.required) errors[`option.${option.name}`] = `A ${kind} gateway needs the option ${option.name}.`;
      continue;
    }
    const problem = optionValueError(option, value);
    if (problem) errors[`option.${option.name}`] = problem;
  }
  return errors;
}

export async function createGateway(em: EntityManager, account: Account, input: GatewayInput): Promise<Gateway> {
  const errors: Record<string, string> = {};
  const kind = String(input.kind ?? '');
  if (!isGatewayKind(kind)) errors.kind = `The kind is one of ${GATEWAY_KINDS.join(', ')}.`;
  const name = String(input.name ?? '').trim();
  if (!name || name.length > 100) errors.name = 'Give the gateway a name of at most 100 characters.';
  // Digits only: "1e3", "0x10" or "12.0" are not what a person types for a whole number.
  const mpsText = String(input.mps ?? '').trim();
  const mps = mpsText === '' ? 50 : /^[0-9]{1,6}$/.test(mpsText) ? Number(mpsText) : NaN;
  if (!Number.isInteger(mps) || mps < 1 || mps > 10_000) errors.mps = 'Messages per second is a whole number from 1 to 10,000.';
  const options = input.options ?? {};
  if (!errors.kind) Object.assign(errors, optionErrors(kind, options));
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const first = (await em.count(Gateway, {})) === 0;
  const gateway = em.create(Gateway, { account, kind: kind as Gateway['kind'], name, config: options, messagesPerSecond: mps, isDefault: first || Boolean(input.isDefault) });
  if (gateway.isDefault) await em.nativeUpdate(Gateway, { isDefault: true }, { isDefault: false });
  await em.flush();
  return gateway;
}

export async function makeDefault(em: EntityManager, gateway: Gateway): Promise<void> {
  await em.nativeUpdate(Gateway, { isDefault: true, id: { $ne: gateway.id } }, { isDefault: false });
  gateway.isDefault = true;
  await em.flush();
}

/** Account set-up: every new account can try Textcast at once, with the built-in simulator as
 * its default gateway. */
export function giveSimulatorGateway(em: EntityManager, account: Account): void {
  em.persist(em.create(Gateway, { account, kind: 'simulator', name: 'Simulator', config: { ...gatewayKind('simulator').defaults }, isDefault: true }));
}

/** The gateway a campaign goes out through: its own once launched, otherwise the account's default. */
export async function gatewayFor(em: EntityManager, campaignGatewayId: string | null | undefined, inboundNumberId?: string | null): Promise<Gateway | null> {
  if (campaignGatewayId) return em.findOne(Gateway, { id: campaignGatewayId });
  // Sent from an inbound number: through the gateway the number belongs to, where replies arrive.
  const number = inboundNumberId ? await em.findOne(InboundNumber, { id: inboundNumberId }, { populate: ['gateway'] }) : null;
  return number ? number.gateway : em.findOne(Gateway, { isDefault: true });
}
