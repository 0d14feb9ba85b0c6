// Bundles the entry points with esbuild: the CLI, the language server (and its
// analysis worker), the debug adapter and the VS Code extension.
// `vscode` is provided by the editor at run time.
import { build } from 'esbuild';

// koffi ships a native module, and z3-solver a WebAssembly build it loads beside its own
// files: both must be loaded from node_modules, not bundled.
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning', external: ['koffi', 'z3-solver'] };

await Promise.all([
  build({ ...common, entryPoints: ['cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...common, entryPoints: ['server/main.ts'], outfile: 'dist/server.js' }),
  build({ ...common, entryPoints: ['server/worker.ts'], outfile: 'dist/serverWorker.js' }),
  build({ ...common, entryPoints: ['debug-adapter/main.ts'], outfile: 'dist/debugAdapter.js' }),
  build({ ...common, entryPoints: ['client/extension.ts'], outfile: 'dist/extension.js', external: ['vscode', 'koffi', 'z3-solver'] }),
]);
