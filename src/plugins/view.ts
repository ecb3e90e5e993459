// Server-rendered pages with Eta (auto-escaping on). `reply.page()` renders a page inside the
// layout, or, for an htmx tab switch that targets <main id="main">, only the main fragment plus
// out-of-band updates of the tabs and the header's values, so every URL works both ways.
// `reply.fragment()` renders a piece of a page for htmx; one that may have changed what the
// header shows (a test send billed, a campaign sending) asks for the header's values with it.
import path from 'node:path';
import fp from 'fastify-plugin';
import view from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { formatMoney } from '../money.js';
import { countryLabel } from '../phone.js';
import { clockIn, zoneName } from '../phone-zone.js';

export type Tab = 'dashboard' | 'create' | 'reporting' | 'inbound' | 'contacts' | 'automation' | 'settings';

export interface PageOptions {
  title: string;
  tab?: Tab;
  status?: number;
}

export interface FragmentOptions {
  /** The fragment may have changed the header's values (the credit): swap them in out of band. */
  header?: boolean;
}

declare module 'fastify' {
  interface FastifyReply {
    page(template: string, data: Record<string, unknown>, options: PageOptions): Promise<FastifyReply>;
    /** @fastify/view's values for every template this reply renders. */
    locals: Record<string, unknown>;
    fragment(template: string, data: Record<string, unknown>, options?: FragmentOptions): Promise<FastifyReply>;
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

/** Values the layout shows around every page (the credit balance in the header), given by the
 * entry (src/app.ts) so this plugin knows no module. A tab switch gets them out of band; other
 * fragments only when they ask (a keystroke's counter carries no header). */
export type LayoutValues = (request: FastifyRequest) => Promise<Record<string, unknown>>;

export const viewPlugin = fp<{ root: string; layoutValues: LayoutValues }>(async (app, { root, layoutValues }) => {
  const eta = new Eta({ views: root, autoEscape: true, cache: true, autoTrim: false });
  // production: templates are compiled once and kept (the default recompiles on every render).
  await app.register(view, { engine: { eta }, root, viewExt: 'eta', production: true, defaultContext: { actorName, countryLabel, zoneName, clockIn } });
  // Every template, page or fragment, shows times through `it.formatTime(date, options)` in the
  // account's zone. The account is read when a template calls it: it is set by the auth hook,
  // which may run after this one.
  app.addHook('onRequest', async (request, reply) => {
    reply.locals = { ...reply.locals, formatTime: (date: Date | string | null | undefined, options?: { zone?: boolean; day?: boolean }) => formatTime(date, timeZoneOf(request), options) };
  });

  const commonValues = (reply: FastifyReply) => ({ user: reply.request.user, account: reply.request.account, csrfToken: reply.csrfToken(), formatMoney });

  app.decorateReply('page', async function (this: FastifyReply, template: string, data: Record<string, unknown>, options: PageOptions) {
    const request = this.request;
    const common = { ...commonValues(this), tab: options.tab, title: options.title };
    const body = await this.viewAsync(template, { ...common, ...data });
    const shell = wantsMainFragment(request) ? '_partials/main-fragment' : 'layout';
    const html = await this.viewAsync(shell, { ...common, ...(await layoutValues(request)), body });
    // Without a status, an error status already set (422 by formErrors()) is kept.
    return this.code(options.status ?? (this.statusCode >= 400 ? this.statusCode : 200)).type('text/html; charset=utf-8').send(html);
  });

  app.decorateReply('fragment', async function (this: FastifyReply, template: string, data: Record<string, unknown>, options: FragmentOptions = {}) {
    let html = await this.viewAsync(template, { ...commonValues(this), ...data });
    if (options.header) html += await this.viewAsync('_partials/header-values', await layoutValues(this.request));
    return this.type('text/html; charset=utf-8').send(html);
  });
});

/** The zone a request's pages show times in: its account's (UTC before sign-in). */
function timeZoneOf(request: FastifyRequest): string {
  return request.account?.timeZone ?? 'UTC';
}

export const VIEWS_DIR = path.resolve(import.meta.dirname, '../../views');
