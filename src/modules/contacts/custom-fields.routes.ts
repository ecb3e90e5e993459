// Custom fields: the account defines them (key, label, type); contacts carry their values.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findOr404 } from '../../db/find.js';
import { ValidationError } from '../../errors.js';
import { formErrors, type TypedApp } from '../../plugins/validation.js';
import { EmptyForm, Form, LINE, OptionalText, UuidParams } from '../../plugins/schemas.js';
import { CustomField, FIELD_TYPES, type FieldType } from './custom-field.entity.js';
import { BUILT_IN_FIELDS } from './fields.js';
import { removeFieldValues } from './contact.queries.js';
import { slugify } from '../../text.js';
import { queueFieldIndexSync } from './field-indexes.js';

type FieldInput = Record<string, string | undefined>;

const FieldForm = Form({ label: OptionalText(LINE), key: OptionalText(LINE), type: OptionalText(LINE) });

const RESERVED = new Set<string>([...BUILT_IN_FIELDS.map((f) => f.key), 'country', 'id', 'created_at', 'unsubscribe_link', 'list', 'event']);

export async function createCustomField(em: FastifyRequest['em'], account: NonNullable<FastifyRequest['account']>, input: FieldInput): Promise<CustomField> {
  const errors: Record<string, string> = {};
  const label = (input.label ?? '').trim();
  const key = (input.key ?? '').trim() || slugify(label, '_');
  if (!label || label.length > 100) errors.label = 'Give the field a label of at most 100 characters.';
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(key)) errors.key = 'The key starts with a letter and has at most 40 lower-case letters, digits and underscores.';
  else if (RESERVED.has(key)) errors.key = `"${key}" is a built-in field.`;
  else if (await em.count(CustomField, { key })) errors.key = `There is already a field with the key "${key}".`;
  if (!FIELD_TYPES.includes(input.type as FieldType)) errors.type = 'Choose text, number, date or yes/no.';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const field = em.create(CustomField, { account, key, label, type: input.type as FieldType });
  await em.flush();
  return field;
}

export async function customFieldsRoutes(app: TypedApp) {
  const page = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, string> = {}, errors: Record<string, string> = {}) => {
    const fields = await request.em.find(CustomField, {}, { orderBy: { label: 'asc' } });
    return reply.page('contacts/fields', { fields, types: FIELD_TYPES, values, errors }, { title: 'Custom fields', tab: 'contacts' });
  };

  app.get('/', async (request, reply) => page(request, reply));

  app.post(
    '/',
    { config: { role: 'owner' }, schema: { body: FieldForm }, errorHandler: formErrors((request, reply, { fields, values }) => page(request, reply, values, fields)) },
    async (request, reply) => {
      await createCustomField(request.em, request.account!, request.body);
      return reply.redirect('/contacts/fields', 303);
    },
  );

  app.post('/:id/delete', { config: { role: 'owner' }, schema: { params: UuidParams('custom field'), body: EmptyForm() } }, async (request, reply) => {
    const field = await findOr404(request.em, CustomField, request.params.id, 'custom field');
    // The values go with the field, in one set-based statement.
    await removeFieldValues(request.em, request.account!.id, field.key);
    request.em.remove(field);
    await request.em.flush();
    // Its index, if a segment used it, goes too (in the background: a concurrent drop waits for running writes).
    await queueFieldIndexSync(app, request.log);
    return reply.redirect('/contacts/fields', 303);
  });
}
