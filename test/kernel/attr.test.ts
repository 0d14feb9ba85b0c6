// Checks the bpf(2) structure layouts of core/kernel/attr.ts against the running kernel's own
// description of them (its BTF, /sys/kernel/btf/vmlinux), and that importing core/kernel
// loads nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BtfComposite, BtfType, parseBtf, resolveType, typeSize } from '../../core/btf';
import { LAYOUTS, Layout, objName } from '../../core/kernel/attr';
import { errnoName } from '../../core/kernel';
import { REPO_ROOT } from '../paths';

const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

interface Member {
  offset: number;
  size: number;
}

/**
 * The members reachable from a struct or union without naming a level: those of anonymous
 * members, flattened, as C lets you write `attr.map_type`. Nested named structs stay apart.
 */
function flatMembers(types: BtfType[], t: BtfComposite, base: number, out: Map<string, Member>): Map<string, Member> {
  for (const m of t.members) {
    const mt = resolveType(types, m.type);
    const offset = base + m.bitOffset / 8;
    if (m.name === '' && mt && (mt.kind === 'struct' || mt.kind === 'union')) flatMembers(types, mt, offset, out);
    else out.set(m.name, { offset, size: typeSize(types, m.type) ?? 0 });
  }
  return out;
}

/** The candidate member sets of a layout: bpf_attr's commands are its members (anonymous or named). */
function candidates(types: BtfType[], layout: Layout): Map<string, Member>[] {
  const top = types.find((t): t is BtfComposite => (t.kind === 'struct' || t.kind === 'union') && t.name === layout.struct);
  assert.ok(top, `${layout.struct} is not in the kernel's BTF`);
  if (layout.struct !== 'bpf_attr') return [flatMembers(types, top, 0, new Map())];
  return top.members.flatMap((m) => {
    const mt = resolveType(types, m.type);
    return mt && (mt.kind === 'struct' || mt.kind === 'union') ? [flatMembers(types, mt, m.bitOffset / 8, new Map())] : [];
  });
}

test('every attr and info offset matches the running kernel\'s BTF', (t) => {
  if (!existsSync(VMLINUX_BTF)) return t.skip(`${VMLINUX_BTF} is missing (a kernel without CONFIG_DEBUG_INFO_BTF)`);
  const btf = parseBtf(new Uint8Array(readFileSync(VMLINUX_BTF)));
  let checked = 0;
  for (const [name, layout] of Object.entries(LAYOUTS) as [string, Layout][]) {
    const fields = Object.keys(layout.fields);
    // The command's struct is the one member of bpf_attr that has every field we name.
    const match = candidates(btf.types, layout).filter((c) => fields.every((f) => c.has(f)));
    assert.equal(match.length, 1, `${name}: ${match.length} members of ${layout.struct} hold all of ${fields.join(', ')}`);
    let end = 0;
    for (const f of fields) {
      const m = match[0].get(f) as Member;
      assert.equal(layout.fields[f], m.offset, `${name}.${f}`);
      end = Math.max(end, m.offset + m.size);
      checked++;
    }
    assert.ok(layout.size >= end, `${name}: size ${layout.size} cuts off a field ending at ${end}`);
  }
  // 14 + 5 + 26 + 15 + 3 + 22 + 10 members.
  assert.equal(checked, 95);
});

test('bpf_prog_info is as large as PROG_INFO says', (t) => {
  if (!existsSync(VMLINUX_BTF)) return t.skip(`${VMLINUX_BTF} is missing`);
  const btf = parseBtf(new Uint8Array(readFileSync(VMLINUX_BTF)));
  const info = btf.types.find((x) => x.kind === 'struct' && x.name === 'bpf_prog_info') as BtfComposite;
  assert.equal(info.size, LAYOUTS.PROG_INFO.size);
});

test('importing core/kernel loads neither koffi nor libc', () => {
  const index = join(REPO_ROOT, 'out', 'core', 'kernel', 'index.js');
  const script = `require(${JSON.stringify(index)}); process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((k) => /koffi/.test(k))))`;
  const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout), []);
});

test('object names keep what bpf_obj_name_cpy() accepts, 15 characters at most', () => {
  assert.equal(objName('my-map'), 'mymap');
  assert.equal(objName('a.b_c9'), 'a.b_c9');
  assert.equal(objName('abcdefghijklmnopqrstuvwxyz'), 'abcdefghijklmno');
  assert.equal(objName(undefined), '');
});

test('errno names', () => {
  assert.equal(errnoName(13), 'EACCES');
  assert.equal(errnoName(28), 'ENOSPC');
  assert.equal(errnoName(524), 'ENOTSUPP');
  assert.equal(errnoName(7), 'E2BIG');
  assert.equal(errnoName(9999), 'E9999');
});
