// Writes that callers wait for, in micro-batches: each caller waits for the commit of the batch
// that holds its item (so a webhook's message is durable before the gateway hears 200), but
// callers arriving together share one statement and one commit instead of paying one each. Up to
// `maxRunning` batches run at once; an item that arrives while they run joins the next one.
// A batch that fails is written again item by item, so only a bad item fails its caller.

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class MicroBatcher<T, R> {
  private queue: Pending<T, R>[] = [];
  private running = 0;

  /** `write` answers one result per item, in the items' order. */
  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly limits: { maxBatch: number; maxRunning: number } = { maxBatch: 500, maxRunning: 4 },
  ) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length && this.running < this.limits.maxRunning) {
      const batch = this.queue.splice(0, this.limits.maxBatch);
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.flush();
      });
    }
  }

  private async run(batch: Pending<T, R>[]): Promise<void> {
    try {
      const results = await this.write(batch.map((pending) => pending.item));
      batch.forEach((pending, index) => pending.resolve(results[index]!));
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else for (const pending of batch) await this.run([pending]);
    }
  }
}
