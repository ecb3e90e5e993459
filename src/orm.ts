// MikroORM on PostgreSQL: entities from src/entities.ts, migrations from migrations/index.ts
// (listed explicitly, so no file discovery is needed at run time). Opening it also wires the
// modules' hooks (src/wiring.ts), so every process that touches the data has them.
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities.js';
import { migrationsList } from '../migrations/index.js';
import { wireModules } from './wiring.js';

export function ormOptions(clientUrl: string, poolMax = 10): Options {
  return {
    clientUrl,
    entities,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    pool: { min: 0, max: poolMax },
    debug: false,
    allowGlobalContext: false,
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
    discovery: { warnWhenNoEntities: false },
  };
}

export async function openOrm(clientUrl: string, poolMax?: number): Promise<MikroORM> {
  wireModules();
  return MikroORM.init(ormOptions(clientUrl, poolMax));
}

export async function migrate(orm: MikroORM): Promise<string[]> {
  const done = await orm.getMigrator().up();
  return done.map((m) => m.name);
}
