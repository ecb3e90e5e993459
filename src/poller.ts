// A worker that polls the database for work in each job-running process (the simulator's
// reports, inbound messages, replies): it runs `tick()` every `pollMs`, again at once while a
// tick finds a full batch, and after an error waits a few seconds and tries again. Work is
// claimed in SQL with SKIP LOCKED, so any number of processes can poll side by side.
import type { FastifyBaseLogger } from 'fastify';

export abstract class Poller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    protected readonly log: FastifyBaseLogger,
    private readonly options: { what: string; batch: number; pollMs: number },
  ) {}

  /** Does one round of work; answers how many items it took (a full batch: look again at once). */
  abstract tick(): Promise<number>;

  start(): void {
    this.schedule(this.options.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then((count) => this.schedule(count >= this.options.batch ? 0 : this.options.pollMs))
        .catch((error) => {
          this.log.warn({ err: error }, `${this.options.what} failed; retrying`);
          this.schedule(5_000);
        });
    }, ms);
  }
}
