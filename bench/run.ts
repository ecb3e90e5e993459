// `npm run bench -- <name> [--flags]`: runs bench/<name>.bench.ts, whose `run(args)` gets the
// remaining arguments. An unknown or missing name lists the benchmarks and exits with 2.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

interface BenchModule {
  run(args: string[]): Promise<void>;
}

const SUFFIX = '.bench.ts';
const dir = import.meta.dirname;
const names = fs
  .readdirSync(dir)
  .filter((file) => file.endsWith(SUFFIX))
  .map((file) => file.slice(0, -SUFFIX.length))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  if (name) process.stderr.write(`unknown benchmark "${name}"\n`);
  process.stderr.write(`usage: npm run bench -- <name> [--flags]\nbenchmarks: ${names.join(', ') || '(none)'}\n`);
  process.exit(2);
}

const module = (await import(pathToFileURL(path.join(dir, name + SUFFIX)).href)) as Partial<BenchModule>;
if (typeof module.run !== 'function') {
  process.stderr.write(`bench/${name}${SUFFIX} does not export run(args)\n`);
  process.exit(2);
}
try {
  await module.run(args);
} catch (error) {
  process.stderr.write(`bench ${name} failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
}
// Open handles (a pool, a worker) must not keep a finished benchmark alive.
process.exit(0);
