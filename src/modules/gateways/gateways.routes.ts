// Settings → Gateways: each gateway's kind, name, messages-per-second limit, whether it is the
// default, and its webhook URLs and secret; owners add gateways and choose the default. Each
// gateway's page: owners edit it (secrets are write-only: an empty secret field keeps the stored
// value), disable or enable it, test its connection, and resume it once it was paused for failing.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { findOr404 } from '../../db/find.js';
import { formErrors, type TypedApp } from '../../plugins/validation.js';
import { Checkbox, EmptyForm, Form, LINE, OptionalText, Text, UuidParams, isChecked } from '../../plugins/schemas.js';
import { Gateway } from './gateway.entity.js';
import { createGateway, makeDefault, resumeGateway, setDisabled, updateGateway } from './gateways.service.js';
import { gatewayKinds, gatewayKind, isGatewayKind, webhookUrls } from './registry.js';
import { gatewayAlert } from './gateway-health.js';
import { notifyGatewayReady } from './hooks.js';
import { OWNER_ONLY, hasRole } from '../accounts/index.js';

const OPTION = 'option_';

/**
 * The new-gateway form. It shows the options of every kind of the registry as `option_<name>`
 * fields, each one line of text (a URL, a user name, a token, a rate...); which of them the chosen
 * kind takes, requires, and what their values must look like is the registry's and the service's
 * to say. `kind` and `mps` are text too: the choices and the range are the service's.
 */
const OPTION_FIELDS = { patternProperties: { [`^${OPTION}`]: Text(LINE) } };
const GatewayForm = Form({ kind: OptionalText(LINE), name: OptionalText(LINE), mps: OptionalText(LINE), default: Checkbox() }, OPTION_FIELDS);
type GatewayFormBody = Static<typeof GatewayForm>;
/** A gateway's edit form: its kind stays. */
const GatewayEditForm = Form({ name: OptionalText(LINE), mps: OptionalText(LINE) }, OPTION_FIELDS);

/** Option names marked secret by any kind: their values are never sent back in a page. */
const SECRET_OPTIONS = new Set(gatewayKinds().flatMap((k) => k.options.filter((o) => o.secret).map((o) => o.name)));

/** The chosen kind's `option_<name>` fields, non-empty ones only (the form shows every kind's
 * options; only the chosen kind's are kept). */
function optionsOf(kind: string, body: Omit<GatewayFormBody, 'kind'>): Record<string, string> {
  const declared = isGatewayKind(kind) ? gatewayKind(kind).options.map((o) => o.name) : [];
  const options: Record<string, string> = {};
  for (const [field, value] of Object.entries(body)) {
    const name = field.slice(OPTION.length);
    if (field.startsWith(OPTION) && typeof value === 'string' && value && declared.includes(name)) options[name] = value.trim();
  }
  return options;
}

/** A schema error on `option_<name>` shows where the service's would: on `option.<name>`. */
const onOptionFields = (fields: Record<string, string>) => Object.fromEntries(Object.entries(fields).map(([name, message]) => [name.startsWith(OPTION) ? `option.${name.slice(OPTION.length)}` : name, message]));

/** What a refused form shows again: everything typed except secret options. */
const withoutSecrets = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).filter(([name]) => !(name.startsWith(OPTION) && SECRET_OPTIONS.has(name.slice(OPTION.length)))));

const MASK = '••••••';

/** A gateway's options as the page shows them: secret ones masked, and any credentials written
 * into a URL (`user:password@`) masked too. */
function shownOptions(kind: string, config: Record<string, string>): [string, string][] {
  const secret = new Set(gatewayKind(kind).options.filter((o) => o.secret).map((o) => o.name));
  return Object.entries(config).map(([name, value]) => [name, secret.has(name) ? MASK : value.replace(/^(https?:\/\/)[^/@\s]*@/i, `$1${MASK}@`)]);
}

export async function gatewaysRoutes(app: TypedApp) {
  const publicUrl = app.config.publicUrl;
  const page = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, string> = {}, errors: Record<string, string> = {}) => {
    const gateways = await request.em.find(Gateway, {}, { orderBy: { createdAt: 'asc' } });
    // Secrets are the owners' only: others see the webhook URLs with the secret masked.
    const owner = hasRole(request.user!, 'owner');
    const urls = new Map(gateways.map((g) => [g.id, webhookUrls(owner ? g : { ...g, secret: MASK }, publicUrl)]));
    const shown = new Map(gateways.map((g) => [g.id, shownOptions(g.kind, g.config)]));
    return reply.page('gateways/index', { gateways, urls, shown, kinds: gatewayKinds(), values, errors }, { title: 'Gateways', tab: 'settings' });
  };

  app.get('/', async (request, reply) => page(request, reply));

  app.post(
    '/',
    { ...OWNER_ONLY, schema: { body: GatewayForm }, errorHandler: formErrors((request, reply, { fields, values }) => page(request, reply, withoutSecrets(values), onOptionFields(fields))) },
    async (request, reply) => {
      const { kind = '', name, mps } = request.body;
      await createGateway(request.em, request.account!, { kind, name, mps, isDefault: isChecked(request.body.default), options: optionsOf(kind, request.body) });
      return reply.redirect('/settings/gateways', 303);
    },
  );

  app.post('/:id/default', { ...OWNER_ONLY, schema: { params: UuidParams('gateway'), body: EmptyForm() } }, async (request, reply) => {
    await makeDefault(request.em, await findOr404(request.em, Gateway, request.params.id, 'gateway'));
    return reply.redirect('/settings/gateways', 303);
  });

  const load = (request: FastifyRequest, id: string) => findOr404(request.em, Gateway, id, 'gateway');
  const params = UuidParams('gateway');

  /** A gateway's page: what it is, its alert, and (for owners) its edit form and actions. */
  const gatewayPage = async (request: FastifyRequest, reply: FastifyReply, gateway: Gateway, extra: GatewayPageExtra = {}) => {
    const owner = hasRole(request.user!, 'owner');
    return reply.page(
      'gateways/gateway',
      {
        gateway, kind: gatewayKind(gateway.kind), urls: webhookUrls(owner ? gateway : { ...gateway, secret: MASK }, publicUrl), shown: shownOptions(gateway.kind, gateway.config),
        alert: gatewayAlert(gateway), values: extra.values ?? null, errors: extra.errors ?? {}, notice: extra.notice ?? null, problem: extra.problem ?? null, test: extra.test ?? null,
        timeZone: request.account!.timeZone,
      },
      { title: gateway.name, tab: 'settings' },
    );
  };
  /** Back to the gateway's page after an action, saying what it did. */
  const back = (reply: FastifyReply, gateway: Gateway, done: keyof typeof DONE) => reply.redirect(`/settings/gateways/${gateway.id}?done=${done}`, 303);
  /** An action refused by the service (the default cannot be disabled...): the page says why. */
  const refusedAction = formErrors<{ id: string }>(async (request, reply, { message }) => gatewayPage(request, reply, await load(request, request.params.id), { problem: message }));
  const action = { ...OWNER_ONLY, schema: { params, body: EmptyForm() }, errorHandler: refusedAction };

  app.get('/:id', { schema: { params, querystring: Type.Object({ done: OptionalText(LINE) }) } }, async (request, reply) =>
    gatewayPage(request, reply, await load(request, request.params.id), { notice: DONE[request.query.done as keyof typeof DONE] ?? null }),
  );

  app.post(
    '/:id',
    {
      ...OWNER_ONLY,
      schema: { params, body: GatewayEditForm },
      errorHandler: formErrors<{ id: string }>(async (request, reply, { fields, values }) => gatewayPage(request, reply, await load(request, request.params.id), { values: withoutSecrets(values), errors: onOptionFields(fields) })),
    },
    async (request, reply) => {
      const gateway = await load(request, request.params.id);
      await updateGateway(request.em, gateway, { name: request.body.name, mps: request.body.mps, options: optionsOf(gateway.kind, request.body) });
      return back(reply, gateway, 'saved');
    },
  );

  app.post('/:id/disable', action, async (request, reply) => {
    const gateway = await load(request, request.params.id);
    await setDisabled(request.em, gateway, true);
    return back(reply, gateway, 'disabled');
  });

  app.post('/:id/enable', action, async (request, reply) => {
    const gateway = await load(request, request.params.id);
    await setDisabled(request.em, gateway, false);
    await notifyGatewayReady(request.em, { id: gateway.id, accountId: gateway.account.id }, app.scheduler);
    return back(reply, gateway, 'enabled');
  });

  app.post('/:id/resume', action, async (request, reply) => {
    const gateway = await load(request, request.params.id);
    await resumeGateway(request.em, gateway);
    await notifyGatewayReady(request.em, { id: gateway.id, accountId: gateway.account.id }, app.scheduler);
    return back(reply, gateway, 'resumed');
  });

  // Asks the provider whether it answers with these settings (nothing billable is sent) and shows
  // the answer: from htmx in place, otherwise on the page.
  app.post('/:id/test', action, async (request, reply) => {
    const gateway = await load(request, request.params.id);
    const test = await testConnection(gateway);
    if (request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'div#test-result') return reply.fragment('gateways/_test-result', { test });
    return gatewayPage(request, reply, gateway, { test });
  });
}

interface GatewayPageExtra {
  values?: Record<string, string>;
  errors?: Record<string, string>;
  notice?: string | null;
  problem?: string;
  test?: { ok: boolean; message: string };
}

/** What the gateway's page says after an action (`?done=`). */
const DONE = {
  saved: 'Saved.',
  disabled: 'Disabled: nothing goes out through this gateway until it is enabled again.',
  enabled: 'Enabled: campaigns go out through it again.',
  resumed: 'Resumed: its campaigns send again.',
} as const;

/** The kind's connection check, or why there is none. */
function testConnection(gateway: Gateway): Promise<{ ok: boolean; message: string }> {
  const check = gatewayKind(gateway.kind).testConnection;
  if (!check) return Promise.resolve({ ok: false, message: `${gatewayKind(gateway.kind).label} gateways have no connection test yet.` });
  return check({ id: gateway.id, accountId: gateway.account.id, kind: gateway.kind, config: gateway.config, secret: gateway.secret });
}
