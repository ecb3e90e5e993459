// Saving and deleting segments: a unique name per account and rules that compile (fields, lists
// and values checked against the account), or a ValidationError keyed by builder row.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, ValidationError } from '../../errors.js';
import type { Account } from '../accounts/index.js';
import { Segment } from './segment.entity.js';
import { usersOf, type Usage } from './usage.js';
import { compileSegment } from './segment.queries.js';
import { builderToRules, rowErrors, type BuilderState } from './segment-form.js';

const MAX_NAME = 100;
const DUPLICATE = (name: string) => `There is already a segment named "${name}".`;

/** Validates name and rules; returns the rules to store. Errors: `name`, `rules`, `<g>.<c>`. */
export async function validateSegment(em: EntityManager, accountId: string, input: { name: string; state: BuilderState }, current: Segment | null) {
  const errors: Record<string, string> = {};
  const name = input.name.trim().replace(/\s+/g, ' ');
  if (!name) errors.name = 'Give the segment a name.';
  else if (name.length > MAX_NAME) errors.name = `The name can have at most ${MAX_NAME} characters.`;
  else {
    const same = await em.findOne(Segment, { name }, { fields: ['id'] });
    if (same && same.id !== current?.id) errors.name = DUPLICATE(name);
  }
  const { rules, rows } = builderToRules(input.state, { skipBlank: true });
  if (input.state.overLimit) errors.rules = input.state.overLimit;
  else if (rules.conditions.length === 0) errors.rules = 'Add at least one condition: a segment without conditions would be every contact.';
  else {
    try {
      await compileSegment(em, accountId, rules);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      Object.assign(errors, rowErrors(error.fields, rows));
    }
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return { name, rules };
}

export async function saveSegment(em: EntityManager, account: Account, input: { name: string; state: BuilderState }, current: Segment | null): Promise<Segment> {
  const { name, rules } = await validateSegment(em, account.id, input, current);
  const segment = current ?? em.create(Segment, { account, name, rules });
  segment.name = name;
  segment.rules = rules;
  try {
    await em.flush();
  } catch (error) {
    // Two people saving the same name at once: the unique index decides.
    if (error instanceof UniqueConstraintViolationException) throw new ValidationError({ name: DUPLICATE(name) });
    throw error;
  }
  return segment;
}

/** What uses this segment (campaigns sending to it): while anything does, it cannot be deleted. */
export async function usersOfSegment(em: EntityManager, segment: Segment): Promise<Usage[]> {
  return usersOf(em, { segmentId: segment.id });
}

export async function deleteSegment(em: EntityManager, segment: Segment): Promise<void> {
  const campaigns = await usersOfSegment(em, segment);
  if (campaigns.length) throw new ConflictError(`This segment is the recipient source of ${campaigns.map((c) => `"${c.name}"`).join(', ')}: choose other recipients for ${campaigns.length === 1 ? 'that campaign' : 'those campaigns'} first.`);
  em.remove(segment);
  await em.flush();
}
