/**
 * CO-RE access specs: what a relocation's access string ("0:1:2") means in the program's own
 * (local) BTF, and where the same access lands in a target BTF (the kernel's).
 *
 * Mirrors bpf_core_parse_spec(), bpf_core_spec_match() and the type compatibility checks of
 * libbpf's relo_core.c. A spec has two views: `raw`, one index per element of the access
 * string (anonymous structs and unions included), and `acc`, only the steps that mean
 * something to a reader (named fields and array indexes), which is what is matched by name
 * against the target. Names compare by their essential part: `task_struct___old` is a
 * flavor of `task_struct`, everything from the last `___` on being ignored.
 *
 * Pure functions over parsed BTF; failures are values (a string saying what is wrong).
 */

import { resolveType, typeSize } from './query';
import { BtfComposite, BtfEnum, BtfType, BTF_INT_SIGNED } from './types';

/** enum bpf_core_relo_kind, indexed by value, spelt as libbpf's core_relo_kind_str() prints them. */
export const CORE_RELO_KINDS = [
  'byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64',
  'local_type_id', 'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value',
  'type_matches',
] as const;

export type CoreReloKind = (typeof CORE_RELO_KINDS)[number];

export type CoreReloClass = 'field' | 'type' | 'enumval';

export function coreReloClass(kind: CoreReloKind): CoreReloClass {
  switch (kind) {
    case 'byte_off': case 'byte_sz': case 'field_exists': case 'signed': case 'lshift_u64': case 'rshift_u64':
      return 'field';
    case 'enumval_exists': case 'enumval_value':
      return 'enumval';
    default:
      return 'type';
  }
}

/** One meaningful step: a named member of a struct/union, an array index, or an enumerator. */
export interface Accessor {
  /** The struct/union (or enum) holding the member, or the array's element type. */
  typeId: number;
  idx: number;
  /** The member's or enumerator's name; undefined for an array index. */
  name?: string;
}

export interface CoreSpec {
  types: readonly BtfType[];
  /** The relocation's type id as written, before typedefs and modifiers are skipped. */
  rootId: number;
  kind: CoreReloKind;
  acc: Accessor[];
  raw: number[];
  bitOffset: number;
}

/** libbpf starts its recursive type checks at INT_MAX levels: in effect, no limit but the type graph's. */
const MAX_LEVEL = Number.MAX_SAFE_INTEGER;

/** libbpf's BPF_CORE_SPEC_MAX_LEN. */
const SPEC_MAX_LEN = 64;

/**
 * The length of a name without its flavor: `sample___flavor` -> 6. The separator is three
 * underscores between two characters that are not underscores (bpf_core_is_flavor_sep()).
 */
export function essentialNameLength(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name.startsWith('___', i + 1) && name[i + 4] !== '_') return i + 1;
  }
  return name.length;
}

export function essentialName(name: string): string {
  return name.slice(0, essentialNameLength(name));
}

function isComposite(t: BtfType | undefined): t is BtfComposite {
  return t?.kind === 'struct' || t?.kind === 'union';
}

function isEnum(t: BtfType | undefined): t is BtfEnum {
  return t?.kind === 'enum' || t?.kind === 'enum64';
}

/** The same kind, or both enums of either width (btf_kind_core_compat()). */
export function kindsCompatible(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isEnum(a) && isEnum(b));
}

/** An array that is the last member of its struct and has no elements (`char data[]`). */
function isFlexArray(types: readonly BtfType[], parent: Accessor | undefined, nelems: number): boolean {
  if (!parent?.name || nelems > 0) return false;
  const t = types[parent.typeId];
  return isComposite(t) && parent.idx === t.members.length - 1;
}

/** The local spec of a relocation, or why its access string does not fit the local BTF. */
export function parseSpec(types: readonly BtfType[], rootId: number, access: string, kind: CoreReloKind): CoreSpec | string {
  const spec: CoreSpec = { types, rootId, kind, acc: [], raw: [], bitOffset: 0 };
  if (access === '' || access.startsWith(':')) return `access string '${access}' is malformed`;
  if (coreReloClass(kind) === 'type') return access === '0' ? spec : `access string '${access}' of a type relocation is not '0'`;
  for (const part of access.split(':')) {
    if (!/^\d+$/.test(part)) return `access string '${access}' is malformed`;
    if (spec.raw.length === SPEC_MAX_LEN) return `access string '${access}' is longer than ${SPEC_MAX_LEN} steps`;
    spec.raw.push(Number(part));
  }
  const root = resolveType(types, rootId);
  if (!root) return `type [${rootId}] does not exist`;
  let id = root.id;
  const first = spec.raw[0];
  if (coreReloClass(kind) === 'enumval') {
    if (!isEnum(root) || spec.raw.length > 1 || first >= root.values.length) return `access string '${access}' does not name an enumerator of [${rootId}]`;
    spec.acc.push({ typeId: id, idx: first, name: root.values[first].name });
    return spec;
  }
  spec.acc.push({ typeId: id, idx: first });
  const rootSize = typeSize(types, id);
  if (rootSize === undefined) return `type [${id}] has no size`;
  spec.bitOffset = first * rootSize * 8;
  for (let i = 1; i < spec.raw.length; i++) {
    const t = resolveType(types, id);
    const idx = spec.raw[i];
    if (isComposite(t)) {
      if (idx >= t.members.length) return `access string '${access}': [${t.id}] has no member #${idx}`;
      const m = t.members[idx];
      spec.bitOffset += m.bitOffset;
      if (m.name) spec.acc.push({ typeId: t.id, idx, name: m.name });
      id = m.type;
    } else if (t?.kind === 'array') {
      const elem = resolveType(types, t.type);
      if (!elem) return `array [${t.id}] has no element type`;
      if (!isFlexArray(types, spec.acc[spec.acc.length - 1], t.nelems) && idx >= t.nelems) return `access string '${access}': index ${idx} is outside array [${t.id}]`;
      id = elem.id;
      spec.acc.push({ typeId: id, idx });
      const size = typeSize(types, id);
      if (size === undefined) return `type [${id}] has no size`;
      spec.bitOffset += idx * size * 8;
    } else {
      return `access string '${access}' (at step ${i}) reaches type [${id}] of kind ${t?.kind ?? '?'}, which has no members`;
    }
  }
  return spec;
}

/**
 * Whether a local field's type fits the target's (bpf_core_fields_are_compat()): any two
 * structs or unions, pointers, floats; ints that are not old-style bitfield ints; enums and
 * forward declarations of the same essential name (or one anonymous); arrays by element.
 */
function fieldsCompatible(local: readonly BtfType[], localId: number, targ: readonly BtfType[], targId: number): boolean | string {
  for (let depth = 0; depth < 32; depth++) {
    const l = resolveType(local, localId);
    const t = resolveType(targ, targId);
    if (!l || !t) return 'a field type does not resolve';
    if (isComposite(l) && isComposite(t)) return true;
    if (!kindsCompatible(l, t)) return false;
    switch (l.kind) {
      case 'ptr': case 'float': return true;
      case 'fwd': case 'enum': case 'enum64': {
        const ll = essentialNameLength(l.name), tl = essentialNameLength(t.name);
        return ll === 0 || tl === 0 || (ll === tl && l.name.slice(0, ll) === t.name.slice(0, tl));
      }
      case 'int': return l.bitOffset === 0 && (t as typeof l).bitOffset === 0;
      case 'array':
        localId = l.type;
        targId = (t as typeof l).type;
        break;
      default: return false;
    }
  }
  return 'type nesting too deep';
}

/**
 * Finds the local named member `la` in target struct/union `targId`, descending into
 * anonymous members; pushes the raw steps and the accessor onto `ts` (bpf_core_match_member()).
 */
function matchMember(ls: CoreSpec, la: Accessor, ts: CoreSpec, targId: number): { found: boolean; next: number } | string {
  const t = resolveType(ts.types, targId);
  if (!t) return `target type [${targId}] does not resolve`;
  if (!isComposite(t)) return { found: false, next: 0 };
  const localMember = (ls.types[la.typeId] as BtfComposite).members[la.idx];
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i];
    if (ts.raw.length === SPEC_MAX_LEN) return 'struct/union/array nesting too deep';
    ts.bitOffset += m.bitOffset;
    ts.raw.push(i);
    if (m.name === '') {
      const inner = matchMember(ls, la, ts, m.type);
      if (typeof inner === 'string' || inner.found) return inner;
    } else if (m.name === localMember.name) {
      const ok = fieldsCompatible(ls.types, localMember.type, ts.types, m.type);
      if (typeof ok === 'string') return ok;
      if (ok) ts.acc.push({ typeId: t.id, idx: i, name: m.name });
      return { found: ok, next: m.type };
    }
    ts.bitOffset -= m.bitOffset;
    ts.raw.pop();
  }
  return { found: false, next: 0 };
}

/**
 * The target spec of a local one at candidate `targId`: undefined when the candidate does not
 * match (a field missing, an index out of range, incompatible types), a string on an error
 * that fails the whole relocation (bpf_core_spec_match()).
 */
export function matchSpec(ls: CoreSpec, targ: readonly BtfType[], targId: number): CoreSpec | undefined | string {
  const ts: CoreSpec = { types: targ, rootId: targId, kind: ls.kind, acc: [], raw: [], bitOffset: 0 };
  const cls = coreReloClass(ls.kind);
  if (cls === 'type') {
    const ok = ls.kind === 'type_matches'
      ? typesMatch(ls.types, ls.rootId, targ, targId, false, MAX_LEVEL)
      : typesCompatible(ls.types, ls.rootId, targ, targId, MAX_LEVEL);
    return typeof ok === 'string' ? ok : ok ? ts : undefined;
  }
  if (cls === 'enumval') {
    const t = resolveType(targ, targId);
    if (!isEnum(t)) return undefined;
    const want = essentialName(ls.acc[0].name!);
    const idx = t.values.findIndex((v) => essentialName(v.name) === want);
    if (idx < 0) return undefined;
    ts.acc.push({ typeId: t.id, idx, name: t.values[idx].name });
    ts.raw.push(idx);
    return ts;
  }
  let id = targId;
  for (let i = 0; i < ls.acc.length; i++) {
    const la = ls.acc[i];
    const t = resolveType(targ, id);
    if (!t) return `target type [${id}] does not resolve`;
    if (la.name !== undefined) {
      const r = matchMember(ls, la, ts, t.id);
      if (typeof r === 'string' || !r.found) return typeof r === 'string' ? r : undefined;
      id = r.next;
      continue;
    }
    // The first step indexes the root type itself (`&p[0]`); later ones index an array.
    if (i > 0) {
      if (t.kind !== 'array') return undefined;
      if (!isFlexArray(targ, ts.acc[ts.acc.length - 1], t.nelems) && la.idx >= t.nelems) return undefined;
      const elem = resolveType(targ, t.type);
      if (!elem) return `target array [${t.id}] has no element type`;
      id = elem.id;
    } else {
      id = t.id;
    }
    if (ts.raw.length === SPEC_MAX_LEN) return 'struct/union/array nesting too deep';
    ts.acc.push({ typeId: id, idx: la.idx });
    ts.raw.push(la.idx);
    const size = typeSize(targ, id);
    if (size === undefined) return `target type [${id}] has no size`;
    ts.bitOffset += la.idx * size * 8;
  }
  return ts;
}

/**
 * Whether a local type and a candidate of the same essential name are compatible, for
 * type_exists, type_size and target_type_id (bpf_core_types_are_compat()): kinds agree after
 * typedefs; pointers and arrays by target; function prototypes argument by argument.
 */
export function typesCompatible(local: readonly BtfType[], localId: number, targ: readonly BtfType[], targId: number, level: number): boolean | string {
  if (!local[localId] || !targ[targId]) return 'a type does not exist';
  if (!kindsCompatible(local[localId], targ[targId])) return false;
  for (let depth = 0; depth < 32; depth++) {
    const l = resolveType(local, localId);
    const t = resolveType(targ, targId);
    if (!l || !t) return 'a type does not resolve';
    if (!kindsCompatible(l, t)) return false;
    switch (l.kind) {
      case 'void': case 'struct': case 'union': case 'enum': case 'enum64': case 'fwd': return true;
      case 'int': return l.bitOffset === 0 && (t as typeof l).bitOffset === 0;
      case 'ptr': case 'array':
        localId = l.type;
        targId = (t as typeof l).type;
        break;
      case 'func_proto': {
        const tp = t as typeof l;
        if (l.params.length !== tp.params.length) return false;
        for (let i = 0; i < l.params.length; i++) {
          if (level <= 0) return 'function prototypes nest too deep';
          const r = typesCompatible(local, resolveType(local, l.params[i].type)?.id ?? 0, targ, resolveType(targ, tp.params[i].type)?.id ?? 0, level - 1);
          if (r !== true) return r;
        }
        localId = resolveType(local, l.type)?.id ?? 0;
        targId = resolveType(targ, tp.type)?.id ?? 0;
        break;
      }
      default: return false;
    }
  }
  return 'type nesting too deep';
}

/** Names agree by their essential part; an anonymous target matches only an anonymous local. */
function namesMatch(localName: string, targName: string): boolean {
  if (targName === '') return localName === '';
  return essentialName(localName) === essentialName(targName);
}

/**
 * The stricter relation of type_matches (bpf_core_types_match()): same kinds (a struct or
 * union behind a pointer may meet a forward declaration), ints of the same size and sign,
 * arrays of the same length, every local member and enumerator present in the target.
 */
export function typesMatch(local: readonly BtfType[], localId: number, targ: readonly BtfType[], targId: number, behindPtr: boolean, level: number): boolean | string {
  if (level <= 0) return 'types nest too deep';
  for (let depth = 0; depth < 32; depth++) {
    const l = resolveType(local, localId);
    const t = resolveType(targ, targId);
    if (!l || !t) return 'a type does not resolve';
    if (!namesMatch(l.name, t.name)) return false;
    switch (l.kind) {
      case 'void': return t.kind === 'void';
      case 'fwd':
        if (behindPtr && t.kind !== 'fwd') return (t.kind === 'struct' && !l.union) || (t.kind === 'union' && l.union);
        return t.kind === 'fwd' && l.union === t.union;
      case 'enum': case 'enum64':
        return isEnum(t) && l.size === t.size && l.values.length <= t.values.length
          && l.values.every((v) => t.values.some((w) => namesMatch(v.name, w.name)));
      case 'struct': case 'union':
        if (behindPtr) return l.kind === t.kind || (t.kind === 'fwd' && (l.kind === 'union') === t.union);
        if (l.kind !== t.kind) return false;
        return compositesMatch(local, l, targ, t as BtfComposite, level);
      case 'int':
        return t.kind === 'int' && l.size === t.size && (l.encoding & BTF_INT_SIGNED) === (t.encoding & BTF_INT_SIGNED);
      case 'ptr':
        if (t.kind !== 'ptr') return false;
        behindPtr = true;
        localId = l.type;
        targId = t.type;
        break;
      case 'array':
        if (t.kind !== 'array' || l.nelems !== t.nelems) return false;
        localId = l.type;
        targId = t.type;
        break;
      case 'func_proto': {
        if (t.kind !== 'func_proto' || l.params.length !== t.params.length) return false;
        for (let i = 0; i < l.params.length; i++) {
          const r = typesMatch(local, l.params[i].type, targ, t.params[i].type, behindPtr, level - 1);
          if (r !== true) return r;
        }
        localId = l.type;
        targId = t.type;
        break;
      }
      default: return false;
    }
  }
  return 'type nesting too deep';
}

function compositesMatch(local: readonly BtfType[], l: BtfComposite, targ: readonly BtfType[], t: BtfComposite, level: number): boolean | string {
  if (l.members.length > t.members.length) return false;
  for (const lm of l.members) {
    let matched = false;
    for (const tm of t.members) {
      if (!namesMatch(lm.name, tm.name)) continue;
      const r = typesMatch(local, lm.type, targ, tm.type, false, level - 1);
      if (typeof r === 'string') return r;
      if (r) { matched = true; break; }
    }
    if (!matched) return false;
  }
  return true;
}

/** libbpf's bpf_core_format_spec() in short: `struct task_struct.real_parent (0:75)`. */
export function formatSpec(spec: CoreSpec): string {
  const root = spec.types[spec.rootId];
  const kindWord = root?.kind === 'enum64' ? 'enum' : root?.kind ?? '?';
  let s = `[${spec.rootId}] ${kindWord} ${root?.name || '<anon>'}`;
  const cls = coreReloClass(spec.kind);
  if (cls === 'type') return s;
  if (cls === 'enumval') return `${s}::${spec.acc[0]?.name ?? '?'}`;
  spec.acc.forEach((a, i) => {
    if (a.name !== undefined) s += `.${a.name}`;
    else if (i > 0 || a.idx > 0) s += `[${a.idx}]`;
  });
  return `${s} (${spec.raw.join(':')})`;
}
