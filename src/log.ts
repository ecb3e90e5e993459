// How Textcast logs. One rule beyond pino's defaults: a database error is logged without the
// values it was run with. The SQL driver writes the statement into the error's message with every
// parameter inlined (names, phone numbers, message texts) and PostgreSQL adds a `detail` such as
// "Key (phone)=(+4915…) already exists". A log is read by operators and shipped to other systems;
// personal data does not belong there. What stays is what finds the bug: the statement's shape,
// the SQLSTATE, the table, column and constraint, and the stack.
import pino, { type LoggerOptions } from 'pino';

/** A SQLSTATE is five characters of digits and upper-case letters (e.g. 23505, 42P01). */
const SQLSTATE = /^[0-9A-Z]{5}$/;

/** An error raised by PostgreSQL (through pg, knex or MikroORM), recognised by its SQLSTATE. */
function isDatabaseError(error: unknown): error is Error & Record<string, unknown> {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && SQLSTATE.test(code);
}

/** The text with every value taken out: SQL string literals, numbers standing alone, and the
 * values PostgreSQL quotes in its own messages (`…for type uuid: "abc"`, `Key (x)=(…)`). */
export function withoutValues(text: string): string {
  return text
    .replace(/'(?:[^']|'')*'/g, "'…'")
    .replace(/(?<![\w".$])-?\d+(?:\.\d+)?(?![\w"])/g, '…')
    .replace(/: "(?:[^"\\]|\\.)*"/g, ': "…"')
    .replace(/\)=\((?:[^()]|\([^()]*\))*\)/g, ')=(…)');
}

/** A database error as it may be logged: its kind, SQLSTATE and schema names, the message without
 * values, and the stack's frames (the stack's first line repeats the message, values included). */
function databaseErrorForLog(error: Error & Record<string, unknown>) {
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const message = withoutValues(error.message);
  const logged: Record<string, unknown> = { type: error.constructor.name, code: error.code, message, stack: [`${error.name}: ${message}`, ...frames].join('\n') };
  for (const key of ['table', 'column', 'constraint', 'routine', 'schema'] as const) {
    if (typeof error[key] === 'string') logged[key] = error[key];
  }
  return logged;
}

/** pino's error serializer, with database errors stripped of their values. */
export function serializeError(error: unknown): unknown {
  return isDatabaseError(error) ? databaseErrorForLog(error) : pino.stdSerializers.err(error as Error);
}

/** The options of every logger Textcast makes: the HTTP server's and the process's. */
export function loggerOptions(level: string): LoggerOptions {
  return { level, serializers: { err: serializeError, error: serializeError } };
}
