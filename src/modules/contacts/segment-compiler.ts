// Segment rules -> a parameterised SQL condition over `contact c`.
//
// Only names from the tables below (columns, operators, SQL snippets) ever reach the SQL text;
// every value a user typed, every custom field key and every list id is a bind parameter. Values
// are parsed first (parseFieldValue for custom fields), so a cast in the SQL never fails on user
// input, and stored custom values are only cast after a type check (a field whose type changed
// does not break the query). A rule on a field, list or operator that does not exist is a
// ValidationError with a message per condition, never a 500.
//
// The fragment always begins with `c.account_id = $1`; callers append their own parameters after
// `params` (number them from params.length + 1) and use it as `... from contact c where <sql>`.
import { ValidationError } from '../../errors.js';
import type { FieldType } from './custom-field.entity.js';
import { parseFieldValue, LIMITS } from './fields.js';
import { isCountryCode } from '../../phone.js';
import { isGroup, type Combinator, type Condition, type SegmentRules } from './segment-rules.js';
import { isUuid } from '../../db/find.js';

/** What the compiler needs to know of a custom field. */
export interface FieldInfo {
  key: string;
  label: string;
  type: FieldType;
}

export interface CompileOptions {
  accountId: string;
  /** Ids of the account's lists that the rules may name (others are refused). */
  lists?: ReadonlySet<string>;
  /** The account's time zone: dates of the "created" field are days in it. */
  timeZone?: string;
}

export interface CompiledRules {
  /** A boolean SQL expression over `contact c`, beginning with `c.account_id = $1`. */
  sql: string;
  params: unknown[];
}

/** How a field behaves in the builder and the compiler. */
export type FieldKind = 'country' | 'opt_in' | 'email' | 'name' | 'phone' | 'created' | 'list' | 'text' | 'number' | 'date' | 'boolean';
/** Which input the value of an operator needs. */
export type ValueInput = 'none' | 'text' | 'number' | 'date' | 'days' | 'country' | 'list';

export interface OperatorSpec {
  value: string;
  label: string;
  input: ValueInput;
}

const op = (value: string, label: string, input: ValueInput): OperatorSpec => ({ value, label, input });
const TEXT_OPERATORS = [
  op('equals', 'is', 'text'),
  op('not_equals', 'is not', 'text'),
  op('contains', 'contains', 'text'),
  op('starts_with', 'starts with', 'text'),
  op('is_empty', 'is empty', 'none'),
  op('is_not_empty', 'is not empty', 'none'),
];

export const OPERATORS: Record<FieldKind, OperatorSpec[]> = {
  country: [op('equals', 'is', 'country'), op('not_equals', 'is not', 'country'), op('is_empty', 'is unknown', 'none'), op('is_not_empty', 'is known', 'none')],
  opt_in: [op('is_true', 'is opted in', 'none'), op('is_false', 'is opted out', 'none')],
  email: [op('is_not_empty', 'is present', 'none'), op('is_empty', 'is missing', 'none'), op('equals', 'is', 'text'), op('contains', 'contains', 'text')],
  name: TEXT_OPERATORS,
  phone: [op('starts_with', 'starts with', 'text'), op('equals', 'is', 'text')],
  created: [
    op('in_last_days', 'in the last … days', 'days'),
    op('not_in_last_days', 'more than … days ago', 'days'),
    op('on', 'on', 'date'),
    op('before', 'before', 'date'),
    op('after', 'after', 'date'),
  ],
  list: [op('in_list', 'is a member of', 'list'), op('not_in_list', 'is not a member of', 'list')],
  text: TEXT_OPERATORS,
  number: [
    op('equals', '=', 'number'),
    op('not_equals', '≠', 'number'),
    op('greater_than', '>', 'number'),
    op('less_than', '<', 'number'),
    op('at_least', '≥', 'number'),
    op('at_most', '≤', 'number'),
    op('is_empty', 'is empty', 'none'),
    op('is_not_empty', 'is not empty', 'none'),
  ],
  date: [op('on', 'is on', 'date'), op('before', 'is before', 'date'), op('after', 'is after', 'date'), op('is_empty', 'is empty', 'none'), op('is_not_empty', 'is not empty', 'none')],
  boolean: [op('is_true', 'is yes', 'none'), op('is_false', 'is no', 'none'), op('is_empty', 'is empty', 'none')],
};

/** The built-in fields a rule can test, with the (constant) column each one reads. */
export const BUILT_IN_SEGMENT_FIELDS: { key: string; label: string; kind: FieldKind; column: string }[] = [
  { key: 'country', label: 'Country', kind: 'country', column: 'c.country' },
  { key: 'sms_opt_in', label: 'SMS opt-in', kind: 'opt_in', column: 'c.sms_opt_in' },
  { key: 'email', label: 'Email', kind: 'email', column: 'c.email' },
  { key: 'first_name', label: 'First name', kind: 'name', column: 'c.first_name' },
  { key: 'last_name', label: 'Last name', kind: 'name', column: 'c.last_name' },
  { key: 'phone', label: 'Phone', kind: 'phone', column: 'c.phone' },
  { key: 'created_at', label: 'Created', kind: 'created', column: 'c.created_at' },
  { key: 'list', label: 'List', kind: 'list', column: 'c.id' },
];

export const CUSTOM_PREFIX = 'field:';
export const MAX_CONDITIONS = 50;
export const MAX_GROUPS = 20;
const MAX_DAYS = 36_500;

export interface ResolvedField {
  field: string;
  label: string;
  kind: FieldKind;
  /** Set for built-in fields. */
  column?: string;
  /** Set for custom fields. */
  key?: string;
}

function asMap(customFields: Map<string, FieldInfo> | FieldInfo[]): Map<string, FieldInfo> {
  return customFields instanceof Map ? customFields : new Map(customFields.map((f) => [f.key, f]));
}

/** The field a rule names, or null when there is no such field (any more). */
export function resolveField(field: string, customFields: Map<string, FieldInfo> | FieldInfo[]): ResolvedField | null {
  if (field.startsWith(CUSTOM_PREFIX)) {
    const key = field.slice(CUSTOM_PREFIX.length);
    const info = asMap(customFields).get(key);
    return info ? { field, label: info.label, kind: info.type, key } : null;
  }
  const builtIn = BUILT_IN_SEGMENT_FIELDS.find((f) => f.key === field);
  return builtIn ? { field, label: builtIn.label, kind: builtIn.kind, column: builtIn.column } : null;
}

export function operatorSpec(kind: FieldKind, operator: string): OperatorSpec | undefined {
  return OPERATORS[kind].find((o) => o.value === operator);
}

/** Every field a rule can test, built-in first, for the builder's field menu. */
export function segmentFieldChoices(customFields: FieldInfo[]): { group: string; fields: { value: string; label: string; kind: FieldKind }[] }[] {
  const custom = [...customFields].sort((a, b) => a.label.localeCompare(b.label));
  return [
    { group: 'Contact', fields: BUILT_IN_SEGMENT_FIELDS.map((f) => ({ value: f.key, label: f.label, kind: f.kind })) },
    ...(custom.length ? [{ group: 'Custom fields', fields: custom.map((f) => ({ value: CUSTOM_PREFIX + f.key, label: f.label, kind: f.type as FieldKind })) }] : []),
  ];
}

/** Turns rules from anywhere (a form, stored JSON, the API) into SQL, or throws a ValidationError
 * whose `fields` are keyed `rules` (the shape) or `conditions.<i>` / `conditions.<i>.<j>`. */
export function compileRules(rules: SegmentRules, customFields: Map<string, FieldInfo> | FieldInfo[], options: CompileOptions): CompiledRules {
  const fields = asMap(customFields);
  const params: unknown[] = [options.accountId];
  const errors: Record<string, string> = {};
  const summary: string[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  let numbered = 0;
  let groups = 0;

  const fail = (key: string, message: string, number?: number) => {
    errors[key] = message;
    summary.push(number ? `Condition ${number}: ${message}` : message);
  };

  const combinatorOf = (value: unknown, key: string): Combinator => {
    if (value === 'and' || value === 'or') return value;
    fail(key, 'Combine conditions with "and" or "or".');
    return 'and';
  };

  const condition = (item: Condition, key: string): string => {
    const number = ++numbered;
    if (numbered > MAX_CONDITIONS) {
      if (numbered === MAX_CONDITIONS + 1) fail('rules', `A segment can have at most ${MAX_CONDITIONS} conditions.`);
      return 'false';
    }
    const fieldName = typeof item.field === 'string' ? item.field : '';
    if (!fieldName) {
      fail(key, 'Choose a field.', number);
      return 'false';
    }
    const field = resolveField(fieldName, fields);
    if (!field) {
      const message = fieldName.startsWith(CUSTOM_PREFIX)
        ? `There is no custom field "${fieldName.slice(CUSTOM_PREFIX.length)}" (it may have been deleted): choose another field or remove this condition.`
        : `There is no field "${fieldName}": choose another field or remove this condition.`;
      fail(key, message, number);
      return 'false';
    }
    const spec = operatorSpec(field.kind, String(item.operator ?? ''));
    if (!spec) {
      fail(key, `Choose how to compare ${field.label} (${OPERATORS[field.kind].map((o) => o.label).join(', ')}).`, number);
      return 'false';
    }
    const raw = item.value === undefined || item.value === null ? '' : typeof item.value === 'object' ? '' : String(item.value).trim();
    if (spec.input !== 'none' && raw === '') {
      fail(key, spec.input === 'list' ? 'Choose a list.' : spec.input === 'country' ? 'Choose a country.' : `Enter a value for ${field.label}.`, number);
      return 'false';
    }
    const result = field.key !== undefined ? customCondition(field as ResolvedField & { key: string }, spec.value, raw, param) : builtInCondition(field, spec.value, raw, param, options);
    if (typeof result === 'string') return result;
    fail(key, result.error, number);
    return 'false';
  };

  const combine = (parts: string[], combinator: Combinator) => (parts.length === 0 ? 'true' : parts.length === 1 ? parts[0] : `(${parts.join(` ${combinator} `)})`);

  if (typeof rules !== 'object' || rules === null || !Array.isArray(rules.conditions)) {
    throw new ValidationError({ rules: 'The rules of a segment are a list of conditions.' }, 'The rules of a segment are a list of conditions.');
  }
  const top = combinatorOf(rules.combinator, 'rules');
  const parts: string[] = [];
  rules.conditions.forEach((item, i) => {
    if (typeof item !== 'object' || item === null) {
      fail(`conditions.${i}`, 'Each condition names a field, an operator and a value.');
      return;
    }
    if (!isGroup(item)) {
      parts.push(condition(item, `conditions.${i}`));
      return;
    }
    if (++groups > MAX_GROUPS) {
      if (groups === MAX_GROUPS + 1) fail('rules', `A segment can have at most ${MAX_GROUPS} groups.`);
      return;
    }
    const combinator = combinatorOf(item.combinator, `conditions.${i}`);
    const inner: string[] = [];
    item.conditions.forEach((nested, j) => {
      if (typeof nested !== 'object' || nested === null || isGroup(nested as Condition)) {
        fail(`conditions.${i}.${j}`, 'Groups of conditions can be nested one level deep.');
        return;
      }
      inner.push(condition(nested, `conditions.${i}.${j}`));
    });
    if (inner.length) parts.push(combine(inner, combinator));
  });
  if (Object.keys(errors).length) throw new ValidationError(errors, summary.join(' '));
  const where = combine(parts, top);
  return { sql: where === 'true' ? 'c.account_id = $1' : `c.account_id = $1 and ${where}`, params };
}

type Param = (value: unknown) => string;
type Compiled = string | { error: string };

/** Comparisons of a text expression; `expr` is a constant SQL snippet, never user input. */
function textComparison(expr: string, operator: string, value: string, param: Param, lowerCaseValue = true): Compiled {
  if (value.length > LIMITS.text) return { error: `The value is longer than ${LIMITS.text} characters.` };
  const v = () => (lowerCaseValue ? `lower(${param(value)}::text)` : param(value.toLowerCase()) + '::text');
  const e = lowerCaseValue ? `lower(${expr})` : expr;
  switch (operator) {
    case 'equals':
      return `${e} = ${v()}`;
    case 'not_equals':
      return `${e} is distinct from ${v()}`;
    case 'contains':
      return `strpos(${e}, ${v()}) > 0`;
    case 'starts_with':
      return `starts_with(${e}, ${v()})`;
    case 'is_empty':
      return `coalesce(${expr}, '') = ''`;
    case 'is_not_empty':
      return `${expr} <> ''`;
  }
  return { error: 'Unknown comparison.' };
}

function parseDays(raw: string): number | { error: string } {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_DAYS) return { error: `The number of days is a whole number from 1 to ${MAX_DAYS}.` };
  return Number(raw);
}

function parseDate(raw: string): string | { error: string } {
  const parsed = parseFieldValue('date', raw);
  return parsed.ok && typeof parsed.value === 'string' ? parsed.value : { error: parsed.ok ? 'Enter a date.' : `${parsed.reason.charAt(0).toUpperCase()}${parsed.reason.slice(1)}.` };
}

function builtInCondition(field: ResolvedField, operator: string, raw: string, param: Param, options: CompileOptions): Compiled {
  const column = field.column!;
  switch (field.kind) {
    case 'country': {
      if (operator === 'is_empty') return `${column} is null`;
      if (operator === 'is_not_empty') return `${column} is not null`;
      const code = raw.toUpperCase();
      if (!isCountryCode(code)) return { error: `"${raw}" is not a country code (two letters, such as FR).` };
      return operator === 'equals' ? `${column} = ${param(code)}::text` : `${column} is distinct from ${param(code)}::text`;
    }
    case 'opt_in':
      return operator === 'is_true' ? `${column} is distinct from false` : `${column} = false`;
    case 'email':
      // Emails are stored lower-case, so the index on (account_id, email) serves "is".
      return textComparison(column, operator, raw, param, false);
    case 'name':
      // lower(first_name) / lower(last_name) are indexed.
      return textComparison(column, operator, raw, param);
    case 'phone': {
      const digits = raw.replace(/[\s().\-/]/g, '').replace(/^00/, '+');
      if (!/^\+?\d{1,15}$/.test(digits)) return { error: `"${raw}" is not the beginning of an international number (such as +336).` };
      const value = digits.startsWith('+') ? digits : '+' + digits;
      return operator === 'equals' ? `${column} = ${param(value)}::text` : `starts_with(${column}, ${param(value)}::text)`;
    }
    case 'created': {
      if (operator === 'in_last_days' || operator === 'not_in_last_days') {
        const days = parseDays(raw);
        if (typeof days !== 'number') return days;
        return `${column} ${operator === 'in_last_days' ? '>=' : '<'} now() - make_interval(days => ${param(days)}::int)`;
      }
      const date = parseDate(raw);
      if (typeof date !== 'string') return date;
      const d = param(date);
      const tz = param(options.timeZone ?? 'UTC');
      // Days are days in the account's time zone; the comparisons stay on the bare column.
      const start = `(${d}::date::timestamp at time zone ${tz}::text)`;
      const end = `((${d}::date + 1)::timestamp at time zone ${tz}::text)`;
      if (operator === 'before') return `${column} < ${start}`;
      if (operator === 'after') return `${column} >= ${end}`;
      return `(${column} >= ${start} and ${column} < ${end})`;
    }
    case 'list': {
      if (!isUuid(raw) || !options.lists?.has(raw.toLowerCase())) return { error: 'There is no such list (it may have been deleted): choose another list.' };
      const member = `exists (select 1 from contact_list_member m where m.account_id = c.account_id and m.list_id = ${param(raw.toLowerCase())}::uuid and m.contact_id = c.id)`;
      return operator === 'in_list' ? member : `not ${member}`;
    }
  }
  return { error: 'Unknown field.' };
}

/** The JSON value and the text of a custom field, over `fields` with the key as `keySql`. */
function customValue(keySql: string, fields: string) {
  return { json: `(${fields} -> ${keySql})`, text: `(${fields} ->> ${keySql})` };
}

/** The expression that the conditions on a custom field of this type compare (all but text's
 * "contains" and "is empty" and the "is (not) empty" of the others), over `fields` with the key as
 * `keySql`. The compiler passes its key parameter (`$2::text`, a constant once bound), the field's
 * index (field-indexes.queries.ts) the key as a literal: the planner uses an expression index only
 * for the very same expression, so both take it from here. Every function in it is immutable, as
 * an index requires: dates stay text (a text-to-date cast depends on DateStyle), compared as
 * YYYY-MM-DD, which sorts as the dates do. */
export function customFieldExpression(type: FieldType, keySql: string, fields = 'c.fields'): string {
  const { json, text } = customValue(keySql, fields);
  switch (type) {
    case 'text':
      return `lower(${text})`;
    case 'number':
      // Only JSON numbers compare (a value stored as text before a type change does not match);
      // jsonb -> numeric directly, without a detour through text.
      return `(case when jsonb_typeof(${json}) = 'number' then ${json}::numeric end)`;
    case 'date':
      // Only values a date column could hold: one stored before years were checked (0000) is no date.
      return `(case when ${text} ~ '^[1-9]\\d{3}-\\d{2}-\\d{2}$' then ${text} end)`;
    case 'boolean':
      return json;
  }
}

function customCondition(field: ResolvedField & { key: string }, operator: string, raw: string, param: Param): Compiled {
  const key = `${param(field.key)}::text`;
  const { json, text } = customValue(key, 'c.fields');
  if (operator === 'is_empty' && field.kind !== 'text') return `${json} is null`;
  if (operator === 'is_not_empty' && field.kind !== 'text') return `${json} is not null`;
  switch (field.kind) {
    case 'text':
      // textComparison lower-cases `text` as customFieldExpression('text') does.
      return textComparison(text, operator, raw, param);
    case 'number': {
      const parsed = parseFieldValue('number', raw);
      if (!parsed.ok || typeof parsed.value !== 'number') return { error: parsed.ok ? 'Enter a number.' : `${field.label}: ${parsed.reason}.` };
      const v = `${param(String(parsed.value))}::numeric`;
      const n = customFieldExpression('number', key);
      const sign = { equals: '=', greater_than: '>', less_than: '<', at_least: '>=', at_most: '<=' }[operator];
      if (sign) return `${n} ${sign} ${v}`;
      if (operator === 'not_equals') return `${n} is distinct from ${v}`;
      break;
    }
    case 'date': {
      const date = parseDate(raw);
      if (typeof date !== 'string') return date;
      const v = `${param(date)}::text`;
      const d = customFieldExpression('date', key);
      const sign = { on: '=', before: '<', after: '>' }[operator];
      if (sign) return `${d} ${sign} ${v}`;
      break;
    }
    case 'boolean':
      if (operator === 'is_true') return `${json} = 'true'::jsonb`;
      if (operator === 'is_false') return `${json} = 'false'::jsonb`;
      break;
  }
  return { error: 'Unknown comparison.' };
}
