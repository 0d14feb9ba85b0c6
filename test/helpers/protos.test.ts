/**
 * Walks the helper table: every row the VM can run has a prototype, the prototypes are
 * well-formed, and each implementation reads exactly the registers its prototype lists
 * (arguments the verifier does not check are listed as 'dontcare').
 *
 * The register check calls each impl directly, through a proxy of a real machine that
 * records which of r1-r5 it reads, with arguments made up from the prototype: a map of a
 * fitting type for const_map_ptr, 64 zeroed writable bytes for memory, 8 for a size, the
 * context for ptr_to_ctx, a function that returns 0 for ptr_to_func, 0 for 'anything'.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../core/asm/assemble';
import { listPrograms } from '../../core/link';
import { HELPERS, HelperSpec } from '../../core/helpers/table';
import { ArgType, argSpec, checkedArgCount } from '../../core/helpers/proto';
import { createRun, MAP_HANDLE_HI, mapsForObject } from '../../core/vm/run';
import { FUNC_HI, Machine } from '../../core/vm/machine';
import { Memory } from '../../core/vm/memory';

const rows: readonly HelperSpec[] = HELPERS;

/** Helpers the verifier checks but a run cannot perform (nothing in the VM to copy from). */
const VERIFY_ONLY = new Set(['get_stack', 'sk_lookup_tcp', 'sk_lookup_udp', 'sk_release']);

test('every helper the VM runs has a prototype, and every prototype an implementation (but the verify-only ones)', () => {
  for (const h of rows) {
    if (VERIFY_ONLY.has(h.name)) { assert.ok(h.proto && !h.impl, `${h.name}: verify-only`); continue; }
    assert.equal(!!h.proto, !!h.impl, `${h.name}: proto and impl go together`);
  }
  assert.ok(rows.filter((h) => h.impl).length >= 40, 'at least 40 helpers run in the VM');
});

test('prototypes are well-formed: at most five arguments, sizes after memory, release args only for release helpers', () => {
  for (const h of rows) {
    if (!h.proto) continue;
    const args = h.proto.args.map(argSpec);
    assert.ok(args.length <= 5, h.name);
    args.forEach((a, k) => {
      if (a.type === 'const_size' || a.type === 'const_size_or_zero') {
        assert.ok(k > 0 && ['ptr_to_mem', 'ptr_to_ctx'].includes(args[k - 1].type), `${h.name}: arg ${k + 1} sizes the memory before it`);
      }
      if (a.type === 'ptr_to_fixed_size_mem') assert.ok(a.size && a.size > 0, `${h.name}: fixed-size memory needs a size`);
      // Ringbuf submit and discard return nothing; sk_release returns 0 (its proto says RET_INTEGER).
      if (a.flags?.includes('release')) assert.ok(h.proto!.ret === 'void' || h.name === 'sk_release', `${h.name}: a release helper returns nothing`);
    });
    // Trailing 'dontcare' only: the kernel checks arguments up to the first ARG_DONTCARE.
    assert.equal(args.slice(0, checkedArgCount(h.proto)).some((a) => a.type === 'dontcare'), false, h.name);
  }
});

const MAPS = `
.map arr, type=array, key=4, value=64, max_entries=4
.map pca, type=percpu_array, key=4, value=64, max_entries=4
.map q, type=queue, key=0, value=64, max_entries=4
.map rb, type=ringbuf, key=0, value=0, max_entries=4096
.map ev, type=perf_event_array, key=4, value=4, max_entries=2
.map jmp, type=prog_array, key=4, value=4, max_entries=2
r0 = 0
exit
`;

/** The map each helper is given for its const_map_ptr argument. */
function mapFor(helper: string): string {
  if (/^map_(push|pop|peek)_elem$/.test(helper)) return 'q';
  if (helper === 'map_lookup_percpu_elem') return 'pca';
  if (helper.startsWith('ringbuf_')) return 'rb';
  if (helper === 'perf_event_output') return 'ev';
  if (helper === 'tail_call') return 'jmp';
  return 'arr';
}

/** Helpers that cannot complete with made-up arguments, and why. */
const MAY_FAULT: Record<string, string> = {
  redirect_map: 'needs a devmap, cpumap or xskmap, which the in-memory maps do not model yet',
};

/** Calls `h.impl` once with arguments from its proto; returns the registers read and the result. */
function probeImpl(h: HelperSpec): { read: Set<number>; result: unknown } {
  const progType = h.name.startsWith('xdp_') ? 'xdp' : 'sched_cls';
  const { object } = assemble(MAPS);
  const maps = mapsForObject(object);
  const { run } = createRun(object, listPrograms(object)[0], { progType, input: { packet: new Uint8Array(64) }, maps });
  assert.ok(run, h.name);
  const vm = run.vm;
  const scratch = () => Memory.address(vm.memory.add(`scratch for ${h.name}`, 'map_value', new Uint8Array(64), true), 0);
  const handles = [...maps.values()];
  const valueFor = (a: ArgType): { lo: number; hi: number } => {
    const s = argSpec(a);
    switch (s.type) {
      case 'const_map_ptr': return { lo: handles.indexOf(maps.get(mapFor(h.name))!), hi: MAP_HANDLE_HI };
      case 'const_size': case 'const_size_or_zero': case 'const_alloc_size_or_zero': return { lo: 8, hi: 0 };
      case 'ptr_to_ctx': return { lo: vm.lo[1], hi: vm.hi[1] };
      case 'ptr_to_func': return { lo: 0, hi: FUNC_HI };
      case 'ptr_to_ringbuf_mem': {
        const rec = maps.get('rb')!.reserve(8)!;
        return run.host.addressOf(rec, 'record', 'ringbuf', true);
      }
      case 'ptr_to_spin_lock': {
        const at = scratch();
        if (h.name === 'spin_unlock') vm.memory.find(at.lo, at.hi, 4)!.view.setUint32(0, 1, true);
        return at;
      }
      case 'anything': case 'dontcare': return { lo: 0, hi: 0 };
      default: return scratch();
    }
  };
  const ctx = { lo: vm.lo[1], hi: vm.hi[1] };
  const values = h.proto!.args.map((a) => (argSpec(a).type === 'ptr_to_ctx' ? ctx : valueFor(a)));
  for (let k = 1; k <= 5; k++) { vm.lo[k] = 0; vm.hi[k] = 0; }
  values.forEach((v, k) => { vm.lo[k + 1] = v.lo; vm.hi[k + 1] = v.hi; });

  const read = new Set<number>();
  const tracked = (arr: Int32Array) => new Proxy(arr, {
    get(t, p) {
      if (typeof p === 'string' && /^\d+$/.test(p)) read.add(Number(p));
      const v = Reflect.get(t, p, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  const lo = tracked(vm.lo), hi = tracked(vm.hi);
  const proxy = new Proxy(vm, {
    get(t, p) {
      if (p === 'lo') return lo;
      if (p === 'hi') return hi;
      if (p === 'arg') return (k: number) => { read.add(k); return t.arg(k); };
      const v = Reflect.get(t, p, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  }) as Machine;
  const result = h.impl!(proxy);
  read.delete(0);
  return { read, result };
}

test('each implementation reads the registers its prototype lists, and no others', () => {
  for (const h of rows) {
    if (!h.impl) continue;
    const { read, result } = probeImpl(h);
    const faulted = typeof result === 'object' && result !== null && 'fault' in result;
    if (faulted) assert.ok(MAY_FAULT[h.name], `${h.name} faulted with made-up arguments: ${(result as { fault: string }).fault}`);
    const highest = Math.max(0, ...read);
    assert.ok(highest <= h.proto!.args.length, `${h.name} reads r${highest}, its proto lists ${h.proto!.args.length} arguments`);
    if (!faulted) assert.equal(highest, h.proto!.args.length, `${h.name}: its proto lists ${h.proto!.args.length} arguments, it reads up to r${highest}`);
  }
});
