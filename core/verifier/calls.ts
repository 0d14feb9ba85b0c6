/**
 * Calls and exits: helper calls checked against the prototypes in the helper table
 * (check_helper_call(), check_func_arg()), bpf-to-bpf calls with their frames
 * (check_func_call()), and what must hold at exit (R0 set, no unreleased reference, the
 * program type's return range: check_return_code()).
 */

import { Insn } from '../isa/insn';
import { helperById } from '../helpers/table';
import { ArgSpec, ArgType, HelperProto } from '../helpers/proto';
import { scalarUnknown, scalarConst } from './scalar';
import { tnumIsConst } from './tnum';
import { cloneState, curFrame, isPktPointer, newFrame, NOT_INIT, ptrReg, Reg, regTypeName, scalarReg, VState } from './state';
import { Ctx, fail, readReg, StepOut } from './step';
import { boundedAccess, MAX_STACK, packetAccess, slotOf } from './mem';
import { mapTypeByName } from '../maps/table';
import { helperAllowed } from './helperAccess';

export const MAX_CALL_FRAMES = 8;

/** Whether a license string is GPL-compatible, as the kernel's license_is_gpl_compatible(). */
export function gplCompatible(license: string): boolean {
  return ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].includes(license);
}

export function checkCall(ctx: Ctx, st: VState, i: Insn, pc: number): StepOut {
  if (i.src === 1) {
    if (i.dst !== 0 || i.off !== 0) fail('BPF_CALL uses reserved fields');
    return callLocal(st, pc, pc + 1 + i.imm);
  }
  if (i.src === 2) fail('kernel function calls are not supported yet');
  if (i.src !== 0 || i.dst !== 0 || i.off !== 0) fail('BPF_CALL uses reserved fields');
  const helper = helperById(i.imm) as { id: number; name: string; gplOnly: boolean; proto?: HelperProto } | undefined;
  if (!helper) fail(`invalid func unknown#${i.imm}`);
  if (helperAllowed(ctx.progType, helper.id) === false) fail(`program of this type cannot use helper bpf_${helper.name}#${helper.id}`);
  if (helper.gplOnly && !gplCompatible(ctx.license)) fail('cannot call GPL-restricted function from non-GPL compatible program');
  const f = curFrame(st);
  const proto = helper.proto;
  if (proto?.mightSleep) fail('helper call might sleep in a non-sleepable prog');
  let map: Reg['map'];
  let constSizeForAlloc: bigint | undefined;
  if (proto) {
    proto.args.forEach((a, k) => {
      const regno = k + 1;
      const spec: ArgSpec = typeof a === 'string' ? { type: a } : a;
      const r = f.regs[regno];
      const res = checkArg(ctx, st, regno, r, spec, proto.args[k + 1], f.regs[regno + 1], map);
      if (res?.map) map = res.map;
      if (res?.allocSize !== undefined) constSizeForAlloc = res.allocSize;
    });
  }
  if (map) checkMapCompat(helper, map);
  if (helper.name === 'tail_call') {
    if (st.frames.length > 1) fail('tail_call is not allowed in subprogs without BTF');
    if (st.refs.length) failLeak(st, 'tail_call');
  }
  // can_elide_value_nullness(): array and percpu_array lookups with a constant key in range cannot fail.
  const keyConst = helper.name === 'map_lookup_elem' && (map?.type === 'array' || map?.type === 'percpu_array') ? constStackKey(st, f.regs[2], map.keySize) : undefined;
  // r1-r5 are clobbered by the call; r0 gets the return type.
  for (let r = 1; r <= 5; r++) f.regs[r] = NOT_INIT;
  if (CHANGES_PKT_DATA.has(helper.name)) invalidatePacketPointers(st);
  const ret = proto?.ret ?? 'integer';
  const inner = map && mapTypeByName(map.type)?.mapInMap ? ctx.maps.find((m) => m.name === map!.inner) : undefined;
  if (ret === 'void') f.regs[0] = NOT_INIT;
  else if ((ret === 'map_value_or_null' || ret === 'map_value') && inner) {
    // A map-in-map lookup gives the inner map, typed map_value_or_null until its null check.
    f.regs[0] = ptrReg('map_value', { map: inner, maybeNull: true, id: ++st.nextId, innerMap: true });
  } else if (ret === 'map_value_or_null' || ret === 'map_value') {
    // An array lookup with a constant key inside the array cannot fail (6.18 knows it).
    const notNull = ret === 'map_value' || (keyConst !== undefined && map !== undefined && keyConst < BigInt(map.maxEntries));
    f.regs[0] = ptrReg('map_value', { map, maybeNull: !notNull, id: notNull ? 0 : ++st.nextId });
  } else if (ret === 'socket_or_null') {
    // A socket lookup takes a reference that sk_release must drop on every path.
    const id = ++st.nextId;
    st.refs.push({ id, insn: pc });
    f.regs[0] = ptrReg('socket', { maybeNull: true, id, refObjId: id });
  } else if (ret === 'ringbuf_mem_or_null') {
    const id = ++st.nextId;
    st.refs.push({ id, insn: pc });
    f.regs[0] = ptrReg('mem', { ringbuf: true, maybeNull: true, id, refObjId: id, memSize: Number(constSizeForAlloc ?? 0n) });
  } else {
    f.regs[0] = scalarReg(scalarUnknown());
  }
  if (helper.name === 'tail_call') {
    // A tail call that succeeds does not return; the verifier goes on with the failure path.
  }
  return { kind: 'next', state: st, pc: pc + 1 };
}

const MEM_EXPECTED = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';

/** Helpers after which packet pointers are stale (the kernel's bpf_helper_changes_pkt_data()). */
const CHANGES_PKT_DATA = new Set(['skb_store_bytes', 'l3_csum_replace', 'l4_csum_replace', 'clone_redirect', 'skb_vlan_push',
  'skb_vlan_pop', 'skb_change_proto', 'skb_change_type', 'skb_change_tail', 'skb_change_head', 'skb_pull_data', 'xdp_adjust_head',
  'xdp_adjust_tail', 'xdp_adjust_meta', 'msg_pull_data', 'msg_push_data', 'msg_pop_data', 'lwt_push_encap', 'lwt_seg6_store_bytes',
  'lwt_seg6_adjust_srh', 'lwt_seg6_action', 'skb_adjust_room']);

function invalidatePacketPointers(st: VState): void {
  for (const fr of st.frames) {
    const fix = (r: Reg): Reg => (isPktPointer(r) || r.kind === 'pkt_end' ? scalarReg(scalarUnknown()) : r);
    fr.regs = fr.regs.map(fix);
    for (const sl of fr.slots) if (sl.spilled) sl.spilled = fix(sl.spilled);
  }
}

/** The key on the stack, when every byte is known (zeros, or a spilled constant). */
function constStackKey(st: VState, r: Reg, keySize: number): bigint | undefined {
  if (r.kind !== 'stack' || !tnumIsConst(r.v.varOff)) return undefined;
  const fr = st.frames[r.frameno ?? st.frames.length - 1];
  const off = r.off + Number(BigInt.asIntN(64, r.v.varOff.value));
  const b0 = -off - 1;
  const slot = fr.slots[Math.floor(b0 / 8)];
  if (!slot) return undefined;
  // get_constant_map_key(): a spill of exactly the key's size holding a constant.
  if (off % 8 === 0 && slot.spilled?.kind === 'scalar' && (slot.spillSize ?? 8) === keySize && tnumIsConst(slot.spilled.v.varOff)) {
    return BigInt.asUintN(keySize * 8, slot.spilled.v.varOff.value);
  }
  for (let k = 0; k < keySize; k++) {
    const b = -(off + k) - 1;
    if (fr.slots[Math.floor(b / 8)]?.types[b % 8] !== 'zero') return undefined;
  }
  return 0n;
}

/** check_map_func_compatibility(): which helpers take which map types. */
const FUNC_MAP_TYPES: Record<string, string[]> = {
  tail_call: ['prog_array'], perf_event_output: ['perf_event_array'], perf_event_read: ['perf_event_array'],
  perf_event_read_value: ['perf_event_array'], skb_output: ['perf_event_array'], xdp_output: ['perf_event_array'],
  ringbuf_output: ['ringbuf'], ringbuf_reserve: ['ringbuf'], ringbuf_query: ['ringbuf'],
  map_push_elem: ['queue', 'stack', 'bloom_filter'], map_pop_elem: ['queue', 'stack'], map_peek_elem: ['queue', 'stack', 'bloom_filter'],
  get_stackid: ['stack_trace'], redirect_map: ['devmap', 'devmap_hash', 'cpumap', 'xskmap'],
};
const MAP_FUNCS: Record<string, string[]> = {
  prog_array: ['tail_call'], perf_event_array: ['perf_event_read', 'perf_event_output', 'perf_event_read_value', 'skb_output', 'xdp_output'],
  ringbuf: ['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr'],
  queue: ['map_peek_elem', 'map_pop_elem', 'map_push_elem'], stack: ['map_peek_elem', 'map_pop_elem', 'map_push_elem'],
};

function checkMapCompat(helper: { id: number; name: string }, map: NonNullable<Reg['map']>): void {
  const typeId = mapTypeByName(map.type)?.id ?? 0;
  const bad = () => fail(`cannot pass map_type ${typeId} into func bpf_${helper.name}#${helper.id}`);
  const allowedFuncs = MAP_FUNCS[map.type];
  if (allowedFuncs && !allowedFuncs.includes(helper.name)) bad();
  const allowedTypes = FUNC_MAP_TYPES[helper.name];
  if (allowedTypes && !allowedTypes.includes(map.type)) {
    if (helper.name === 'tail_call') fail('expected prog array map for tail call');
    bad();
  }
}

function checkArg(ctx: Ctx, st: VState, regno: number, r: Reg, spec: ArgSpec, next: ArgType | undefined, nextReg: Reg | undefined, map: Reg['map']):
  { map?: Reg['map']; allocSize?: bigint } | undefined {
  if (spec.type === 'dontcare') return undefined;
  if (r.kind === 'not_init') fail(`R${regno} !read_ok`);
  const flags = spec.flags ?? [];
  const expect = (ok: boolean, expected: string) => { if (!ok) fail(`R${regno} type=${regTypeName(r)} expected=${expected}`); };
  switch (spec.type) {
    case 'anything':
      return undefined;
    case 'const_map_ptr':
      expect(r.kind === 'map_ptr', 'map_ptr');
      return { map: r.map };
    case 'ptr_to_ctx':
      expect(r.kind === 'ctx', 'ctx');
      if (r.off !== 0) fail(`dereference of modified ctx ptr R${regno} off=${r.off} disallowed`);
      return undefined;
    case 'map_key': case 'map_value': {
      expect(r.kind === 'stack' || isPktPointer(r) || r.kind === 'map_value', MEM_EXPECTED);
      if (!map) fail(`invalid map_ptr to access map->${spec.type === 'map_key' ? 'key' : 'value'}`);
      const size = spec.type === 'map_key' ? map.keySize : map.valueSize;
      if (size === 0) fail('invalid zero-sized read');
      checkMemRange(st, regno, r, size, flags.includes('uninit'));
      return undefined;
    }
    case 'ptr_to_mem': case 'ptr_to_fixed_size_mem': {
      if (flags.includes('maybe_null') && r.kind === 'scalar' && tnumIsConst(r.v.varOff) && r.v.varOff.value === 0n) return undefined;
      expect(r.kind === 'stack' || isPktPointer(r) || r.kind === 'map_value' || r.kind === 'mem', MEM_EXPECTED);
      if (spec.type === 'ptr_to_fixed_size_mem') { checkMemRange(st, regno, r, spec.size ?? 8, flags.includes('uninit')); return undefined; }
      // The size is the next argument (ARG_CONST_SIZE / ARG_CONST_SIZE_OR_ZERO).
      const nextSpec = typeof next === 'string' ? next : next?.type;
      if ((nextSpec === 'const_size' || nextSpec === 'const_size_or_zero') && nextReg) {
        if (nextReg.kind === 'not_init') fail(`R${regno + 1} !read_ok`);
        if (nextReg.kind !== 'scalar') fail(`R${regno + 1} type=${regTypeName(nextReg)} expected=scalar`);
        // check_mem_size_reg(), in the kernel's order.
        if (nextReg.v.smin < 0n) fail(`R${regno + 1} min value is negative, either use unsigned or 'var &= const'`);
        if (nextReg.v.umin === 0n && nextSpec === 'const_size') fail(`R${regno + 1} invalid zero-sized read: u64=[${nextReg.v.umin},${nextReg.v.umax}]`);
        if (nextReg.v.umax >= 1n << 29n) fail(`R${regno + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
        if (nextReg.v.umax > 0n) checkMemRange(st, regno, r, Number(nextReg.v.umax), flags.includes('uninit'));
      }
      return undefined;
    }
    case 'const_size': case 'const_size_or_zero':
      expect(r.kind === 'scalar', 'scalar');
      return undefined;
    case 'const_alloc_size_or_zero':
      expect(r.kind === 'scalar', 'scalar');
      if (!tnumIsConst(r.v.varOff)) fail(`R${regno} is not a known constant'`);
      return { allocSize: r.v.varOff.value };
    case 'ptr_to_ringbuf_mem': {
      expect(r.kind === 'mem' && !!r.ringbuf && !r.maybeNull, 'ringbuf_mem');
      if (r.off !== 0) fail(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
      if (!st.refs.some((x) => x.id === r.refObjId)) fail(`R${regno} must be referenced when passed to release func`);
      releaseRef(st, r.refObjId);
      return undefined;
    }
    case 'ptr_to_const_str':
      expect(r.kind === 'map_value', 'map_value');
      return undefined;
    case 'ptr_to_btf_id_sock_common': {
      expect(r.kind === 'socket' || r.kind === 'sock', 'sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_');
      if (flags.includes('release')) {
        if (r.off !== 0) fail(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
        if (!r.refObjId || !st.refs.some((x) => x.id === r.refObjId)) fail(`R${regno} must be referenced when passed to release func`);
        releaseRef(st, r.refObjId);
      }
      return undefined;
    }
    case 'ptr_to_func':
      expect(r.kind === 'func', 'func');
      return undefined;
    case 'ptr_to_stack':
      if (flags.includes('maybe_null') && r.kind === 'scalar' && tnumIsConst(r.v.varOff) && r.v.varOff.value === 0n) return undefined;
      expect(r.kind === 'stack', 'fp');
      return undefined;
    case 'ptr_to_spin_lock':
      expect(r.kind === 'map_value', 'map_value, ptr_');
      fail(`map '${r.map?.name}' has to have BTF in order to use bpf_spin_lock`);
      return undefined;
    default:
      return undefined;
  }
}

/** The bytes a helper reads (or writes) through a pointer argument must be there (and initialised). */
function checkMemRange(st: VState, regno: number, r: Reg, size: number, uninitOk: boolean): void {
  if (size === 0) return;
  if (r.kind === 'stack') {
    const f = st.frames[r.frameno ?? st.frames.length - 1];
    const off = r.off + Number(BigInt.asIntN(64, r.v.varOff.value));
    if (off < -MAX_STACK || off + size > 0) fail(`invalid ${uninitOk ? 'write to' : 'read from'} stack R${regno} off=${off} size=${size}`);
    for (let k = 0; k < size; k++) {
      // The helper writes uninitialised memory; reading bytes never written is allowed to
      // privileged programs (allow_uninit_stack). Either way the bytes now hold data.
      const { slot: s, idx } = slotOf(f.slots, off + k);
      if (uninitOk || s.types[idx] === 'invalid') {
        if (s.spilled && uninitOk) { s.spilled = undefined; s.types = s.types.map((x) => (x === 'spill' ? 'misc' : x)); }
        if (s.types[idx] !== 'spill') s.types[idx] = 'misc';
      }
    }
    return;
  }
  if (isPktPointer(r)) { packetAccess(regno, r, r.off, size); return; }
  if (r.kind === 'map_value' && r.map) {
    const vs = r.map.valueSize;
    boundedAccess(regno, r, r.off, size, vs, (o) => `invalid access to map value, value_size=${vs} off=${o} size=${size}`);
  }
  if (r.kind === 'mem' && r.memSize !== undefined) {
    const ms = r.memSize;
    boundedAccess(regno, r, r.off, size, ms, (o) => `invalid access to memory, mem_size=${ms} off=${o} size=${size}`);
  }
}

function releaseRef(st: VState, id: number): void {
  st.refs = st.refs.filter((x) => x.id !== id);
  for (const f of st.frames) {
    // Every copy of a released pointer becomes an unknown scalar (privileged mark_reg_invalid()).
    f.regs = f.regs.map((r) => (r.refObjId === id ? scalarReg(scalarUnknown()) : r));
    for (const sl of f.slots) if (sl.spilled?.refObjId === id) { sl.spilled = undefined; sl.types.fill('misc'); }
  }
}

function callLocal(st: VState, pc: number, target: number): StepOut {
  // The walk refuses a ninth frame (check_func_call()); recursion is refused after the walk by
  // the static call-graph check (callGraphCheck()), whose message ends with ' !'.
  if (st.frames.length >= MAX_CALL_FRAMES) fail(`the call stack of ${st.frames.length + 1} frames is too deep`);
  const caller = curFrame(st);
  const callee = newFrame(st.frames.length, pc, target);
  for (let r = 1; r <= 5; r++) callee.regs[r] = caller.regs[r];
  st.frames.push(callee);
  return { kind: 'next', state: st, pc: target };
}

/**
 * A reference still held where the program may not keep one: the kernel's
 * check_resource_leak() logs each one (check_reference_leak()) before its message.
 */
export function failLeak(st: VState, what: string): never {
  fail(`${what} would lead to reference leak`, st.refs.map((r) => `Unreleased reference id=${r.id} alloc_insn=${r.insn}`));
}

/** Return-value ranges per program type (check_return_code()); types not listed are unchecked. */
const RETURN_RANGES: Record<string, [number, number]> = {
  cgroup_skb: [0, 1], cgroup_sock: [0, 1], cgroup_sock_addr: [0, 1], cgroup_device: [0, 1],
  cgroup_sysctl: [0, 1], cgroup_sockopt: [0, 1],
};

export function checkExit(ctx: Ctx, st: VState, pc: number): StepOut {
  const f = curFrame(st);
  if (f.regs[0].kind === 'not_init') fail('R0 !read_ok');
  if (st.frames.length > 1) {
    const r0 = f.regs[0];
    if (r0.kind === 'stack' && r0.frameno === f.frameno) fail('cannot return stack pointer to the caller');
    st.frames.pop();
    const caller = curFrame(st);
    caller.regs[0] = r0;
    for (let r = 1; r <= 5; r++) caller.regs[r] = NOT_INIT;
    return { kind: 'next', state: st, pc: f.callsite + 1 };
  }
  if (st.refs.length) failLeak(st, 'BPF_EXIT instruction in main prog');
  // cgroup_skb egress may also return 2 and 3 (congestion notification bits).
  // recvmsg hooks must return 1 (they cannot refuse a datagram already received).
  const range = ctx.attachType === 'cgroup_inet_egress' ? [0, 3] as [number, number]
    : /recvmsg$/.test(ctx.attachType ?? '') ? [1, 1] as [number, number] : RETURN_RANGES[ctx.progType];
  if (range) {
    const r0 = readReg(st, 0);
    if (r0.kind !== 'scalar') fail(`At program exit the register R0 is not a known value (${regTypeName(r0)})`);
    const v = r0.v;
    if (v.smin < BigInt(range[0]) || v.smax > BigInt(range[1])) {
      const parts: string[] = [];
      if (v.smin > -(1n << 63n)) parts.push(`smin=${v.smin}`);
      if (v.smax < (1n << 63n) - 1n) parts.push(`smax=${v.smax}`);
      fail(`At program exit the register R0 has ${parts.length ? parts.join(' ') : 'unknown scalar value'} should have been in [${range[0]}, ${range[1]}]`);
    }
  }
  return { kind: 'exit' };
}

export { cloneState, scalarConst };

/**
 * check_max_stack_depth(), after the walk: the call graph from the main program must not
 * loop (recursion), and the stack of every chain of calls, each frame rounded up to 32
 * bytes, must fit in 512 bytes.
 */
export function callGraphCheck(ctx: Ctx, stackDepth: Map<number, number>): string | undefined {
  const insns = ctx.insns;
  const subprogOf = (pc: number) => [...ctx.subprogs].reverse().find((s) => s <= pc) ?? 0;
  const callees = new Map<number, number[]>();
  insns.forEach((i, pc) => {
    if (i.code === 0x85 && i.src === 1) {
      const from = subprogOf(pc);
      const list = callees.get(from) ?? [];
      list.push(pc + 1 + i.imm);
      callees.set(from, list);
    }
  });
  const frameSize = (s: number) => Math.ceil(Math.max(stackDepth.get(s) ?? 0, 1) / 32) * 32;
  let problem: string | undefined;
  const walk = (s: number, chain: number[], depth: number): void => {
    if (problem) return;
    if (chain.includes(s) || chain.length >= MAX_CALL_FRAMES) { problem = `the call stack of ${MAX_CALL_FRAMES} frames is too deep !`; return; }
    const total = depth + frameSize(s);
    if (total > MAX_STACK) { problem = `combined stack size of ${chain.length + 1} calls is ${total}. Too large`; return; }
    for (const c of callees.get(s) ?? []) walk(c, [...chain, s], total);
  };
  walk(0, [], 0);
  return problem;
}
