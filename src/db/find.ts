// Loading one record named in a URL: through the request's account-scoped EntityManager, so a
// record of another account (or a malformed id) is simply "not found", never a 500 or a leak.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName, FilterQuery } from '@mikro-orm/core';
import { NotFoundError } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findOr404<T extends object>(em: EntityManager, entity: EntityName<T>, id: string, what = 'record'): Promise<T> {
  if (!UUID.test(id ?? '')) throw new NotFoundError(`There is no such ${what}.`);
  const found = await em.findOne(entity, { id } as FilterQuery<T>);
  if (!found) throw new NotFoundError(`There is no such ${what}.`);
  return found;
}
