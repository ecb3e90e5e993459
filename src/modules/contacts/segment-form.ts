// The segment builder's form: groups of condition rows, posted as
//   combinator, groups[i][combinator], groups[i][conditions][j][field|operator|value|was]
// (fast-querystring leaves those names flat; they are parsed here). The builder always works on
// groups; a segment with one group is stored as a plain list of conditions.
import { MAX_CONDITIONS, MAX_GROUPS, OPERATORS, operatorSpec, resolveField, type FieldInfo } from './segment-compiler.js';
import { isGroup, type Combinator, type Condition, type SegmentRules } from './segment-rules.js';

export interface BuilderCondition {
  field: string;
  operator: string;
  value: string;
}

export interface BuilderGroup {
  combinator: Combinator;
  conditions: BuilderCondition[];
}

export interface BuilderState {
  combinator: Combinator;
  groups: BuilderGroup[];
  /** Set when the form sent more groups or conditions than a segment may have: what was left out.
   * Only the first ones are kept, so a forged form cannot make a page of a million rows. */
  overLimit?: string;
}

const NAME = /^groups\[(\d{1,3})\](?:\[combinator\]|\[conditions\]\[(\d{1,3})\]\[(field|operator|value|was)\])$/;

const first = (value: unknown): string => (Array.isArray(value) ? first(value[0]) : typeof value === 'string' ? value : '');
const combinator = (value: unknown): Combinator => (first(value) === 'or' ? 'or' : 'and');
const blank = (): BuilderCondition => ({ field: '', operator: '', value: '' });

export function emptyBuilder(): BuilderState {
  return { combinator: 'and', groups: [{ combinator: 'and', conditions: [blank()] }] };
}

/** Reads the builder's rows from a posted form. A row whose field changed since it was rendered
 * (`was`) starts again from that field's first operator, with no value. */
export function parseBuilderForm(body: Record<string, unknown>, customFields: FieldInfo[]): BuilderState {
  const groups = new Map<number, { combinator: Combinator; rows: Map<number, BuilderCondition & { was?: string }> }>();
  for (const [name, raw] of Object.entries(body ?? {})) {
    const match = NAME.exec(name);
    if (!match) continue;
    const gi = Number(match[1]);
    let group = groups.get(gi);
    if (!group) groups.set(gi, (group = { combinator: 'and', rows: new Map() }));
    if (match[2] === undefined) {
      group.combinator = combinator(raw);
      continue;
    }
    const ci = Number(match[2]);
    let row = group.rows.get(ci);
    if (!row) group.rows.set(ci, (row = blank()));
    row[match[3] as 'field' | 'operator' | 'value' | 'was'] = first(raw).slice(0, 600);
  }
  const sent = [...groups.entries()].sort(([a], [b]) => a - b).filter(([, g]) => g.rows.size > 0);
  const sentConditions = sent.reduce((n, [, g]) => n + g.rows.size, 0);
  let room = MAX_CONDITIONS;
  const state: BuilderState = {
    combinator: combinator(body?.combinator),
    groups: sent
      .slice(0, MAX_GROUPS)
      .map(([, g]) => {
        const rows = [...g.rows.entries()].sort(([a], [b]) => a - b).slice(0, room);
        room -= rows.length;
        return { combinator: g.combinator, conditions: rows.map(([, row]) => normaliseRow(row, customFields)) };
      })
      .filter((g) => g.conditions.length > 0),
  };
  if (sent.length > MAX_GROUPS || sentConditions > MAX_CONDITIONS) {
    state.overLimit = `A segment can have at most ${MAX_CONDITIONS} conditions in at most ${MAX_GROUPS} groups; this form had ${sentConditions.toLocaleString('en')} in ${sent.length.toLocaleString('en')}. Only the first ${MAX_CONDITIONS} conditions are shown.`;
  }
  return state.groups.length ? state : emptyBuilder();
}

function normaliseRow(row: BuilderCondition & { was?: string }, customFields: FieldInfo[]): BuilderCondition {
  const field = resolveField(row.field, customFields);
  if (!field) return { field: row.field, operator: row.operator, value: row.value };
  const changed = row.was !== undefined && row.was !== row.field;
  let operator = row.operator;
  if (changed || !operatorSpec(field.kind, operator)) operator = OPERATORS[field.kind][0].value;
  const spec = operatorSpec(field.kind, operator)!;
  return { field: row.field, operator, value: changed || spec.input === 'none' ? '' : row.value };
}

/** Applies a row action of the builder: add:<g>, remove:<g>:<c>, add-group, remove-group:<g>. */
export function applyBuilderAction(state: BuilderState, action: string): BuilderState {
  const groups = state.groups.map((g) => ({ ...g, conditions: [...g.conditions] }));
  const total = groups.reduce((n, g) => n + g.conditions.length, 0);
  const [verb, a, b] = action.split(':');
  const gi = Number(a);
  const ci = Number(b);
  if (verb === 'add' && groups[gi] && total < MAX_CONDITIONS) groups[gi].conditions.push(blank());
  else if (verb === 'remove' && groups[gi]?.conditions[ci]) {
    groups[gi].conditions.splice(ci, 1);
    if (groups[gi].conditions.length === 0) groups.splice(gi, 1);
  } else if (verb === 'add-group' && groups.length < MAX_GROUPS && total < MAX_CONDITIONS) groups.push({ combinator: 'and', conditions: [blank()] });
  else if (verb === 'remove-group' && groups[gi]) groups.splice(gi, 1);
  return groups.length ? { combinator: state.combinator, groups } : emptyBuilder();
}

export interface BuilderRules {
  rules: SegmentRules;
  /** Compiler error key (conditions.<i>[.<j>]) -> builder row key (<g>.<c>). */
  rows: Map<string, string>;
}

/** The rules of the builder's rows, in the form they are stored: one group is a plain list of
 * conditions; several groups are nested. Rows without a field are left out when `skipBlank`. */
export function builderToRules(state: BuilderState, options: { skipBlank: boolean }): BuilderRules {
  const rows = new Map<string, string>();
  const groups = state.groups
    .map((group, gi) => ({
      combinator: group.combinator,
      conditions: group.conditions.map((c, ci) => ({ c, key: `${gi}.${ci}` })).filter(({ c }) => !options.skipBlank || c.field !== ''),
    }))
    .filter((g) => g.conditions.length > 0);
  const condition = ({ c }: { c: BuilderCondition }): Condition => (c.value === '' ? { field: c.field, operator: c.operator } : { field: c.field, operator: c.operator, value: c.value });
  if (groups.length === 1) {
    groups[0].conditions.forEach((entry, i) => rows.set(`conditions.${i}`, entry.key));
    return { rules: { combinator: groups[0].combinator, conditions: groups[0].conditions.map(condition) }, rows };
  }
  groups.forEach((g, i) => g.conditions.forEach((entry, j) => rows.set(`conditions.${i}.${j}`, entry.key)));
  return { rules: { combinator: state.combinator, conditions: groups.map((g) => ({ combinator: g.combinator, conditions: g.conditions.map(condition) })) }, rows };
}

/** The builder's rows for stored rules (plain conditions at the top become groups of one). */
export function rulesToBuilder(rules: SegmentRules | null | undefined): BuilderState {
  if (!rules || !Array.isArray(rules.conditions) || rules.conditions.length === 0) return emptyBuilder();
  const row = (c: Condition): BuilderCondition => ({ field: String(c.field ?? ''), operator: String(c.operator ?? ''), value: c.value === undefined || c.value === null ? '' : String(c.value) });
  if (!rules.conditions.some(isGroup)) {
    return { combinator: 'and', groups: [{ combinator: rules.combinator === 'or' ? 'or' : 'and', conditions: (rules.conditions as Condition[]).map(row) }] };
  }
  return {
    combinator: rules.combinator === 'or' ? 'or' : 'and',
    groups: rules.conditions.map((item) => (isGroup(item) ? { combinator: item.combinator === 'or' ? 'or' : 'and', conditions: item.conditions.map(row) } : { combinator: 'and' as Combinator, conditions: [row(item)] })),
  };
}

/** Field errors of the compiler, re-keyed by builder row (`<g>.<c>`); `rules` stays as it is. */
export function rowErrors(fields: Record<string, string>, rows: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, message] of Object.entries(fields)) out[rows.get(key) ?? key] = message;
  return out;
}
