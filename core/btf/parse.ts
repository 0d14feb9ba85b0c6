/**
 * The BTF reader: a `.BTF` section (or /sys/kernel/btf/vmlinux) into `BtfType`s.
 *
 * Layout (include/uapi/linux/btf.h): a `struct btf_header`, then, at offsets counted from
 * the end of the header, the type section (a run of `struct btf_type`, each followed by
 * kind-specific data whose length follows from kind and vlen) and the string section
 * (NUL-terminated names; offset 0 is the empty name).
 *
 * It never throws. Whatever is wrong (bad magic, offsets outside the blob, a truncated
 * type, an unknown kind, a name offset outside the strings, a reference to a type id that
 * does not exist) becomes a diagnostic with code 'btf', and every type read before the
 * fault is returned. An unknown kind stops the walk, as it does in the kernel's
 * btf_check_all_metas(): without knowing the kind, the length of its data is unknown.
 * Only little-endian BTF is read (BPF objects for x86 and arm64 hosts); a byte-swapped
 * magic is reported as such.
 */

import { Diagnostic, error, warning } from '../diag';
import { cString, fits, viewOf } from './bytes';
import {
  BTF_HEADER_LEN, BTF_KINDS, BTF_MAGIC, BTF_TYPE_LEN, BTF_VERSION, BtfEnumValue, BtfKindName, BtfMember, BtfParam, BtfType,
  BtfVarSecinfo, VOID_TYPE,
} from './types';

export interface Btf {
  /** Indexed by type id; `types[0]` is void. */
  types: BtfType[];
  /** The raw string section (offset 0 holds the empty string). */
  strings: Uint8Array;
  diagnostics: Diagnostic[];
}

export function parseBtf(bytes: Uint8Array): Btf {
  const diagnostics: Diagnostic[] = [];
  const types: BtfType[] = [VOID_TYPE];
  const empty: Btf = { types, strings: new Uint8Array(1), diagnostics };
  const fail = (message: string) => diagnostics.push(error('btf', message));

  if (bytes.byteLength < BTF_HEADER_LEN) {
    fail(`BTF is ${bytes.byteLength} bytes long, shorter than its ${BTF_HEADER_LEN}-byte header`);
    return empty;
  }
  const view = viewOf(bytes);
  const magic = view.getUint16(0, true);
  if (magic !== BTF_MAGIC) {
    fail(
      magic === 0x9feb
        ? 'BTF is big-endian; only little-endian BTF is supported'
        : `BTF magic is 0x${magic.toString(16)}, expected 0xeb9f`,
    );
    return empty;
  }
  const version = view.getUint8(2);
  if (version !== BTF_VERSION) fail(`BTF version is ${version}, expected ${BTF_VERSION}`);
  if (view.getUint8(3) !== 0) diagnostics.push(warning('btf', `BTF header flags are 0x${view.getUint8(3).toString(16)}, expected 0`));
  const hdrLen = view.getUint32(4, true);
  if (hdrLen < BTF_HEADER_LEN || hdrLen > bytes.byteLength) {
    fail(`BTF header length ${hdrLen} is outside 24..${bytes.byteLength}`);
    return empty;
  }
  const typeOff = view.getUint32(8, true);
  const typeLen = view.getUint32(12, true);
  const strOff = view.getUint32(16, true);
  const strLen = view.getUint32(20, true);
  const body = bytes.byteLength - hdrLen;

  let strings = empty.strings;
  if (!fits(body, strOff, strLen)) {
    fail(`BTF string section (offset ${strOff}, ${strLen} bytes) runs past the end of the ${body}-byte data`);
  } else {
    strings = bytes.slice(hdrLen + strOff, hdrLen + strOff + strLen);
    // The kernel (btf_parse_str_sec) wants a leading and a trailing NUL.
    if (strLen === 0 || strings[0] !== 0) fail('BTF string section does not start with an empty string');
    else if (strings[strLen - 1] !== 0) fail('BTF string section does not end with a NUL byte');
  }

  if (!fits(body, typeOff, typeLen)) {
    fail(`BTF type section (offset ${typeOff}, ${typeLen} bytes) runs past the end of the ${body}-byte data`);
    return { types, strings, diagnostics };
  }
  if (typeOff % 4 !== 0) fail(`BTF type section offset ${typeOff} is not 4-byte aligned`);
  readTypes(bytes, hdrLen + typeOff, hdrLen + typeOff + typeLen, strings, types, fail);
  checkReferences(types, diagnostics);
  return { types, strings, diagnostics };
}

/** The string at `off` in a BTF string section; undefined for an offset outside it. */
export function btfString(strings: Uint8Array, off: number): string | undefined {
  return cString(strings, off);
}

/** Bytes of kind-specific data that follow `struct btf_type`, or undefined for an unknown kind. */
export function btfExtraLen(kind: number, vlen: number): number | undefined {
  switch (BTF_KINDS[kind] as BtfKindName | undefined) {
    case 'int': case 'var': case 'decl_tag': return 4;
    case 'array': return 12;
    case 'struct': case 'union': case 'datasec': case 'enum64': return 12 * vlen;
    case 'enum': case 'func_proto': return 8 * vlen;
    case 'ptr': case 'fwd': case 'typedef': case 'volatile': case 'const': case 'restrict':
    case 'func': case 'float': case 'type_tag':
      return 0;
    default: return undefined;
  }
}

function readTypes(
  bytes: Uint8Array, start: number, end: number, strings: Uint8Array, types: BtfType[],
  fail: (m: string) => void,
): void {
  // Written for speed as well as safety: vmlinux has over 100,000 types, so the loop
  // allocates nothing but the types themselves.
  const view = viewOf(bytes);
  // A broken string section would otherwise give one diagnostic per name: report the first few.
  let badNames = 0;
  const name = (id: number, off: number, what: string): string => {
    const s = btfString(strings, off);
    if (s !== undefined) return s;
    if (++badNames <= MAX_NAME_DIAGS) fail(`BTF type [${id}]: ${what} offset ${off} is outside the string section`);
    return '';
  };
  walkTypes(view, start, end, types, name, fail);
  if (badNames > MAX_NAME_DIAGS) fail(`BTF: ${badNames - MAX_NAME_DIAGS} more name offsets are outside the string section`);
}

/** Past this many, bad names and dangling references are counted rather than listed. */
const MAX_NAME_DIAGS = 20;

function walkTypes(
  view: DataView, start: number, end: number, types: BtfType[],
  name: (id: number, off: number, what: string) => string, fail: (m: string) => void,
): void {
  let off = start;
  while (off < end) {
    const id = types.length;
    if (off + BTF_TYPE_LEN > end) {
      fail(`BTF type [${id}] is truncated: ${end - off} bytes left, a type needs ${BTF_TYPE_LEN}`);
      return;
    }
    const nameOff = view.getUint32(off, true);
    const info = view.getUint32(off + 4, true);
    const sizeOrType = view.getUint32(off + 8, true);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const extra = btfExtraLen(kind, vlen);
    const tname = name(id, nameOff, 'name');
    if (extra === undefined || kind === 0) {
      fail(`BTF type [${id}] has unknown kind ${kind}; the types after it cannot be read`);
      types.push({ id, kind: 'unknown', kindNumber: kind, name: tname, nameOff, size: sizeOrType });
      return;
    }
    const d = off + BTF_TYPE_LEN;
    if (d + extra > end) {
      fail(`BTF type [${id}] (${BTF_KINDS[kind]}) is truncated: it needs ${extra} bytes of data, ${end - d} are left`);
      return;
    }
    types.push(readType(view, d, id, tname, nameOff, BTF_KINDS[kind], vlen, kflag, sizeOrType, name));
    off = d + extra;
  }
}

/** One type whose data starts at `d` and is known to lie inside the type section. */
function readType(
  view: DataView, d: number, id: number, name: string, nameOff: number, kind: BtfKindName, vlen: number, kflag: boolean,
  sizeOrType: number, str: (id: number, off: number, what: string) => string,
): BtfType {
  switch (kind) {
    case 'int': {
      const v = view.getUint32(d, true);
      return { id, name, nameOff, kind, size: sizeOrType, encoding: (v >>> 24) & 0x0f, bitOffset: (v >>> 16) & 0xff, bits: v & 0xff };
    }
    case 'array':
      return { id, name, nameOff, kind, type: view.getUint32(d, true), indexType: view.getUint32(d + 4, true), nelems: view.getUint32(d + 8, true) };
    case 'struct': case 'union': {
      const members: BtfMember[] = new Array(vlen);
      for (let i = 0, at = d; i < vlen; i++, at += 12) {
        const raw = view.getUint32(at + 8, true);
        members[i] = {
          name: str(id, view.getUint32(at, true), `member ${i} name`),
          type: view.getUint32(at + 4, true),
          // With kind_flag the top byte is the bitfield size (BTF_MEMBER_BITFIELD_SIZE).
          bitOffset: kflag ? raw & 0xffffff : raw,
          bitfieldSize: kflag ? raw >>> 24 : 0,
        };
      }
      return { id, name, nameOff, kind, size: sizeOrType, kflag, members };
    }
    case 'enum': case 'enum64': {
      const values: BtfEnumValue[] = new Array(vlen);
      const rec = kind === 'enum' ? 8 : 12;
      for (let i = 0, at = d; i < vlen; i++, at += rec) {
        const lo = view.getUint32(at + 4, true);
        let value: bigint;
        if (kind === 'enum') value = kflag ? BigInt(lo | 0) : BigInt(lo);
        else {
          const raw = (BigInt(view.getUint32(at + 8, true)) << 32n) | BigInt(lo);
          value = kflag ? BigInt.asIntN(64, raw) : raw;
        }
        values[i] = { name: str(id, view.getUint32(at, true), `enumerator ${i} name`), value };
      }
      return { id, name, nameOff, kind, size: sizeOrType, signed: kflag, values };
    }
    case 'fwd':
      return { id, name, nameOff, kind, union: kflag };
    case 'func':
      return { id, name, nameOff, kind, type: sizeOrType, linkage: vlen };
    case 'func_proto': {
      const params: BtfParam[] = new Array(vlen);
      for (let i = 0, at = d; i < vlen; i++, at += 8) {
        params[i] = { name: str(id, view.getUint32(at, true), `parameter ${i} name`), type: view.getUint32(at + 4, true) };
      }
      return { id, name, nameOff, kind, type: sizeOrType, params };
    }
    case 'var':
      return { id, name, nameOff, kind, type: sizeOrType, linkage: view.getUint32(d, true) };
    case 'datasec': {
      const vars: BtfVarSecinfo[] = new Array(vlen);
      for (let i = 0, at = d; i < vlen; i++, at += 12) {
        vars[i] = { type: view.getUint32(at, true), offset: view.getUint32(at + 4, true), size: view.getUint32(at + 8, true) };
      }
      return { id, name, nameOff, kind, size: sizeOrType, vars };
    }
    case 'float':
      return { id, name, nameOff, kind, size: sizeOrType };
    case 'decl_tag':
      return { id, name, nameOff, kind, type: sizeOrType, componentIdx: view.getInt32(d, true) };
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
      return { id, name, nameOff, kind, type: sizeOrType };
    case 'void':
      return { id, name, nameOff, kind };
  }
}

/** Every type id a type refers to, for the dangling-reference check. */
export function referencedIds(t: BtfType): number[] {
  switch (t.kind) {
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
    case 'func': case 'var': case 'decl_tag':
      return [t.type];
    case 'array': return [t.type, t.indexType];
    case 'struct': case 'union': return t.members.map((m) => m.type);
    case 'func_proto': return [t.type, ...t.params.map((p) => p.type)];
    case 'datasec': return t.vars.map((v) => v.type);
    default: return [];
  }
}

function checkReferences(types: BtfType[], diagnostics: Diagnostic[]): void {
  const n = types.length;
  let nBad = 0;
  for (const t of types) {
    // The common single-reference kinds first, without building an array.
    const one = (t as { type?: number }).type;
    const bad = t.kind === 'array' || t.kind === 'struct' || t.kind === 'union' || t.kind === 'func_proto' || t.kind === 'datasec'
      ? referencedIds(t).find((ref) => ref >= n)
      : one !== undefined && one >= n ? one : undefined;
    if (bad === undefined) continue;
    if (++nBad <= MAX_NAME_DIAGS) diagnostics.push(error('btf', `BTF type [${t.id}] (${t.kind}) refers to type [${bad}], which does not exist`));
  }
  if (nBad > MAX_NAME_DIAGS) diagnostics.push(error('btf', `BTF: ${nBad - MAX_NAME_DIAGS} more types refer to types that do not exist`));
}
