import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { ContactList } from './contact-list.entity.js';
import { createdAt, uuidId } from '../../db/base-properties.js';
import { ownedByAccount } from '../accounts/index.js';

export const IMPORT_STATUSES = ['uploaded', 'queued', 'running', 'done', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** What an import does with a phone that already belongs to a contact. */
export const EXISTING_MODES = ['update', 'skip'] as const;
export type ExistingMode = (typeof EXISTING_MODES)[number];

// One CSV file imported into the contacts: uploaded (stored under DATA_DIR/imports/<id>.csv,
// header and first rows kept for the mapping page), then mapped and queued, then run by the
// `contact-import` job in one transaction (contact-import.jobs.ts). `total` is an estimate (lines
// of the file) until the job has read the whole file; `processed` is updated while it runs.
// While the import is `uploaded`, `errorMessage` holds a problem found in the first rows (it
// blocks the start); once `failed`, why it failed.
export const ContactImport = defineEntity({
  name: 'ContactImport',
  tableName: 'contact_import',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    /** Email of the user who uploaded the file. */
    createdBy: p.string().length(254),
    fileName: p.string().length(255),
    filePath: p.text(),
    fileSize: p.bigint('number'),
    delimiter: p.string().length(1),
    header: p.json<string[]>(),
    preview: p.json<string[][]>(),
    /** Per column of the file: the field key it fills, or null (ignored). */
    mapping: p.json<(string | null)[]>().nullable(),
    existing: p.enum([...EXISTING_MODES]).default('update'),
    list: () => p.manyToOne(ContactList).nullable().deleteRule('set null'),
    /** Keep rows whose only problem is the phone number, as contacts flagged bad number. */
    keepBadNumbers: p.boolean().default(false),
    status: p.enum([...IMPORT_STATUSES]).default('uploaded'),
    total: p.integer().default(0),
    processed: p.integer().default(0),
    created: p.integer().default(0),
    updated: p.integer().default(0),
    skipped: p.integer().default(0),
    invalid: p.integer().default(0),
    /** Rows kept with the bad-number flag (they are also counted as created or updated). */
    badNumbers: p.integer().default(0),
    errorMessage: p.text().nullable(),
    ...createdAt(),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['account', 'createdAt'], name: 'contact_import_account_created_at_index' }],
});
export type ContactImport = InferEntity<typeof ContactImport>;

// The rows an import reports: invalid rows (not imported), numbers kept with the bad-number flag,
// and duplicates of a later line. Written in bulk by COPY and set-based SQL, read in line order
// for the report CSV.
export const ContactImportError = defineEntity({
  name: 'ContactImportError',
  tableName: 'contact_import_error',
  filters: tenantFilter(),
  properties: {
    import: () => p.manyToOne(ContactImport).primary().deleteRule('cascade'),
    line: p.integer().primary(),
    ...ownedByAccount(),
    phone: p.text().nullable(),
    reason: p.text(),
  },
});
export type ContactImportError = InferEntity<typeof ContactImportError>;
