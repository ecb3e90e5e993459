// Naming rules of contact lists, shared by the pages and the API.
import type { EntityManager } from '@mikro-orm/postgresql';
import { ValidationError } from '../../errors.js';
import type { Account } from '../accounts/index.js';
import { ContactList } from './contact-list.entity.js';

async function validName(em: EntityManager, name: string, except?: string): Promise<string> {
  const trimmed = name.trim();
  if (!trimmed) throw new ValidationError({ name: 'Give the list a name.' });
  if (trimmed.length > 100) throw new ValidationError({ name: 'A list name can have at most 100 characters.' });
  const clash = await em.findOne(ContactList, { name: trimmed });
  if (clash && clash.id !== except) throw new ValidationError({ name: `There is already a list named "${trimmed}".` });
  return trimmed;
}

export async function createList(em: EntityManager, account: Account, name: string): Promise<ContactList> {
  const list = em.create(ContactList, { account, name: await validName(em, name) });
  await em.flush();
  return list;
}

export async function renameList(em: EntityManager, list: ContactList, name: string): Promise<void> {
  list.name = await validName(em, name, list.id);
  await em.flush();
}
