// `npm start`: the main job on the bundled examples — assemble, disassemble, verify and run
// each assembly example, verify and run the classic BPF examples, and (when clang-19 is installed) build each C example, disassemble,
// verify and run it. An example with inputs of its own in examples/inputs (made by
// examples/inputs/make-inputs.mjs) runs on them; the others run on one sample frame: Ethernet,
// IPv4, UDP to port 53.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const cli = (...args) => spawnSync(process.execPath, ['dist/cli.js', ...args], { stdio: 'inherit' }).status;
const has = (tool) => spawnSync('which', [tool]).status === 0;
let failed = 0;
const FRAME = '000000000000020000000001080045000032000040004011000' + '0c0a800010a000001' + '1234003500' + '1e0000' + '00'.repeat(22);
const IN = 'examples/inputs';
const INPUTS = {
  'xdp_firewall.bpf.s': ['--pcap', `${IN}/firewall.pcap`, '--maps', `${IN}/firewall.maps.json`],
  'tc_counter.bpf.s': ['--pcap', `${IN}/tc.pcap`],
  'socket_filter.bpf.s': ['--pcap', `${IN}/dns.pcap`],
  'kprobe_tracer.bpf.s': ['--ctx', `@${IN}/kprobe.ctx.json`, '--env', `${IN}/env.json`],
  'http_syn.cbpf': ['--pcap', `${IN}/http.pcap`],
  // The C examples, by the name of the object built from them.
  'xdp_firewall.bpf.o': ['--pcap', `${IN}/firewall.pcap`, '--maps', `${IN}/firewall_c.maps.json`, '--json'],
  'tc_rewrite.bpf.o': ['--pcap', `${IN}/nat.pcap`, '--maps', `${IN}/nat.maps.json`, '--json'],
};
const verifyAndRun = (file) => {
  console.log(`==> ebpf-workbench verify ${file}`);
  failed += cli('verify', file) ? 1 : 0;
  const inputs = INPUTS[basename(file)];
  if (inputs) {
    console.log(`==> ebpf-workbench run ${file} ${inputs.join(' ')}`);
    failed += cli('run', file, ...inputs) ? 1 : 0;
  } else {
    console.log(`==> ebpf-workbench run ${file} --packet <a UDP frame>`);
    failed += cli('run', file, '--packet', FRAME) ? 1 : 0;
  }
};

for (const f of readdirSync('examples').filter((n) => n.endsWith('.bpf.s')).sort()) {
  const path = join('examples', f);
  console.log(`\n==> ebpf-workbench asm ${path}`);
  failed += cli('asm', path) ? 1 : 0;
  console.log(`==> ebpf-workbench disasm ${path}`);
  failed += cli('disasm', path) ? 1 : 0;
  verifyAndRun(path);
}

for (const f of readdirSync('examples').filter((n) => n.endsWith('.cbpf')).sort()) {
  const path = join('examples', f);
  console.log(`\n==> ebpf-workbench disasm ${path} --syntax llvm   (classic BPF and its eBPF translation)`);
  failed += cli('disasm', path, '--syntax', 'llvm') ? 1 : 0;
  verifyAndRun(path);
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
    if (f.startsWith('kprobe')) {
      console.log(`==> ebpf-workbench verify ${f}`);
      failed += cli('verify', obj) ? 1 : 0;
    } else verifyAndRun(obj);
  }
  rmSync(dir, { recursive: true, force: true });
} else {
  console.log('\n(clang-19 not installed: the C examples are skipped; apt-get install clang-19 libbpf-dev)');
}
process.exit(failed ? 1 : 0);
