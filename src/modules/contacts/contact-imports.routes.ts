// CSV import pages under /contacts/imports: the list of imports with the upload form, the
// mapping page, the progress fragment (polled by htmx, or a meta refresh without JavaScript) that
// ends in the report, and the report's CSV of problem rows.
//
// The upload is multipart, streamed to disk (never buffered whole). Its CSRF token is a form
// field placed before the file: a preValidation hook reads the fields up to the file part, so the
// global CSRF check sees `_csrf` before a byte of the file is stored.
import crypto from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import multipart, { type Multipart, type MultipartFile } from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { findOr404 } from '../../db/find.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { formErrors, refuseMalformedText, type TypedApp } from '../../plugins/validation.js';
import { Checkbox, EmptyForm, Form, LINE, OptionalText, Text, UuidParams, WholeNumber } from '../../plugins/schemas.js';
import { ContactImport } from './contact-import.entity.js';
import { ContactList } from './contact-list.entity.js';
import { customFieldsOf } from './contacts.service.js';
import { createCustomField } from './custom-fields.routes.js';
import { FIELD_TYPES } from './custom-field.entity.js';
import {
  importsDir,
  formatMegabytes,
  tooLargeMessage,
  storeUpload,
  createImport,
  changeDelimiter,
  cleanFileName,
  importFields,
  readStartForm,
  queueImport,
  keepChoices,
  UploadRefused,
  type StartInput,
} from './contact-import.service.js';
import { DELIMITERS, DELIMITER_LABELS, DELIMITER_NAMES, delimiterByName, type Delimiter } from './contact-import.csv.js';
import { csvCell } from './csv-cell.js';
import { reportedRows, countReportedRows } from './contact-import.queries.js';
import { runContactImport } from './contact-import.jobs.js';

const IdParams = UuidParams('import');
/** The mapping form: one select per column of the file (column_<i>), then the options; for an
 * owner, a new custom field's name and type per column (new_label_<i>, new_type_<i>). Which
 * fields, modes and lists are allowed is readStartForm()'s to say. */
const StartForm = Form(
  { existing: OptionalText(LINE), list: OptionalText(LINE), keep_bad_numbers: Checkbox() },
  { patternProperties: { '^column_[0-9]+$': Text(LINE), '^new_(label|type)_[0-9]+$': Text(LINE) } },
);
/** The column a new custom field is created for, by its position in the file. */
const ColumnQuery = Type.Object({ column: WholeNumber() });

/** A new custom field typed on the mapping page: for which column, with what name and type. */
interface NewField {
  column: number;
  label: string;
  type: string;
}

interface PendingUpload {
  part: MultipartFile;
  rest: AsyncIterator<Multipart>;
}

export const STATUS_LABELS: Record<string, string> = {
  uploaded: 'Waiting for its mapping',
  queued: 'Queued',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
};

export async function contactImportRoutes(app: TypedApp) {
  const maxBytes = app.config.importMaxBytes;
  await app.register(multipart, {
    throwFileSizeLimit: false,
    limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 16 * 1024, parts: 12, headerPairs: 50 },
  });
  const uploads = new WeakMap<FastifyRequest, PendingUpload>();

  // --- The list and the upload -----------------------------------------------------------------
  const indexPage = async (request: FastifyRequest, reply: FastifyReply, uploadError: string | null = null, status = 200) => {
    const imports = await request.em.find(ContactImport, {}, { orderBy: { createdAt: 'desc' }, limit: 50 });
    return reply.page('contacts/imports/index', { imports, uploadError, maxSize: formatMegabytes(maxBytes), statusLabels: STATUS_LABELS }, { title: 'Import contacts', tab: 'contacts', status });
  };

  /** A refused upload answers at once and closes the connection: whatever of the file is still
   * on its way is not read. */
  const refuse = (request: FastifyRequest, reply: FastifyReply, status: number, message: string) => {
    reply.header('connection', 'close');
    return indexPage(request, reply, message, status);
  };

  app.get('/', async (request, reply) => indexPage(request, reply));

  app.post(
    '/',
    {
      // The fields before the file (the CSRF token): their shape is checked like any form's, and
      // a refusal shows on the upload form. The file itself is checked by the import.
      schema: { body: EmptyForm() },
      errorHandler: formErrors((request, reply, { message }) => refuse(request, reply, 422, message)),
      preValidation: async (request, reply) => {
        if (!request.isMultipart()) return;
        const length = Number(request.headers['content-length'] ?? 0);
        // A declared size far over the limit is refused before reading anything.
        if (length > maxBytes + 1024 * 1024) return refuse(request, reply, 413, tooLargeMessage(maxBytes));
        const rest = request.parts()[Symbol.asyncIterator]();
        const fields: Record<string, string> = {};
        for (;;) {
          const next = await rest.next();
          if (next.done) break;
          const part = next.value;
          if (part.type === 'file') {
            uploads.set(request, { part, rest });
            break;
          }
          if (typeof part.value === 'string') fields[part.fieldname] = part.value;
        }
        // The app's check for NUL bytes and unpaired surrogates ran before these were read.
        refuseMalformedText(fields, 'body');
        request.body = fields;
      },
    },
    async (request, reply) => {
      const upload = uploads.get(request);
      if (!upload || !upload.part.filename) {
        if (upload) upload.part.file.resume();
        return indexPage(request, reply, 'Choose a CSV file to upload.', 422);
      }
      const id = crypto.randomUUID();
      const filePath = path.join(importsDir(app.config.dataDir), `${id}.csv`);
      try {
        const stored = await storeUpload(upload.part.file, filePath, maxBytes);
        // The form has nothing after the file; read to the end of the request all the same.
        for (let next = await upload.rest.next(); !next.done; next = await upload.rest.next()) {
          if (next.value.type === 'file') next.value.file.resume();
        }
        const contactImport = await createImport(request.em, {
          id,
          account: request.account!,
          userEmail: request.user!.email,
          fileName: cleanFileName(upload.part.filename),
          filePath,
          upload: stored,
          customFields: await customFieldsOf(request.em),
        });
        return reply.redirect(`/contacts/imports/${contactImport.id}`, 303);
      } catch (error) {
        if (error instanceof UploadRefused) return refuse(request, reply, error.status, error.message);
        throw error;
      }
    },
  );

  // --- Mapping ---------------------------------------------------------------------------------
  /** The mapping page: the choices posted (`input`) or kept, `errors` by field, the new custom
   * field being typed, or the one just created (`createdKey`), which is said next to the form. */
  const mappingPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    contactImport: ContactImport,
    input: Partial<StartInput> = {},
    errors: Record<string, string> = {},
    extra: { newField?: NewField; createdKey?: string } = {},
  ) => {
    const [customFields, lists] = await Promise.all([customFieldsOf(request.em), request.em.find(ContactList, {}, { orderBy: { name: 'asc' } })]);
    const header = contactImport.header;
    const mapping = input.mapping ?? contactImport.mapping ?? [];
    const created = extra.createdKey ? customFields.get(extra.createdKey) : undefined;
    const createdColumn = created ? mapping.indexOf(created.key) : -1;
    // A single column that another separator would split: say so.
    const suggestion = header.length === 1 ? DELIMITERS.find((d) => d !== contactImport.delimiter && header[0].includes(d)) : undefined;
    return reply.page(
      'contacts/imports/mapping',
      {
        contactImport,
        fields: importFields(customFields),
        lists,
        values: {
          mapping,
          existing: input.existing ?? contactImport.existing,
          listId: input.listId ?? contactImport.list?.id ?? '',
          keepBadNumbers: input.keepBadNumbers ?? contactImport.keepBadNumbers,
        },
        // A problem found in the first rows (wrong separator, open quote) shows until it is fixed.
        errors: { ...(contactImport.errorMessage ? { delimiter: contactImport.errorMessage } : {}), ...errors },
        delimiters: DELIMITERS.map((d) => ({ name: DELIMITER_NAMES[d], label: DELIMITER_LABELS[d], selected: d === contactImport.delimiter })),
        suggestion: suggestion ? DELIMITER_LABELS[suggestion as Delimiter] : null,
        sizeLabel: formatSize(contactImport.fileSize),
        fieldTypes: FIELD_TYPES,
        newField: extra.newField ?? null,
        created: created ? `Custom field “${created.label}” created${createdColumn >= 0 ? `, and chosen for the column “${header[createdColumn] || `Column ${createdColumn + 1}`}”` : ''}.` : null,
      },
      { title: `Import ${contactImport.fileName}`, tab: 'contacts' },
    );
  };

  const progressUrl = (contactImport: ContactImport) => `/contacts/imports/${contactImport.id}/progress`;

  app.get('/:id', { schema: { params: IdParams, querystring: Type.Object({ field: OptionalText(LINE) }) } }, async (request, reply) => {
    const contactImport = await findOr404(request.em, ContactImport, request.params.id, 'import');
    if (contactImport.status !== 'uploaded') return reply.redirect(progressUrl(contactImport), 303);
    return mappingPage(request, reply, contactImport, {}, {}, { createdKey: request.query.field });
  });

  /** The mapping page again with the errors of one of its forms: the separator form (the
   * mapping as stored) or the mapping form (its choices as posted). */
  const mappingErrors = (form: 'delimiter' | 'start' | 'field') =>
    formErrors<{ id: string }>(async (request, reply, { fields, values }) => {
      const contactImport = await findOr404(request.em, ContactImport, request.params.id, 'import');
      if (contactImport.status !== 'uploaded') return reply.redirect(progressUrl(contactImport), 303);
      const input = form === 'delimiter' ? {} : (await readStartForm(request.em, contactImport, values, importFields(await customFieldsOf(request.em)))).input;
      const newField = form === 'field' ? newFieldOf(values, Number((request.query as { column?: string }).column)) : undefined;
      return mappingPage(request, reply, contactImport, input, fields, { newField });
    });

  // A column that matches no field: an owner creates a custom field for it from the mapping
  // page; the page comes back with every choice made so far and that column on the new field.
  app.post(
    '/:id/fields',
    { config: { role: 'owner' }, schema: { params: IdParams, querystring: ColumnQuery, body: StartForm }, errorHandler: mappingErrors('field') },
    async (request, reply) => {
      const contactImport = await findOr404(request.em, ContactImport, request.params.id, 'import');
      if (contactImport.status !== 'uploaded') return reply.redirect(progressUrl(contactImport), 303);
      const column = Number(request.query.column);
      if (column >= contactImport.header.length) throw new NotFoundError('There is no such column in this file.');
      const typed = newFieldOf(request.body, column);
      const field = await createCustomField(request.em, request.account!, { label: typed.label, type: typed.type }).catch((error: unknown) => {
        // The field's problems belong to this column's inputs.
        if (error instanceof ValidationError) throw new ValidationError(newFieldErrors(error.fields, column));
        throw error;
      });
      const fields = importFields(await customFieldsOf(request.em));
      const { input } = await readStartForm(request.em, contactImport, { ...request.body, [`column_${column}`]: field.key }, fields);
      await keepChoices(request.em, contactImport, input);
      return reply.redirect(`/contacts/imports/${contactImport.id}?field=${encodeURIComponent(field.key)}#mapping-form`, 303);
    },
  );

  app.post('/:id/delimiter', { schema: { params: IdParams, body: Form({ delimiter: OptionalText(LINE) }) }, errorHandler: mappingErrors('delimiter') }, async (request, reply) => {
    const contactImport = await findOr404(request.em, ContactImport, request.params.id, 'import');
    if (contactImport.status !== 'uploaded') return reply.redirect(progressUrl(contactImport), 303);
    const delimiter = delimiterByName(request.body.delimiter);
    if (!delimiter) throw new ValidationError({ delimiterChoice: 'Choose a comma, a semicolon, a tab or a pipe.' });
    await changeDelimiter(request.em, contactImport, delimiter, await customFieldsOf(request.em));
    return reply.redirect(`/contacts/imports/${contactImport.id}`, 303);
  });

  app.post('/:id/start', { schema: { params: IdParams, body: StartForm }, errorHandler: mappingErrors('start') }, async (request, reply) => {
    const contactImport = await findOr404(request.em, ContactImport, request.params.id, 'import');
    if (contactImport.status !== 'uploaded') return reply.redirect(progressUrl(contactImport), 303);
    const fields = importFields(await customFieldsOf(request.em));
    const { input, errors } = await readStartForm(request.em, contactImport, request.body, fields);
    if (Object.keys(errors).length) throw new ValidationError(errors);
    if (await queueImport(request.em, contactImport, input)) {
      const job = { importId: contactImport.id, accountId: request.account!.id };
      const scheduler = app.scheduler;
      if (scheduler) {
        try {
          await scheduler.agenda.now('contact-import', job);
        } catch (error) {
          await request.em.nativeUpdate(ContactImport, { id: contactImport.id, status: 'queued' }, { status: 'uploaded' });
          throw error;
        }
      } else {
        // No scheduler in this process (an app built without one, as in tests): run it here.
        void runContactImport(app.orm, job, { log: request.log }).catch((error) => request.log.error({ err: error }, 'contact import failed'));
      }
    }
    return reply.redirect(progressUrl(contactImport), 303);
  });

  // --- Progress and report ---------------------------------------------------------------------
  app.get('/:id/progress', { schema: { params: IdParams } }, async (request, reply) => {
    const contactImport = await findOr404(request.em, ContactImport, request.params.id, 'import', { populate: ['list'] });
    if (contactImport.status === 'uploaded') return reply.redirect(`/contacts/imports/${contactImport.id}`, 303);
    const ids = { importId: contactImport.id, accountId: request.account!.id };
    const data = {
      contactImport,
      reported: contactImport.status === 'done' ? await countReportedRows(request.em, ids) : 0,
      statusLabels: STATUS_LABELS,
    };
    if (request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'div#import-progress') {
      return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('contacts/imports/_progress', data));
    }
    return reply.page('contacts/imports/progress', data, { title: `Import ${contactImport.fileName}`, tab: 'contacts' });
  });

  app.get('/:id/errors.csv', { schema: { params: IdParams } }, async (request, reply) => {
    const contactImport = await findOr404(request.em, ContactImport, request.params.id, 'import');
    const ids = { importId: contactImport.id, accountId: request.account!.id };
    const em = request.em;
    const body = Readable.from(
      (async function* () {
        yield 'line,phone,reason\r\n';
        let after = 0;
        for (;;) {
          const rows = await reportedRows(em, ids, after, 5000);
          if (!rows.length) break;
          yield rows.map((row) => `${row.line},${csvCell(row.phone)},${csvCell(row.reason)}\r\n`).join('');
          after = rows[rows.length - 1].line;
        }
      })(),
    );
    const base = contactImport.fileName.replace(/\.(csv|txt)$/i, '');
    const ascii = base.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'import';
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${ascii}-report.csv"; filename*=UTF-8''${encodeURIComponent(base + '-report.csv')}`)
      .header('cache-control', 'no-store')
      .send(body);
  });
}

/** The new custom field typed for a column on the mapping page. */
function newFieldOf(values: Record<string, unknown>, column: number): NewField {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : '');
  return { column, label: text(`new_label_${column}`), type: text(`new_type_${column}`) };
}

/** createCustomField()'s problems on the column's inputs: the name (its label, or the key made
 * from it) and the type. */
function newFieldErrors(fields: Record<string, string>, column: number): Record<string, string> {
  const errors: Record<string, string> = {};
  const name = fields.label ?? fields.key;
  if (name) errors[`new_label_${column}`] = name;
  if (fields.type) errors[`new_type_${column}`] = fields.type;
  return errors;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
