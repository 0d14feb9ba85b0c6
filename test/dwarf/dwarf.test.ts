/**
 * core/dwarf against llvm-dwarfdump-19: the C examples (and the ELF tests' C sources) built by
 * clang-19 -g -O2, then for every concrete function, lexical block and inlined subroutine
 * our address ranges, and for every variable and parameter in them our name, type, constant
 * value and location (one expression, or a list of [start, end) ranges and expressions)
 * must be what llvm-dwarfdump prints for the same DIE. Skips without clang-19 or
 * llvm-dwarfdump-19.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC, exampleText } from '../c/build';
import { ELF_DATA } from '../elf/objects';
import { findTool, missingTools, run } from '../tools';
import { readElf } from '../../core/elf/read';
import { decodeExpr, dwarfSections, DwarfScope, DwarfVariable, exprText, readDwarf } from '../../core/dwarf';
import { typeName } from '../../core/btf/query';
import { DumpDie, parseDwarfdump } from './dwarfdump';

const missing = missingTools('clang-19', 'llvm-dwarfdump-19');
const SOURCES: [string, () => string][] = [
  ['xdp_firewall.bpf.c', () => exampleText('xdp_firewall.bpf.c')],
  ['tc_rewrite.bpf.c', () => exampleText('tc_rewrite.bpf.c')],
  ['xdp_counter.bpf.c', () => exampleText('xdp_counter.bpf.c')],
  ['xdp_maps.bpf.c', () => readFileSync(join(ELF_DATA, 'xdp_maps.bpf.c'), 'utf8')],
];

let dir: string;
before(() => { if (!missing) dir = mkdtempSync(join(tmpdir(), 'dwarf-')); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** A type as dwarfdump names it: no struct/union/enum keyword, `T[4]` without a space. */
const dumpTypeName = (s: string) => s.replace(/\b(struct|union|enum) /g, '').replace(/ \[/g, '[').replace(/ \*/g, ' *');

for (const [name, text] of SOURCES) {
  test(`${name}: functions, scopes, variables, types and locations as llvm-dwarfdump-19 reads them`, { skip: missing }, () => {
    const { obj } = buildC(dir, name, text());
    const dump = parseDwarfdump(run(findTool('llvm-dwarfdump-19')!, ['--debug-info', obj]).stdout);
    const byOffset = new Map(dump.map((d) => [d.offset, d]));
    const { object, diagnostics } = readElf(new Uint8Array(readFileSync(obj)));
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    assert.ok(object.debug, 'the object keeps its .debug_* sections');
    const dwarf = readDwarf(dwarfSections(object.debug));
    assert.deepEqual(dwarf.diagnostics, []);

    // The same concrete functions, with the same ranges.
    const concrete = dump.filter((d) => d.tag === 'DW_TAG_subprogram' && d.lowPc !== undefined);
    assert.ok(concrete.length >= 1);
    assert.deepEqual(dwarf.functions.map((f) => f.offset).sort(), concrete.map((d) => d.offset).sort());

    const scopes: DwarfScope[] = [];
    const walk = (s: DwarfScope) => { scopes.push(s); s.children.forEach(walk); };
    dwarf.functions.forEach(walk);
    let nVars = 0, nLists = 0, nInlined = 0;
    for (const s of scopes) {
      const d = byOffset.get(s.offset)!;
      assert.ok(d, `no DIE at 0x${s.offset.toString(16)}`);
      const expected = d.ranges ?? (d.lowPc !== undefined && d.highPc !== undefined ? [[d.lowPc, d.highPc]] : []);
      assert.deepEqual(s.ranges, expected, `ranges of ${d.tag} at 0x${d.offset.toString(16)}`);
      if (s.kind === 'inlined') nInlined++;

      // The variables: every variable and parameter DIE that is a direct child of the scope.
      const idx = dump.indexOf(d);
      const kids = dump.filter((k) => k.parent === idx && (k.tag === 'DW_TAG_variable' || k.tag === 'DW_TAG_formal_parameter'));
      const named = kids.filter((k) => (k.name ?? (k.origin !== undefined ? byOffset.get(k.origin)?.name : undefined)) !== undefined);
      assert.deepEqual(s.vars.map((v) => v.offset), named.map((k) => k.offset), `variables of 0x${d.offset.toString(16)}`);
      for (const v of s.vars) {
        nVars++;
        if (v.location.kind === 'list') nLists++;
        checkVariable(v, byOffset.get(v.offset)!, byOffset, dwarf.types.types);
      }
    }
    assert.ok(nVars >= 5, `only ${nVars} variables`);
    assert.ok(nLists >= 1, 'no location list was compared');
    if (name === 'xdp_firewall.bpf.c') assert.ok(nInlined >= 3, 'count() is inlined at least three times');
  });
}

function checkVariable(v: DwarfVariable, d: DumpDie, byOffset: Map<number, DumpDie>, types: Parameters<typeof typeName>[0]): void {
  const origin = d.origin !== undefined ? byOffset.get(d.origin) : undefined;
  const what = `${v.name} at 0x${d.offset.toString(16)}`;
  assert.equal(v.name, d.name ?? origin?.name, what);
  assert.equal(v.param, d.tag === 'DW_TAG_formal_parameter', what);
  const type = d.type ?? origin?.type;
  assert.equal(dumpTypeName(typeName(types, v.typeId)), type?.name, `type of ${what}`);
  const loc = v.location;
  if (d.constValue !== undefined) {
    assert.equal(loc.kind, 'const', what);
    assert.equal(String(loc.kind === 'const' ? loc.value : ''), d.constValue, what);
  } else if (d.expr !== undefined) {
    assert.equal(loc.kind, 'expr', what);
    assert.equal(loc.kind === 'expr' ? exprText(decodeExpr(loc.expr)) : '', d.expr, what);
  } else if (d.list !== undefined) {
    assert.equal(loc.kind, 'list', what);
    const ours = loc.kind === 'list' ? loc.entries.map((e) => ({ start: e.start, end: e.end, expr: exprText(decodeExpr(e.expr)) })) : [];
    assert.deepEqual(ours, d.list, `location list of ${what}`);
  } else {
    assert.equal(loc.kind, 'none', what);
  }
}
