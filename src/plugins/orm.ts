// One EntityManager fork per request, made when the request first asks for it (a webhook that
// stores through its own batched statement never does). Until the request is authenticated it
// has no account, so any tenant query on it fails closed; the auth plugin scopes it (or replaces
// it with an account-scoped fork).
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';

declare module 'fastify' {
  interface FastifyInstance {
    orm: MikroORM;
  }
  interface FastifyRequest {
    em: EntityManager;
    /** The request's fork once made (read `em`). */
    emFork: EntityManager | null;
  }
}

export const ormPlugin = fp<{ orm: MikroORM }>(async (app, { orm }) => {
  app.decorate('orm', orm);
  app.decorateRequest('emFork', null);
  app.decorateRequest('em', {
    getter(this: FastifyRequest) {
      return (this.emFork ??= orm.em.fork());
    },
    setter(this: FastifyRequest, em: EntityManager) {
      this.emFork = em;
    },
  });
});
