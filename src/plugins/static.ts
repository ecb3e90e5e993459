// Static files: our own from public/, and the few browser libraries straight from node_modules
// (no front-end build step).
import path from 'node:path';
import { createRequire } from 'node:module';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

export const staticPlugin = fp<{ publicDir: string }>(async (app, { publicDir }) => {
  const options = { maxAge: '1h', decorateReply: false, allowedPath: () => true } as const;
  await app.register(fastifyStatic, { ...options, root: publicDir, prefix: '/static/', decorateReply: true });
  await app.register(fastifyStatic, { ...options, root: path.join(packageDir('htmx.org'), 'dist'), prefix: '/vendor/htmx/' });
  await app.register(fastifyStatic, { ...options, root: path.join(packageDir('@picocss/pico'), 'css'), prefix: '/vendor/pico/' });
  await app.register(fastifyStatic, { ...options, root: path.join(packageDir('uplot'), 'dist'), prefix: '/vendor/uplot/' });
});
