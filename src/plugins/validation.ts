// Validation at the edge. Every route declares TypeBox schemas for its params, query and body;
// AJV checks them before handler code runs, and a failure becomes an answer fit for the caller:
// - /api/ and /webhooks/: 400 {"error": {"code": "bad_request", "message": "name: at most 100
//   characters.", "fields": {"name": "At most 100 characters."}}} (errors.ts, plugins/errors.ts);
// - a page with a form: 422, the form again with its field errors (`formErrors()` below, which
//   also takes the services' ValidationError, so one helper re-renders a form);
// - other pages: the error page (or htmx fragment) with 400;
// - URL params (ids): 404, as an unknown id is: a malformed id names no record.
// Text anywhere in params, query or body that holds a NUL character or an unpaired surrogate is
// refused the same way for every route, schema or not (a preValidation hook); multipart uploads
// are read by their route (the CSV import checks its file itself).
import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError, FastifyServerOptions, RawServerDefault, FastifyBaseLogger, RawRequestDefaultExpression, RawReplyDefaultExpression } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { SchemaErrorDataVar } from 'fastify/types/schema.js';
import { AppError, BadInputError, NotFoundError, ValidationError } from '../errors.js';

declare global {
  // ES2024 (Node 20 has them); the project's TypeScript lib is ES2022.
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/** The Fastify instance route files receive: request params, query and body typed from their schemas. */
export type TypedApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/**
 * AJV, configured on purpose (Fastify's defaults are the opposite on three points):
 * - coerceTypes: false. Fastify's default ('array') turns a JSON ["x"] into "x", a repeated form
 *   field (which arrives as an array) into its first value, "12" into 12 and "" into 0: exactly
 *   the surprises this layer exists to refuse. Form, query and param values are text, and their
 *   schemas say so (patterns for numbers and ids); handlers convert.
 * - removeAdditional: false. With Fastify's default, `additionalProperties: false` silently drops
 *   unknown fields; here it refuses them, naming the field. Most schemas leave objects open
 *   (unknown form fields and JSON keys are ignored, and typed out of the handler's reach).
 * - allErrors: false (Fastify's default, kept deliberately): the first problem is reported.
 *   Collecting every error turns a 1 MB array of wrong items into hundreds of thousands of error
 *   objects; and schema errors are malformed or hostile input (browsers obey maxlength and send
 *   one value per field), while the rules a person can break live in the services, which report
 *   every field at once.
 * - verbose: true, so an error carries its schema (for `description` and `errorMessage`) and the
 *   value (to say "not a list" or count items); cheap with allErrors off.
 * - `errorMessage` is declared as an annotation keyword (strict mode refuses unknown keywords).
 * - useDefaults: true (Fastify's default): a schema `default` fills a missing value.
 */
export const AJV_OPTIONS: NonNullable<FastifyServerOptions['ajv']> = {
  customOptions: {
    coerceTypes: false,
    removeAdditional: false,
    allErrors: false,
    useDefaults: true,
    verbose: true,
    keywords: ['errorMessage'],
  },
};

// --- Messages from schema errors ---------------------------------------------------------------

interface SchemaError extends FastifySchemaValidationError {
  /** With `verbose`: the schema holding the failed keyword, and the value it refused. */
  parentSchema?: Record<string, unknown>;
  data?: unknown;
}

type CustomMessage = string | Record<string, string> | undefined;

function customMessage(schema: Record<string, unknown> | undefined, keyword: string): string | undefined {
  const custom = schema?.errorMessage as CustomMessage;
  if (typeof custom === 'string') return custom;
  return custom?.[keyword];
}

const plural = (n: number, word: string) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value}`;
}

function expectedType(type: unknown, value: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  const names: Record<string, string> = { string: 'text', number: 'a number', integer: 'a whole number', boolean: 'true or false', array: 'a list', object: 'an object', null: 'null' };
  const expected = types.map((t) => names[String(t)] ?? String(t)).join(' or ');
  // A repeated form field arrives as a list: say so in the user's terms.
  if (types.includes('string') && Array.isArray(value) && value.length > 1) return `must be a single value, not ${plural(value.length, 'value')}`;
  return `must be ${expected}, not ${typeName(value)}`;
}

/** What is wrong, as a sentence fragment ("at most 100 characters"). */
function defaultText(error: SchemaError): string {
  const params = error.params as Record<string, unknown>;
  const limit = Number(params.limit);
  const description = error.parentSchema?.description;
  switch (error.keyword) {
    case 'type':
      return expectedType(params.type, error.data);
    case 'maxLength':
      return `at most ${plural(limit, 'character')}`;
    case 'minLength':
      return limit === 1 ? 'must not be empty' : `at least ${plural(limit, 'character')}`;
    case 'maximum':
      return `at most ${params.limit}`;
    case 'minimum':
      return `at least ${params.limit}`;
    case 'exclusiveMaximum':
      return `less than ${params.limit}`;
    case 'exclusiveMinimum':
      return `more than ${params.limit}`;
    case 'multipleOf':
      return `must be a multiple of ${params.multipleOf}`;
    case 'maxItems':
      return `at most ${plural(limit, 'item')}`;
    case 'minItems':
      return `at least ${plural(limit, 'item')}`;
    case 'uniqueItems':
      return 'has the same item twice';
    case 'maxProperties':
      return `at most ${plural(limit, 'field')}`;
    case 'minProperties':
      return `at least ${plural(limit, 'field')}`;
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a field here';
    case 'propertyNames':
      return 'is not an accepted field name';
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]) ?? [];
      return `must be one of ${allowed.slice(0, 10).map((v) => JSON.stringify(v)).join(', ')}${allowed.length > 10 ? '…' : ''}`;
    }
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'pattern':
    case 'format':
    case 'anyOf':
    case 'oneOf':
      if (typeof description === 'string') return `must be ${description}`;
      return error.keyword === 'format' ? `must be a valid ${params.format}` : 'is not in the expected form';
    default:
      return 'is not valid';
  }
}

/** JSON pointer ("/contacts/3/phone") to a field path ("contacts.3.phone"). */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

const join = (base: string, key: unknown) => (base ? `${base}.${String(key)}` : String(key));
const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.');

export interface Problem {
  /** The field path: "name", "contacts.3.phone", or the part ("body", "query") for the whole. */
  path: string;
  /** For the field: "At most 100 characters." (or the schema's own errorMessage). */
  fieldMessage: string;
  /** For the whole answer: "name: at most 100 characters." (or the schema's own errorMessage). */
  message: string;
  /** Whether the message is the schema's own. */
  custom: boolean;
}

const PART_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/** One AJV error as a field path and human messages. */
export function describeSchemaError(error: SchemaError, part: string): Problem {
  const params = error.params as Record<string, unknown>;
  let path = fieldPath(error.instancePath);
  let schema = error.parentSchema;
  if (error.keyword === 'required') {
    path = join(path, params.missingProperty);
    // A missing property speaks with the property's own message when it has one.
    const property = (schema?.properties as Record<string, Record<string, unknown>> | undefined)?.[String(params.missingProperty)];
    schema = customMessage(property, 'required') ? property : undefined;
  } else if (error.keyword === 'additionalProperties') path = join(path, params.additionalProperty);
  else if (error.keyword === 'propertyNames') path = join(path, params.propertyName);
  if (!path) path = PART_NAMES[part] ?? part;

  const custom = customMessage(schema, error.keyword);
  if (custom) {
    const count = Array.isArray(error.data) || typeof error.data === 'string' ? error.data.length : error.data && typeof error.data === 'object' ? Object.keys(error.data).length : '';
    const text = custom.replace(/\{limit\}/g, String(params.limit ?? '')).replace(/\{count\}/g, String(count));
    return { path, fieldMessage: text, message: text, custom: true };
  }
  const text = defaultText(error);
  return { path, fieldMessage: sentence(text), message: `${path}: ${text}.`, custom: false };
}

/**
 * Fastify's schemaErrorFormatter: the error a failed schema raises. With allErrors off there is
 * one failure, reported last (an anyOf's branches come before it; an if's `then` before the if).
 */
export function schemaErrorFormatter(errors: FastifySchemaValidationError[], part: SchemaErrorDataVar): Error {
  let error = errors[errors.length - 1] as SchemaError;
  if (error.keyword === 'if' && errors.length > 1) error = errors[errors.length - 2] as SchemaError;
  const problem = describeSchemaError(error, part);
  if (part === 'params') return new NotFoundError(problem.custom ? problem.message : 'There is nothing at this address.');
  return new BadInputError({ [problem.path]: problem.fieldMessage }, problem.message);
}

// --- NUL bytes and unpaired surrogates, everywhere ---------------------------------------------

/** A parsed object: JSON's, or fast-querystring's (forms and query strings), whose prototype is
 * an object with a null prototype. Buffers, streams and class instances are not walked. */
const isPlain = (value: object) => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Object.getPrototypeOf(proto) === null;
};

const badText = (text: string): string | null =>
  text.includes('\u0000') ? 'contains a NUL character' : !text.isWellFormed() ? 'contains an invalid character (an unpaired surrogate)' : null;

/**
 * The first string in a parsed value (keys included) holding a NUL character or an unpaired
 * surrogate, with its field path. Iterative, so a deeply nested JSON body cannot overflow the
 * stack; only plain objects and arrays are walked (not Buffers or streams).
 */
export function findMalformedText(value: unknown): { path: string; problem: string } | null {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      const problem = badText(current);
      if (problem) return { path, problem };
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push([current[i], join(path, i)]);
    } else if (current !== null && typeof current === 'object' && isPlain(current)) {
      const entries = Object.entries(current);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i];
        const problem = badText(key);
        if (problem) return { path: join(path, key.toWellFormed().replace(/\u0000/g, '\\0')), problem: `has a name that ${problem}` };
        stack.push([item, join(path, key)]);
      }
    }
  }
  return null;
}

/** Throws the error a failed schema would for malformed text in one part of a request. */
export function refuseMalformedText(value: unknown, part: SchemaErrorDataVar): void {
  const found = findMalformedText(value);
  if (!found) return;
  if (part === 'params') throw new NotFoundError('There is nothing at this address.');
  const path = found.path || (PART_NAMES[part] ?? part);
  throw new BadInputError({ [path]: sentence(found.problem) }, `${path}: ${found.problem}.`);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A body field holding a batch whose items are accepted or refused one by one (an upsert of
     * up to 1,000 contacts): malformed text inside an item is the handler's to refuse, for that
     * item alone, so one bad item does not fail the others (it checks with findMalformedText). */
    itemisedBody?: string;
  }
}

/** The body without its itemised batch, for the text check of everything around the items. */
function withoutItems(body: unknown, itemsField: string | undefined): unknown {
  if (!itemsField || body === null || typeof body !== 'object' || !isPlain(body) || !Array.isArray((body as Record<string, unknown>)[itemsField])) return body;
  const { [itemsField]: _items, ...rest } = body as Record<string, unknown>;
  return rest;
}

export const validationPlugin = fp(async (app) => {
  // Runs before schema validation, for every route (schema or not). A multipart body is not
  // parsed yet at this point: its route reads the parts and checks its fields itself.
  app.addHook('preValidation', async (request) => {
    // A post without a body (a button with only the CSRF header, an API call with none) is an
    // empty form: the schema then says which field is missing, not "body must be an object".
    if (request.body === undefined && request.method !== 'GET' && request.method !== 'HEAD') request.body = {};
    refuseMalformedText(request.params, 'params');
    refuseMalformedText(request.query, 'querystring');
    refuseMalformedText(withoutItems(request.body, request.routeOptions.config.itemisedBody), 'body');
  });
});

// --- Forms ---------------------------------------------------------------------------------------

export interface FormProblem {
  /** Field name -> message, for the form's field errors. */
  fields: Record<string, string>;
  /** The posted text fields, safe to show again (lists, objects and the CSRF token left out). */
  values: Record<string, string>;
  /** One sentence for the whole form. */
  message: string;
}

/** The posted fields worth showing again in a re-rendered form: text only, cleaned. */
export function formValues(body: unknown): Record<string, string> {
  const values: Record<string, string> = {};
  if (!body || typeof body !== 'object' || Array.isArray(body) || !isPlain(body)) return values;
  for (const [key, value] of Object.entries(body)) {
    if (typeof value !== 'string' || key === '_csrf' || badText(key)) continue;
    values[key] = value.replace(/\u0000/g, '').toWellFormed();
  }
  return values;
}

/**
 * The route option that turns bad input into the form again: put `errorHandler:
 * formErrors(render)` on a form's POST route. A schema failure (BadInputError, NUL bytes
 * included) and a service's ValidationError both call `render(request, reply, problem)` with
 * status 422 already set; anything else goes on to the app's error handler (404, 403, 500...).
 * The render must not read `request.body` (it may be the malformed one): `problem.values` is.
 * URL params are valid when it runs (a bad one is a 404 before the body is looked at).
 */
export function formErrors<Params = Record<string, string>>(render: (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply, problem: FormProblem) => unknown) {
  return async function formErrorHandler(error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!(error instanceof ValidationError) && !(error instanceof BadInputError)) throw error;
    request.log.info({ status: 422, fields: Object.keys(error.fields) }, 'form refused');
    reply.code(422);
    return render(request as FastifyRequest<{ Params: Params }>, reply, { fields: error.fields, values: formValues(request.body), message: error.message });
  };
}
