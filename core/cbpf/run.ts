/**
 * Runs a classic filter on one frame, as tcpdump and a packet socket do: the packet starts
 * at the Ethernet header, loads are big-endian, and a load past the end (or a division by
 * X = 0) makes the filter return 0, which drops the packet. A, X and M[0..15] are 32 bits.
 *
 * The machine steps one instruction at a time so that a debugger can show A, X and M[]
 * between steps; `run()` steps to the end. The program is expected to have passed
 * checkCbpf; a jump outside it or an unknown code stops the machine with `fault`.
 *
 * What the frame does not carry (interface index, mark, queue, CPU, flow hash, the payload
 * offset the flow dissector would find) comes from `CbpfContext`, 0 unless given.
 */

import {
  BPF_MEMWORDS, CInsn, SKF_AD, SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF, lookupCbpfRow,
} from './opcodes';
import { ETH_HLEN } from '../net';

export interface CbpfContext {
  /** Length on the wire (ld #len); the captured length when not given. */
  wireLen?: number;
  /** skb->protocol; the EtherType at [12] when not given. */
  protocol?: number;
  pkttype?: number;
  ifindex?: number;
  mark?: number;
  queue?: number;
  /** ARPHRD_*; 1 (Ethernet) when not given. */
  hatype?: number;
  rxhash?: number;
  cpu?: number;
  /** An offloaded VLAN tag (none unless given: a tag inside the frame is just bytes). */
  vlanTci?: number;
  vlanTpid?: number;
  payloadOffset?: number;
  /** Where #rand's numbers come from; a fixed-seed generator when not given. */
  random?: () => number;
}

export interface CbpfState {
  pc: number;
  A: number;
  X: number;
  M: number[];
  steps: number;
  /** Set once a ret ran (or a load failed, which returns 0). */
  verdict?: number;
  /** Why the machine stopped without a ret of its own. */
  fault?: string;
}

export interface CbpfMachine {
  readonly state: CbpfState;
  readonly done: boolean;
  /** Runs one instruction; returns false once the machine has stopped. */
  step(): boolean;
  /** Steps until a verdict (at most `budget` steps; classic programs cannot loop). */
  run(budget?: number): number;
}

// Ethernet header length: the network header for SKF_NET_OFF loads.
const NLA_HDRLEN = 4;

export function createCbpfMachine(insns: readonly CInsn[], packet: Uint8Array, ctx: CbpfContext = {}): CbpfMachine {
  const state: CbpfState = { pc: 0, A: 0, X: 0, M: new Array(BPF_MEMWORDS).fill(0), steps: 0 };
  let seed = 0x2545f491;
  const random = ctx.random ?? (() => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return seed >>> 0;
  });
  const len = packet.length;

  /** Reads `size` bytes big-endian at a signed offset; undefined when out of range. */
  const load = (offset: number, size: number): number | undefined => {
    let base = 0;
    let at = offset;
    if (offset < 0) {
      if (offset >= SKF_AD_OFF) return undefined;
      if (offset >= SKF_NET_OFF) { base = ETH_HLEN; at = offset - SKF_NET_OFF; }
      else if (offset >= SKF_LL_OFF) at = offset - SKF_LL_OFF;
      else return undefined;
    }
    const start = base + at;
    if (start + size > len) return undefined;
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + packet[start + i];
    return v >>> 0;
  };

  const ancillary = (k: number): number | undefined => {
    switch (k - SKF_AD_OFF) {
      case SKF_AD.protocol: return ctx.protocol ?? (len >= 14 ? (packet[12] << 8) | packet[13] : 0);
      case SKF_AD.pkttype: return ctx.pkttype ?? 0;
      case SKF_AD.ifindex: return ctx.ifindex ?? 0;
      case SKF_AD.nlattr:
        if (state.A > len - NLA_HDRLEN) return 0;
        return nlaFind(packet, state.A, len - state.A, state.X);
      case SKF_AD.nlattr_nest: {
        const A = state.A;
        if (A > len - NLA_HDRLEN) return 0;
        const nlaLen = packet[A] | (packet[A + 1] << 8);
        if (nlaLen > len - A) return 0;
        return nlaFind(packet, A + NLA_HDRLEN, nlaLen - NLA_HDRLEN, state.X);
      }
      case SKF_AD.mark: return ctx.mark ?? 0;
      case SKF_AD.queue: return ctx.queue ?? 0;
      case SKF_AD.hatype: return ctx.hatype ?? 1;
      case SKF_AD.rxhash: return ctx.rxhash ?? 0;
      case SKF_AD.cpu: return ctx.cpu ?? 0;
      case SKF_AD.alu_xor_x: return (state.A ^ state.X) >>> 0;
      case SKF_AD.vlan_tag: return ctx.vlanTci ?? 0;
      case SKF_AD.vlan_tag_present: return ctx.vlanTci === undefined ? 0 : 1;
      case SKF_AD.pay_offset: return ctx.payloadOffset ?? 0;
      case SKF_AD.random: return random() >>> 0;
      case SKF_AD.vlan_tpid: return ctx.vlanTpid ?? 0;
      default: return undefined;
    }
  };

  const stop = (verdict: number, fault?: string) => {
    state.verdict = verdict >>> 0;
    if (fault) state.fault = fault;
    return false;
  };

  const step = (): boolean => {
    if (state.verdict !== undefined) return false;
    const pc = state.pc;
    if (pc < 0 || pc >= insns.length) return stop(0, `pc ${pc} is outside the program (0..${insns.length - 1})`);
    const insn = insns[pc];
    const row = lookupCbpfRow(insn.code, insn.k);
    if (!row) return stop(0, `insn ${pc}: code 0x${insn.code.toString(16)} is not a classic BPF instruction`);
    state.steps++;
    state.pc = pc + 1;
    const k = insn.k >>> 0;
    const src = (row.kind === 'alu_x' || row.kind === 'jcond_x') ? state.X : k;
    switch (row.kind) {
      case 'ld_abs': case 'ld_ind': case 'ld_anc': {
        const offset = row.kind === 'ld_ind' ? (state.X + k) | 0 : k | 0;
        const size = row.size!;
        let v: number | undefined;
        if (row.kind !== 'ld_ind' && offset >= SKF_AD_OFF && offset < 0) v = ancillary(offset);
        else v = load(offset, size);
        if (v === undefined) return stop(0);
        state.A = v;
        break;
      }
      case 'ld_len': state.A = (ctx.wireLen ?? len) >>> 0; break;
      case 'ld_imm': state.A = k; break;
      case 'ld_mem': state.A = state.M[k] ?? 0; break;
      case 'ldx_imm': state.X = k; break;
      case 'ldx_len': state.X = (ctx.wireLen ?? len) >>> 0; break;
      case 'ldx_mem': state.X = state.M[k] ?? 0; break;
      case 'ldx_msh': {
        const b = load(k | 0, 1);
        if (b === undefined) return stop(0);
        state.X = (b & 0xf) * 4;
        break;
      }
      case 'st': if (k < BPF_MEMWORDS) state.M[k] = state.A; break;
      case 'stx': if (k < BPF_MEMWORDS) state.M[k] = state.X; break;
      case 'alu_k': case 'alu_x': {
        const A = state.A;
        switch (row.op) {
          case 'add': state.A = (A + src) >>> 0; break;
          case 'sub': state.A = (A - src) >>> 0; break;
          case 'mul': state.A = Math.imul(A, src) >>> 0; break;
          case 'div':
            if (src === 0) return stop(0);
            state.A = Math.floor(A / src) >>> 0;
            break;
          case 'mod':
            if (src === 0) return stop(0);
            state.A = (A % src) >>> 0;
            break;
          case 'or': state.A = (A | src) >>> 0; break;
          case 'and': state.A = (A & src) >>> 0; break;
          case 'xor': state.A = (A ^ src) >>> 0; break;
          // The kernel runs classic shifts as 32-bit eBPF shifts, whose count is masked to 5 bits.
          case 'lsh': state.A = (A << (src & 31)) >>> 0; break;
          case 'rsh': state.A = A >>> (src & 31); break;
        }
        break;
      }
      case 'neg': state.A = (-state.A) >>> 0; break;
      case 'ja': state.pc = pc + 1 + k; break;
      case 'jcond_k': case 'jcond_x': {
        const A = state.A;
        const taken = row.op === 'jeq' ? A === src : row.op === 'jgt' ? A > src : row.op === 'jge' ? A >= src : (A & src) !== 0;
        state.pc = pc + 1 + (taken ? insn.jt : insn.jf);
        break;
      }
      case 'ret_k': return stop(k);
      case 'ret_a': return stop(state.A);
      case 'tax': state.X = state.A; break;
      case 'txa': state.A = state.X; break;
    }
    return true;
  };

  return {
    state,
    get done() { return state.verdict !== undefined; },
    step,
    run(budget = 1_000_000) {
      while (state.verdict === undefined && budget-- > 0) step();
      if (state.verdict === undefined) stop(0, 'the step budget ran out');
      return state.verdict!;
    },
  };
}

/** Runs a filter to its verdict: the number of bytes to keep, 0 to drop the packet. */
export function runCbpf(insns: readonly CInsn[], packet: Uint8Array, ctx?: CbpfContext): number {
  return createCbpfMachine(insns, packet, ctx).run();
}

/**
 * nla_find over [start, start + remaining): the offset of the first netlink attribute of
 * type `type` (flags masked off), or 0. Attribute headers are host-order; we take little-endian.
 */
function nlaFind(packet: Uint8Array, start: number, remaining: number, type: number): number {
  if (start < 0 || start > packet.length || remaining < 0) return 0;
  let at = start;
  let rem = Math.min(remaining, packet.length - start);
  while (rem >= NLA_HDRLEN) {
    const nlaLen = packet[at] | (packet[at + 1] << 8);
    const nlaType = (packet[at + 2] | (packet[at + 3] << 8)) & 0x3fff;
    if (nlaLen < NLA_HDRLEN || nlaLen > rem) break;
    if (nlaType === type) return at;
    const aligned = (nlaLen + 3) & ~3;
    at += aligned;
    rem -= aligned;
  }
  return 0;
}
