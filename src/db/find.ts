// Loading one record named in a URL: through the request's account-scoped EntityManager, so a
// record of another account (or a malformed id) is simply "not found", never a 500 or a leak.
import type { EntityManager } from '@mikro-orm/postgresql';
import { Utils, type EntityName, type FilterQuery } from '@mikro-orm/core';
import { NotFoundError } from '../errors.js';
import { UUID, BIGINT_ID } from '../plugins/schemas.js';

/** Whether the text is a UUID (the shape of most ids): checked before it reaches a uuid column. */
export function isUuid(text: unknown): text is string {
  return typeof text === 'string' && UUID.test(text);
}

/** Whether `id` has the shape of the entity's primary key (uuid or bigint). */
function validId(em: EntityManager, entity: EntityName<object>, id: string): boolean {
  const meta = em.getMetadata().get(Utils.className(entity));
  const type = meta.properties[meta.primaryKeys[0]]?.type?.toLowerCase() ?? '';
  return type.includes('uuid') ? UUID.test(id) : BIGINT_ID.test(id);
}

export async function findOr404<T extends object>(em: EntityManager, entity: EntityName<T>, id: string, what = 'record', options: { populate?: string[] } = {}): Promise<T> {
  if (typeof id !== 'string' || !validId(em, entity as EntityName<object>, id)) throw new NotFoundError(`There is no such ${what}.`);
  const found = await em.findOne(entity, { id } as FilterQuery<T>, options as never);
  if (!found) throw new NotFoundError(`There is no such ${what}.`);
  return found;
}
