// Walks the helper table: its own invariants, then the kernel's lists (Debian's bpf.h, and the
// running kernel's BTF when there is one).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HELPERS, helperById, helperByName } from '../../core/helpers/table';
import { kernelRelease, parseEnum, parseFuncMapper, readDebianHeader, readKernelBtf, tableNames } from './uapiEnums';

/** The last helper of Linux 6.18's list. */
const LAST_ID = 211;

test('helper ids are unique and run from 1 to the last helper of 6.18 without gaps', () => {
  const ids = HELPERS.map((h) => h.id);
  assert.equal(new Set(ids).size, ids.length, 'duplicate id');
  assert.deepEqual(ids, Array.from({ length: LAST_ID }, (_, i) => i + 1), 'ids must be 1..211 in order');
  assert.equal(HELPERS[HELPERS.length - 1].name, 'cgrp_storage_delete');
});

test('helper names are unique kernel spellings without bpf_', () => {
  const names = HELPERS.map((h) => h.name);
  assert.equal(new Set(names).size, names.length, 'duplicate name');
  for (const name of names) {
    assert.match(name, /^[a-z][a-z0-9_]*$/, name);
    assert.ok(!name.startsWith('bpf_'), `${name} keeps its bpf_ prefix`);
  }
});

test('every helper has a one-line doc', () => {
  for (const h of HELPERS) {
    assert.ok(h.doc.length >= 10 && h.doc.length <= 130, `${h.name}: doc length ${h.doc.length}`);
    assert.ok(!/[\n\r]/.test(h.doc), `${h.name}: doc spans lines`);
    assert.ok(!h.doc.endsWith('.'), `${h.name}: doc ends with a period`);
    assert.equal(h.doc.trim(), h.doc, `${h.name}: doc has surrounding blanks`);
  }
});

test('helperById and helperByName find every row', () => {
  for (const h of HELPERS) {
    assert.equal(helperById(h.id), h);
    assert.equal(helperByName(h.name), h);
    assert.equal(helperByName(`bpf_${h.name}`), h);
  }
});

test('lookups of what is not a helper give undefined', () => {
  assert.equal(helperById(0), undefined, 'id 0 (unspec) is not a helper');
  assert.equal(helperById(LAST_ID + 1), undefined);
  assert.equal(helperById(-1), undefined);
  assert.equal(helperByName('unspec'), undefined);
  assert.equal(helperByName('bpf_unspec'), undefined);
  assert.equal(helperByName('bpf_'), undefined);
  assert.equal(helperByName('BPF_MAP_LOOKUP_ELEM'), undefined, 'names are case-sensitive');
  assert.equal(helperByName('bpf_bpf_map_lookup_elem'), undefined);
  assert.equal(helperByName('map_lookup'), undefined);
});

test('well-known helpers keep their ids', () => {
  const known: [string, number][] = [
    ['map_lookup_elem', 1], ['map_update_elem', 2], ['map_delete_elem', 3], ['ktime_get_ns', 5],
    ['trace_printk', 6], ['tail_call', 12], ['get_current_pid_tgid', 14], ['redirect', 23],
    ['perf_event_output', 25], ['xdp_adjust_head', 44], ['redirect_map', 51], ['probe_read_kernel', 113],
    ['ringbuf_output', 130], ['ringbuf_reserve', 131], ['loop', 181], ['cgrp_storage_get', 210],
  ];
  for (const [name, id] of known) assert.equal(helperByName(name)?.id, id, name);
});

test('gplOnly follows the kernel on well-known helpers', () => {
  // GPL-only in 6.18: refused to a non-GPL program (DESIGN.md: "The license").
  const gpl = [
    'trace_printk', 'trace_vprintk', 'probe_read', 'probe_read_str', 'probe_read_user', 'probe_read_kernel',
    'probe_read_user_str', 'probe_read_kernel_str', 'perf_event_output', 'perf_event_read', 'get_stackid',
    'get_stack', 'override_return', 'probe_write_user', 'get_current_task', 'get_current_task_btf',
    'skb_output', 'xdp_output', 'seq_printf', 'snprintf', 'timer_init', 'timer_start', 'fib_lookup',
    'check_mtu', 'copy_from_user_task', 'tcp_raw_gen_syncookie_ipv4',
  ];
  const free = [
    'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'ktime_get_ns', 'tail_call', 'redirect',
    'redirect_map', 'xdp_adjust_head', 'get_current_pid_tgid', 'get_current_comm', 'ringbuf_output',
    'ringbuf_reserve', 'spin_lock', 'loop', 'send_signal', 'copy_from_user', 'get_func_arg', 'kptr_xchg',
    'skb_load_bytes', 'csum_diff', 'get_prandom_u32', 'dynptr_read', 'cgrp_storage_get',
  ];
  for (const name of gpl) assert.equal(helperByName(name)?.gplOnly, true, `${name} should be GPL-only`);
  for (const name of free) assert.equal(helperByName(name)?.gplOnly, false, `${name} should not be GPL-only`);
});

test('every helper of Debian\'s bpf.h is a row with the same id', (t) => {
  const header = readDebianHeader();
  if (!header) return t.skip('/usr/include/linux/bpf.h not found (Debian package linux-libc-dev)');
  const fns = parseFuncMapper(header);
  assert.equal(fns.get('unspec'), 0, 'the header list should start with unspec = 0');
  assert.ok(fns.size > 150, `only ${fns.size} helpers read from the header`);
  for (const [name, id] of fns) {
    if (name === 'unspec') continue;
    assert.equal(helperByName(name)?.id, id, `bpf.h has ${name} = ${id}`);
  }
  t.diagnostic(`${fns.size - 1} helpers in the header, ${HELPERS.length} in the table`);
});

test('the running kernel\'s enum bpf_func_id agrees with the table', (t) => {
  const btf = readKernelBtf();
  if ('skip' in btf) return t.skip(btf.skip);
  const kernelNames = tableNames(parseEnum(btf.text, 'bpf_func_id'), 'BPF_FUNC_');
  for (const [name, id] of kernelNames) {
    const row = helperByName(name);
    if (row) assert.equal(row.id, id, `kernel has ${name} = ${id}`);
  }
  for (const h of HELPERS) {
    const id = kernelNames.get(h.name);
    if (id !== undefined) assert.equal(id, h.id, `${h.name}`);
  }
  const release = kernelRelease() ?? '';
  if (!release.startsWith('6.18.')) {
    t.diagnostic(`kernel ${release} is not 6.18: only the helpers both know were compared`);
    return;
  }
  assert.deepEqual([...kernelNames.keys()].sort(), HELPERS.map((h) => h.name).sort(), 'a 6.18 kernel has exactly our helpers');
});
