/**
 * Bytes shown as the C type BTF says they are: a map's key and value decoded by the key
 * and value types of its BTF definition (`__type(value, struct stats)`), a struct as its
 * named fields, an array as its elements, a char array as a string, an enum by the name of
 * its value, integers in hex and decimal as the register view shows them. Plain data: the
 * debug adapter turns a TypedValue tree into DAP variables.
 *
 * `__be16`, `__be32` and `__be64` (the kernel's network-order typedefs) are read in network
 * order, so a port shows as 8080 rather than as the little-endian reading of its bytes.
 * Bytes missing at the end (a value shorter than its type) decode as `<missing>`.
 */

import { BtfType, BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, parseBtf, resolveType, typeName, typeSize } from '../btf';
import { BpfObject } from '../object';
import { MapEntryText } from './values';

export interface TypedValue {
  /** The field name, `[i]` for an array element, or the name the caller gave. */
  name: string;
  /** The C spelling of its type (`__u64`, `struct stats`, `char[16]`). */
  type: string;
  /** One line: a number, a string, or `{packets: 1, bytes: 60}` for a struct. */
  value: string;
  /** Struct fields and array elements (char arrays have none: their value is the string). */
  children?: TypedValue[];
}

/** The BTF types of one map's key and value, when its object says them. */
export interface MapBtfTypes {
  types: readonly BtfType[];
  key?: number;
  value?: number;
}

/** Arrays longer than this show their first elements only. */
const MAX_ELEMENTS = 256;
/** A summary line is cut here. */
const MAX_SUMMARY = 200;
const BIG_ENDIAN = new Set(['__be16', '__be32', '__be64']);

/** Each map of the object that has BTF key or value types, by name. */
export function mapBtfTypes(obj: BpfObject): Map<string, MapBtfTypes> {
  const out = new Map<string, MapBtfTypes>();
  const typed = obj.maps.filter((m) => m.keyTypeId !== undefined || m.valueTypeId !== undefined);
  if (!obj.btf || typed.length === 0) return out;
  const { types } = parseBtf(obj.btf);
  for (const m of typed) out.set(m.name, { types, key: m.keyTypeId, value: m.valueTypeId });
  return out;
}

/** `bytes` decoded as type `id`; a type BTF cannot size yields the bytes in hex. */
export function decodeBtfValue(types: readonly BtfType[], id: number, bytes: Uint8Array, name = ''): TypedValue {
  return decode(types, id, bytes, 0, name, 0);
}

function decode(types: readonly BtfType[], id: number, bytes: Uint8Array, bitBase: number, name: string, depth: number): TypedValue {
  const type = typeName(types, id);
  const t = resolveType(types, id);
  const size = typeSize(types, id);
  const byteOff = bitBase >> 3;
  if (!t || size === undefined || depth > 16) return { name, type, value: hexBytes(bytes.subarray(byteOff)) };
  // A struct or array cut short still shows the members that are there.
  const aggregate = t.kind === 'struct' || t.kind === 'union' || t.kind === 'array';
  if (byteOff + size > bytes.length && !(aggregate && byteOff < bytes.length)) return { name, type, value: '<missing>' };
  const at = bytes.subarray(byteOff, byteOff + size);
  switch (t.kind) {
    case 'int': {
      const raw = readUnsigned(at, bigEndian(types, id));
      const bits = t.bits < size * 8 || t.bitOffset ? extract(raw, t.bitOffset, t.bits) : raw;
      return { name, type, value: intText(bits, t.bits, t.encoding) };
    }
    case 'enum': case 'enum64': {
      const raw = readUnsigned(at, false);
      const v = t.signed ? BigInt.asIntN(size * 8, raw) : raw;
      const label = t.values.find((e) => e.value === v)?.name;
      return { name, type, value: label ? `${label} (${v})` : `${v}` };
    }
    case 'ptr':
      return { name, type, value: `0x${readUnsigned(at, false).toString(16)}` };
    case 'float': {
      const view = new DataView(at.buffer, at.byteOffset, at.byteLength);
      return { name, type, value: String(size === 4 ? view.getFloat32(0, true) : size === 8 ? view.getFloat64(0, true) : hexBytes(at)) };
    }
    case 'array': {
      const elem = resolveType(types, t.type);
      const elemSize = typeSize(types, t.type) ?? 0;
      if (elem?.kind === 'int' && elemSize === 1 && (elem.encoding & BTF_INT_CHAR || elem.name === 'char')) {
        return { name, type, value: cString(at) };
      }
      const n = Math.min(t.nelems, MAX_ELEMENTS);
      const children = Array.from({ length: n }, (_, k) => decode(types, t.type, at, k * elemSize * 8, `[${k}]`, depth + 1));
      return { name, type, value: summary('[', children.map((c) => c.value), ']', t.nelems > n), children };
    }
    case 'struct': case 'union': {
      const children = t.members.map((m, k) => {
        const label = m.name || `<anon ${k}>`;
        if (!m.bitfieldSize) return decode(types, m.type, at, m.bitOffset, label, depth + 1);
        // A bitfield: `bitfieldSize` bits from `bitOffset`, inside the struct's bytes.
        const v = extract(readUnsigned(at, false), m.bitOffset, m.bitfieldSize);
        const base = resolveType(types, m.type);
        const signed = base?.kind === 'int' ? base.encoding & BTF_INT_SIGNED : 0;
        return { name: label, type: `${typeName(types, m.type)}:${m.bitfieldSize}`, value: intText(v, m.bitfieldSize, signed) };
      });
      return { name, type, value: summary('{', children.map((c) => `${c.name}: ${short(c)}`), '}'), children };
    }
    default:
      return { name, type, value: hexBytes(at) };
  }
}

/**
 * A map entry (core/debug/values.ts mapEntries()) with its key and value decoded: named by
 * its key text, its children `key` and `value`, or `key` and `cpu0`, `cpu1`... for a per-CPU
 * map. Undefined when the map has no value type or the entry holds no bytes (a lookup
 * that failed, a prog_array slot).
 */
export function typedMapEntry(entry: MapEntryText, t: MapBtfTypes): TypedValue | undefined {
  if (t.value === undefined || (!entry.value && !entry.values)) return undefined;
  const key = t.key !== undefined && entry.key.length ? [decodeBtfValue(t.types, t.key, entry.key, 'key')] : [];
  const values = entry.values
    ? entry.values.map((v, c) => decodeBtfValue(t.types, t.value!, v, `cpu${c}`))
    : [decodeBtfValue(t.types, t.value, entry.value!, 'value')];
  const value = entry.values ? summary('', values.map((v) => `${v.name}: ${v.value}`), '') : values[0].value;
  return { name: entry.keyText, type: values[0].type, value, children: [...key, ...values] };
}

/** A number as the register view writes it: hex, then decimal (signed for signed types). */
function intText(v: bigint, bits: number, encoding: number): string {
  if (encoding & BTF_INT_BOOL) return v ? 'true' : 'false';
  const dec = encoding & BTF_INT_SIGNED ? BigInt.asIntN(bits, v) : v;
  if (encoding & BTF_INT_CHAR && v >= 0x20n && v < 0x7fn) return `${dec} '${String.fromCharCode(Number(v))}'`;
  return `0x${v.toString(16)} (${dec})`;
}

/** In a struct's summary, a number shows as its decimal only. */
function short(c: TypedValue): string {
  const m = /^0x[0-9a-f]+ \((-?\d+)\)$/.exec(c.value);
  return m ? m[1] : c.value;
}

function summary(open: string, parts: string[], close: string, more = false): string {
  const text = parts.join(', ') + (more ? ', ...' : '');
  return `${open}${text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY)}...` : text}${close}`;
}

/** Whether `id` is spelt through a network-order typedef before reaching its integer. */
function bigEndian(types: readonly BtfType[], id: number): boolean {
  for (let t = types[id], depth = 0; t && depth < 32; depth++) {
    if (t.kind === 'typedef' && BIG_ENDIAN.has(t.name)) return true;
    if (t.kind !== 'typedef' && t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict' && t.kind !== 'type_tag') return false;
    t = types[t.type];
  }
  return false;
}

function readUnsigned(bytes: Uint8Array, be: boolean): bigint {
  let v = 0n;
  for (let k = 0; k < bytes.length; k++) v = (v << 8n) | BigInt(bytes[be ? k : bytes.length - 1 - k]);
  return v;
}

function extract(v: bigint, bitOffset: number, bits: number): bigint {
  return (v >> BigInt(bitOffset)) & ((1n << BigInt(bits)) - 1n);
}

/** The text up to the first NUL, quoted, with bytes outside printable ASCII escaped. */
function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  const text = Array.from(end < 0 ? bytes : bytes.subarray(0, end), (b) =>
    b === 0x22 || b === 0x5c ? `\\${String.fromCharCode(b)}` : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`).join('');
  return `"${text}"`;
}

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
