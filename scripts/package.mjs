// `npm run package`: the .vsix. The bundles load koffi (the kernel bridge's FFI) and z3-solver
// (counterexamples) at run time, and esbuild cannot bundle koffi's native module or Z3's
// WebAssembly, so koffi with this platform's prebuilt binary, and z3-solver's build, are copied
// under dist/node_modules first, where the bundles' require() finds them.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const native = `@koromix/koffi-${process.platform}-${process.arch}`;
const target = join('dist', 'node_modules');
rmSync(target, { recursive: true, force: true });
mkdirSync(join(target, '@koromix'), { recursive: true });
// koffi's JavaScript (no C++ sources, documents or vendored headers), and the one binary package.
cpSync('node_modules/koffi', join(target, 'koffi'), {
  recursive: true,
  filter: (src) => !/koffi\/(doc|vendor)(\/|$)|\.(cc|hh|h|c|cpp|txt|md)$|CMakeLists/.test(src) || /LICENSE/.test(src),
});
// z3-solver and what it requires: their JavaScript (and Z3's .wasm), not type declarations.
for (const pkg of ['z3-solver', 'async-mutex', 'tslib']) {
  cpSync(join('node_modules', pkg), join(target, pkg), { recursive: true, filter: (src) => !/\.(d\.ts|map)$/.test(src) });
}
if (existsSync(join('node_modules', native))) cpSync(join('node_modules', native), join(target, native), { recursive: true });
else console.warn(`(no ${native} in node_modules: the .vsix will not reach the kernel on this platform)`);
execFileSync(process.execPath, [join('node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '-o', 'ebpf-workbench.vsix'], { stdio: 'inherit' });
