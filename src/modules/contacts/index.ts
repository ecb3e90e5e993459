// What the contacts module offers the modules above it (DESIGN.md "Module order"): other modules
// import it from here only.
export { runContactImport, type ContactImportJobData } from './contact-import.jobs.js';
export { ContactList } from './contact-list.entity.js';
export { Contact } from './contact.entity.js';
export { changeOptIn, customFieldsOf, validateFieldValue, WRITABLE_BUILT_IN_FIELDS } from './contacts.service.js';
export { CustomField } from './custom-field.entity.js';
export { FIELD_INDEXES_JOB } from './field-indexes.js';
export { syncFieldIndexes } from './field-indexes.queries.js';
export { expireAbandonedUploads } from './import-files.queries.js';
export { TimeZoneBackfill } from './time-zone-backfill.js';
export { type SegmentRules } from './segment-rules.js';
export { Segment } from './segment.entity.js';
export { compileSegmentOn } from './segment.queries.js';
export { registerUsageCheck } from './usage.js';
export { registerErasureStep, type ErasedContact } from './erasure.js';
export { contactKey, contactsByPhoneOn, createKeywordContactsOn, flagBadNumbersOn, setEmailsOn, setOptInsOn, type KeywordContact, type NewKeywordContact, type OptInChange } from './consent.queries.js';
export { registerMessageHistory, type ContactMessages } from './message-history.js';
export { registerConversation, type ConversationEntry } from './conversation.js';
export { csvCell, csvChunks, csvLine, csvTime } from './csv-cell.js';
export { registerSenderOptOuts, type SenderOptOut } from './sender-opt-outs.js';
export { keyFieldOf, matchContactsOn, type KeyField, type KeyMatch } from './contact-keys.js';
