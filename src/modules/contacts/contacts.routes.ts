// Contacts, contact lists and segments.
import type { FastifyInstance } from 'fastify';

export async function contactsRoutes(app: FastifyInstance) {
  app.get('/', async (_request, reply) => reply.page('contacts/index', {}, { title: 'Contacts', tab: 'contacts' }));
}
