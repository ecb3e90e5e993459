// What every browser test needs: Debian's Chromium driven by playwright-core, skipped with a
// visible message when Chromium is absent (and failed under CI=true), the app on a real socket,
// and every console error, page error and CSP violation collected so a test can assert there
// were none.
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import t from 'tap';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { PASSWORD } from '../helper.js';

export const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

type Test = typeof t;

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

export interface Browsing {
  browser: Browser;
  page: Page;
  context: BrowserContext;
  base: string;
  /** Console errors, page errors and CSP violations seen so far. */
  problems(): Promise<string[]>;
}

/** Serves `app` on a free port and opens a page on it in a fresh browser (closed at teardown). */
export async function browse(t: Test, app: FastifyInstance, options: { acceptDownloads?: boolean; timeoutMs?: number } = {}): Promise<Browsing> {
  // An app already listening (a test whose webhooks need its address) is browsed where it is.
  const address = app.server.listening ? (app.server.address() as AddressInfo) : null;
  const base = address ? `http://127.0.0.1:${address.port}` : await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS, timeout: 15_000 });
  t.teardown(() => browser.close());
  const context = await browser.newContext({ baseURL: base, acceptDownloads: options.acceptDownloads ?? false });
  // The init script is injected by the driver, so the page's CSP does not apply to it.
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations!.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  const page = await context.newPage();
  page.setDefaultTimeout(options.timeoutMs ?? 5_000);
  page.setDefaultNavigationTimeout(options.timeoutMs ?? 5_000);
  const seen: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') seen.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => seen.push(`page error: ${error.message}`));
  const problems = async () => {
    const csp = await page.evaluate(() => window.__cspViolations ?? []).catch(() => []);
    return [...seen, ...csp.map((violation) => `CSP violation: ${violation}`)];
  };
  return { browser, page, context, base, problems };
}

/** Declares a browser test: it runs when Chromium is installed, is skipped with a message when it
 * is not, and fails under CI=true, where Chromium must be there. */
export function browserTest(name: string, fn: (t: Test) => Promise<void>): void {
  if (fs.existsSync(CHROMIUM)) {
    t.test(name, (sub) => fn(sub as unknown as Test));
    return;
  }
  const message = `${CHROMIUM} is not installed (apt-get install chromium): the browser test cannot run`;
  if (process.env.CI === 'true') t.fail(`${message}, and CI requires it`);
  else {
    t.comment(`SKIPPED: ${message}`);
    t.skip(`${name} (no Chromium)`, () => {});
  }
}

export const pathname = (page: Page) => new URL(page.url()).pathname;

/** Signs in through the form, as a person would, and waits for the dashboard. */
export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL('**/dashboard'), page.getByRole('button', { name: 'Sign in' }).click()]);
}
