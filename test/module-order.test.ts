// The module order (.dependency-cruiser.cjs, run by `npm test` as `npm run depcheck`) catches a
// backwards import: a small tree with one import in each forbidden direction must be refused by
// every rule, each naming itself, while the real tree passes.
import t from 'tap';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const config = path.join(root, '.dependency-cruiser.cjs');
const depcruise = path.join(root, 'node_modules', '.bin', 'depcruise');
const rules = (createRequire(import.meta.url)(config) as { forbidden: { name: string }[] }).forbidden.map((rule) => rule.name);

async function cruise(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(depcruise, ['src', '--config', config, '--output-type', 'err'], { cwd });
    return { code: 0, output: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

t.test('a backwards import fails the check with the name of the rule it breaks', async (t) => {
  const { code, output } = await cruise(path.join(root, 'test/fixtures/module-order'));
  t.not(code, 0, 'the check fails');
  for (const rule of rules) t.match(output, `error ${rule}:`, `${rule} is reported`);
  t.match(output, 'src/modules/contacts/index.ts → src/modules/campaigns/index.ts', 'it names the import');
});

t.test("Textcast's own modules keep the order", async (t) => {
  const { code, output } = await cruise(root);
  t.equal(code, 0, output);
});
