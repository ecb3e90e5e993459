// Settings: the account itself, its users (owners manage them) and its API keys.
// Schemas check the shape of every form (text, once, bounded); the rules are the services'.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findOr404 } from '../../db/find.js';
import { COUNTRIES } from '../../phone.js';
import { formErrors, type FormProblem, type TypedApp } from '../../plugins/validation.js';
import { EmptyForm, Form, LINE, OptionalText, UuidParams } from '../../plugins/schemas.js';
import { Account } from './account.entity.js';
import { User, ROLES } from './user.entity.js';
import { ApiKey } from './api-key.entity.js';
import { createUser, changeRole, disableUser, enableUser, createApiKey, updateAccountSettings } from './accounts.service.js';
import { OWNER_ONLY } from './auth.plugin.js';
import { layoutBalance } from './credits.js';

type Values = Record<string, string | undefined>;

// --- Schemas -------------------------------------------------------------------------------------
const AccountForm = Form({ name: OptionalText(LINE), timeZone: OptionalText(LINE), currency: OptionalText(LINE), defaultCountry: OptionalText(LINE) });
/** Long passwords are fine (argon2 takes any length); megabytes of one are not (as at sign-in). */
const NewUserForm = Form({ email: OptionalText(LINE), password: OptionalText(4096), role: OptionalText(LINE) });
const RoleForm = Form({ role: OptionalText(LINE) });
const KeyForm = Form({ name: OptionalText(LINE) });
const UserParams = UuidParams('user');
const KeyParams = UuidParams('API key');

/** What a refused form may show again: never a password. */
function withoutPassword(values: Record<string, string>): Values {
  const { password: _password, ...rest } = values;
  return rest;
}

export async function settingsRoutes(app: TypedApp) {
  app.get('/', async (request, reply) => reply.page('accounts/settings', { balance: layoutBalance(request.account) }, { title: 'Settings', tab: 'settings' }));

  // --- Account ---------------------------------------------------------------------------
  const accountPage = (request: FastifyRequest, reply: FastifyReply, values: Values, errors: Record<string, string> = {}, saved = false) =>
    reply.page('accounts/account', { values, errors, saved, timeZones: Intl.supportedValuesOf('timeZone'), countries: COUNTRIES }, { title: 'Account settings', tab: 'settings' });

  const accountValues = (account: Account): Values => ({ name: account.name, timeZone: account.timeZone, currency: account.currency, defaultCountry: account.defaultCountry ?? '' });

  app.get('/account', async (request, reply) => accountPage(request, reply, accountValues(request.account!)));

  app.post(
    '/account',
    { ...OWNER_ONLY, schema: { body: AccountForm }, errorHandler: formErrors((request, reply, { fields, values }) => accountPage(request, reply, values, fields)) },
    async (request, reply) => {
      const account = await findOr404(request.em, Account, request.account!.id, 'account');
      updateAccountSettings(account, request.body);
      await request.em.flush();
      return accountPage(request, reply, accountValues(account), {}, true);
    },
  );

  // --- Users -------------------------------------------------------------------------------
  const usersPage = async (request: FastifyRequest, reply: FastifyReply, values: Values = {}, errors: Record<string, string> = {}) => {
    const users = await request.em.find(User, {}, { orderBy: { email: 'asc' } });
    return reply.page('accounts/users', { users, roles: ROLES, values, errors }, { title: 'Users', tab: 'settings' });
  };

  app.get('/users', async (request, reply) => usersPage(request, reply));

  app.post(
    '/users',
    { ...OWNER_ONLY, schema: { body: NewUserForm }, errorHandler: formErrors((request, reply, { fields, values }) => usersPage(request, reply, withoutPassword(values), fields)) },
    async (request, reply) => {
      const { email = '', password = '', role = 'marketer' } = request.body;
      await createUser(request.em, request.account!, { email, password, role });
      await request.em.flush();
      return reply.redirect('/settings/users', 303);
    },
  );

  const userPage = (request: FastifyRequest, reply: FastifyReply, user: User, problem: Pick<FormProblem, 'fields' | 'message'> | null = null) =>
    reply.page('accounts/user', { member: user, roles: ROLES, errors: problem?.fields ?? {}, problem: problem?.message ?? null }, { title: user.email, tab: 'settings' });

  app.get('/users/:id', { schema: { params: UserParams } }, async (request, reply) => userPage(request, reply, await findOr404(request.em, User, request.params.id, 'user')));

  /** A refused change shows the user's page again with the reason. */
  const userErrors = formErrors<{ id: string }>(async (request, reply, problem) => userPage(request, reply, await findOr404(request.em, User, request.params.id, 'user'), problem));

  app.post('/users/:id/role', { ...OWNER_ONLY, schema: { params: UserParams, body: RoleForm }, errorHandler: userErrors }, async (request, reply) => {
    const user = await findOr404(request.em, User, request.params.id, 'user');
    await changeRole(request.em, user, request.body.role ?? '');
    await request.em.flush();
    return reply.redirect(`/settings/users/${user.id}`, 303);
  });

  app.post('/users/:id/disable', { ...OWNER_ONLY, schema: { params: UserParams, body: EmptyForm() }, errorHandler: userErrors }, async (request, reply) => {
    const user = await findOr404(request.em, User, request.params.id, 'user');
    await disableUser(request.em, user);
    await request.em.flush();
    return reply.redirect(`/settings/users/${user.id}`, 303);
  });

  app.post('/users/:id/enable', { ...OWNER_ONLY, schema: { params: UserParams, body: EmptyForm() }, errorHandler: userErrors }, async (request, reply) => {
    const user = await findOr404(request.em, User, request.params.id, 'user');
    enableUser(user);
    await request.em.flush();
    return reply.redirect(`/settings/users/${user.id}`, 303);
  });

  // --- API keys ----------------------------------------------------------------------------
  const keysPage = async (request: FastifyRequest, reply: FastifyReply, extra: { createdKey?: string; errors?: Record<string, string>; values?: Values } = {}, status?: number) => {
    const keys = await request.em.find(ApiKey, {}, { orderBy: { createdAt: 'desc' } });
    return reply.page('accounts/api-keys', { keys, createdKey: null, errors: {}, values: {}, ...extra }, { title: 'API keys', tab: 'settings', status });
  };

  app.get('/api-keys', async (request, reply) => keysPage(request, reply));

  app.post(
    '/api-keys',
    { ...OWNER_ONLY, schema: { body: KeyForm }, errorHandler: formErrors((request, reply, { fields, values }) => keysPage(request, reply, { errors: fields, values })) },
    async (request, reply) => {
      const { key } = createApiKey(request.em, request.account!, request.body.name ?? '');
      await request.em.flush();
      // Shown once, in this response; only its hash is stored.
      return keysPage(request, reply, { createdKey: key }, 201);
    },
  );

  app.post('/api-keys/:id/revoke', { ...OWNER_ONLY, schema: { params: KeyParams, body: EmptyForm() } }, async (request, reply) => {
    const key = await findOr404(request.em, ApiKey, request.params.id, 'API key');
    key.revokedAt ??= new Date();
    await request.em.flush();
    return reply.redirect('/settings/api-keys', 303);
  });
}
