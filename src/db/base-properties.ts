// The properties most entities share, spread into each definition (defineEntity has no
// inheritance in MikroORM 6): a primary key and the timestamps. The owning account is
// accounts' `ownedByAccount()`.
import { p } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** A UUID primary key made by the application (ids named in URLs). */
export const uuidId = () => ({ id: p.uuid().primary().onCreate(() => randomUUID()) });

/** A bigint primary key from a sequence (tables that grow to millions of rows). */
export const serialId = () => ({ id: p.bigint('number').primary().autoincrement() });

/** When the row was created, set by the application. */
export const createdAt = () => ({ createdAt: p.datetime().onCreate(() => new Date()) });

/** When the row was created and last changed, set by the application. */
export const timestamps = () => ({ ...createdAt(), updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()) });
