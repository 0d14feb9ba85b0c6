// `npm start`: the main job on the bundled examples — assemble and disassemble each
// assembly example, and (when clang-19 is installed) build each C example and disassemble it.
// Verification and runs join here as those commands land.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = (...args) => spawnSync(process.execPath, ['dist/cli.js', ...args], { stdio: 'inherit' }).status;
const has = (tool) => spawnSync('which', [tool]).status === 0;
let failed = 0;

for (const f of readdirSync('examples').filter((n) => n.endsWith('.bpf.s')).sort()) {
  const path = join('examples', f);
  console.log(`\n==> ebpf-workbench asm ${path}`);
  failed += cli('asm', path) ? 1 : 0;
  console.log(`==> ebpf-workbench disasm ${path}`);
  failed += cli('disasm', path) ? 1 : 0;
}

if (has('clang-19')) {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-demo-'));
  for (const f of readdirSync('examples').filter((n) => n.endsWith('.bpf.c')).sort()) {
    const obj = join(dir, f.replace(/\.c$/, '.o'));
    const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
    const cc = spawnSync('clang-19', ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${arch}-linux-gnu`, '-c', join('examples', f), '-o', obj], { stdio: 'inherit' });
    if (cc.status !== 0) { failed++; continue; }
    console.log(`\n==> clang-19 -target bpf ${f}; ebpf-workbench disasm`);
    failed += cli('disasm', obj) ? 1 : 0;
  }
  rmSync(dir, { recursive: true, force: true });
} else {
  console.log('\n(clang-19 not installed: the C examples are skipped; apt-get install clang-19 libbpf-dev)');
}
process.exit(failed ? 1 : 0);
