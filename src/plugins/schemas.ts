// Pieces of route schemas (TypeBox), shared by every module; plugins/validation.ts checks them.
// Form fields, query strings and URL params are always text (nothing is coerced), so numbers and
// ids are strings with a pattern and the handler or the service converts them.
//
// Messages: a failed schema says "<field>: <what is wrong>" ("name: at most 100 characters").
// `description` names what a pattern accepts ("a whole number"), so the message reads "must be a
// whole number". `errorMessage` replaces the message where a route promised its own words: a
// string, or one per keyword ({ type: '...', maxItems: '... {limit} ... {count}' }), where
// {limit} is the schema's limit and {count} the length of what was sent.
import { Type, type TSchema, type TProperties, type TObjectOptions, type TStringOptions } from 'typebox';

/** A UUID (any case), for the shape check of ids in URLs and hand-written SQL. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const UUID = new RegExp(UUID_PATTERN);

/** A bigint primary key as PostgreSQL hands it out (contacts): 1 to 15 digits, no leading zero. */
export const BIGINT_ID_PATTERN = '^[1-9][0-9]{0,14}$';
export const BIGINT_ID = new RegExp(BIGINT_ID_PATTERN);

/**
 * Bounds. A schema's length limit stops abuse; it is not the rule a person meets. The services
 * keep the real limits ("A list name can have at most 100 characters.") and report every field at
 * once, so schema limits sit well above them: LINE for a one-line field, PARAGRAPH for a text area.
 */
export const LINE = 1000;
export const PARAGRAPH = 10_000;

/** Text of at most `max` characters (code points). */
export const Text = (max: number, options: TStringOptions = {}) => Type.String({ maxLength: max, ...options });

/** An optional form field or query parameter of at most `max` characters. */
export const OptionalText = (max: number, options: TStringOptions = {}) => Type.Optional(Text(max, options));

/** A whole number written as text (a page cursor, a count): up to 15 digits. */
export const WholeNumber = (options: TStringOptions = {}) => Type.String({ pattern: '^[0-9]{1,15}$', description: 'a whole number of at most 15 digits', ...options });

/** A UUID id written as text. */
export const Uuid = (options: TStringOptions = {}) => Type.String({ pattern: UUID_PATTERN, description: 'an id', ...options });

/** A bigint id written as text. */
export const BigIntId = (options: TStringOptions = {}) => Type.String({ pattern: BIGINT_ID_PATTERN, description: 'an id', ...options });

/**
 * An id that names a record and is loaded with findOr404(): a malformed one is simply not found.
 * In URL params any schema failure answers 404 (plugins/validation.ts); this message is the one
 * findOr404() gives, so both say the same thing.
 */
const notFound = (what: string) => `There is no such ${what}.`;

/** `{ id }` params of a record with a UUID key: a malformed id answers 404 "There is no such <what>." */
export const UuidParams = (what: string) => Type.Object({ id: Uuid({ errorMessage: notFound(what) }) });

/** `{ id }` params of a record with a bigint key (contacts). */
export const BigIntIdParams = (what: string) => Type.Object({ id: BigIntId({ errorMessage: notFound(what) }) });

/**
 * An id chosen in a form (a <select> of lists, say) and loaded with findOr404(): only bounded
 * here, so a malformed value is "not found" (404) as an unknown one is, not a form error.
 */
export const IdText = () => Text(64);

/** A checkbox: absent when unchecked, its value (usually "on" or "1") when checked. */
export const Checkbox = () => OptionalText(20);

export function isChecked(value: string | undefined): boolean {
  return value === 'on' || value === '1' || value === 'yes' || value === 'true';
}

/** A field that may be sent once or repeated (checkboxes of one name): one value or a list.
 * `description` says what is expected when neither fits ("ids: must be <description>"). */
export const OneOrMany = <T extends TSchema>(item: T, maxItems: number, description: string) => Type.Union([item, Type.Array(item, { maxItems })], { description });

/** The value(s) of a OneOrMany field as a list. */
export function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The CSRF token every browser form carries (the CSRF check itself reads it). */
const CSRF_FIELD = { _csrf: OptionalText(200) };

/**
 * A posted HTML form: its fields (each optional text unless the route says otherwise) plus
 * `_csrf`. Unknown fields are allowed and never reach the handler's type; the text check of
 * plugins/validation.ts still covers them. Presence and choice rules ("Give the list a name.")
 * stay in the services, which say them better than a schema.
 */
export const Form = <P extends TProperties>(properties: P, options: TObjectOptions = {}) => Type.Object({ ...CSRF_FIELD, ...properties }, options);

/** Only a CSRF token (buttons that post to an action URL). */
export const EmptyForm = () => Form({});
