// One EntityManager fork per request. Until the request is authenticated it has no account, so any
// tenant query on it fails closed; the auth plugin replaces it with an account-scoped fork.
import fp from 'fastify-plugin';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';

declare module 'fastify' {
  interface FastifyInstance {
    orm: MikroORM;
  }
  interface FastifyRequest {
    em: EntityManager;
  }
}

export const ormPlugin = fp<{ orm: MikroORM }>(async (app, { orm }) => {
  app.decorate('orm', orm);
  app.decorateRequest('em', null as unknown as EntityManager);
  app.addHook('onRequest', async (request) => {
    request.em = orm.em.fork();
  });
});
