// The session lookup of every signed-in request, in SQL: one named statement (prepared once per
// connection) that answers the session, its user and its account as their rows, which
// sessions.ts maps to entities. The ORM's findOne with populate said the same in about five
// times the CPU (building the query each time), on the hottest path of every page.
// It precedes the account on purpose: the key is the token's unguessable hash (DESIGN.md,
// "the few lookups that must precede the account").
import type pg from 'pg';

/** Rows keyed by column name, as to_jsonb gives them (what EntityManager.map takes). */
export type ColumnRow = Record<string, unknown>;

export interface SessionRows {
  session: ColumnRow;
  user: ColumnRow;
  account: ColumnRow;
}

export async function sessionRowsOn(client: pg.ClientBase, sessionId: string): Promise<SessionRows | null> {
  const { rows } = await client.query<SessionRows>({
    name: 'session-resume',
    text: `select to_jsonb(s) as session, to_jsonb(u) as user, to_jsonb(a) as account
           from session s join app_user u on u.id = s.user_id join account a on a.id = s.account_id where s.id = $1`,
    values: [sessionId],
  });
  return rows[0] ?? null;
}
