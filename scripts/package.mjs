// `npm run package`: the .vsix. The bundles load koffi (the kernel bridge's FFI) at run time,
// and esbuild cannot bundle its native module, so koffi and this platform's prebuilt binary
// are copied under dist/node_modules first, where the bundles' require('koffi') finds them.
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
if (existsSync(join('node_modules', native))) cpSync(join('node_modules', native), join(target, native), { recursive: true });
else console.warn(`(no ${native} in node_modules: the .vsix will not reach the kernel on this platform)`);
execFileSync(process.execPath, [join('node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '-o', 'ebpf-workbench.vsix'], { stdio: 'inherit' });
