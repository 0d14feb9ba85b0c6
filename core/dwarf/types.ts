/**
 * DWARF types as BTF-shaped types (core/btf/types.ts), so that the one decoder of typed
 * bytes (core/debug/btfValues.ts) shows a C local the way it shows a map value: struct
 * fields by name, arrays by element, enums by name, `__be16` in network order.
 *
 * Why translate rather than look the type up in the object's .BTF by name: DWARF already
 * names the exact type of each variable (anonymous structs, typedef chains, const
 * qualifiers included), while a name lookup in BTF would be ambiguous for anonymous types
 * and would miss types BTF left out. The translation is lazy (only the types variables
 * reach), ids count from 1 in the order met, and cycles (a struct pointing at itself)
 * resolve because each DIE gets its id before its members are read.
 */

import { BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, BtfMember, BtfType, VOID_TYPE } from '../btf/types';
import { DW_AT, DW_ATE, DW_TAG } from './constants';
import { Die, Unit, safe } from './info';

export class DwarfTypes {
  readonly types: BtfType[] = [VOID_TYPE];
  private readonly ids = new Map<Die, number>();

  constructor(private readonly all: Map<number, Die>) {}

  /** The BTF-shaped id of the type a DIE's DW_AT_type names; 0 (void) when it names none. */
  typeOf(die: Die): number {
    const t = die.unit.ref(die.attrs.get(DW_AT.type), this.all);
    return t ? this.idOf(t) : 0;
  }

  idOf(die: Die): number {
    const known = this.ids.get(die);
    if (known !== undefined) return known;
    const id = this.types.length;
    this.ids.set(die, id);
    // A placeholder, replaced below: a member that refers back to this type finds its id.
    this.types.push({ id, kind: 'unknown', name: '', nameOff: 0, kindNumber: die.tag, size: 0 });
    this.types[id] = this.translate(die, id);
    return id;
  }

  private translate(die: Die, id: number): BtfType {
    const u = die.unit;
    const name = u.str(die.attrs.get(DW_AT.name)) ?? '';
    const size = num(die, DW_AT.byte_size);
    const base = { id, name, nameOff: 0 };
    switch (die.tag) {
      case DW_TAG.base_type: {
        const enc = num(die, DW_AT.encoding) ?? 0;
        const bytes = size ?? 0;
        if (enc === DW_ATE.float) return { ...base, kind: 'float', size: bytes };
        let encoding = 0;
        if (enc === DW_ATE.signed || enc === DW_ATE.signed_char) encoding |= BTF_INT_SIGNED;
        if ((enc === DW_ATE.signed_char || enc === DW_ATE.unsigned_char) && name === 'char') encoding |= BTF_INT_CHAR;
        if (enc === DW_ATE.boolean) encoding |= BTF_INT_BOOL;
        return { ...base, kind: 'int', size: bytes, encoding, bitOffset: 0, bits: bytes * 8 };
      }
      case DW_TAG.pointer_type: return { ...base, kind: 'ptr', type: this.typeOf(die) };
      case DW_TAG.typedef: return { ...base, kind: 'typedef', type: this.typeOf(die) };
      case DW_TAG.const_type: return { ...base, kind: 'const', type: this.typeOf(die) };
      case DW_TAG.volatile_type: case DW_TAG.atomic_type: return { ...base, kind: 'volatile', type: this.typeOf(die) };
      case DW_TAG.restrict_type: return { ...base, kind: 'restrict', type: this.typeOf(die) };
      case DW_TAG.structure_type: case DW_TAG.union_type: {
        const kind = die.tag === DW_TAG.union_type ? 'union' : 'struct';
        if (size === undefined) return { ...base, kind: 'fwd', union: kind === 'union' };
        const members: BtfMember[] = die.children.filter((c) => c.tag === DW_TAG.member).map((m) => ({
          name: u.str(m.attrs.get(DW_AT.name)) ?? '',
          type: this.typeOf(m),
          bitOffset: num(m, DW_AT.data_bit_offset) ?? (num(m, DW_AT.data_member_location) ?? 0) * 8,
          bitfieldSize: num(m, DW_AT.bit_size) ?? 0,
        }));
        return { ...base, kind, size, kflag: members.some((m) => m.bitfieldSize > 0), members };
      }
      case DW_TAG.enumeration_type: {
        const values = die.children.filter((c) => c.tag === DW_TAG.enumerator).map((e) => {
          const a = e.attrs.get(DW_AT.const_value);
          return { name: u.str(e.attrs.get(DW_AT.name)) ?? '', value: typeof a?.value === 'bigint' ? a.value : 0n };
        });
        const signed = values.some((v) => v.value < 0n);
        return { ...base, kind: (size ?? 4) > 4 ? 'enum64' : 'enum', size: size ?? 4, signed, values };
      }
      case DW_TAG.array_type: return this.array(die, id);
      case DW_TAG.subroutine_type:
        return {
          ...base, kind: 'func_proto', type: this.typeOf(die),
          params: die.children.filter((c) => c.tag === DW_TAG.formal_parameter).map((p) => ({ name: u.str(p.attrs.get(DW_AT.name)) ?? '', type: this.typeOf(p) })),
        };
      default:
        return { ...base, kind: 'unknown', kindNumber: die.tag, size: size ?? 0 };
    }
  }

  /** `T a[2][3]` is DWARF's one array with two subranges, BTF's array of 2 arrays of 3. */
  private array(die: Die, id: number): BtfType {
    const dims = die.children.filter((c) => c.tag === DW_TAG.subrange_type).map((s) => {
      const count = num(s, DW_AT.count);
      const upper = num(s, DW_AT.upper_bound);
      return count ?? (upper !== undefined ? upper + 1 : 0);
    });
    if (dims.length === 0) dims.push(0);
    let elem = this.typeOf(die);
    for (let k = dims.length - 1; k >= 1; k--) {
      const inner = this.types.length;
      this.types.push({ id: inner, kind: 'array', name: '', nameOff: 0, type: elem, indexType: 0, nelems: dims[k] });
      elem = inner;
    }
    return { id, kind: 'array', name: '', nameOff: 0, type: elem, indexType: 0, nelems: dims[0] };
  }
}

/** A constant attribute as a non-negative number, undefined when absent or not one. */
function num(die: Die, at: number): number | undefined {
  const a = die.attrs.get(at);
  if (!a || typeof a.value !== 'bigint') return undefined;
  const v = safe(a.value);
  return v < 0 ? undefined : v;
}

