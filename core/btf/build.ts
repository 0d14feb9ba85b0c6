/**
 * A small BTF builder: the few kinds an object writer needs (int, ptr, array, struct,
 * typedef, const, volatile, var, datasec, func, func_proto), encoded as the kernel reads
 * them.
 *
 * Each `add` returns the new type id; ids start at 1 and follow the order of the calls, so
 * a type can only refer to types added before it (or to 0, void). Strings are stored once
 * each; offset 0 is the empty string, which anonymous types use.
 *
 * What the kernel's BTF checks (kernel/bpf/btf.c, btf_check_meta and the per-kind
 * check_meta functions) require of the output, and this builder keeps:
 *   - PTR, ARRAY, FUNC_PROTO and the modifiers CONST/VOLATILE have no name;
 *   - STRUCT, VAR, FUNC names are C identifiers (the caller's job; `isIdentifier` helps);
 *   - a DATASEC has at least one VAR and a non-zero size, its VARs in increasing offset
 *     order and inside the size (checked by `datasec`, which reports through `never`);
 *   - the string section starts and ends with NUL.
 */

import { never } from '../diag';
import { ByteWriter } from './bytes';
import {
  BTF_FUNC_GLOBAL, BTF_HEADER_LEN, BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, BTF_MAGIC, BTF_VAR_GLOBAL_ALLOCATED,
  BTF_VERSION, BtfKindName, btfKindNumber,
} from './types';

export interface IntOptions {
  signed?: boolean;
  char?: boolean;
  bool?: boolean;
  /** Bits used; defaults to 8 * size. */
  bits?: number;
}

export interface MemberSpec {
  name: string;
  type: number;
  /** Offset from the start of the struct, in bits. */
  bitOffset: number;
}

export interface ParamSpec {
  name: string;
  type: number;
}

export interface SecinfoSpec {
  /** A VAR (or, for .ksyms, a FUNC). */
  type: number;
  offset: number;
  size: number;
}

/** Whether a name is a C identifier, as the kernel's btf_name_valid_identifier() wants. */
export function isIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

export class BtfBuilder {
  private readonly typeBytes = new ByteWriter();
  private readonly strBytes = new ByteWriter();
  private readonly strOffsets = new Map<string, number>();
  private nTypes = 0;

  constructor() {
    this.strBytes.u8(0);
    this.strOffsets.set('', 0);
  }

  /** The number of types added so far, which is also the id of the last one. */
  get count(): number {
    return this.nTypes;
  }

  /** The offset of a string in the string section, adding it on first use. */
  string(s: string): number {
    const known = this.strOffsets.get(s);
    if (known !== undefined) return known;
    const off = this.strBytes.length;
    this.strBytes.bytes(new TextEncoder().encode(s));
    this.strBytes.u8(0);
    this.strOffsets.set(s, off);
    return off;
  }

  int(name: string, size: number, opts: IntOptions = {}): number {
    const enc = (opts.signed ? BTF_INT_SIGNED : 0) | (opts.char ? BTF_INT_CHAR : 0) | (opts.bool ? BTF_INT_BOOL : 0);
    const id = this.head(name, 'int', 0, false, size);
    // BTF_INT_ENCODING in bits 24-27, BTF_INT_OFFSET in 16-23 (always 0 here), BTF_INT_BITS in 0-7.
    this.typeBytes.u32((enc << 24) | ((opts.bits ?? size * 8) & 0xff));
    return id;
  }

  ptr(type: number): number {
    return this.head('', 'ptr', 0, false, type);
  }

  typedef(name: string, type: number): number {
    return this.head(name, 'typedef', 0, false, type);
  }

  const(type: number): number {
    return this.head('', 'const', 0, false, type);
  }

  volatile(type: number): number {
    return this.head('', 'volatile', 0, false, type);
  }

  array(elemType: number, indexType: number, nelems: number): number {
    const id = this.head('', 'array', 0, false, 0);
    this.typeBytes.u32(elemType);
    this.typeBytes.u32(indexType);
    this.typeBytes.u32(nelems);
    return id;
  }

  /** A struct without bitfields (kind_flag clear, so offsets are plain bit offsets). */
  struct(name: string, size: number, members: readonly MemberSpec[]): number {
    const id = this.head(name, 'struct', members.length, false, size);
    for (const m of members) {
      this.typeBytes.u32(this.string(m.name));
      this.typeBytes.u32(m.type);
      this.typeBytes.u32(m.bitOffset);
    }
    return id;
  }

  funcProto(retType: number, params: readonly ParamSpec[]): number {
    const id = this.head('', 'func_proto', params.length, false, retType);
    for (const p of params) {
      this.typeBytes.u32(this.string(p.name));
      this.typeBytes.u32(p.type);
    }
    return id;
  }

  /** A FUNC: the linkage (BTF_FUNC_STATIC/GLOBAL/EXTERN) is kept in vlen. */
  func(name: string, proto: number, linkage = BTF_FUNC_GLOBAL): number {
    return this.head(name, 'func', linkage, false, proto);
  }

  var(name: string, type: number, linkage = BTF_VAR_GLOBAL_ALLOCATED): number {
    const id = this.head(name, 'var', 0, false, type);
    this.typeBytes.u32(linkage);
    return id;
  }

  datasec(name: string, size: number, vars: readonly SecinfoSpec[]): number {
    // The kernel's btf_datasec_check_meta() refuses these; catching them here names the writer's bug.
    if (vars.length === 0) never(`DATASEC ${name} has no variables`);
    if (size === 0) never(`DATASEC ${name} has size 0`);
    let end = 0;
    for (const v of vars) {
      if (v.offset < end || v.offset + v.size > size) never(`DATASEC ${name}: variable at ${v.offset} overlaps or overflows`);
      end = v.offset + v.size;
    }
    const id = this.head(name, 'datasec', vars.length, false, size);
    for (const v of vars) {
      this.typeBytes.u32(v.type);
      this.typeBytes.u32(v.offset);
      this.typeBytes.u32(v.size);
    }
    return id;
  }

  /** The complete blob: header, type section, string section. */
  build(): Uint8Array {
    const types = this.typeBytes.finish();
    const strs = this.strBytes.finish();
    const w = new ByteWriter();
    w.u16(BTF_MAGIC);
    w.u8(BTF_VERSION);
    w.u8(0);
    w.u32(BTF_HEADER_LEN);
    w.u32(0);
    w.u32(types.length);
    w.u32(types.length);
    w.u32(strs.length);
    w.bytes(types);
    w.bytes(strs);
    return w.finish();
  }

  private head(name: string, kind: BtfKindName, vlen: number, kflag: boolean, sizeOrType: number): number {
    this.typeBytes.u32(this.string(name));
    // info: vlen in bits 0-15, kind in 24-28, kind_flag in 31.
    this.typeBytes.u32(((kflag ? 1 : 0) << 31) | (btfKindNumber(kind) << 24) | (vlen & 0xffff));
    this.typeBytes.u32(sizeOrType);
    return ++this.nTypes;
  }
}
