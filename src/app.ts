// buildApp(): the Fastify instance with its plugins and every module's routes. main.ts and the
// tests both use it; it opens nothing itself (the ORM and scheduler are passed in).
import crypto from 'node:crypto';
import path from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config.js';
import type { Scheduler } from './plugins/scheduler.js';
import { ormPlugin } from './plugins/orm.js';
import { securityPlugin, csrfTokenPlugin } from './plugins/security.js';
import { authPlugin, layoutBalance } from './modules/accounts/index.js';
import { viewPlugin, VIEWS_DIR } from './plugins/view.js';
import { errorsPlugin } from './plugins/errors.js';
import { staticPlugin } from './plugins/static.js';
import { validationPlugin, AJV_OPTIONS, schemaErrorFormatter } from './plugins/validation.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { registerRoutes } from './routes.js';
import { loggerOptions } from './log.js';
import { setPrivateUrls } from './modules/gateways/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    scheduler: Scheduler | null;
  }
}

export interface AppOptions {
  config: Config;
  orm: MikroORM;
  scheduler?: Scheduler | null;
  sessionSecret: string;
  /** A pino logger; false for silence (tests). */
  logger?: FastifyBaseLogger | false;
}

/** Believes the nearest `hops` proxies (what proxy-addr does with a number). */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: options.logger ?? loggerOptions(config.logLevel) }),
    // A caller's X-Request-Id is kept when it looks sane, so logs can be joined across systems.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
    // No proxy is believed unless TRUST_PROXY names it: X-Forwarded-For is anyone's to send.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    // Route schemas (TypeBox): AJV without coercion, failures as field errors (plugins/validation.ts).
    ajv: AJV_OPTIONS,
    schemaErrorFormatter,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorate('config', config);
  // main.ts sets it for the whole process already; an app built alone (tests) follows its config.
  setPrivateUrls(config.gatewayPrivateUrls);
  app.decorate('scheduler', options.scheduler ?? null);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const secureCookies = config.publicUrl.startsWith('https://');
  await app.register(ormPlugin, { orm: options.orm });
  await app.register(securityPlugin, { secret: options.sessionSecret, secureCookies });
  await app.register(csrfTokenPlugin);
  await app.register(validationPlugin);
  await app.register(authPlugin, { limits: { idleSeconds: config.sessionIdleSeconds, maxSeconds: config.sessionMaxSeconds }, apiRequestsPerMinute: config.apiRequestsPerMinute });
  await app.register(viewPlugin, { root: VIEWS_DIR, layoutValues: async (request) => ({ balance: layoutBalance(request.account) }) });
  await app.register(staticPlugin, { publicDir: path.resolve(VIEWS_DIR, '../public') });
  await app.register(errorsPlugin);
  await registerRoutes(app);
  return app;
}
