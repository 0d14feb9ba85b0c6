/**
 * CO-RE relocations: the instructions of a program compiled against one BTF (the local one,
 * from a vmlinux.h or preserve_access_index structs), rewritten for another (the target,
 * usually the running kernel's /sys/kernel/btf/vmlinux), as libbpf does before loading.
 *
 * Mirrors bpf_core_calc_relo_insn() and bpf_core_patch_insn() of libbpf's relo_core.c:
 *   1. the local spec is read from the access string (core/btf/coreSpec.ts);
 *   2. candidates are the target types of a compatible kind whose name has the same
 *      essential part (`task_struct___old` -> `task_struct`);
 *   3. each candidate that matches gives a value; all of them must agree, or the relocation
 *      is ambiguous and fails;
 *   4. no candidate: existence checks become 0, the other relocations poison their
 *      instruction (`call 0xbad2310`, which the verifier reports as
 *      `invalid func unknown#195896080` if the instruction is reachable);
 *   5. the value goes into the instruction: imm of an ALU op or of an lddw, off of a load or
 *      store (whose size follows a field that changed size, where that is safe).
 *
 * Pure: BTF and instructions in, patched instructions and values out. A relocation libbpf
 * would refuse (a malformed spec, an ambiguity, an instruction of the wrong form or with an
 * unexpected value) comes back as an error message naming it; nothing throws.
 */

import { Insn, LDDW_CODE } from '../isa/insn';
import { Btf } from './parse';
import { CoreRelo } from './ext';
import { resolveType, typeSize } from './query';
import { BtfComposite, BtfType } from './types';
import {
  CORE_RELO_KINDS, CoreReloKind, CoreSpec, coreReloClass, essentialName, formatSpec, kindsCompatible, matchSpec, parseSpec,
} from './coreSpec';

export { CORE_RELO_KINDS, CoreReloKind, essentialName } from './coreSpec';

/** The helper id a poisoned instruction calls: 0xbad2310, "bad relo". */
export const POISON_HELPER_ID = 0xbad2310;

/** What one relocation computed, before it is written into the instruction. */
export interface CoreReloValue {
  /** The value the compiler wrote, from the local BTF. */
  origVal: bigint;
  /** The value for the target. */
  newVal: bigint;
  /** No target has the field (or enumerator): the instruction is poisoned. */
  poison: boolean;
  /** Whether the instruction must hold origVal (bitfield offsets and type ids are not checked). */
  validate: boolean;
  /** Sizes of the accessed field, local and target, for loads and stores (0: not a plain field). */
  origSize: number;
  newSize: number;
  /** The sizes differ and the field is neither a pointer nor an unsigned int: no safe resize. */
  failResize: boolean;
}

export interface CoreReloResult {
  relo: CoreRelo;
  kind: CoreReloKind | undefined;
  /** Slot of the instruction in its section. */
  insnIdx: number;
  /** `<byte_off> [12] struct task_struct.pid (0:54)`, as libbpf's log describes a relocation. */
  description: string;
  value?: CoreReloValue;
  /** Why the relocation failed (libbpf would refuse to load). */
  error?: string;
}

/**
 * Patches `insns` (the slots of one section, changed in place) for the relocations of that
 * section, against `target`. Returns one result per relocation, in order.
 */
export function applyCoreRelos(local: Btf, target: Btf, relos: readonly CoreRelo[], insns: Insn[]): CoreReloResult[] {
  const cands = new Map<number, number[]>();
  return relos.map((relo) => {
    const res = computeCoreRelo(local, target, relo, cands);
    if (res.error || !res.value) return res;
    const err = patchInsn(insns, res.insnIdx, res.value);
    return err ? { ...res, error: err } : res;
  });
}

/** The value of one relocation (bpf_core_calc_relo_insn()); `cands` caches candidates per local type id. */
export function computeCoreRelo(local: Btf, target: Btf, relo: CoreRelo, cands = new Map<number, number[]>()): CoreReloResult {
  const { res, localSpec } = localPart(local, relo);
  const fail = (error: string): CoreReloResult => ({ ...res, error });
  if (res.error || !localSpec) return res;
  const kind = localSpec.kind;
  const localType = local.types[relo.typeId];

  if (kind === 'local_type_id') {
    const id = BigInt(relo.typeId);
    return { ...res, value: { origVal: id, newVal: id, poison: false, validate: false, origSize: 0, newSize: 0, failResize: false } };
  }
  if (localType.name === '') return fail(`<${kind}> relocation doesn't support anonymous types`);

  let list = cands.get(relo.typeId);
  if (!list) {
    list = findCandidates(localType, target);
    cands.set(relo.typeId, list);
  }
  let chosen: { spec: CoreSpec; value: CoreReloValue } | undefined;
  const kept: number[] = [];
  for (const id of list) {
    const spec = matchSpec(localSpec, target.types, id);
    if (typeof spec === 'string') return fail(`error matching candidate [${id}]: ${spec}`);
    if (!spec) continue;
    const value = calcValue(kind, localSpec, spec);
    if (typeof value === 'string') return fail(value);
    if (!chosen) chosen = { spec, value };
    else if (spec.bitOffset !== chosen.spec.bitOffset) {
      return fail(`field offset ambiguity: ${spec.bitOffset} != ${chosen.spec.bitOffset} (candidates ${formatSpec(chosen.spec)} and ${formatSpec(spec)})`);
    } else if (value.poison !== chosen.value.poison || value.newVal !== chosen.value.newVal) {
      const say = (v: CoreReloValue) => `${v.poison ? 'failure' : 'success'} ${v.newVal}`;
      return fail(`relocation decision ambiguity: ${say(value)} != ${say(chosen.value)}`);
    }
    kept.push(id);
  }
  // As libbpf prunes its cached candidates: later relocations of this type see only the ones that matched.
  if (kept.length) cands.set(relo.typeId, kept);
  if (chosen) return { ...res, value: chosen.value };
  const none = calcValue(kind, localSpec, undefined);
  return typeof none === 'string' ? fail(none) : { ...res, value: none };
}

/** A relocation read against the local BTF alone: its description, or why it is malformed. */
export function describeCoreRelo(local: Btf, relo: CoreRelo): CoreReloResult {
  return localPart(local, relo).res;
}

function localPart(local: Btf, relo: CoreRelo): { res: CoreReloResult; localSpec?: CoreSpec } {
  const kind = CORE_RELO_KINDS[relo.kind] as CoreReloKind | undefined;
  const localType = local.types[relo.typeId];
  const head = `<${kind ?? `kind ${relo.kind}`}> [${relo.typeId}] ${localType?.kind ?? '?'} ${localType?.name || '<anon>'} + ${relo.access}`;
  const res: CoreReloResult = { relo, kind, insnIdx: relo.byteOff / 8, description: head };
  const fail = (error: string) => ({ res: { ...res, error } });
  if (relo.byteOff % 8 !== 0) return fail(`instruction offset ${relo.byteOff} is not a multiple of 8`);
  if (!kind) return fail(`unrecognized CO-RE relocation kind ${relo.kind}`);
  if (!localType) return fail(`local type [${relo.typeId}] does not exist`);
  const localSpec = parseSpec(local.types, relo.typeId, relo.access, kind);
  if (typeof localSpec === 'string') return fail(`parsing the spec failed: ${localSpec}`);
  res.description = `<${kind}> ${formatSpec(localSpec)}`;
  return { res, localSpec };
}

/** Target types of a compatible kind with the local type's essential name (bpf_core_add_cands()). */
export function findCandidates(localType: BtfType, target: Btf): number[] {
  const name = essentialName(localType.name);
  return (nameIndex(target).get(name) ?? []).filter((id) => kindsCompatible(target.types[id], localType));
}

const nameIndexes = new WeakMap<Btf, Map<string, number[]>>();

/** Type ids by essential name, built once per target (the kernel's BTF has some 100,000 types). */
function nameIndex(target: Btf): Map<string, number[]> {
  let index = nameIndexes.get(target);
  if (index) return index;
  index = new Map();
  for (const t of target.types) {
    if (!t.name || t.id === 0) continue;
    const key = essentialName(t.name);
    const list = index.get(key);
    if (list) list.push(t.id);
    else index.set(key, [t.id]);
  }
  nameIndexes.set(target, index);
  return index;
}

/** Local and target values of one relocation (bpf_core_calc_relo()); no target spec: not found. */
function calcValue(kind: CoreReloKind, local: CoreSpec, targ: CoreSpec | undefined): CoreReloValue | string {
  const value: CoreReloValue = { origVal: 0n, newVal: 0n, poison: false, validate: true, origSize: 0, newSize: 0, failResize: false };
  const cls = coreReloClass(kind);
  if (cls === 'field') {
    const l = fieldValue(kind, local);
    if (typeof l === 'string') return l;
    value.origVal = l.val;
    value.validate = l.validate;
    value.origSize = l.size;
    if (kind !== 'field_exists' && !targ) return { ...value, poison: true };
    const t = fieldValue(kind, targ);
    if (typeof t === 'string') return t;
    value.newVal = t.val;
    value.newSize = t.size;
    if (l.size !== t.size) value.failResize = !resizeIsSafe(local, l.typeId, targ!, t.typeId);
    return value;
  }
  if (cls === 'type') {
    const l = typeValue(kind, local);
    const t = typeValue(kind, targ);
    if (typeof l === 'string') return l;
    if (typeof t === 'string') return t;
    // A type id may change when objects are linked, so it is not checked.
    return { ...value, origVal: l, newVal: t, validate: kind !== 'target_type_id' };
  }
  value.origVal = enumValue(local);
  if (kind === 'enumval_exists') return { ...value, origVal: 1n, newVal: targ ? 1n : 0n };
  if (!targ) return { ...value, poison: true };
  return { ...value, newVal: enumValue(targ) };
}

/** A field's value for one side (bpf_core_calc_field_relo()); `spec` undefined only for field_exists. */
function fieldValue(kind: CoreReloKind, spec: CoreSpec | undefined): { val: bigint; size: number; typeId: number; validate: boolean } | string {
  const out = { val: 0n, size: 0, typeId: 0, validate: true };
  if (kind === 'field_exists') return { ...out, val: spec ? 1n : 0n };
  if (!spec) return 'no target spec';
  const types = spec.types;
  const acc = spec.acc[spec.acc.length - 1];
  if (acc.name === undefined) {
    // An array element, a[n]: offset and size of the element.
    if (kind === 'byte_off') {
      const size = typeSize(types, elementId(types, acc.typeId));
      if (size === undefined) return `type [${acc.typeId}] has no size`;
      return { ...out, val: BigInt(spec.bitOffset / 8), size, typeId: acc.typeId };
    }
    if (kind === 'byte_sz') {
      const size = typeSize(types, acc.typeId);
      if (size === undefined) return `type [${acc.typeId}] has no size`;
      return { ...out, val: BigInt(size) };
    }
    return `<${kind}> can't be applied to an array access`;
  }
  const m = (types[acc.typeId] as BtfComposite).members[acc.idx];
  const mt = resolveType(types, m.type);
  if (!mt) return `member ${m.name} has no type`;
  const bitOff = spec.bitOffset;
  let bitSize = m.bitfieldSize;
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOff: number;
  if (bitfield) {
    // The smallest aligned load (of the field's type size or wider) that holds every bit.
    byteSize = (mt as { size: number }).size;
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8) return `<${kind}> can't be satisfied for bitfield ${m.name}`;
      byteSize *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  } else {
    const size = typeSize(types, mt.id);
    if (size === undefined) return `member ${m.name} has no size`;
    byteSize = size;
    byteOff = Math.floor(bitOff / 8);
    bitSize = byteSize * 8;
  }
  // Bitfield offsets may be computed differently by the compiler: only their sign and right shift are checked.
  out.validate = !bitfield;
  switch (kind) {
    case 'byte_off': {
      out.val = BigInt(byteOff);
      if (!bitfield) {
        const size = typeSize(types, elementId(types, mt.id));
        if (size === undefined) return `member ${m.name} has no size`;
        out.size = size;
        out.typeId = mt.id;
      }
      return out;
    }
    case 'byte_sz': return { ...out, val: BigInt(byteSize) };
    case 'signed': {
      const signed = ((mt.kind === 'enum' || mt.kind === 'enum64') && mt.signed) || (mt.kind === 'int' && (mt.encoding & 1) !== 0);
      return { ...out, val: signed ? 1n : 0n, validate: true };
    }
    // Little-endian: shift the field's top bit up to bit 63.
    case 'lshift_u64': return { ...out, val: BigInt(64 - (bitOff + bitSize - byteOff * 8)) };
    case 'rshift_u64': return { ...out, val: BigInt(64 - bitSize), validate: true };
    default: return `<${kind}> is not a field relocation`;
  }
}

/** Beneath arrays of arrays, the element type's id (for the size a load of one element uses). */
function elementId(types: readonly BtfType[], id: number): number {
  let t = resolveType(types, id);
  while (t?.kind === 'array') t = resolveType(types, t.type);
  return t?.id ?? id;
}

/** A load or store may change width for pointers and unsigned ints, whose value zero-extends. */
function resizeIsSafe(local: CoreSpec, localId: number, targ: CoreSpec, targId: number): boolean {
  const l = local.types[localId];
  const t = targ.types[targId];
  if (l?.kind === 'ptr' && t?.kind === 'ptr') return true;
  return l?.kind === 'int' && t?.kind === 'int' && l.encoding !== 1 && t.encoding !== 1;
}

function typeValue(kind: CoreReloKind, spec: CoreSpec | undefined): bigint | string {
  if (!spec) return 0n;
  switch (kind) {
    case 'target_type_id': return BigInt(spec.rootId);
    case 'type_exists': case 'type_matches': return 1n;
    case 'type_size': {
      const size = typeSize(spec.types, spec.rootId);
      return size === undefined ? `type [${spec.rootId}] has no size` : BigInt(size);
    }
    default: return `<${kind}> is not a type relocation`;
  }
}

/** An enumerator's value as libbpf reads it: a 32-bit one sign-extended, then taken as u64. */
function enumValue(spec: CoreSpec): bigint {
  const t = spec.types[spec.acc[0].typeId];
  if (t.kind !== 'enum' && t.kind !== 'enum64') return 0n;
  const v = t.values[spec.acc[0].idx].value;
  return BigInt.asUintN(64, t.kind === 'enum' ? BigInt.asIntN(32, v) : v);
}

/** Replaces a slot (and an lddw's second slot) with libbpf's poison: `call 0xbad2310`. */
function poisonInsn(insns: Insn[], idx: number): void {
  const poison = (i: number) => { insns[i] = { code: 0x85, dst: 0, src: 0, off: 0, imm: POISON_HELPER_ID }; };
  if (insns[idx].code === LDDW_CODE && idx + 1 < insns.length) poison(idx + 1);
  poison(idx);
}

const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03, BPF_ALU = 0x04, BPF_ALU64 = 0x07;
const SIZE_BYTES: Record<number, number> = { 0x18: 8, 0x00: 4, 0x08: 2, 0x10: 1 };
const BYTES_SIZE: Record<number, number> = { 8: 0x18, 4: 0x00, 2: 0x08, 1: 0x10 };

/** Writes a value into its instruction (bpf_core_patch_insn()); an error message when the instruction does not fit. */
export function patchInsn(insns: Insn[], idx: number, value: CoreReloValue): string | undefined {
  const insn = insns[idx];
  if (!insn) return `instruction ${idx} is outside the section (${insns.length} slots)`;
  if (value.poison) {
    poisonInsn(insns, idx);
    return undefined;
  }
  const cls = insn.code & 0x07;
  const u64 = (n: number) => BigInt.asUintN(64, BigInt(n));
  const { origVal, newVal } = value;
  switch (cls) {
    case BPF_ALU: case BPF_ALU64:
      if (insn.code & 0x08) return `instruction ${idx} (ALU/ALU64) takes a register, not an immediate`;
      if (value.validate && u64(insn.imm) !== origVal) return `unexpected instruction ${idx} (ALU/ALU64) value: got ${insn.imm}, expected ${origVal} -> ${newVal}`;
      insn.imm = Number(BigInt.asIntN(32, newVal));
      return undefined;
    case BPF_LDX: case BPF_ST: case BPF_STX: {
      if (value.validate && u64(insn.off) !== origVal) return `unexpected instruction ${idx} (LDX/ST/STX) value: got ${insn.off}, expected ${origVal} -> ${newVal}`;
      if (newVal > 0x7fffn) return `instruction ${idx} (LDX/ST/STX) value too big: ${newVal}`;
      if (value.failResize) {
        // libbpf poisons rather than fails: the field changed size and a resized access would misread it.
        poisonInsn(insns, idx);
        return undefined;
      }
      insn.off = Number(newVal);
      if (value.newSize !== value.origSize) {
        const bytes = SIZE_BYTES[insn.code & 0x18];
        if (bytes !== value.origSize) return `instruction ${idx} (LDX/ST/STX) has unexpected memory size: got ${bytes}, expected ${value.origSize}`;
        const size = BYTES_SIZE[value.newSize];
        if (size === undefined) return `instruction ${idx} (LDX/ST/STX) has invalid new memory size: ${value.newSize}`;
        insn.code = (insn.code & 0xe7) | size;
      }
      return undefined;
    }
    case BPF_LD: {
      const next = insns[idx + 1];
      if (insn.code !== LDDW_CODE || insn.src !== 0 || insn.off !== 0 || !next || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
        return `instruction ${idx} (LDIMM64) has unexpected form`;
      }
      const imm = BigInt.asUintN(64, (BigInt(next.imm) << 32n) | BigInt(insn.imm >>> 0));
      if (value.validate && imm !== origVal) return `unexpected instruction ${idx} (LDIMM64) value: got ${imm}, expected ${origVal} -> ${newVal}`;
      insn.imm = Number(BigInt.asIntN(32, newVal));
      next.imm = Number(BigInt.asIntN(32, newVal >> 32n));
      return undefined;
    }
    default:
      return `trying to relocate unrecognized instruction ${idx}, code 0x${insn.code.toString(16)}`;
  }
}
