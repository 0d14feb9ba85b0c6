/**
 * Map definitions from an ELF object: the legacy `maps` section (an array of struct
 * bpf_map_def, one symbol per map) and BTF-defined `.maps` (a DATASEC whose VARs are
 * structs describing each map through the *types* of their members).
 *
 * BTF-defined maps follow libbpf's parse_btf_map_def() (src/libbpf.c): an integer
 * attribute is spelt `int (*name)[N]`, a pointer to an array whose element count is the
 * value; `key`/`value` are pointers to the key and value types, whose sizes are computed;
 * `values` (last member, a zero-length array of pointers) gives the inner map definition
 * of a map-in-map, which becomes a map of its own named `<outer>.inner`, as libbpf names
 * it. Where libbpf would refuse the object (an unknown member, conflicting sizes, a map
 * without a type) this reports an 'elf' error naming the map, with libbpf's wording where
 * it has one, and keeps what could be read.
 */

import { Diagnostic, error, warning } from '../diag';
import { viewOf } from '../btf/bytes';
import { Btf } from '../btf/parse';
import { resolveType, typeSize } from '../btf/query';
import { BTF_VAR_GLOBAL_ALLOCATED, BtfComposite, BtfMember } from '../btf/types';
import { MapDef } from '../object';
import { ElfSection, ElfSymbol, STT_SECTION } from './format';
import { mapTypeById } from '../maps/table';

/** struct bpf_map_def of the legacy `maps` section: five u32 fields. */
const LEGACY_DEF_SIZE = 20;

/** Maps of a legacy `maps` section: one per (non-section) symbol defined in it. */
export function legacyMaps(sec: ElfSection, symbols: readonly ElfSymbol[], diags: Diagnostic[]): MapDef[] {
  const syms = symbols
    .filter((s) => s.shndx === sec.index && s.type !== STT_SECTION && s.name !== '')
    .sort((a, b) => a.value - b.value);
  if (syms.length === 0) {
    if (sec.data.byteLength > 0) diags.push(error('elf', `section ${sec.name} holds map definitions but no symbol names them`));
    return [];
  }
  // As libbpf did before 1.0: every definition has the same size, the section size over the map count.
  const defSize = Math.floor(sec.data.byteLength / syms.length);
  const view = viewOf(sec.data);
  const maps: MapDef[] = [];
  for (const s of syms) {
    if (s.value + Math.min(defSize, LEGACY_DEF_SIZE) > sec.data.byteLength || defSize === 0) {
      diags.push(error('elf', `map '${s.name}': its definition at offset ${s.value} lies outside section ${sec.name}`));
      continue;
    }
    // A shorter definition reads as zeros beyond its end, as libbpf's legacy loader did.
    const field = (i: number) => (i * 4 + 4 <= defSize ? view.getUint32(s.value + i * 4, true) : 0);
    if (field(0) === 0) diags.push(error('elf', `map '${s.name}': map type isn't specified`));
    maps.push({
      name: s.name,
      type: typeNameOf(s.name, field(0), diags),
      keySize: field(1),
      valueSize: field(2),
      maxEntries: field(3),
      flags: field(4),
    });
  }
  return maps;
}

/** Maps of the `.maps` section, described by the DATASEC of the same name in BTF. */
export function btfMaps(btf: Btf | undefined, secName: string, diags: Diagnostic[]): MapDef[] {
  if (!btf) {
    diags.push(error('elf', `section ${secName} holds BTF-defined maps, but the object has no .BTF section to describe them`));
    return [];
  }
  const types = btf.types;
  const sec = types.find((t) => t.kind === 'datasec' && t.name === secName);
  if (!sec || sec.kind !== 'datasec') {
    diags.push(error('elf', `section ${secName} has no DATASEC in .BTF describing its maps`));
    return [];
  }
  const maps: MapDef[] = [];
  for (const [i, vi] of sec.vars.entries()) {
    const v = types[vi.type];
    if (!v || v.kind !== 'var') {
      diags.push(error('elf', `map #${i} in ${secName}: unexpected var kind ${v?.kind ?? 'missing type'}`));
      continue;
    }
    if (!v.name) {
      diags.push(error('elf', `map #${i} in ${secName}: empty name`));
      continue;
    }
    if (v.linkage !== BTF_VAR_GLOBAL_ALLOCATED) {
      // libbpf refuses static and extern maps ("unsupported map linkage").
      diags.push(error('elf', `map '${v.name}': unsupported map linkage ${v.linkage === 0 ? 'static' : 'extern'}`));
    }
    const def = resolveType(types, v.type);
    if (!def || def.kind !== 'struct') {
      diags.push(error('elf', `map '${v.name}': unexpected def kind ${def?.kind ?? 'missing type'}`));
      continue;
    }
    const parsed = parseMapDef(btf, v.name, def, false, diags);
    maps.push(parsed.map);
    if (parsed.inner) maps.push(parsed.inner);
  }
  return maps;
}

interface Parsed {
  map: MapDef;
  inner?: MapDef;
}

/** Mirrors libbpf's parse_btf_map_def(); `isInner` forbids a nested `values`. */
function parseMapDef(btf: Btf, name: string, def: BtfComposite, isInner: boolean, diags: Diagnostic[]): Parsed {
  const types = btf.types;
  const fail = (m: string) => diags.push(error('elf', `map '${name}': ${m}`));
  let typeId = 0;
  const map: MapDef = { name, type: 'unspec', keySize: 0, valueSize: 0, maxEntries: 0, flags: 0 };
  let inner: MapDef | undefined;
  const setSize = (which: 'keySize' | 'valueSize', sz: number) => {
    if (map[which] && map[which] !== sz) fail(`conflicting ${which === 'keySize' ? 'key' : 'value'} size ${map[which]} != ${sz}`);
    else map[which] = sz;
  };
  for (const [i, m] of def.members.entries()) {
    switch (m.name) {
      case 'type': typeId = fieldInt(btf, name, m, diags) ?? typeId; break;
      case 'max_entries': map.maxEntries = fieldInt(btf, name, m, diags) ?? 0; break;
      case 'map_flags': map.flags = fieldInt(btf, name, m, diags) ?? 0; break;
      case 'key_size': case 'value_size': {
        const sz = fieldInt(btf, name, m, diags);
        if (sz !== undefined) setSize(m.name === 'key_size' ? 'keySize' : 'valueSize', sz);
        break;
      }
      case 'key': case 'value': {
        const p = types[m.type];
        if (!p || p.kind !== 'ptr') {
          fail(`${m.name} spec is not PTR: ${p?.kind ?? 'missing type'}`);
          break;
        }
        const sz = typeSize(types, p.type);
        if (sz === undefined) {
          fail(`can't determine ${m.name} size for type [${p.type}]`);
          break;
        }
        setSize(m.name === 'key' ? 'keySize' : 'valueSize', sz);
        if (m.name === 'key') map.keyTypeId = p.type;
        else map.valueTypeId = p.type;
        break;
      }
      case 'values':
        inner = parseValues(btf, name, map, typeId, m, i === def.members.length - 1, isInner, diags);
        break;
      // Accepted by libbpf and without a place in MapDef.
      case 'numa_node': case 'pinning': case 'map_extra':
        break;
      default:
        fail(`unknown field '${m.name}'`);
    }
  }
  if (typeId === 0) fail("map type isn't specified");
  map.type = typeNameOf(name, typeId, diags);
  return { map, inner };
}

/** The `values` member: a map-in-map's inner definition or a prog_array's initial programs. */
function parseValues(
  btf: Btf, name: string, map: MapDef, typeId: number, m: BtfMember, isLast: boolean, isInner: boolean, diags: Diagnostic[],
): MapDef | undefined {
  const fail = (msg: string) => diags.push(error('elf', `map '${name}': ${msg}`));
  const row = mapTypeById(typeId);
  const mapInMap = row?.mapInMap ?? false;
  if (isInner) return void fail('multi-level inner maps not supported');
  if (!isLast) return void fail("'values' member should be last");
  if (!mapInMap && row?.name !== 'prog_array') return void fail('should be map-in-map or prog-array');
  if (map.valueSize && map.valueSize !== 4) return void fail(`conflicting value size ${map.valueSize} != 4`);
  map.valueSize = 4;
  const arr = btf.types[m.type];
  if (!arr || arr.kind !== 'array' || arr.nelems !== 0) return void fail(`${mapInMap ? 'map-in-map inner' : 'prog-array value'} spec is not a zero-sized array`);
  const ptr = resolveType(btf.types, arr.type);
  if (!ptr || ptr.kind !== 'ptr') return void fail(`values def is of unexpected kind ${ptr?.kind ?? 'missing type'}`);
  const target = resolveType(btf.types, ptr.type);
  if (!mapInMap) {
    if (target?.kind !== 'func_proto') fail(`prog-array value def is of unexpected kind ${target?.kind ?? 'missing type'}`);
    return undefined;
  }
  if (!target || target.kind !== 'struct') return void fail(`map-in-map inner def is of unexpected kind ${target?.kind ?? 'missing type'}`);
  const innerName = `${name}.inner`;
  const inner = parseMapDef(btf, innerName, target, true, diags).map;
  map.inner = innerName;
  return inner;
}

/** An `int (*name)[N]` member's N (libbpf's get_map_field_int()). */
function fieldInt(btf: Btf, mapName: string, m: BtfMember, diags: Diagnostic[]): number | undefined {
  const fail = (msg: string) => void diags.push(error('elf', `map '${mapName}': attr '${m.name}': ${msg}`));
  const p = resolveType(btf.types, m.type);
  if (!p || p.kind !== 'ptr') return fail(`expected PTR, got ${p?.kind ?? 'missing type'}`);
  const arr = btf.types[p.type];
  if (!arr) return fail(`type [${p.type}] not found`);
  if (arr.kind !== 'array') return fail(`expected ARRAY, got ${arr.kind}`);
  return arr.nelems;
}

/**
 * The map type's name from the map-type table; 0 reads as 'unspec' (the callers report a
 * missing type), a number the table does not know as `unknown_N`, with a warning.
 */
function typeNameOf(mapName: string, id: number, diags: Diagnostic[]): string {
  if (id === 0) return 'unspec';
  const row = mapTypeById(id);
  if (row) return row.name;
  diags.push(warning('elf', `map '${mapName}': unknown map type ${id}`));
  return `unknown_${id}`;
}
