/**
 * The examples, run in the kernel (BPF_PROG_TEST_RUN) and in the VM on the same packets:
 * return values, output packets and maps agree. The C examples are built with clang-19.
 * Skips, saying why, without bpf(2) or clang-19.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelAvailable } from '../../core/kernel';
import { assemble } from '../../core/asm/assemble';
import { readElf } from '../../core/elf/read';
import { listPrograms } from '../../core/link';
import { sectionProgType } from '../../core/progtypes/table';
import { BpfObject } from '../../core/object';
import { REPO_ROOT } from '../paths';
import { findTool, missingTools, run } from '../tools';
import { compareWithKernel } from './kernelRun';
import { verifyObjectProgram } from '../../core/verifier';

const available = kernelAvailable();
const noKernel = available.ok ? undefined : `the kernel is not available: ${available.reason}`;
const EX = join(REPO_ROOT, 'examples');

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const ETH = '0000000000000200000000010800';
/** IPv4 headers with a protocol and a destination port, padded to 64 bytes. */
function ipv4(proto: number, dport: number, daddr = '0a000001'): Uint8Array {
  const ip = `45000032000040004${proto.toString(16).padStart(3, '0').slice(-1)}`.slice(0, 18);
  void ip;
  const header = `4500003200004000 40${proto.toString(16).padStart(2, '0')} 0000 c0a80001 ${daddr}`;
  const l4 = `1234${dport.toString(16).padStart(4, '0')}001e0000`;
  const bytes = hex(ETH + header + l4);
  const out = new Uint8Array(64);
  out.set(bytes);
  return out;
}
const PACKETS = [ipv4(17, 53), ipv4(6, 80), ipv4(17, 9999), ipv4(1, 0), hex('00000000000002000000000186dd'), hex('0102')];

function checkAll(obj: BpfObject, name: string): void {
  let compared = 0;
  for (const ref of listPrograms(obj)) {
    const progType = sectionProgType(ref.section)?.progType;
    if (!progType || !['xdp', 'sched_cls', 'socket_filter'].includes(progType)) continue;
    for (const packet of PACKETS) {
      const c = compareWithKernel(obj, progType, packet, ref);
      assert.equal(c.rejected, undefined, `${name}/${ref.name}: the kernel refused it: ${c.rejected}`);
      assert.deepEqual(c.differences, [], `${name}/${ref.name} on ${Buffer.from(packet).toString('hex')}`);
      compared++;
    }
  }
  assert.ok(compared > 0, `${name}: no runnable program`);
}

for (const f of ['xdp_drop_udp.bpf.s', 'socket_ubpf.bpf.s']) {
  test(`example ${f}: VM and kernel agree`, { skip: noKernel }, () => {
    const { object, diagnostics } = assemble(readFileSync(join(EX, f), 'utf8'));
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    checkAll(object, f);
  });
}

for (const f of ['xdp_counter.bpf.c', 'socket_filter.bpf.c', 'tc_classifier.bpf.c']) {
  test(`example ${f}: VM and kernel agree`, { skip: noKernel ?? missingTools('clang-19') }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebpf-ex-'));
    try {
      const out = join(dir, 'x.o');
      const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
      const cc = run(findTool('clang-19')!, ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${arch}-linux-gnu`, '-c', join(EX, f), '-o', out]);
      assert.equal(cc.status, 0, cc.stderr);
      checkAll(readElf(readFileSync(out)).object, f);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const f of ['xdp_counter.bpf.c', 'socket_filter.bpf.c', 'tc_classifier.bpf.c', 'kprobe_ringbuf.bpf.c', 'xdp_drop_udp.bpf.s', 'socket_ubpf.bpf.s']) {
  test(`example ${f}: our verifier accepts it, as the kernel does`, { skip: f.endsWith('.c') ? missingTools('clang-19') : undefined }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebpf-ex-'));
    try {
      let object: BpfObject;
      if (f.endsWith('.c')) {
        const out = join(dir, 'x.o');
        const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
        const cc = run(findTool('clang-19')!, ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${arch}-linux-gnu`, '-c', join(EX, f), '-o', out]);
        assert.equal(cc.status, 0, cc.stderr);
        object = readElf(readFileSync(out)).object;
      } else {
        object = assemble(readFileSync(join(EX, f), 'utf8')).object;
      }
      for (const ref of listPrograms(object)) {
        const def = sectionProgType(ref.section);
        const res = verifyObjectProgram(object, ref, { progType: def?.progType ?? 'socket_filter', attachType: def?.expectedAttachType });
        assert.ok(res.accepted, `${f}/${ref.name}: ${res.message}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
