// Settings → Quiet hours: on or off for the account, and the send window per country (the
// defaults from quiet-hours.ts, which an owner can replace country by country, or for "*", every
// country without its own). Everyone sees them; owners change them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ValidationError } from '../../errors.js';
import { Account } from '../accounts/index.js';
import { isCountryCode } from '../../phone.js';
import { DEFAULT_WINDOWS, parseWindow, type CountryWindows, type TimeWindow } from './quiet-hours.js';
import { OWNER_ONLY } from '../accounts/index.js';

type Form = Record<string, string | undefined>;
const DAYS = ['weekdays', 'saturday', 'sunday'] as const;

/** Sets one country's windows from the form (country, weekdays_from, weekdays_to, …). */
export async function setCountryWindows(em: EntityManager, account: Account, form: Form): Promise<void> {
  const errors: Record<string, string> = {};
  const country = String(form.country ?? '').trim().toUpperCase();
  if (country !== '*' && !isCountryCode(country)) errors.country = 'Write a two-letter country code (such as FR), or * for every other country.';
  const windows: Partial<Record<(typeof DAYS)[number], TimeWindow | null>> = {};
  for (const day of DAYS) {
    const parsed = parseWindow(form[`${day}_from`], form[`${day}_to`]);
    if (typeof parsed === 'string') errors[day] = parsed;
    else windows[day] = parsed;
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  account.quietHourRules = { ...(account.quietHourRules ?? {}), [country]: windows as CountryWindows };
  await em.flush();
}

export async function resetCountryWindows(em: EntityManager, account: Account, country: string): Promise<void> {
  const rules = { ...(account.quietHourRules ?? {}) };
  delete rules[country];
  account.quietHourRules = Object.keys(rules).length ? rules : null;
  await em.flush();
}

export async function quietHoursRoutes(app: FastifyInstance) {
  const page = async (request: FastifyRequest, reply: FastifyReply, extra: { values?: Form; errors?: Record<string, string> } = {}, status = 200) => {
    const account = request.account!;
    const custom = (account.quietHourRules ?? {}) as Record<string, CountryWindows>;
    const countries = [...new Set([...Object.keys(DEFAULT_WINDOWS), ...Object.keys(custom)])].sort((a, b) => (a === '*' ? 1 : b === '*' ? -1 : a.localeCompare(b)));
    const rows = countries.map((country) => ({ country, windows: custom[country] ?? DEFAULT_WINDOWS[country]!, custom: Boolean(custom[country]), hasDefault: Boolean(DEFAULT_WINDOWS[country]) }));
    return reply.page('sending/quiet-hours', { enabled: account.quietHours, rows, days: DAYS, values: {}, errors: {}, ...extra }, { title: 'Quiet hours', tab: 'settings', status });
  };

  app.get('/', async (request, reply) => page(request, reply));

  app.post('/enabled', OWNER_ONLY, async (request: FastifyRequest<{ Body: Form }>, reply) => {
    request.account!.quietHours = request.body.enabled === 'on';
    await request.em.flush();
    return reply.redirect('/settings/quiet-hours', 303);
  });

  app.post('/', OWNER_ONLY, async (request: FastifyRequest<{ Body: Form }>, reply) => {
    try {
      await setCountryWindows(request.em, request.account!, request.body);
    } catch (error) {
      if (error instanceof ValidationError) return page(request, reply, { values: request.body, errors: error.fields }, 422);
      throw error;
    }
    return reply.redirect('/settings/quiet-hours', 303);
  });

  app.post('/:country/reset', OWNER_ONLY, async (request: FastifyRequest<{ Params: { country: string } }>, reply) => {
    await resetCountryWindows(request.em, request.account!, request.params.country.toUpperCase());
    return reply.redirect('/settings/quiet-hours', 303);
  });
}
