// tap runs each test file through ts-node (its TypeScript plugin; on Node 20 it has no other
// loader), and ts-node transpiles every file the test imports, the whole app, with TypeScript,
// again in every test process: seconds of CPU per file, more than many tests take. The "ts-node"
// section of tsconfig.json hands that to esbuild instead (the transpiler `tsx` runs the app with),
// through ts-node's custom-transpiler hook. Types are checked by `tsc --noEmit`, as before.
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const tsconfigRaw = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'tsconfig.json'), 'utf8'));

exports.create = ({ nodeModuleEmitKind }) => ({
  transpile(input, { fileName }) {
    const { code, map } = esbuild.transformSync(input, {
      loader: /\.[cm]?tsx$/.test(fileName) ? 'tsx' : 'ts',
      format: nodeModuleEmitKind === 'nodecjs' ? 'cjs' : 'esm',
      sourcefile: fileName,
      sourcemap: 'external',
      tsconfigRaw,
    });
    return { outputText: code, sourceMapText: map };
  },
});
