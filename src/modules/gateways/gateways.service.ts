// Gateways of an account: creating them with their kind's options, the default one. New accounts
// get a simulator gateway as their default (an account set-up registered in src/wiring.ts).
import type { EntityManager } from '@mikro-orm/postgresql';
import { ValidationError } from '../../errors.js';
import type { Account } from '../accounts/index.js';
import { Gateway } from './gateway.entity.js';
import { InboundNumber } from './inbound-number.entity.js';
import { GATEWAY_KINDS, gatewayKind, isGatewayKind } from './registry.js';
import type { GatewayOption } from './gateway-kind.js';
import { refusedLiteral } from './outbound-http.js';

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
  if (option.type === 'url') return refusedHost(option.name, value);
  return null;
}

/** An IP address written in a URL that gateways may not reach (link-local and metadata always;
 * loopback and private ones with GATEWAY_PRIVATE_URLS=deny). A host name is judged when the
 * connection is made (outbound-http.ts), which is the real guard: this only says it early. */
function refusedHost(name: string, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${name} must be an http:// or https:// URL.`;
  }
  const refused = refusedLiteral(parsed);
  return refused ? `${name} cannot be used: ${refused}.` : null;
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

/** The name and messages-per-second limit as typed, checked; their errors go into `errors`. */
function nameAndRate(input: { name: unknown; mps?: unknown }, errors: Record<string, string>): { name: string; mps: number } {
  const name = String(input.name ?? '').trim();
  if (!name || name.length > 100) errors.name = 'Give the gateway a name of at most 100 characters.';
  // Digits only: "1e3", "0x10" or "12.0" are not what a person types for a whole number.
  const mpsText = String(input.mps ?? '').trim();
  const mps = mpsText === '' ? 50 : /^[0-9]{1,6}$/.test(mpsText) ? Number(mpsText) : NaN;
  if (!Number.isInteger(mps) || mps < 1 || mps > 10_000) errors.mps = 'Messages per second is a whole number from 1 to 10,000.';
  return { name, mps };
}

export async function createGateway(em: EntityManager, account: Account, input: GatewayInput): Promise<Gateway> {
  const errors: Record<string, string> = {};
  const kind = String(input.kind ?? '');
  if (!isGatewayKind(kind)) errors.kind = `The kind is one of ${GATEWAY_KINDS.join(', ')}.`;
  const { name, mps } = nameAndRate(input, errors);
  const options = input.options ?? {};
  if (!errors.kind) Object.assign(errors, optionErrors(kind, options));
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const first = (await em.count(Gateway, {})) === 0;
  const gateway = em.create(Gateway, { account, kind: kind as Gateway['kind'], name, config: options, messagesPerSecond: mps, isDefault: first || Boolean(input.isDefault) });
  if (gateway.isDefault) await em.nativeUpdate(Gateway, { isDefault: true }, { isDefault: false });
  await em.flush();
  return gateway;
}

/** Edits a gateway's name, rate and options (its kind stays). A secret option left empty keeps
 * its stored value: secrets are never sent to the browser, so the form cannot show them. */
export async function updateGateway(em: EntityManager, gateway: Gateway, input: Omit<GatewayInput, 'kind' | 'isDefault'>): Promise<void> {
  const errors: Record<string, string> = {};
  const { name, mps } = nameAndRate(input, errors);
  const options = { ...(input.options ?? {}) };
  for (const option of gatewayKind(gateway.kind).options) {
    const stored = gateway.config[option.name];
    if (option.secret && !options[option.name] && stored) options[option.name] = stored;
  }
  Object.assign(errors, optionErrors(gateway.kind, options));
  if (Object.keys(errors).length) throw new ValidationError(errors);
  Object.assign(gateway, { name, messagesPerSecond: mps, config: options });
  await em.flush();
}

/** Makes the gateway the account's default (the one campaigns without their own go through). */
export async function makeDefault(em: EntityManager, gateway: Gateway): Promise<void> {
  const message = 'A disabled gateway cannot be the default: enable it first.';
  if (gateway.disabled) throw new ValidationError({ default: message }, message);
  await em.nativeUpdate(Gateway, { isDefault: true, id: { $ne: gateway.id } }, { isDefault: false });
  gateway.isDefault = true;
  await em.flush();
}

/** Disables or enables a gateway. A disabled one sends nothing (launches through it are
 * refused); the default cannot be disabled, since every campaign without its own goes through it. */
export async function setDisabled(em: EntityManager, gateway: Gateway, disabled: boolean): Promise<void> {
  const message = 'The default gateway cannot be disabled: make another gateway the default first.';
  if (disabled && gateway.isDefault) throw new ValidationError({ disabled: message }, message);
  gateway.disabled = disabled;
  await em.flush();
}

/** Resumes a gateway paused after failing: the count starts again from zero. */
export async function resumeGateway(em: EntityManager, gateway: Gateway): Promise<void> {
  Object.assign(gateway, { pausedAt: null, problem: null, consecutiveFailures: 0 });
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
