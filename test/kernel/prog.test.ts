// Programs in the running kernel through core/kernel: BPF_PROG_LOAD and its log,
// BPF_PROG_TEST_RUN on packets, programs that use maps, and BPF_OBJ_GET_INFO_BY_FD.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Insn } from '../../core/isa/insn';
import { closeFd, createMap, loadProgram, mapDump, mapUpdate, patchMapFds, possibleCpus, progInfo, testRun } from '../../core/kernel';
import { I, logLines, ok, readU64, retImm, skipReason, u32le, u64le } from './support';

/** A 64-byte Ethernet + IPv4 + UDP frame (payload 0x40..). */
function udpFrame(): Uint8Array {
  const f = new Uint8Array(64);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  f.set([0x45, 0, 0, 50, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  f.set([0x30, 0x39, 0x00, 0x35, 0, 30, 0, 0], 34);
  for (let k = 42; k < 64; k++) f[k] = 0x40 + k - 42;
  return f;
}

/**
 * The map program of these tests: look up key 0 in map #0, add 1 to its u64 value, return
 * XDP_PASS. The map reference is our raw encoding (src=1, imm = map index 0).
 */
function incrementKey0(): Insn[] {
  return [
    I(0xb7, 1, 0, 0, 0), //      r1 = 0
    I(0x63, 10, 1, -4, 0), //    *(u32 *)(r10 - 4) = r1
    I(0xbf, 2, 10), //           r2 = r10
    I(0x07, 2, 0, 0, -4), //     r2 += -4
    I(0x18, 1, 1, 0, 0), //      r1 = map[0] ll
    I(0x00),
    I(0x85, 0, 0, 0, 1), //      call bpf_map_lookup_elem
    I(0x15, 0, 0, 3, 0), //      if r0 == 0 goto +3
    I(0x79, 1, 0, 0, 0), //      r1 = *(u64 *)(r0 + 0)
    I(0x07, 1, 0, 0, 1), //      r1 += 1
    I(0x7b, 0, 1, 0, 0), //      *(u64 *)(r0 + 0) = r1
    I(0xb7, 0, 0, 0, 2), //      r0 = 2
    I(0x95), //                  exit
  ];
}

test('xdp `r0 = 2; exit` loads, and a test run passes the packet through unchanged', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const res = loadProgram({ progType: 'xdp', insns: retImm(2), license: 'GPL', name: 'xdp_pass' });
  const { fd, log } = ok(res, 'load');
  try {
    assert.match(log, /^processed 2 insns \(limit 1000000\)/m);
    const packet = Uint8Array.from({ length: 64 }, (_, k) => (k * 7 + 3) & 0xff);
    const run = ok(testRun({ progFd: fd, dataIn: packet, repeat: 3 }), 'test run');
    assert.equal(run.retval, 2);
    assert.deepEqual(Array.from(run.dataOut), Array.from(packet));
    assert.ok(run.durationNs >= 0 && run.durationNs < 1e9);

    const info = ok(progInfo(fd), 'info');
    assert.equal(info.type, 6);
    assert.equal(info.name, 'xdp_pass');
    assert.equal(info.verifiedInsns, 2);
    assert.equal(info.xlatedProgLen, 16);
    assert.ok(info.jitedProgLen > 0, 'the JIT is always on');
    assert.match(info.tag, /^[0-9a-f]{16}$/);
  } finally {
    assert.ok(closeFd(fd));
  }
});

test('a program that exits without setting r0 is refused: R0 !read_ok, EACCES', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const res = loadProgram({ progType: 'xdp', insns: [I(0x95)], license: 'GPL' });
  assert.ok('errno' in res && 'log' in res, JSON.stringify(res));
  assert.equal(res.errno, 13);
  assert.equal(res.errnoName, 'EACCES');
  assert.equal(res.message, 'BPF_PROG_LOAD: EACCES');
  const { lines, stats } = logLines(res.log);
  assert.equal(lines[lines.length - 1], 'R0 !read_ok');
  assert.match(stats ?? '', /^processed 1 insns /);
});

test('reading an uninitialised register is refused: R2 !read_ok', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  // r0 = r2; exit
  const res = loadProgram({ progType: 'socket_filter', insns: [I(0xbf, 0, 2), I(0x95)], license: 'GPL' });
  assert.ok('errno' in res && 'log' in res);
  assert.equal(res.errnoName, 'EACCES');
  const { lines } = logLines(res.log);
  assert.equal(lines[lines.length - 1], 'R2 !read_ok');
});

test('a log too long for its buffer is loaded again, whole (ENOSPC and log_true_size)', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  // r0 = 0, then 40 times r0 += 1: at log level 2 every instruction prints a line.
  const insns = [I(0xb7, 0, 0, 0, 0), ...Array.from({ length: 40 }, () => I(0x07, 0, 0, 0, 1)), I(0x95)];
  const small = ok(loadProgram({ progType: 'xdp', insns, license: 'GPL', logLevel: 2, logSize: 128 }), 'small');
  const large = ok(loadProgram({ progType: 'xdp', insns, license: 'GPL', logLevel: 2 }), 'large');
  try {
    assert.ok(small.log.length > 1000, `log of ${small.log.length} bytes`);
    assert.equal(small.log, large.log);
    assert.match(small.log, /^0: \(b7\) r0 = 0 +; R0=0$/m);
    assert.match(small.log, /^40: \(07\) r0 \+= 1 +; R0=40$/m);
  } finally {
    closeFd(small.fd);
    closeFd(large.fd);
  }
});

test('BPF_LOG_STATS gives the verification time', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const res = ok(loadProgram({ progType: 6, insns: retImm(1), license: 'GPL', logLevel: 1 | 4 }));
  closeFd(res.fd);
  assert.equal(typeof res.verificationTimeNs, 'number');
  assert.ok((res.verificationTimeNs as number) % 1000 === 0 && (res.verificationTimeNs as number) < 1e10);
  assert.deepEqual(logLines(res.log).lines.slice(-1), ['stack depth 0']);
});

test('socket_filter test run returns skb->len, from the network header', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  // r0 = *(u32 *)(r1 + 0): __sk_buff.len
  const { fd } = ok(loadProgram({ progType: 'socket', insns: [I(0x61, 0, 1, 0, 0), I(0x95)], license: 'GPL' }));
  try {
    const frame = udpFrame();
    const run = ok(testRun({ progFd: fd, dataIn: frame, ctxOutSize: 192 }));
    // The kernel consumes the 14-byte Ethernet header and zeroes it in the packet it returns.
    assert.equal(run.retval, 64 - 14);
    assert.equal(run.dataOut.length, 64);
    assert.deepEqual(Array.from(run.dataOut.subarray(0, 14)), new Array(14).fill(0));
    assert.deepEqual(Array.from(run.dataOut.subarray(14)), Array.from(frame.subarray(14)));
    // __sk_buff after the run holds the fields the kernel copies back (convert_skb_to___skb()):
    // ifindex (40) is loopback's, wire_len (160) the length it saw; len itself is not copied.
    assert.equal(run.ctxOut.length, 192);
    const ctx = new DataView(run.ctxOut.buffer);
    assert.equal(ctx.getUint32(40, true), 1);
    assert.equal(ctx.getUint32(160, true), 50);
    // A context given in goes in: mark (8) comes back as it was set.
    const ctxIn = new Uint8Array(192);
    new DataView(ctxIn.buffer).setUint32(8, 0x1234, true);
    const marked = ok(testRun({ progFd: fd, dataIn: frame, ctxIn }));
    assert.equal(marked.retval, 50);
    assert.equal(new DataView(marked.ctxOut.buffer).getUint32(8, true), 0x1234);
  } finally {
    closeFd(fd);
  }
});

test('a kprobe program loads but cannot be test-run: ENOTSUPP', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const { fd } = ok(loadProgram({ progType: 'kprobe', insns: retImm(0), license: 'GPL' }));
  try {
    const run = testRun({ progFd: fd, ctxIn: new Uint8Array(168) });
    assert.deepEqual(run, { errno: 524, errnoName: 'ENOTSUPP', message: 'BPF_PROG_TEST_RUN: ENOTSUPP' });
  } finally {
    closeFd(fd);
  }
});

test('patchMapFds puts fds in map references and -1 where there is no fd', () => {
  const insns = [I(0x18, 1, 1, 0, 1), I(0, 0, 0, 0, 0), I(0x18, 2, 2, 0, 0), I(0, 0, 0, 0, 8), I(0x18, 3, 0, 0, 7), I(0), I(0x18, 1, 1, 0, 5), I(0), I(0x95)];
  const out = patchMapFds(insns, [40, 41]);
  assert.deepEqual(out.map((i) => i.imm), [41, 0, 40, 8, 7, 0, -1, 0, 0]);
  assert.equal(insns[0].imm, 1, 'the input is not changed');
});

test('a program increments a hash map value through its fd; the dump shows it', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const map = ok(createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8, flags: 0, name: 'counts' }));
  try {
    ok(mapUpdate(map.fd, u32le(0), u64le(10)));
    ok(mapUpdate(map.fd, u32le(7), u64le(1)));
    const prog = ok(loadProgram({ progType: 'xdp', insns: patchMapFds(incrementKey0(), [map.fd]), license: 'GPL' }), 'load');
    try {
      assert.equal(ok(progInfo(prog.fd)).nrMapIds, 1);
      const run = ok(testRun({ progFd: prog.fd, dataIn: udpFrame(), repeat: 5 }));
      assert.equal(run.retval, 2);
    } finally {
      closeFd(prog.fd);
    }
    const entries = ok(mapDump(map.fd, 4, 8, false)).entries.map((e) => [new DataView(e.key.buffer).getUint32(0, true), 'value' in e ? readU64(e.value) : -1n]);
    assert.deepEqual(entries.sort((a, b) => Number(a[0]) - Number(b[0])), [[0, 15n], [7, 1n]]);
  } finally {
    closeFd(map.fd);
  }
});

test('a program increments a per-CPU array; the values across CPUs add up to the runs', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const map = ok(createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 }));
  try {
    const prog = ok(loadProgram({ progType: 'xdp', insns: patchMapFds(incrementKey0(), [map.fd]), license: 'GPL' }));
    try {
      ok(testRun({ progFd: prog.fd, dataIn: udpFrame(), repeat: 7 }));
    } finally {
      closeFd(prog.fd);
    }
    const [entry] = ok(mapDump(map.fd, 4, 8, true)).entries;
    assert.ok('values' in entry);
    assert.equal(entry.values.length, possibleCpus());
    assert.equal(entry.values.reduce((sum, v) => sum + readU64(v), 0n), 7n);
  } finally {
    closeFd(map.fd);
  }
});

test('a reference to a closed map fd is refused with EBADF', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const res = loadProgram({ progType: 'xdp', insns: patchMapFds(incrementKey0(), []), license: 'GPL' });
  assert.ok('errno' in res && 'log' in res, JSON.stringify(res));
  assert.equal(res.errnoName, 'EBADF');
  assert.match(res.log, /fd -1 is not pointing to valid bpf_map/);
});

test('unknown program and attach type names are EINVAL without a call', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  assert.deepEqual(loadProgram({ progType: 'nope', insns: retImm(0), license: 'GPL' }), { errno: 22, errnoName: 'EINVAL', message: "BPF_PROG_LOAD: unknown program type 'nope'", log: '' });
  const res = loadProgram({ progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_inet4_connect', insns: retImm(1), license: 'GPL' });
  closeFd(ok(res).fd);
  const bad = loadProgram({ progType: 'cgroup_sock_addr', expectedAttachType: 'nowhere', insns: retImm(1), license: 'GPL' });
  assert.ok('errno' in bad && bad.message === "BPF_PROG_LOAD: unknown attach type 'nowhere'");
});
