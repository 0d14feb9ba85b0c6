/**
 * llvm-dwarfdump-19 --debug-info output as records, for the differential tests of core/dwarf:
 * each DIE by offset with its tag, its depth, and the attributes the tests compare (name,
 * type, location, constant value, ranges, abstract origin).
 */

export interface DumpDie {
  offset: number;
  tag: string;
  depth: number;
  /** Index of the parent DIE in the list, -1 for a unit's root. */
  parent: number;
  name?: string;
  /** The type's name as dwarfdump prints it (`xdp_md *`), and the DIE it names. */
  type?: { offset: number; name: string };
  origin?: number;
  lowPc?: number;
  highPc?: number;
  /** DW_AT_ranges entries. */
  ranges?: [number, number][];
  /** A single expression, normalised (see normExpr). */
  expr?: string;
  /** A location list's entries. */
  list?: { start: number; end: number; expr: string }[];
  constValue?: string;
}

const DIE_LINE = /^0x([0-9a-f]{8}):(\s+)(DW_TAG_\w+|NULL)/;
const ATTR_LINE = /^\s+(DW_AT_\w+)\s*\((.*)$/;
const RANGE_LINE = /^\s+\[0x([0-9a-f]+), 0x([0-9a-f]+)\)(?::\s*(.*?))?\)*$/;

export function parseDwarfdump(text: string): DumpDie[] {
  const dies: DumpDie[] = [];
  const stack: { indent: number; idx: number }[] = [];
  let cur: DumpDie | undefined;
  let attr = '';
  for (const line of text.split('\n')) {
    const d = DIE_LINE.exec(line);
    if (d) {
      const indent = d[2].length;
      while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
      if (d[3] === 'NULL') { cur = undefined; continue; }
      cur = { offset: parseInt(d[1], 16), tag: d[3], depth: stack.length, parent: stack.length ? stack[stack.length - 1].idx : -1 };
      stack.push({ indent, idx: dies.length });
      dies.push(cur);
      continue;
    }
    if (!cur) continue;
    const a = ATTR_LINE.exec(line);
    if (a) {
      attr = a[1];
      const body = a[2];
      switch (attr) {
        case 'DW_AT_name': cur.name = /^"(.*)"\)$/.exec(body)?.[1]; break;
        case 'DW_AT_type': { const m = /^0x([0-9a-f]+) "(.*)"\)$/.exec(body); if (m) cur.type = { offset: parseInt(m[1], 16), name: m[2] }; break; }
        case 'DW_AT_abstract_origin': { const m = /^0x([0-9a-f]+)/.exec(body); if (m) cur.origin = parseInt(m[1], 16); break; }
        case 'DW_AT_low_pc': cur.lowPc = parseInt(body, 16); break;
        case 'DW_AT_high_pc': cur.highPc = parseInt(body, 16); break;
        case 'DW_AT_const_value': cur.constValue = body.replace(/\)$/, ''); break;
        case 'DW_AT_ranges': cur.ranges = []; break;
        case 'DW_AT_location':
          if (body.startsWith('DW_OP')) cur.expr = normExpr(body.replace(/\)$/, ''));
          else cur.list = [];
          break;
      }
      continue;
    }
    const r = RANGE_LINE.exec(line);
    if (r) {
      const start = parseInt(r[1], 16), end = parseInt(r[2], 16);
      if (attr === 'DW_AT_ranges') cur.ranges?.push([start, end]);
      if (attr === 'DW_AT_location') cur.list?.push({ start, end, expr: normExpr(r[3] ?? '') });
    }
  }
  return dies;
}

/** dwarfdump's expression text in core/dwarf's spelling: DW_OP_convert names its type DIE by offset only. */
export function normExpr(text: string): string {
  return text.replace(/DW_OP_convert \(0x0*([0-9a-f]+)\) "[^"]*"/g, 'DW_OP_convert 0x$1').trim();
}
