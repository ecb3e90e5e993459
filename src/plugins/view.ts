// Server-rendered pages with Eta (auto-escaping on). `reply.page()` renders a page inside the
// layout, or, for an htmx tab switch that targets <main id="main">, only the main fragment plus
// an out-of-band update of the tabs, so every URL works both ways.
import path from 'node:path';
import fp from 'fastify-plugin';
import view from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { formatMoney } from '../money.js';
import { countryLabel } from '../phone.js';

export type Tab = 'dashboard' | 'create' | 'reporting' | 'inbound' | 'contacts' | 'automation' | 'settings';

export interface PageOptions {
  title: string;
  tab?: Tab;
  status?: number;
}

declare module 'fastify' {
  interface FastifyReply {
    page(template: string, data: Record<string, unknown>, options: PageOptions): Promise<FastifyReply>;
    /** @fastify/view's values for every template this reply renders. */
    locals: Record<string, unknown>;
  }
}

/** How every page shows a moment: DD-MM-YYYY HH:MM (as the reference product's Create tab) in the
 * account's zone; `zone` names it ("… (Europe/Berlin)") where no note above says it; `day`
 * leaves the time out. Empty for no date. */
export function formatTime(date: Date | string | null | undefined, timeZone: string, options: { zone?: boolean; day?: boolean } = {}): string {
  if (!date) return '';
  const shown = DateTime.fromJSDate(new Date(date)).setZone(timeZone).toFormat(options.day ? 'dd-LL-yyyy' : 'dd-LL-yyyy HH:mm');
  return options.zone ? `${shown} (${timeZone})` : shown;
}

/** Who did something, as people know them: audit trails store "user:<email>", "api-key:<name>",
 * "import:<file>" or "system" (kept so, for the record); pages show the person's email, the key's
 * or the file's name. */
export function actorName(actor: string): string {
  const [kind, ...rest] = actor.split(':');
  const name = rest.join(':');
  if (kind === 'user' && name) return name;
  if (kind === 'api-key' && name) return `API key “${name}”`;
  if (kind === 'import' && name) return `import of ${name}`;
  if (actor === 'system') return 'Textcast';
  return actor;
}

/** True for htmx requests that only want the <main> fragment. */
export function wantsMainFragment(request: FastifyRequest): boolean {
  return request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'main#main' && !request.headers['hx-history-restore-request'];
}

/** Values the layout shows around every full page (the credit balance in the header), given by
 * the entry (src/app.ts) so this plugin knows no module. Fragments do not ask for them. */
export type LayoutValues = (request: FastifyRequest) => Promise<Record<string, unknown>>;

export const viewPlugin = fp<{ root: string; layoutValues: LayoutValues }>(async (app, { root, layoutValues }) => {
  const eta = new Eta({ views: root, autoEscape: true, cache: true, autoTrim: false });
  // production: templates are compiled once and kept (the default recompiles on every render).
  await app.register(view, { engine: { eta }, root, viewExt: 'eta', production: true, defaultContext: { actorName, countryLabel } });
  // Every template, page or fragment, shows times through `it.formatTime(date, options)` in the
  // account's zone. The account is read when a template calls it: it is set by the auth hook,
  // which may run after this one.
  app.addHook('onRequest', async (request, reply) => {
    reply.locals = { ...reply.locals, formatTime: (date: Date | string | null | undefined, options?: { zone?: boolean; day?: boolean }) => formatTime(date, timeZoneOf(request), options) };
  });

  app.decorateReply('page', async function (this: FastifyReply, template: string, data: Record<string, unknown>, options: PageOptions) {
    const request = this.request;
    const common = {
      user: request.user,
      account: request.account,
      csrfToken: this.csrfToken(),
      tab: options.tab,
      title: options.title,
      formatMoney,
    };
    const body = await this.viewAsync(template, { ...common, ...data });
    const fragment = wantsMainFragment(request);
    const html = fragment ? await this.viewAsync('_partials/main-fragment', { ...common, body }) : await this.viewAsync('layout', { ...common, ...(await layoutValues(request)), body });
    // Without a status, an error status already set (422 by formErrors()) is kept.
    return this.code(options.status ?? (this.statusCode >= 400 ? this.statusCode : 200)).type('text/html; charset=utf-8').send(html);
  });
});

/** The zone a request's pages show times in: its account's (UTC before sign-in). */
function timeZoneOf(request: FastifyRequest): string {
  return request.account?.timeZone ?? 'UTC';
}

export const VIEWS_DIR = path.resolve(import.meta.dirname, '../../views');
