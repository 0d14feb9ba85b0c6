/**
 * CO-RE relocations (core/btf/coreRelo.ts, core/coreRelocate.ts):
 *
 * - on hand-built local and target BTFs, each relocation kind gives the value libbpf's rules
 *   give (field offsets through arrays, typedefs and anonymous members, sizes, existence,
 *   signedness, bitfield shifts, type ids, existence and sizes, type matches, enumerator
 *   existence and values), a flavored name (`task_struct___x`) finds its kernel type, a
 *   missing field poisons its instruction, and what libbpf refuses (ambiguous candidates,
 *   an instruction not holding the compiled value) is an error naming the relocation;
 * - an object whose relocations have no target BTF gets one error per relocation, on the
 *   instruction's line;
 * - differential, where bpftool, clang-19, /sys/kernel/btf/vmlinux and bpf(2) are there:
 *   C programs built with a generated vmlinux.h are relocated by us and by libbpf
 *   (`bpftool -d prog loadall`, whose debug log prints every patched instruction); the
 *   values agree instruction by instruction, our verdict equals the kernel's, and the
 *   kernel's translation of the program we load equals that of the program libbpf loads.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawBtf, RawType } from './rawBtf';
import { parseBtf, Btf } from '../../core/btf/parse';
import { applyCoreRelos, CORE_RELO_KINDS, CoreReloKind, CoreReloResult, essentialName, POISON_HELPER_ID } from '../../core/btf/coreRelo';
import { CoreRelo } from '../../core/btf/ext';
import { Insn } from '../../core/isa/insn';
import { coreTarget, KERNEL_BTF_PATH, relocateObject } from '../../core/coreRelocate';
import { loadFile } from '../../core/load';
import { BpfObject } from '../../core/object';
import { listPrograms } from '../../core/link';
import { sectionProgType } from '../../core/progtypes/table';
import { verifyObjectProgram } from '../../core/verifier';
import { kernelAvailable, kernelLogMessage, loadObjectProgram, progInfo } from '../../core/kernel';
import { canLoadBpf, findTool, missingTools, run } from '../tools';
import { REPO_ROOT, TEST_DATA } from '../paths';
import { LspClient } from '../server/client';
import { readLaunch } from '../../debug-adapter/launch';
import { pathToFileURL } from 'node:url';

// ---- Hand-built BTF --------------------------------------------------------------------------

const INT = 1, STRUCT = 4, UNION = 5, ENUM = 6, TYPEDEF = 8, PTR = 2, ARRAY = 3;
const SIGNED = 1 << 24;

const int = (name: string, size: number, signed: boolean): RawType => ({ name, kind: INT, sizeOrType: size, extra: [(signed ? SIGNED : 0) | (size * 8)] });
/** Members as [name, type, bit offset, bitfield size]; a bitfield size sets kind_flag. */
const struct = (name: string, size: number, members: [string, number, number, number?][], kind = STRUCT): RawType => {
  const kflag = members.some((m) => m[3]);
  return { name, kind, vlen: members.length, kflag, sizeOrType: size, extra: members.flatMap(([n, t, off, bits]) => [n, t, kflag ? ((bits ?? 0) << 24) | off : off]) };
};
const enumType = (name: string, values: [string, number][]): RawType => ({ name, kind: ENUM, vlen: values.length, sizeOrType: 4, extra: values.flat() });

/** The program's view: a vmlinux.h of an older kernel, and a few preserve_access_index structs. */
function localBtf(): Btf {
  const raw = new RawBtf();
  return parseBtf(raw.blob([
    /* 1 */ int('int', 4, true),
    /* 2 */ struct('task_struct', 40, [['pid', 1, 0], ['tgid', 1, 32], ['real_parent', 3, 64], ['comm', 5, 128], ['nested', 1, 192], ['wide', 13, 256]]),
    /* 3 */ { kind: PTR, sizeOrType: 2 },
    /* 4 */ int('char', 1, false),
    /* 5 */ { kind: ARRAY, sizeOrType: 0, extra: [4, 1, 8] },
    /* 6 */ struct('task_struct___old', 8, [['state', 7, 0]]),
    /* 7 */ int('long', 8, true),
    /* 8 */ struct('bits', 4, [['a', 9, 0, 1], ['b', 9, 1, 3], ['c', 9, 4, 4]]),
    /* 9 */ int('unsigned int', 4, false),
    /* 10 */ enumType('pid_type', [['PIDTYPE_PID', 0], ['PIDTYPE_TGID', 1], ['PIDTYPE_SID', 2]]),
    /* 11 */ { name: 'pid_t', kind: TYPEDEF, sizeOrType: 1 },
    /* 12 */ struct('task_struct___x', 4, [['tgid', 11, 0]]),
    /* 13 */ int('unsigned long', 8, false),
    /* 14 */ struct('amb', 4, [['x', 1, 0]]),
    /* 15 */ struct('nothere', 4, [['x', 1, 0]]),
    /* 16 */ struct('task_struct___wide', 8, [['pid', 7, 0]]),
    /* 17 */ struct('task_struct___m', 4, [['pid', 1, 0]]),
    /* 18 */ struct('task_struct___n', 8, [['pid', 7, 0]]),
  ]));
}

/** The kernel's view: fields moved, one renamed, one inside an anonymous struct, enumerators reordered. */
function targetBtf(): Btf {
  const raw = new RawBtf();
  return parseBtf(raw.blob([
    /* 1 */ int('int', 4, true),
    /* 2 */ int('long', 8, true),
    /* 3 */ struct('task_struct', 80, [['__state', 5, 0], ['pid', 1, 64], ['tgid', 1, 96], ['real_parent', 4, 128], ['comm', 7, 256], ['', 10, 512]]),
    /* 4 */ { kind: PTR, sizeOrType: 3 },
    /* 5 */ int('unsigned int', 4, false),
    /* 6 */ int('char', 1, false),
    /* 7 */ { kind: ARRAY, sizeOrType: 0, extra: [6, 5, 16] },
    /* 8 */ struct('bits', 8, [['pad', 5, 0], ['a', 5, 37, 1], ['b', 5, 38, 3], ['c', 5, 30, 4]]),
    /* 9 */ enumType('pid_type', [['PIDTYPE_PID', 0], ['PIDTYPE_PGID', 1], ['PIDTYPE_TGID', 2]]),
    /* 10 */ struct('', 8, [['nested', 1, 0], ['wide', 5, 32]], UNION),
    /* 11 */ struct('amb', 4, [['x', 1, 0]]),
    /* 12 */ struct('amb___2', 8, [['y', 1, 0], ['x', 1, 32]]),
  ]));
}

const LOCAL = localBtf();
const TARGET = targetBtf();

const mov = (imm: number): Insn => ({ code: 0xb7, dst: 1, src: 0, off: 0, imm });
const ldxw = (off: number): Insn => ({ code: 0x61, dst: 0, src: 1, off, imm: 0 });
const ldxdw = (off: number): Insn => ({ code: 0x79, dst: 0, src: 1, off, imm: 0 });
const lddw = (v: number): Insn[] => [{ code: 0x18, dst: 1, src: 0, off: 0, imm: v }, { code: 0, dst: 0, src: 0, off: 0, imm: 0 }];

/** One relocation of `kind` on the instruction(s) `insns` (at slot 0). */
function relocate(kind: CoreReloKind, typeId: number, access: string, insns: Insn[], target = TARGET): { res: CoreReloResult; insns: Insn[] } {
  const relo: CoreRelo = { byteOff: 0, typeId, access, kind: CORE_RELO_KINDS.indexOf(kind) };
  const copy = insns.map((i) => ({ ...i }));
  const [res] = applyCoreRelos(LOCAL, target, [relo], copy);
  return { res, insns: copy };
}

function patched(kind: CoreReloKind, typeId: number, access: string, insns: Insn[]): Insn[] {
  const { res, insns: out } = relocate(kind, typeId, access, insns);
  assert.equal(res.error, undefined, res.description);
  return out;
}

test('the hand-built BTFs parse cleanly', () => {
  assert.deepEqual(LOCAL.diagnostics, []);
  assert.deepEqual(TARGET.diagnostics, []);
});

test('flavor names: the part before the last ___ between two non-underscores', () => {
  assert.equal(essentialName('task_struct___old'), 'task_struct');
  assert.equal(essentialName('a___b___c'), 'a___b');
  assert.equal(essentialName('task_struct'), 'task_struct');
  assert.equal(essentialName('x____y'), 'x____y');
  assert.equal(essentialName('___x'), '___x');
});

test('byte_off: a moved field in an ALU immediate and in a load offset', () => {
  assert.equal(patched('byte_off', 2, '0:1', [mov(4)])[0].imm, 12);
  assert.equal(patched('byte_off', 2, '0:1', [ldxw(4)])[0].off, 12);
  assert.equal(patched('byte_off', 2, '0:0', [ldxw(0)])[0].off, 8);
});

test('byte_off: an array element, and a field found inside an anonymous member', () => {
  assert.equal(patched('byte_off', 2, '0:3:3', [mov(19)])[0].imm, 35);
  assert.equal(patched('byte_off', 2, '0:4', [mov(24)])[0].imm, 64);
});

test('byte_off on a load of a field that shrank: an unsigned value is read narrower', () => {
  // local `unsigned long wide` (8 bytes at 32), kernel `unsigned int wide` (4 bytes at 68)
  const [i] = patched('byte_off', 2, '0:5', [ldxdw(32)]);
  assert.deepEqual([i.code, i.off], [0x61, 68]);
});

test('byte_off on a load of a signed field that changed size: poisoned, as libbpf does', () => {
  const [i] = patched('byte_off', 16, '0:0', [ldxdw(0)]);
  assert.deepEqual([i.code, i.imm], [0x85, POISON_HELPER_ID]);
});

test('a ___flavor struct relocates against the kernel type of its essential name, through a typedef', () => {
  assert.equal(patched('byte_off', 12, '0:0', [mov(0)])[0].imm, 12);
  assert.equal(patched('byte_sz', 12, '0:0', [mov(4)])[0].imm, 4);
});

test('byte_sz and field_exists', () => {
  assert.equal(patched('byte_sz', 2, '0:3', [mov(8)])[0].imm, 16);
  assert.equal(patched('field_exists', 2, '0:2', [mov(1)])[0].imm, 1);
});

test('a missing field: field_exists is 0, an access poisons its instruction (both slots of an lddw)', () => {
  assert.equal(patched('field_exists', 6, '0:0', [mov(1)])[0].imm, 0);
  const [i] = patched('byte_off', 6, '0:0', [ldxdw(0)]);
  assert.deepEqual(i, { code: 0x85, dst: 0, src: 0, off: 0, imm: POISON_HELPER_ID });
  const two = patched('byte_sz', 6, '0:0', lddw(8));
  assert.deepEqual(two.map((x) => [x.code, x.imm]), [[0x85, POISON_HELPER_ID], [0x85, POISON_HELPER_ID]]);
});

test('signed: an int field is, an unsigned bitfield is not', () => {
  assert.equal(patched('signed', 2, '0:0', [mov(1)])[0].imm, 1);
  assert.equal(patched('signed', 8, '0:1', [mov(0)])[0].imm, 0);
});

test('bitfields: byte offset, load size and shifts follow the kernel layout', () => {
  // b: 3 bits at bit 38 of the kernel's struct: the u32 at byte 4, bits 6..8 of it.
  assert.equal(patched('byte_off', 8, '0:1', [mov(0)])[0].imm, 4);
  assert.equal(patched('byte_sz', 8, '0:1', [mov(4)])[0].imm, 4);
  assert.equal(patched('lshift_u64', 8, '0:1', [mov(60)])[0].imm, 64 - (38 + 3 - 32));
  assert.equal(patched('rshift_u64', 8, '0:1', [mov(61)])[0].imm, 61);
  // c: 4 bits at bit 30 straddle two u32s, so the load widens to the u64 at byte 0.
  assert.equal(patched('byte_sz', 8, '0:2', [mov(4)])[0].imm, 8);
  assert.equal(patched('lshift_u64', 8, '0:2', [mov(56)])[0].imm, 64 - 34);
});

test('type relocations: exists, size, target and local ids, matches', () => {
  assert.equal(patched('type_exists', 2, '0', [mov(1)])[0].imm, 1);
  assert.equal(patched('type_exists', 15, '0', [mov(1)])[0].imm, 0);
  assert.equal(patched('type_size', 2, '0', [mov(40)])[0].imm, 80);
  assert.equal(patched('type_size', 15, '0', [mov(4)])[0].imm, 0);
  assert.deepEqual(patched('target_type_id', 2, '0', lddw(2)).map((x) => x.imm), [3, 0]);
  assert.deepEqual(patched('local_type_id', 2, '0', lddw(99)).map((x) => x.imm), [2, 0]);
  assert.equal(patched('type_matches', 17, '0', [mov(1)])[0].imm, 1);
  // task_struct___n has pid as a long; the kernel's is an int: no match.
  assert.equal(patched('type_matches', 18, '0', [mov(1)])[0].imm, 0);
});

test('enumerators: existence and value by name, not by position', () => {
  assert.equal(patched('enumval_exists', 10, '1', [mov(1)])[0].imm, 1);
  assert.equal(patched('enumval_exists', 10, '2', [mov(1)])[0].imm, 0);
  assert.deepEqual(patched('enumval_value', 10, '1', lddw(1)).map((x) => x.imm), [2, 0]);
  assert.equal(patched('enumval_value', 10, '2', [mov(2)])[0].imm, POISON_HELPER_ID);
});

test('refusals name the relocation: ambiguous candidates, an unexpected compiled value, a bad access string', () => {
  const amb = relocate('byte_off', 14, '0:0', [mov(0)]);
  assert.match(amb.res.error ?? '', /field offset ambiguity: (0 != 32|32 != 0)/);
  assert.match(amb.res.description, /<byte_off> \[14\] struct amb\.x \(0:0\)/);
  const wrong = relocate('byte_off', 2, '0:1', [mov(5)]);
  assert.match(wrong.res.error ?? '', /unexpected instruction 0 \(ALU\/ALU64\) value: got 5, expected 4 -> 12/);
  const bad = relocate('byte_off', 2, '0:9', [mov(0)]);
  assert.match(bad.res.error ?? '', /has no member #9/);
  const reg = relocate('byte_off', 2, '0:1', [{ code: 0x0f, dst: 1, src: 2, off: 0, imm: 4 }]);
  assert.match(reg.res.error ?? '', /takes a register/);
});

// ---- Objects ---------------------------------------------------------------------------------

/** A .BTF.ext with only core_relo records: [byteOff, typeId, access, kind] per record. */
function coreReloExt(raw: RawBtf, section: string, recs: [number, number, string, number][]): Uint8Array {
  const words = [16, raw.str(section), recs.length, ...recs.flatMap(([off, id, access, kind]) => [off, id, raw.str(access), kind])];
  const body = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => body.writeUInt32LE(w, i * 4));
  const hdr = Buffer.alloc(32);
  hdr.writeUInt16LE(0xeb9f, 0);
  hdr.writeUInt8(1, 2);
  hdr.writeUInt32LE(32, 4);
  hdr.writeUInt32LE(0, 24);
  hdr.writeUInt32LE(body.length, 28);
  return new Uint8Array(Buffer.concat([hdr, body]));
}

function coreObject(): BpfObject {
  const raw = new RawBtf();
  const types = [int('int', 4, true), struct('task_struct', 8, [['pid', 1, 0], ['tgid', 1, 32]])];
  const btfExt = coreReloExt(raw, 'kprobe/x', [[8, 2, '0:1', 0]]);
  const btf = raw.blob(types);
  const insns = [{ code: 0xbf, dst: 6, src: 1, off: 0, imm: 0 }, ldxw(4), { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
  return {
    sections: [{ name: 'kprobe/x', kind: 'code', insns, data: new Uint8Array(), relocs: [], lines: insns.map((_, k) => ({ line: 10 + k, col: 2, endCol: 9, file: 'x.bpf.c' })) }],
    symbols: [], maps: [], license: 'GPL', btf, btfExt,
  };
}

test('an object relocated against a target: a patched copy, the original untouched', () => {
  const obj = coreObject();
  const { object, diagnostics } = relocateObject(obj, { btf: () => TARGET });
  assert.deepEqual(diagnostics, []);
  assert.equal(object.sections[0].insns[1].off, 12);
  assert.equal(obj.sections[0].insns[1].off, 4);
});

test('no target BTF: one error per relocation, on its instruction line, naming what is missing', () => {
  const { object, diagnostics } = relocateObject(coreObject(), { btf: () => ({ unavailable: 'cannot read /nope: ENOENT' }) });
  assert.equal(diagnostics.length, 1);
  const d = diagnostics[0];
  assert.equal(d.severity, 'error');
  assert.equal(d.code, 'core-relo');
  assert.deepEqual(d.span, { line: 11, col: 2, endCol: 9, file: 'x.bpf.c' });
  assert.match(d.message, /CO-RE relocation #0 <byte_off> \[2\] struct task_struct\.tgid \(0:1\) at insn 1 of kprobe\/x needs a target BTF.*ENOENT/);
  assert.match(d.fix ?? '', /--btf FILE/);
  assert.equal(object.sections[0].insns[1].off, 4);
});

test('a BTF file that is not there is reported, not thrown; the target is read once', () => {
  let reads = 0;
  const t = coreTarget((path) => { reads++; return { error: `ENOENT (${path})` }; }, '/no/such.btf');
  const first = t.btf();
  t.btf();
  assert.deepEqual(first, { unavailable: 'cannot read /no/such.btf: ENOENT (/no/such.btf)' });
  assert.equal(reads, 1);
});

// ---- Differential: libbpf and the kernel -----------------------------------------------------

const CORE_DATA = join(TEST_DATA, 'core');
const ARCH = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
const TARGET_ARCH = process.arch === 'arm64' ? 'arm64' : 'x86';
const skipDiff = missingTools('bpftool', 'clang-19')
  ?? (existsSync(KERNEL_BTF_PATH) ? undefined : `${KERNEL_BTF_PATH} not found (a kernel without CONFIG_DEBUG_INFO_BTF)`)
  ?? (canLoadBpf() ? undefined : 'bpf(2) needs root on Linux');

const readOrError = (path: string) => {
  try { return new Uint8Array(readFileSync(path)); } catch (e) { return { error: (e as NodeJS.ErrnoException).code ?? String(e) }; }
};

/** What libbpf did to one instruction, from its debug log. */
type Patch = { poison: true } | { field: 'imm' | 'off' | 'imm64'; value: bigint };

/** `patched insn #N (ALU/ALU64) imm A -> B`, `(LDX/ST/STX) off A -> B`, `(LDIMM64) imm64 A -> B`, `substituting insn #N`. */
function libbpfPatches(log: string): Map<number, Patch> {
  const out = new Map<number, Patch>();
  for (const m of log.matchAll(/relo #\d+: patched insn #(\d+) \((ALU\/ALU64|LDX\/ST\/STX|LDIMM64)\) (imm|off|imm64) (-?\d+) -> (-?\d+)/g)) {
    out.set(Number(m[1]), { field: m[3] as 'imm' | 'off' | 'imm64', value: BigInt(m[5]) });
  }
  for (const m of log.matchAll(/relo #\d+: substituting insn #(\d+) w\/ invalid insn/g)) out.set(Number(m[1]), { poison: true });
  return out;
}

/** The same view of our relocated instructions. */
function ourPatches(insns: Insn[], at: number[], original: Insn[]): Map<number, Patch> {
  const out = new Map<number, Patch>();
  for (const k of at) {
    const i = insns[k];
    if (i.code === 0x85 && i.imm === POISON_HELPER_ID && original[k].code !== 0x85) out.set(k, { poison: true });
    else if (i.code === 0x18) out.set(k, { field: 'imm64', value: BigInt.asUintN(64, (BigInt(insns[k + 1].imm) << 32n) | BigInt(i.imm >>> 0)) });
    else if ((i.code & 7) === 4 || (i.code & 7) === 7) out.set(k, { field: 'imm', value: BigInt(i.imm >>> 0) });
    else out.set(k, { field: 'off', value: BigInt(i.off) });
  }
  return out;
}

/** `bpftool prog dump xlated` without source lines, function headers and map ids. */
function xlated(args: string[]): string {
  const r = run(findTool('bpftool')!, ['prog', 'dump', 'xlated', ...args]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l && !l.startsWith(';') && !/^\S.*\):$/.test(l)).map((l) => l.replace(/map\[id:\d+\]/g, 'map')).join('\n');
}

function ensureBpffs(): void {
  if (/\s\/sys\/fs\/bpf\s+bpf\s/.test(readFileSync('/proc/mounts', 'utf8'))) return;
  const r = run('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf']);
  assert.equal(r.status, 0, `cannot mount bpffs: ${r.stderr}`);
}

let vmlinuxDir: string | undefined;
/** A vmlinux.h of the running kernel, generated once per run into a temporary folder. */
function vmlinuxH(): string {
  if (vmlinuxDir) return vmlinuxDir;
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-vmlinux-'));
  const r = run(findTool('bpftool')!, ['btf', 'dump', 'file', KERNEL_BTF_PATH, 'format', 'c']);
  assert.equal(r.status, 0, `bpftool btf dump: ${r.stderr}`);
  writeFileSync(join(dir, 'vmlinux.h'), r.stdout);
  vmlinuxDir = dir;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function differential(source: string, defines: string[], expectAccepted: boolean): void {
  ensureBpffs();
  const inc = vmlinuxH();
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-core-'));
  const pin = `/sys/fs/bpf/ebpf_workbench_core_${process.pid}`;
  try {
    const obj = join(dir, 'prog.o');
    const cc = run(findTool('clang-19')!, ['-g', '-O2', '-target', 'bpf', `-D__TARGET_ARCH_${TARGET_ARCH}`, ...defines, `-I/usr/include/${ARCH}-linux-gnu`, `-I${inc}`, '-c', source, '-o', obj]);
    assert.equal(cc.status, 0, `clang-19 ${source}: ${cc.stderr}`);
    const bytes = new Uint8Array(readFileSync(obj));

    const plain = loadFile(obj, bytes);
    const ours = loadFile(obj, bytes, { core: coreTarget(readOrError) });
    assert.deepEqual(ours.diagnostics.filter((d) => d.severity === 'error'), []);
    const [ref] = listPrograms(ours.object);
    const sec = ours.object.sections.find((s) => s.name === ref.section)!;
    const orig = plain.object.sections.find((s) => s.name === ref.section)!;

    const libbpf = run(findTool('bpftool')!, ['-d', 'prog', 'loadall', obj, pin]);
    const theirs = libbpfPatches(libbpf.stderr);
    assert.ok(theirs.size > 0, `libbpf's log shows no CO-RE patches:\n${libbpf.stderr.slice(-2000)}`);
    const mine = ourPatches(sec.insns, [...theirs.keys()], orig.insns);
    assert.deepEqual(mine, theirs, 'each relocated instruction as libbpf patched it');
    // Every instruction we changed is one libbpf relocated, and nothing else moved.
    sec.insns.forEach((i, k) => {
      if (!theirs.has(k) && !(k > 0 && theirs.has(k - 1) && sec.insns[k - 1].code === 0x18)) assert.deepEqual(i, orig.insns[k], `insn ${k} changed`);
    });

    const def = sectionProgType(ref.section)!;
    const verdict = verifyObjectProgram(ours.object, ref, { progType: def.progType, attachType: def.expectedAttachType });
    const kernelAccepted = libbpf.status === 0;
    assert.equal(kernelAccepted, expectAccepted, libbpf.stderr.slice(-2000));
    assert.equal(verdict.accepted, kernelAccepted, `ours: ${verdict.message}`);

    const loaded = loadObjectProgram(ours.object, ref, { progType: def.progType, attachType: def.expectedAttachType });
    assert.ok('load' in loaded, String((loaded as { message?: string; unavailable?: string }).message ?? (loaded as { unavailable?: string }).unavailable));
    try {
      if (!expectAccepted) {
        assert.ok(!('fd' in loaded.load), 'the kernel refuses our patched program too');
        const res = loaded.load as { log?: string; errnoName?: string };
        const message = kernelLogMessage(res.log ?? '', res.errnoName ?? '');
        assert.equal(verdict.message, message);
        assert.equal(message, `invalid func unknown#${POISON_HELPER_ID}`);
        // libbpf rewrites that line of the kernel's log into the relocation it could not resolve.
        const at = /(\d+): <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation <byte_off> \[\d+\] struct task_struct___old\.state/.exec(libbpf.stderr);
        assert.ok(at, `libbpf's log names the failed relocation:\n${libbpf.stderr.slice(-1500)}`);
        assert.equal(verdict.diagnostics.find((d) => d.severity === 'error')?.insnIdx, Number(at[1]), 'refused at the same instruction');
        return;
      }
      assert.ok('fd' in loaded.load, `the kernel refuses our patched program: ${'log' in loaded.load ? loaded.load.log : ''}`);
      const info = progInfo(loaded.load.fd);
      assert.ok('id' in info, String((info as { message?: string }).message));
      assert.equal(xlated(['id', String(info.id)]), xlated(['pinned', join(pin, ref.name)]), 'the kernel translates our program and libbpf\'s alike');
    } finally {
      loaded.close();
    }
  } finally {
    run('rm', ['-rf', pin]);
    rmSync(dir, { recursive: true, force: true });
  }
}

test('kprobe on task_struct (BPF_CORE_READ, flavors, bitfields, type and enum relocations): as libbpf and the kernel', { skip: skipDiff }, () => {
  assert.ok(kernelAvailable().ok);
  differential(join(CORE_DATA, 'task_core.bpf.c'), [], true);
});

test('raw_tp through two pointers and an anonymous member: as libbpf and the kernel', { skip: skipDiff }, () => {
  differential(join(CORE_DATA, 'rawtp_core.bpf.c'), [], true);
});

test('a reachable access to a missing field: poisoned, and refused with the kernel\'s words', { skip: skipDiff }, () => {
  differential(join(CORE_DATA, 'rawtp_core.bpf.c'), ['-DUNGUARDED'], false);
});

test('examples/kprobe_core.bpf.c (its own ___flavor structs, no vmlinux.h): as libbpf and the kernel', { skip: skipDiff }, () => {
  differential(join(REPO_ROOT, 'examples', 'kprobe_core.bpf.c'), [], true);
});

// ---- Adapters: the editor's setting and the launch attribute ----------------------------------

const skipAdapters = missingTools('bpftool', 'clang-19')
  ?? (existsSync(KERNEL_BTF_PATH) ? undefined : `${KERNEL_BTF_PATH} not found (a kernel without CONFIG_DEBUG_INFO_BTF)`);

test('ebpf.btfPath: a C document with CO-RE is verified against the kernel\'s BTF, and an unreadable file is an error on each relocation\'s line', { skip: skipAdapters }, async () => {
  const inc = vmlinuxH();
  const dir = mkdtempSync(join(tmpdir(), 'lsp-core-'));
  const text = readFileSync(join(CORE_DATA, 'task_core.bpf.c'), 'utf8');
  const compileCommand = `clang-19 -g -O2 -target bpf -I/usr/include/${ARCH}-linux-gnu -I${inc} -c \${file} -o \${out}`;
  const open = async (btfPath: string) => {
    const client = new LspClient();
    try {
      await client.initialize({ compileCommand, btfPath });
      const path = join(dir, 'task_core.bpf.c');
      writeFileSync(path, text);
      const uri = pathToFileURL(path).href;
      await client.open(uri, text, 'c');
      return (await client.diagnostics((x) => x.uri === uri, 60000)).diagnostics.filter((d) => d.severity === 1);
    } finally {
      await client.close();
    }
  };
  try {
    assert.deepEqual(await open(''), []);
    const bad = await open(join(dir, 'missing.btf'));
    assert.ok(bad.length >= 10, JSON.stringify(bad.map((d) => d.message)));
    assert.ok(bad.every((d) => d.code === 'core-relo' && /needs a target BTF.*missing\.btf: ENOENT/.test(d.message)), bad[0]?.message);
    const line = text.split('\n').findIndex((l) => l.includes('put(0, BPF_CORE_READ(task, real_parent, tgid))'));
    assert.ok(bad.some((d) => d.range.start.line === line), `an error on line ${line + 1}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('launch attribute btf: the debugger runs the relocated program, and names an unreadable BTF file', { skip: skipAdapters }, () => {
  const inc = vmlinuxH();
  const dir = mkdtempSync(join(tmpdir(), 'dap-core-'));
  try {
    const obj = join(dir, 'task_core.o');
    const cc = run(findTool('clang-19')!, ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${ARCH}-linux-gnu`, `-I${inc}`, '-c', join(CORE_DATA, 'task_core.bpf.c'), '-o', obj]);
    assert.equal(cc.status, 0, cc.stderr);
    const plain = loadFile(obj, new Uint8Array(readFileSync(obj))).object;
    const launched = readLaunch({ program: obj, btf: KERNEL_BTF_PATH } as Parameters<typeof readLaunch>[0]);
    const expected = relocateObject(plain, coreTarget(readOrError, KERNEL_BTF_PATH)).object;
    // The flavored struct, the kernel's type id and the missing field change instructions.
    assert.notDeepEqual(expected.sections.map((x) => x.insns), plain.sections.map((x) => x.insns));
    assert.deepEqual(launched.input.object.sections.map((x) => x.insns), expected.sections.map((x) => x.insns));
    assert.throws(() => readLaunch({ program: obj, btf: join(dir, 'nope.btf') } as Parameters<typeof readLaunch>[0]), /needs a target BTF.*nope\.btf: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
