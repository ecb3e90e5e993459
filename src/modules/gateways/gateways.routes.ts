// Settings → Gateways: each gateway's kind, name, messages-per-second limit, whether it is the
// default, and its webhook URLs and secret; owners add gateways and choose the default.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { findOr404 } from '../../db/find.js';
import { formErrors, type TypedApp } from '../../plugins/validation.js';
import { Checkbox, EmptyForm, Form, LINE, OptionalText, Text, UuidParams, isChecked } from '../../plugins/schemas.js';
import { Gateway } from './gateway.entity.js';
import { createGateway, makeDefault } from './gateways.service.js';
import { gatewayKinds, gatewayKind, isGatewayKind, webhookUrls } from './registry.js';
import { OWNER_ONLY, hasRole } from '../accounts/index.js';

const OPTION = 'option_';

/**
 * The new-gateway form. It shows the options of every kind of the registry as `option_<name>`
 * fields, each one line of text (a URL, a user name, a token, a rate...); which of them the chosen
 * kind takes, requires, and what their values must look like is the registry's and the service's
 * to say. `kind` and `mps` are text too: the choices and the range are the service's.
 */
const GatewayForm = Form({ kind: OptionalText(LINE), name: OptionalText(LINE), mps: OptionalText(LINE), default: Checkbox() }, { patternProperties: { [`^${OPTION}`]: Text(LINE) } });
type GatewayFormBody = Static<typeof GatewayForm>;

/** Option names marked secret by any kind: their values are never sent back in a page. */
const SECRET_OPTIONS = new Set(gatewayKinds().flatMap((k) => k.options.filter((o) => o.secret).map((o) => o.name)));

/** The chosen kind's `option_<name>` fields, non-empty ones only (the form shows every kind's
 * options; only the chosen kind's are kept). */
function optionsOf(body: GatewayFormBody): Record<string, string> {
  const kind = body.kind ?? '';
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
      await createGateway(request.em, request.account!, { kind, name, mps, isDefault: isChecked(request.body.default), options: optionsOf(request.body) });
      return reply.redirect('/settings/gateways', 303);
    },
  );

  app.post('/:id/default', { ...OWNER_ONLY, schema: { params: UuidParams('gateway'), body: EmptyForm() } }, async (request, reply) => {
    await makeDefault(request.em, await findOr404(request.em, Gateway, request.params.id, 'gateway'));
    return reply.redirect('/settings/gateways', 303);
  });
}
