// Settings: the account itself, its users (owners manage them) and its API keys.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../errors.js';
import { findOr404 } from '../../db/find.js';
import { Account } from './account.entity.js';
import { User, ROLES } from './user.entity.js';
import { ApiKey } from './api-key.entity.js';
import { getCountries } from 'libphonenumber-js/max';
import { isCountryCode } from '../../phone.js';
import { createUser, changeRole, disableUser, enableUser, createApiKey, isTimeZone } from './accounts.service.js';
import { OWNER_ONLY } from './auth.plugin.js';
import { layoutBalance } from './credits.js';

type Form = Record<string, string | undefined>;
const COUNTRIES = getCountries().sort();
type WithId = FastifyRequest<{ Params: { id: string }; Body: Form }>;

export async function settingsRoutes(app: FastifyInstance) {
  app.get('/', async (request, reply) => reply.page('accounts/settings', { balance: await layoutBalance(request.em, request.account) }, { title: 'Settings', tab: 'settings' }));

  // --- Account ---------------------------------------------------------------------------
  const accountPage = (request: FastifyRequest, reply: FastifyReply, values: Form, errors: Record<string, string> = {}, status = 200, saved = false) =>
    reply.page('accounts/account', { values, errors, saved, timeZones: Intl.supportedValuesOf('timeZone'), countries: COUNTRIES }, { title: 'Account settings', tab: 'settings', status });

  app.get('/account', async (request, reply) => {
    const account = request.account!;
    return accountPage(request, reply, { name: account.name, timeZone: account.timeZone, currency: account.currency, defaultCountry: account.defaultCountry ?? '' });
  });

  app.post('/account', OWNER_ONLY, async (request: FastifyRequest<{ Body: Form }>, reply) => {
    const values = {
      name: request.body.name?.trim() ?? '',
      timeZone: request.body.timeZone?.trim() ?? '',
      currency: (request.body.currency ?? '').trim().toUpperCase(),
      defaultCountry: (request.body.defaultCountry ?? '').trim().toUpperCase(),
    };
    const errors: Record<string, string> = {};
    if (!values.name || values.name.length > 200) errors.name = 'Give the account a name of at most 200 characters.';
    if (!isTimeZone(values.timeZone)) errors.timeZone = 'Choose a time zone from the list.';
    if (!/^[A-Z]{3}$/.test(values.currency)) errors.currency = 'The currency is a three-letter ISO code such as EUR or USD.';
    if (values.defaultCountry && !isCountryCode(values.defaultCountry)) errors.defaultCountry = 'Choose a country from the list, or none.';
    if (Object.keys(errors).length) return accountPage(request, reply, values, errors, 422);
    const account = await findOr404(request.em, Account, request.account!.id, 'account');
    Object.assign(account, { ...values, defaultCountry: values.defaultCountry || null });
    await request.em.flush();
    return accountPage(request, reply, values, {}, 200, true);
  });

  // --- Users -------------------------------------------------------------------------------
  const usersPage = async (request: FastifyRequest, reply: FastifyReply, values: Form = {}, errors: Record<string, string> = {}, status = 200) => {
    const users = await request.em.find(User, {}, { orderBy: { email: 'asc' } });
    return reply.page('accounts/users', { users, roles: ROLES, values, errors }, { title: 'Users', tab: 'settings', status });
  };

  app.get('/users', async (request, reply) => usersPage(request, reply));

  app.post('/users', OWNER_ONLY, async (request: FastifyRequest<{ Body: Form }>, reply) => {
    const values = { email: request.body.email ?? '', role: request.body.role ?? 'marketer' };
    try {
      await createUser(request.em, request.account!, { ...values, password: request.body.password ?? '' });
      await request.em.flush();
    } catch (error) {
      if (error instanceof ValidationError) return usersPage(request, reply, values, error.fields, 422);
      throw error;
    }
    return reply.redirect('/settings/users', 303);
  });

  const userPage = (request: FastifyRequest, reply: FastifyReply, user: User, errors: Record<string, string> = {}, status = 200) =>
    reply.page('accounts/user', { member: user, roles: ROLES, errors }, { title: user.email, tab: 'settings', status });

  app.get('/users/:id', async (request: WithId, reply) => userPage(request, reply, await findOr404(request.em, User, request.params.id, 'user')));

  /** Runs a change on one user, re-rendering their page with the reason when it is refused. */
  const changeUser = (change: (request: WithId, user: User) => Promise<void>) => async (request: WithId, reply: FastifyReply) => {
    const user = await findOr404(request.em, User, request.params.id, 'user');
    try {
      await change(request, user);
      await request.em.flush();
    } catch (error) {
      if (error instanceof ValidationError) return userPage(request, reply, user, error.fields, 422);
      throw error;
    }
    return reply.redirect(`/settings/users/${user.id}`, 303);
  };

  app.post('/users/:id/role', OWNER_ONLY, changeUser((request, user) => changeRole(request.em, user, request.body.role ?? '')));
  app.post('/users/:id/disable', OWNER_ONLY, changeUser((request, user) => disableUser(request.em, user)));
  app.post('/users/:id/enable', OWNER_ONLY, changeUser(async (_request, user) => enableUser(user)));

  // --- API keys ----------------------------------------------------------------------------
  const keysPage = async (request: FastifyRequest, reply: FastifyReply, extra: { createdKey?: string; errors?: Record<string, string> } = {}, status = 200) => {
    const keys = await request.em.find(ApiKey, {}, { orderBy: { createdAt: 'desc' } });
    return reply.page('accounts/api-keys', { keys, createdKey: null, errors: {}, ...extra }, { title: 'API keys', tab: 'settings', status });
  };

  app.get('/api-keys', async (request, reply) => keysPage(request, reply));

  app.post('/api-keys', OWNER_ONLY, async (request: FastifyRequest<{ Body: Form }>, reply) => {
    try {
      const { key } = createApiKey(request.em, request.account!, request.body.name ?? '');
      await request.em.flush();
      // Shown once, in this response; only its hash is stored.
      return keysPage(request, reply, { createdKey: key }, 201);
    } catch (error) {
      if (error instanceof ValidationError) return keysPage(request, reply, { errors: error.fields }, 422);
      throw error;
    }
  });

  app.post('/api-keys/:id/revoke', OWNER_ONLY, async (request: WithId, reply) => {
    const key = await findOr404(request.em, ApiKey, request.params.id, 'API key');
    key.revokedAt ??= new Date();
    await request.em.flush();
    return reply.redirect('/settings/api-keys', 303);
  });
}
