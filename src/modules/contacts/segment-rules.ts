// The rules of a segment, as stored (JSON) and as the builder edits them. They are compiled to
// parameterised SQL by segment.queries.ts; values are never spliced into SQL text.
export type Combinator = 'and' | 'or';

export interface Condition {
  /** A built-in field (country, sms_opt_in, email, created_at, list) or `field:<custom key>`. */
  field: string;
  operator: string;
  value?: string;
}

export interface SegmentRules {
  combinator: Combinator;
  conditions: Condition[];
}
