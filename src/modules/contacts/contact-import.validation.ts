// Where an import's rows are validated: in worker threads for a large file (about 8 µs of CPU a
// row goes to reading its number, so a million rows keep a core busy for seconds), or in the
// import's own thread for a small one, where starting threads would cost more than it saves.
// Either way batches are answered in the order they were given.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { batchValidator, type RowBatch, type RowRules, type ValidatedBatch } from './contact-import.rows.js';

export interface RowValidation {
  /** Validates a batch; the answers come back in the order the batches were given. */
  validate(batch: RowBatch): Promise<ValidatedBatch>;
  close(): Promise<void>;
}

/** Files from this size on are validated in worker threads (about 70,000 rows: a second of
 * validation, against about as long to start the threads on a busy machine). */
export const WORKERS_FROM_BYTES = 4 * 1024 * 1024;

const WORKER_MODULE = new URL('./contact-import.worker.ts', import.meta.url).href;

/** Node 20 does not apply `--import tsx` to worker threads, so a worker starts as one line of
 * JavaScript that loads its TypeScript through tsx's API. */
function startWorker(rules: RowRules): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `import(${JSON.stringify(tsx)}).then((tsx) => tsx.tsImport(${JSON.stringify(WORKER_MODULE)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(source, { eval: true, workerData: rules });
}

/** Worker threads for an import: one per core the machine offers, at most four. */
export function importThreads(): number {
  return Math.min(os.availableParallelism(), 4);
}

export function inlineValidation(rules: RowRules): RowValidation {
  const validate = batchValidator(rules);
  return { validate: async (batch) => validate(batch), close: async () => {} };
}

interface Waiting {
  resolve: (result: ValidatedBatch) => void;
  reject: (error: Error) => void;
}

export function workerValidation(rules: RowRules, threads: number): RowValidation {
  let failure: Error | null = null;
  const workers = Array.from({ length: threads }, () => {
    const worker = startWorker(rules);
    // Each worker answers its batches in the order it received them.
    const waiting: Waiting[] = [];
    const fail = (error: Error) => {
      failure ??= error;
      for (const batch of waiting.splice(0)) batch.reject(error);
    };
    worker.on('message', (result: ValidatedBatch) => waiting.shift()?.resolve(result));
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`an import worker thread exited (code ${code})`)));
    return { worker, waiting };
  });
  let next = 0;
  return {
    validate(batch) {
      if (failure) return Promise.reject(failure);
      const { worker, waiting } = workers[next++ % workers.length];
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.postMessage(batch);
      });
    },
    async close() {
      for (const { worker } of workers) worker.removeAllListeners('exit');
      await Promise.all(workers.map(({ worker }) => worker.terminate()));
    },
  };
}
