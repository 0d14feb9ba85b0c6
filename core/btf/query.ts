/**
 * Questions asked of parsed BTF: what a type is beneath its typedefs and qualifiers, how
 * big it is, and how C would spell it.
 *
 * Every function takes the `types` array of a parsed blob and a type id, and tolerates
 * garbage: an id out of range yields undefined (or '?' when printing), and reference
 * cycles (which the kernel rejects but a corrupt blob may hold) stop after MAX_DEPTH steps
 * instead of looping.
 */

import { BtfType } from './types';

/** Deeper chains than this are treated as cycles; the kernel's MAX_RESOLVE_DEPTH is 32. */
const MAX_DEPTH = 32;
/** Pointers are 8 bytes for the BPF target. */
const PTR_SIZE = 8;

const MODIFIERS = new Set(['typedef', 'const', 'volatile', 'restrict', 'type_tag']);

/**
 * The type beneath typedefs, const, volatile, restrict and type tags (libbpf's
 * skip_mods_and_typedefs()); undefined for a bad id or a cycle.
 */
export function resolveType(types: readonly BtfType[], id: number): BtfType | undefined {
  let t = types[id];
  for (let depth = 0; t && MODIFIERS.has(t.kind); depth++) {
    if (depth >= MAX_DEPTH) return undefined;
    t = types[(t as { type: number }).type];
  }
  return t;
}

/** The id beneath typedefs and qualifiers, as resolveType() but giving the id. */
export function resolveTypeId(types: readonly BtfType[], id: number): number | undefined {
  return resolveType(types, id)?.id;
}

/**
 * The size in bytes of a type, as libbpf's btf__resolve_size() computes it: VARs and
 * modifiers are followed, arrays multiply, pointers are 8 bytes. Undefined for types
 * without a size (void, functions, forward declarations), bad ids, cycles, and sizes
 * above u32 (which libbpf rejects as -E2BIG).
 */
export function typeSize(types: readonly BtfType[], id: number): number | undefined {
  let mul = 1;
  let t = types[id];
  for (let depth = 0; t && depth < MAX_DEPTH; depth++) {
    switch (t.kind) {
      case 'int': case 'enum': case 'enum64': case 'struct': case 'union': case 'datasec': case 'float': {
        const size = mul * t.size;
        return size > 0xffffffff ? undefined : size;
      }
      case 'ptr':
        return mul * PTR_SIZE > 0xffffffff ? undefined : mul * PTR_SIZE;
      case 'typedef': case 'const': case 'volatile': case 'restrict': case 'type_tag': case 'var': case 'decl_tag':
        t = types[t.type];
        break;
      case 'array':
        mul *= t.nelems;
        if (mul > 0xffffffff) return undefined;
        t = types[t.type];
        break;
      default:
        return undefined;
    }
  }
  return undefined;
}

/** The first type with this name (and kind, when given); undefined when none. */
export function findType(types: readonly BtfType[], name: string, kind?: BtfType['kind']): BtfType | undefined {
  return types.find((t) => t.name === name && (kind === undefined || t.kind === kind));
}

/**
 * A C spelling of a type, optionally declaring `declName`: `unsigned int`, `struct xdp_md *`,
 * `int (*)[4]`, `const volatile int`, `int (struct xdp_md *ctx)`. Anonymous structs print
 * as `struct (anon)`, as bpftool prints them.
 */
export function typeName(types: readonly BtfType[], id: number, declName = ''): string {
  return declare(types, id, declName, 0);
}

function join(base: string, inner: string): string {
  return inner ? `${base} ${inner}` : base;
}

function declare(types: readonly BtfType[], id: number, inner: string, depth: number): string {
  const t = types[id];
  if (!t || depth > MAX_DEPTH) return join('?', inner);
  const next = (tid: number, inn: string) => declare(types, tid, inn, depth + 1);
  const anon = (name: string) => name || '(anon)';
  switch (t.kind) {
    case 'void': return join('void', inner);
    case 'int': case 'float': case 'typedef': return join(t.name, inner);
    case 'struct': case 'union': case 'enum': return join(`${t.kind} ${anon(t.name)}`, inner);
    case 'enum64': return join(`enum ${anon(t.name)}`, inner);
    case 'fwd': return join(`${t.union ? 'union' : 'struct'} ${t.name}`, inner);
    case 'ptr': {
      const target = types[t.type];
      // A pointer to an array or a function needs parentheses: int (*p)[4], int (*f)(void).
      const wrap = target && (target.kind === 'array' || target.kind === 'func_proto');
      return next(t.type, wrap ? `(*${inner})` : `*${inner}`);
    }
    case 'const': case 'volatile': case 'restrict': {
      // A qualified pointer reads `int *const p`; a qualified value `const int p`.
      if (types[t.type]?.kind === 'ptr') return next(t.type, join(t.kind, inner));
      return `${t.kind} ${next(t.type, inner)}`;
    }
    case 'type_tag': return next(t.type, inner);
    case 'array': return next(t.type, `${inner}[${t.nelems}]`);
    case 'func_proto': {
      const params = t.params.map((p) => (p.type === 0 && !p.name ? '...' : next(p.type, p.name)));
      return next(t.type, `${inner}(${params.length ? params.join(', ') : 'void'})`);
    }
    case 'func': return next(t.type, inner || t.name);
    case 'var': return next(t.type, inner || t.name);
    case 'datasec': return join(`SEC("${t.name}")`, inner);
    case 'decl_tag': return next(t.type, inner);
    case 'unknown': return join(`<kind ${t.kindNumber}>`, inner);
  }
}
