/**
 * BTF types as plain data: one TypeScript shape per BTF kind of include/uapi/linux/btf.h.
 *
 * A parsed BTF blob is an array `types` indexed by type id: `types[0]` is the implicit
 * `void` (id 0 is never encoded, as in the kernel), and `types[id].id === id` for every
 * entry. Names are already looked up in the string section (an anonymous type has the
 * name ''); `nameOff` keeps the raw offset so that a writer can reproduce it.
 *
 * Kind names are the kernel's in lower case (`func_proto`, `decl_tag`), which is how
 * bpftool prints them, so users can search for what they see.
 */

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** The size of `struct btf_header`; newer headers may be longer (hdr_len says). */
export const BTF_HEADER_LEN = 24;
/** `struct btf_type` without its trailing data. */
export const BTF_TYPE_LEN = 12;

/** BTF_KIND_* numbers, indexed by their value. */
export const BTF_KINDS = [
  'void', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile',
  'const', 'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag',
  'type_tag', 'enum64',
] as const;

export type BtfKindName = (typeof BTF_KINDS)[number];

export function btfKindNumber(kind: BtfKindName): number {
  return BTF_KINDS.indexOf(kind);
}

/** BTF_INT_ENCODING bits. */
export const BTF_INT_SIGNED = 1;
export const BTF_INT_CHAR = 2;
export const BTF_INT_BOOL = 4;

/** BTF_VAR_* linkage. */
export const BTF_VAR_STATIC = 0;
export const BTF_VAR_GLOBAL_ALLOCATED = 1;
export const BTF_VAR_GLOBAL_EXTERN = 2;

/** BTF_FUNC_* linkage. */
export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;
export const BTF_FUNC_EXTERN = 2;

interface Base {
  id: number;
  name: string;
  nameOff: number;
}

export interface BtfVoid extends Base { kind: 'void' }
export interface BtfInt extends Base {
  kind: 'int';
  size: number;
  /** BTF_INT_SIGNED | BTF_INT_CHAR | BTF_INT_BOOL. */
  encoding: number;
  bitOffset: number;
  bits: number;
}
/** PTR, TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG: a name (maybe '') and a target. */
export interface BtfRef extends Base {
  kind: 'ptr' | 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag';
  type: number;
}
export interface BtfArray extends Base {
  kind: 'array';
  type: number;
  indexType: number;
  nelems: number;
}
export interface BtfMember {
  name: string;
  type: number;
  /** Offset of the member in bits from the start of the struct. */
  bitOffset: number;
  /** Width of a bitfield in bits; 0 for an ordinary member. */
  bitfieldSize: number;
}
export interface BtfComposite extends Base {
  kind: 'struct' | 'union';
  size: number;
  /** The kind_flag: member offsets carry bitfield sizes in their top byte. */
  kflag: boolean;
  members: BtfMember[];
}
export interface BtfEnumValue {
  name: string;
  /** The value, as a bigint for ENUM and ENUM64 alike (ENUM64 needs all 64 bits). */
  value: bigint;
}
export interface BtfEnum extends Base {
  kind: 'enum' | 'enum64';
  size: number;
  /** kind_flag: the values are signed. */
  signed: boolean;
  values: BtfEnumValue[];
}
export interface BtfFwd extends Base {
  kind: 'fwd';
  /** kind_flag: `union x;` rather than `struct x;`. */
  union: boolean;
}
export interface BtfFunc extends Base {
  kind: 'func';
  /** The FUNC_PROTO. */
  type: number;
  /** BTF_FUNC_STATIC / GLOBAL / EXTERN, kept in vlen. */
  linkage: number;
}
export interface BtfParam {
  name: string;
  type: number;
}
export interface BtfFuncProto extends Base {
  kind: 'func_proto';
  /** Return type, 0 for void. */
  type: number;
  /** A last parameter with name '' and type 0 marks a variadic function. */
  params: BtfParam[];
}
export interface BtfVar extends Base {
  kind: 'var';
  type: number;
  linkage: number;
}
export interface BtfVarSecinfo {
  type: number;
  offset: number;
  size: number;
}
export interface BtfDatasec extends Base {
  kind: 'datasec';
  /** 0 as clang leaves it; libbpf fills it from the ELF section. */
  size: number;
  vars: BtfVarSecinfo[];
}
export interface BtfFloat extends Base {
  kind: 'float';
  size: number;
}
export interface BtfDeclTag extends Base {
  kind: 'decl_tag';
  type: number;
  /** -1: the tag applies to the type itself; otherwise a member or parameter index. */
  componentIdx: number;
}
/** A kind this reader does not know (a newer kernel's); `size` is the raw size/type word. */
export interface BtfUnknown extends Base {
  kind: 'unknown';
  kindNumber: number;
  size: number;
}

export type BtfType =
  | BtfVoid | BtfInt | BtfRef | BtfArray | BtfComposite | BtfEnum | BtfFwd | BtfFunc
  | BtfFuncProto | BtfVar | BtfDatasec | BtfFloat | BtfDeclTag | BtfUnknown;

export const VOID_TYPE: BtfVoid = { id: 0, kind: 'void', name: 'void', nameOff: 0 };
