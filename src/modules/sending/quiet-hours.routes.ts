// Settings → Quiet hours: on or off for the account, and the send window per country (the
// defaults from accounts/quiet-hours.ts, which an owner can replace country by country, or for
// "*", every country without its own). Everyone sees them; owners change them. The page lives in
// sending because a change reconsiders the messages waiting for a window.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Type } from 'typebox';
import { ValidationError } from '../../errors.js';
import { formErrors, type TypedApp } from '../../plugins/validation.js';
import { Checkbox, EmptyForm, Form, LINE, OptionalText, isChecked } from '../../plugins/schemas.js';
import { Account, OWNER_ONLY, DEFAULT_WINDOWS, parseWindow, type CountryWindows, type TimeWindow } from '../accounts/index.js';
import { COUNTRIES, isCountryCode } from '../../phone.js';
import { reconsiderWaiting } from './campaign-sending.js';

type Values = Record<string, string | undefined>;
const DAYS = ['weekdays', 'saturday', 'sunday'] as const;

/** A country's windows as typed; the country code and the times are the service's rules. */
const WindowForm = Form({
  country: OptionalText(LINE),
  weekdays_from: OptionalText(LINE),
  weekdays_to: OptionalText(LINE),
  saturday_from: OptionalText(LINE),
  saturday_to: OptionalText(LINE),
  sunday_from: OptionalText(LINE),
  sunday_to: OptionalText(LINE),
});
/** A country of the table: two letters, or * for every other country; anything else names none (404). */
const CountryParams = Type.Object({ country: Type.String({ pattern: '^([A-Za-z]{2}|\\*)$' }) });

/** A problem with a day's time (weekdays_from…) is shown on that day's row, as the service's are. */
const onDays = (fields: Record<string, string>) => Object.fromEntries(Object.entries(fields).map(([name, message]) => [name.replace(/_(from|to)$/, ''), message]));

/** Sets one country's windows from the form (country, weekdays_from, weekdays_to, …). */
export async function setCountryWindows(em: EntityManager, account: Account, form: Values): Promise<void> {
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

export async function quietHoursRoutes(app: TypedApp) {
  /** The page; without `status`, a 422 set by formErrors() is kept. */
  const page = async (request: FastifyRequest, reply: FastifyReply, extra: { values?: Values; errors?: Record<string, string> } = {}) => {
    const account = request.account!;
    const custom = (account.quietHourRules ?? {}) as Record<string, CountryWindows>;
    const countries = [...new Set([...Object.keys(DEFAULT_WINDOWS), ...Object.keys(custom)])].sort((a, b) => (a === '*' ? 1 : b === '*' ? -1 : a.localeCompare(b)));
    const rows = countries.map((country) => ({ country, windows: custom[country] ?? DEFAULT_WINDOWS[country]!, custom: Boolean(custom[country]), hasDefault: Boolean(DEFAULT_WINDOWS[country]) }));
    return reply.page('sending/quiet-hours', { enabled: account.quietHours, rows, days: DAYS, countries: COUNTRIES, values: {}, errors: {}, ...extra }, { title: 'Quiet hours', tab: 'settings' });
  };

  app.get('/', async (request, reply) => page(request, reply));

  app.post('/enabled', { ...OWNER_ONLY, schema: { body: Form({ enabled: Checkbox() }) } }, async (request, reply) => {
    request.account!.quietHours = isChecked(request.body.enabled);
    await request.em.flush();
    await reconsiderWaiting(request.em, request.account!.id, app.scheduler?.agenda ?? null);
    return reply.redirect('/settings/quiet-hours', 303);
  });

  app.post(
    '/',
    {
      ...OWNER_ONLY,
      schema: { body: WindowForm },
      errorHandler: formErrors((request, reply, { fields, values }) => page(request, reply, { values, errors: onDays(fields) })),
    },
    async (request, reply) => {
      await setCountryWindows(request.em, request.account!, request.body);
      await reconsiderWaiting(request.em, request.account!.id, app.scheduler?.agenda ?? null);
      return reply.redirect('/settings/quiet-hours', 303);
    },
  );

  app.post('/:country/reset', { ...OWNER_ONLY, schema: { params: CountryParams, body: EmptyForm() } }, async (request, reply) => {
    await resetCountryWindows(request.em, request.account!, request.params.country.toUpperCase());
    await reconsiderWaiting(request.em, request.account!.id, app.scheduler?.agenda ?? null);
    return reply.redirect('/settings/quiet-hours', 303);
  });
}
