// What "belongs to an account" means for an entity, in one place: the row carries `account_id`
// (every tenant table does, DESIGN.md "Data") and goes with the account. Spread into each
// definition with the shared primary keys and timestamps of db/base-properties.ts.
import { p } from '@mikro-orm/core';
import { Account } from './account.entity.js';

export const ownedByAccount = () => ({ account: () => p.manyToOne(Account).deleteRule('cascade') });
