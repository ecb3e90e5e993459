// The rules of a segment, as stored (JSON) and as the builder edits them. They are compiled to
// parameterised SQL by segment-compiler.ts; values are never spliced into SQL text.
//
// A segment is a list of conditions combined with AND or OR; an item of that list may itself be
// a group of conditions with its own AND/OR (one level of nesting), so "(A and B) or C" can be
// written: { combinator: 'or', conditions: [{ combinator: 'and', conditions: [A, B] }, C] }.
export type Combinator = 'and' | 'or';

export interface Condition {
  /** A built-in field (country, sms_opt_in, email, first_name, last_name, phone, created_at,
   * list) or `field:<custom key>`. */
  field: string;
  operator: string;
  value?: string;
}

export interface ConditionGroup {
  combinator: Combinator;
  conditions: Condition[];
}

export interface SegmentRules {
  combinator: Combinator;
  conditions: (Condition | ConditionGroup)[];
}

export function isGroup(item: Condition | ConditionGroup): item is ConditionGroup {
  return typeof item === 'object' && item !== null && Array.isArray((item as ConditionGroup).conditions);
}
