/**
 * The `.maps` section and the `.BTF` that describes it, the way libbpf's BTF-defined maps
 * expect (src/libbpf.c, parse_btf_map_def()): one global VAR per map in a DATASEC named
 * `.maps`, typed as a struct whose members encode the definition in their *types*:
 *
 *   struct {
 *     int (*type)[BPF_MAP_TYPE_HASH];      // an integer N is spelt "pointer to int[N]"
 *     int (*key_size)[4];
 *     int (*value_size)[8];
 *     int (*max_entries)[1024];
 *     int (*map_flags)[0];                 // left out when 0, as clang leaves out unset fields
 *     struct { ... } *values[];            // map-in-map only: the inner map's definition
 *   } name SEC(".maps");
 *
 * Each member is a pointer (8 bytes), so a definition occupies 8 bytes per member in the
 * section, and its bytes are all zero. The DATASEC carries real sizes and offsets (as the
 * BPF static linker writes them) rather than clang's zeros, which libbpf accepts either way
 * (btf_fixup_datasec() only fills in a zero size).
 *
 * Which maps get a VAR: every map of the object, except a map that only serves as another
 * map's inner definition and cannot be a variable anyway (the reader's synthesized
 * `<outer>.inner`: its name is not a C identifier).
 */

import { Diagnostic, error } from '../diag';
import { BtfBuilder, isIdentifier, MemberSpec } from '../btf/build';
import { MapDef } from '../object';
import { mapTypeByName } from '../maps/table';

export interface MapLayout {
  name: string;
  /** Byte offset of the definition in `.maps`. */
  offset: number;
  size: number;
}

export interface MapsBtf {
  /** The bytes of `.maps` (zeros). */
  data: Uint8Array;
  /** The maps that have a symbol, in section order. */
  layout: MapLayout[];
  /** The `.BTF` blob. */
  btf: Uint8Array;
}

/** Builds `.maps` and `.BTF` for the object's maps; undefined when there are none to write. */
export function buildMapsBtf(maps: readonly MapDef[], diags: Diagnostic[]): MapsBtf | undefined {
  const written = maps.filter((m) => !isTemplateOnly(m, maps));
  if (written.length === 0) return undefined;
  const b = new BtfBuilder();
  const intId = b.int('int', 4, { signed: true });
  // clang's index type for arrays; the kernel wants an INT there.
  const indexId = b.int('__ARRAY_SIZE_TYPE__', 4);
  const ptrToArrayOf = new Map<number, number>();
  const numberType = (n: number): number => {
    let id = ptrToArrayOf.get(n);
    if (id === undefined) {
      id = b.ptr(b.array(intId, indexId, n));
      ptrToArrayOf.set(n, id);
    }
    return id;
  };

  /** The definition struct of a map: its type id and its size in bytes (8 per integer member). */
  const defStruct = (m: MapDef, isInner: boolean): { id: number; size: number } => {
    const fields: [string, number][] = [['type', typeNumber(m, diags)]];
    const mapInMap = mapTypeByName(m.type)?.mapInMap ?? false;
    if (m.keySize) fields.push(['key_size', m.keySize]);
    // A map-in-map's value size is implied by `values` (libbpf sets 4 and refuses any other).
    if (m.valueSize && !(mapInMap && m.inner)) fields.push(['value_size', m.valueSize]);
    fields.push(['max_entries', m.maxEntries]);
    if (m.flags) fields.push(['map_flags', m.flags]);
    const members: MemberSpec[] = fields.map(([name, n], i) => ({ name, type: numberType(n), bitOffset: i * 64 }));
    if (mapInMap && m.inner !== undefined && !isInner) {
      const inner = maps.find((x) => x.name === m.inner);
      if (!inner) {
        diags.push(error('elf', `map '${m.name}': its inner map '${m.inner}' is not defined; the object has no inner map definition for it`));
      } else {
        const innerPtr = b.ptr(defStruct(inner, true).id);
        members.push({ name: 'values', type: b.array(innerPtr, indexId, 0), bitOffset: fields.length * 64 });
      }
    } else if (mapInMap && !isInner) {
      diags.push(error('elf', `map '${m.name}' is a ${m.type} without an inner map; libbpf cannot create it (give it inner=NAME)`));
    }
    // `values` is a zero-length array: it adds a member but no bytes.
    const size = fields.length * 8;
    return { id: b.struct('', size, members), size };
  };

  const layout: MapLayout[] = [];
  const vars: { type: number; offset: number; size: number }[] = [];
  let offset = 0;
  for (const m of written) {
    if (!isIdentifier(m.name)) {
      diags.push(error('elf', `map name '${m.name}' is not a C identifier; the kernel refuses it as a BTF variable name`));
      continue;
    }
    const { id: structId, size } = defStruct(m, false);
    const varId = b.var(m.name, structId);
    vars.push({ type: varId, offset, size });
    layout.push({ name: m.name, offset, size });
    offset += size;
  }
  if (vars.length === 0) return undefined;
  b.datasec('.maps', offset, vars);
  return { data: new Uint8Array(offset), layout, btf: b.build() };
}

/** Whether a map is only another map's inner definition and cannot stand alone. */
export function isTemplateOnly(m: MapDef, maps: readonly MapDef[]): boolean {
  return !isIdentifier(m.name) && maps.some((x) => x.inner === m.name);
}

function typeNumber(m: MapDef, diags: Diagnostic[]): number {
  // `unknown_N` is how the reader names a type number the table does not know; keep N.
  const id = mapTypeByName(m.type)?.id ?? /^unknown_(\d+)$/.exec(m.type)?.[1];
  if (id === undefined) {
    diags.push(error('elf', `map '${m.name}': unknown map type '${m.type}'`));
    return 0;
  }
  return Number(id);
}
