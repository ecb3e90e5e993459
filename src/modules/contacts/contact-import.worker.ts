// A worker thread of a CSV import: validates the batches of rows the import's thread sends, in
// order (contact-import.rows.ts), so that reading numbers, the costly part of an import's
// JavaScript, runs on every core while the import's own thread parses the file and feeds COPY.
import { parentPort, workerData } from 'node:worker_threads';
import { batchValidator, type RowBatch, type RowRules } from './contact-import.rows.js';

const validate = batchValidator(workerData as RowRules);
parentPort!.on('message', (batch: RowBatch) => parentPort!.postMessage(validate(batch)));
