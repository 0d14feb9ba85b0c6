/**
 * The C examples (examples/*.bpf.c), built by clang-19 here:
 *
 * - `verify --json` accepts each, and so does the running kernel (`--kernel`, core/kernel);
 * - the XDP firewall and the tc rewrite run on every packet of their captures in our VM and
 *   through BPF_PROG_TEST_RUN, from the same maps file: the same return values, the same
 *   output packets (the rewrite!) and the same maps after the capture; the rewritten packets'
 *   IPv4 and TCP/UDP checksums are checked here, computed independently;
 * - a broken variant of each (no bounds check, no null check, a leaked ring buffer record)
 *   is rejected by us with the kernel's message, on the C line at fault, and by the kernel.
 *
 * Skips, saying why, without clang-19, or (kernel parts) without bpf(2).
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readElf } from '../../core/elf/read';
import { readCapture } from '../../core/input/pcap';
import { kernelAvailable, kernelLogMessage, loadObjectProgram, mapDump, mapUpdate, possibleCpus, testRun } from '../../core/kernel';
import { listPrograms } from '../../core/link';
import { loadMapsJson, MapsJson } from '../../core/maps/json';
import { mapTypeByName } from '../../core/maps/table';
import { BpfObject } from '../../core/object';
import { sectionProgType } from '../../core/progtypes/table';
import { mapsForObject, createRun } from '../../core/vm/run';
import { MapSet } from '../../core/maps/create';
import { CLI } from '../paths';
import { canLoadBpf, run } from '../tools';
import { buildC, edit, exampleText, INPUTS_DIR, lineOf, noClang } from './build';
import { sumCpus } from '../diff/kernelRun';

const available = canLoadBpf() ? kernelAvailable() : { ok: false as const, reason: 'bpf(2) needs root on Linux' };
const noKernel = noClang ?? (available.ok ? undefined : `the kernel is not available: ${available.reason}`);

const C_EXAMPLES = ['xdp_firewall.bpf.c', 'tc_rewrite.bpf.c', 'kprobe_ringbuf.bpf.c', 'xdp_counter.bpf.c', 'tc_classifier.bpf.c', 'socket_filter.bpf.c'];
const XDP_DROP = 1, XDP_PASS = 2, TC_ACT_OK = 0;

let dir: string;
const built = new Map<string, { src: string; obj: string }>();
before(() => {
  if (noClang) return;
  dir = mkdtempSync(join(tmpdir(), 'c-examples-'));
  for (const f of C_EXAMPLES) built.set(f, buildC(dir, f, exampleText(f)));
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

interface VerifyJson {
  accepted: boolean;
  diagnostics: { line: number; file?: string; message: string; detail?: string[]; severity: string; insn: number }[];
  kernel?: { accepted: boolean; message?: string; log?: string } | { unavailable: string };
}

function verifyCli(obj: string, kernel: boolean): VerifyJson {
  const res = run(process.execPath, [CLI, 'verify', obj, '--json', ...(kernel ? ['--kernel'] : [])]);
  assert.ok(res.stdout, `verify printed nothing: ${res.stderr}`);
  return JSON.parse(res.stdout) as VerifyJson;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// ---- the verdicts

for (const f of C_EXAMPLES) {
  test(`${f}: verify --json accepts it`, { skip: noClang }, () => {
    const v = verifyCli(built.get(f)!.obj, false);
    assert.equal(v.accepted, true, JSON.stringify(v.diagnostics));
    assert.deepEqual(v.diagnostics.filter((d) => d.severity === 'error'), []);
  });

  test(`${f}: the kernel accepts it too`, { skip: noKernel }, () => {
    const v = verifyCli(built.get(f)!.obj, true);
    assert.ok(v.kernel && 'accepted' in v.kernel, `kernel: ${JSON.stringify(v.kernel)}`);
    assert.equal(v.kernel.accepted, true, v.kernel.message);
    assert.equal(v.accepted, v.kernel.accepted);
  });
}

// ---- the broken variants

interface Broken {
  name: string;
  example: string;
  from: string;
  to: string;
  /** A needle on the C line the error belongs on. */
  at: string | ((text: string) => number);
  message: RegExp;
}

const BROKEN: Broken[] = [
  {
    name: 'the firewall without its IPv4 bounds check', example: 'xdp_firewall.bpf.c',
    from: '\tif ((void *)(ip + 1) > data_end)\n\t\treturn count(REASON_MALFORMED, len, XDP_DROP);\n', to: '',
    at: 'if (ip->version != 4 || ip->ihl < 5)', message: /^R\d offset is outside of the packet$/,
  },
  {
    name: 'the tc rewrite without the null check after bpf_map_lookup_elem', example: 'tc_rewrite.bpf.c',
    from: '\tif (!be)\n\t\treturn TC_ACT_OK;\n', to: '',
    at: 'bpf_l4_csum_replace(skb, csum_off, svc.addr, be->addr', message: /^R\d invalid mem access 'map_value_or_null'$/,
  },
  {
    name: 'the kprobe leaking its ring buffer record', example: 'kprobe_ringbuf.bpf.c',
    from: '\tbpf_ringbuf_submit(e, 0);\n', to: '',
    // The exit clang places at the closing brace of trace_unlink.
    at: (text) => {
      const lines = text.split('\n');
      const comm = lineOf(text, 'bpf_get_current_comm(');
      return lines.findIndex((l, k) => k >= comm && l === '}') + 1;
    },
    message: /^BPF_EXIT instruction in main prog would lead to reference leak$/,
  },
];

for (const b of BROKEN) {
  test(`${b.name}: rejected on the C line at fault, with the kernel's message; the kernel rejects it too`, { skip: noClang }, () => {
    const text = edit(exampleText(b.example), b.from, b.to);
    const { src, obj } = buildC(dir, `broken_${b.example}`, text);
    const v = verifyCli(obj, !noKernel);
    assert.equal(v.accepted, false);
    const [e, ...more] = v.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(more, []);
    assert.match(e.message, b.message);
    assert.equal(e.file, src);
    assert.equal(e.line, typeof b.at === 'string' ? lineOf(text, b.at) : b.at(text));
    if (noKernel) return;
    assert.ok(v.kernel && 'accepted' in v.kernel, `kernel: ${JSON.stringify(v.kernel)}`);
    assert.equal(v.kernel.accepted, false);
    assert.equal(e.message, v.kernel.message);
    // The detail lines are the kernel's lines just before its message.
    const log = v.kernel.log!.split('\n');
    const at = log.lastIndexOf(e.message);
    if (e.detail?.length) assert.deepEqual(log.slice(at - e.detail.length, at), e.detail);
  });
}

test('the leaked ring buffer record: the detail names the reference and its reserve, as the kernel logs it', { skip: noKernel }, () => {
  const text = edit(exampleText('kprobe_ringbuf.bpf.c'), '\tbpf_ringbuf_submit(e, 0);\n', '');
  const { obj } = buildC(dir, 'leak.bpf.c', text);
  const v = verifyCli(obj, true);
  const e = v.diagnostics[0];
  assert.ok(v.kernel && 'log' in v.kernel);
  const kernelDetail = v.kernel.log!.split('\n').filter((l) => /^Unreleased reference /.test(l));
  assert.equal(kernelDetail.length, 1, v.kernel.log);
  assert.deepEqual(e.detail, kernelDetail);
  // alloc_insn is the bpf_ringbuf_reserve call.
  const alloc = Number(/alloc_insn=(\d+)/.exec(kernelDetail[0])![1]);
  assert.match(v.kernel.log!, new RegExp(`^${alloc}: \\(85\\) call bpf_ringbuf_reserve#131`, 'm'));
});

// ---- the packet programs on their captures, in the VM and in the kernel

interface Capture {
  example: string;
  pcap: string;
  maps: string;
  verdicts: number[];
}

const FIREWALL: Capture = {
  example: 'xdp_firewall.bpf.c', pcap: 'firewall.pcap', maps: 'firewall_c.maps.json',
  // As xdp_firewall.bpf.s (examples/README.md): 2, 3, 8 and 12 come from blocked addresses,
  // 7 is cut short, 9 says version 6.
  verdicts: [XDP_PASS, XDP_PASS, XDP_DROP, XDP_DROP, XDP_PASS, XDP_PASS, XDP_PASS, XDP_DROP, XDP_DROP, XDP_DROP, XDP_PASS, XDP_PASS, XDP_DROP],
};
const NAT: Capture = { example: 'tc_rewrite.bpf.c', pcap: 'nat.pcap', maps: 'nat.maps.json', verdicts: new Array(11).fill(TC_ACT_OK) };

const packetsOf = (c: Capture) => {
  const cap = readCapture(new Uint8Array(readFileSync(join(INPUTS_DIR, c.pcap))));
  assert.deepEqual(cap.diagnostics, []);
  return cap.packets.map((p) => p.data);
};
const mapsJsonOf = (c: Capture) => JSON.parse(readFileSync(join(INPUTS_DIR, c.maps), 'utf8')) as MapsJson;


function vmContents(maps: MapSet, name: string, valueSize: number): string[] {
  return maps.get(name)!.entries().map((e) => `${hex(e.key!)}=${e.values ? sumCpus(e.values, valueSize) : hex(e.value!)}`).sort();
}

interface Ran {
  obj: BpfObject;
  outputs: Uint8Array[];
  maps: MapSet;
}

/** Every packet of the capture in the VM and in the kernel, maps carried over from the maps file; asserts they agree. */
function runBothWays(c: Capture): Ran {
  const obj = readElf(readFileSync(built.get(c.example)!.obj)).object;
  const [ref] = listPrograms(obj);
  const def = sectionProgType(ref.section)!;
  const maps = mapsForObject(obj);
  assert.deepEqual(loadMapsJson(maps, mapsJsonOf(c)).map((d) => d.message), []);
  const loaded = loadObjectProgram(obj, ref, { progType: def.progType });
  assert.ok('load' in loaded, `cannot load: ${JSON.stringify(loaded)}`);
  try {
    const res = loaded.load;
    assert.ok('fd' in res, `the kernel refused it: ${'log' in res && 'errnoName' in res ? kernelLogMessage(res.log, res.errnoName) : JSON.stringify(res)}`);
    for (const [name, m] of Object.entries(mapsJsonOf(c))) {
      const idx = obj.maps.findIndex((d) => d.name === name);
      const perCpu = mapTypeByName(obj.maps[idx].type)?.perCpu ?? false;
      for (const e of m.entries) {
        const value = Buffer.from(e.value!, 'hex');
        const r = mapUpdate(loaded.mapFds[idx], Buffer.from(e.key!, 'hex'), perCpu ? new Array(possibleCpus()).fill(value) : value);
        assert.ok('ok' in r, `${name}: ${JSON.stringify(r)}`);
      }
    }
    const outputs = packetsOf(c).map((packet, k) => {
      const what = `${c.example} packet ${k} (${hex(packet)})`;
      const kr = testRun({ progFd: res.fd, dataIn: packet, repeat: 1 });
      assert.ok('retval' in kr, `${what}: the kernel refused the run: ${JSON.stringify(kr)}`);
      const vm = createRun(obj, ref, { progType: def.progType, maps, input: { packet } }).run!;
      vm.vm.run();
      const ours = vm.result();
      assert.equal(ours.stop.reason, 'exit', `${what}: ${ours.stop.message}`);
      assert.equal(Number(ours.r0! & 0xffffffffn), kr.retval, `${what}: return value`);
      assert.equal(kr.retval, c.verdicts[k], `${what}: the expected verdict`);
      assert.equal(hex(ours.packet!), hex(kr.dataOut), `${what}: the output packet`);
      return ours.packet!;
    });
    obj.maps.forEach((m, idx) => {
      const perCpu = mapTypeByName(m.type)?.perCpu ?? false;
      const dump = mapDump(loaded.mapFds[idx], m.keySize, m.valueSize, perCpu);
      assert.ok('entries' in dump, `cannot dump map ${m.name}`);
      const theirs = dump.entries.map((e) => `${hex(e.key)}=${'values' in e ? sumCpus(e.values, m.valueSize) : hex(e.value)}`).sort();
      assert.deepEqual(vmContents(maps, m.name, m.valueSize), theirs, `map ${m.name} after the capture`);
    });
    return { obj, outputs, maps };
  } finally {
    loaded.close();
  }
}

const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b.toString('hex'); };

test('xdp_firewall.bpf.c on firewall.pcap: VM and kernel agree on verdicts, packets and maps; the counters add up', { skip: noKernel }, () => {
  const { maps } = runBothWays(FIREWALL);
  const packets = packetsOf(FIREWALL);
  const bytes = (idx: number[]) => idx.reduce((n, k) => n + packets[k].length, 0);
  // stats[reason] = {packets, bytes}: 0 PASS, 1 BLOCKED, 2 NOT_IPV4, 3 MALFORMED.
  const reasons = [[0, 1, 6, 11], [2, 3, 8, 12], [4, 5, 10], [7, 9]];
  assert.deepEqual(vmContents(maps, 'stats', 16), reasons.map((idx, r) => `0${r}000000=${u64(idx.length)}${u64(bytes(idx))}`));
  // Each blocklist entry keeps its reason and counts what it dropped.
  const entry = (reason: string, idx: number[]) => Buffer.from(reason.padEnd(16, '\0'), 'latin1').toString('hex') + u64(idx.length) + u64(bytes(idx));
  assert.deepEqual(vmContents(maps, 'blocklist', 32), [`c6336407=${entry('abuse report', [3, 12])}`, `cb007142=${entry('scanner', [2, 8])}`]);
});

/** The Internet checksum (RFC 1071) of some bytes; 0 over a header that includes its correct checksum. */
function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The IPv4 header and L4 checksums of a frame hold (a UDP checksum of 0 means none). */
function checkChecksums(frame: Uint8Array, what: string): void {
  const ip = frame.subarray(14);
  const ihl = (ip[0] & 0xf) * 4;
  assert.equal(checksum(ip.subarray(0, ihl)), 0, `${what}: IPv4 header checksum`);
  const totLen = (ip[2] << 8) | ip[3];
  const l4 = ip.subarray(ihl, totLen);
  const proto = ip[9];
  if (proto === 17 && l4[6] === 0 && l4[7] === 0) return;
  const pseudo = Uint8Array.from([...ip.subarray(12, 20), 0, proto, l4.length >> 8, l4.length & 0xff]);
  assert.equal(checksum(Uint8Array.from([...pseudo, ...l4])), 0, `${what}: ${proto === 6 ? 'TCP' : 'UDP'} checksum`);
}

test('tc_rewrite.bpf.c on nat.pcap: VM and kernel agree on the rewritten packets and the maps; the checksums are right', { skip: noKernel }, () => {
  const { outputs, maps } = runBothWays(NAT);
  const inputs = packetsOf(NAT);
  // Frames to a service go to its backend (see make-inputs.mjs): TCP :80 to 10.0.1.5:8080, UDP :53 to 10.0.1.6:5353.
  const rewritten: Record<number, string> = { 0: '0a0001051f90', 1: '0a0001051f90', 2: '0a00010614e9', 6: '0a0001051f90', 7: '0a00010614e9' };
  inputs.forEach((input, k) => {
    const out = outputs[k];
    assert.equal(out.length, input.length, `packet ${k}: length`);
    const to = rewritten[k];
    if (!to) { assert.equal(hex(out), hex(input), `packet ${k}: unchanged`); return; }
    const ihl = (out[14] & 0xf) * 4;
    const daddr = hex(out.subarray(30, 34)), dport = hex(out.subarray(14 + ihl + 2, 14 + ihl + 4));
    assert.equal(daddr + dport, to, `packet ${k}: destination`);
    // Only the destination and the checksums changed.
    const diff = [...out].flatMap((b, i) => (b !== input[i] ? [i] : []));
    const csums = [24, 25, 14 + ihl + (out[23] === 6 ? 16 : 6), 14 + ihl + (out[23] === 6 ? 17 : 7)];
    for (const i of diff) assert.ok((i >= 30 && i < 34) || i === 14 + ihl + 2 || i === 14 + ihl + 3 || csums.includes(i), `packet ${k}: byte ${i} changed`);
    checkChecksums(input, `packet ${k} as captured`);
    checkChecksums(out, `packet ${k} rewritten`);
  });
  // The UDP frame without a checksum keeps none.
  assert.equal(hex(outputs[7].subarray(40, 42)), '0000');
  const totLen = (idx: number[]) => idx.reduce((n, k) => n + ((inputs[k][16] << 8) | inputs[k][17]), 0);
  assert.deepEqual(vmContents(maps, 'services', 24), [
    `0a00006400351100=0a00010614e90000${u64(2)}${u64(totLen([2, 7]))}`,
    `0a00006400500600=0a0001051f900000${u64(3)}${u64(totLen([0, 1, 6]))}`,
  ]);
});
