/**
 * Classic BPF to eBPF, after the kernel's bpf_convert_filter() (net/core/filter.c), so that a
 * classic filter can be verified by our eBPF verifier, stepped in the eBPF VM and loaded
 * into the kernel as a tc classifier (sched_cls, which sees the frame from its Ethernet
 * header, as a packet socket's filter does).
 *
 * Registers as the kernel maps them (include/linux/filter.h): A = r0, X = r7, the context
 * (the skb) = r6, M[0..15] = the 16 words below the frame pointer, M[k] at fp - (16 - k) * 4.
 * The prologue zeroes A and X and saves the context, as the kernel's does (with `w0 = 0`
 * where the kernel writes `w0 ^= w0`: the verifier refuses to read a register never set,
 * and the kernel's own translation is never verified).
 *
 * Where we depart from the kernel, and why (each keeps the classic semantics):
 * - Packet loads become the eBPF legacy loads LD_ABS / LD_IND (r0 = *(u16 *)skb[12]). The
 *   kernel inlines skb->data accesses and calls bpf_skb_load_helper_*(), internal functions
 *   no loadable program may call; LD_ABS ends the program with 0 when the load falls outside
 *   the packet, exactly as a classic load does.
 * - Ancillary loads read `__sk_buff` fields or call helpers (ANCILLARY below) instead of raw
 *   struct sk_buff offsets. Four have no loadable equivalent and are refused: #nla and #nlan
 *   (the kernel calls its netlink attribute walkers), #hatype (skb->dev->type) and #poff
 *   (the flow dissector).
 * - Conditional jumps use JMP32 (a 32-bit compare), where the kernel compares 64 bits and
 *   first moves a negative constant into a scratch register to zero-extend it. A and X are
 *   32-bit, so both compare the same numbers.
 * - Unreachable classic instructions get no eBPF code: the eBPF verifier refuses unreachable
 *   code, the classic checker does not.
 * - `ldx 4*([k]&0xf)` keeps A in r9 across its LD_ABS, which clobbers r1-r5 (the kernel uses
 *   r2 around its inlined load); so there is no skb->data / headlen cache in r8 and r9.
 *
 * Every eBPF instruction records the classic instruction it came from (`origin`), and every
 * classic instruction where its eBPF code starts (`start`), for diagnostics and breakpoints.
 */

import { Diagnostic, Span, error, hasErrors } from '../diag';
import { Insn, insn } from '../isa/insn';
import { rowById } from '../isa/opcodes';
import { ctxStruct } from '../progtypes/contexts';
import { helperByName } from '../helpers/table';
import { BpfObject, emptyObject } from '../object';
import { BPF_MEMWORDS, CInsn, SKF_AD, SKF_AD_OFF, lookupCbpfRow } from './opcodes';
import { CbpfParse, parseCbpf } from './parse';
import { checkCbpf } from './check';

const A = 0, X = 7, CTX = 6, SAVED_A = 9, FP = 10;

/** The section the translation is placed in: a tc classifier. */
export const CBPF_SECTION = 'tc';
export const CBPF_PROG_TYPE = 'sched_cls';

type Ancillary =
  | { field: string; swap16?: boolean }
  | { helper: string }
  | { xorX: true }
  | { refused: string };

// How each SKF_AD_* load is done by a loadable program. `swap16`: the field holds a __be16
// (skb->protocol, skb->vlan_proto); classic BPF gives it in host order, as the kernel's
// translation does with a BPF_ENDIAN after its load.
const ANCILLARY: Record<keyof typeof SKF_AD, Ancillary> = {
  protocol: { field: 'protocol', swap16: true },
  pkttype: { field: 'pkt_type' },
  ifindex: { field: 'ifindex' },
  nlattr: { refused: 'the kernel walks netlink attributes with nla_find(), which no eBPF program can call' },
  nlattr_nest: { refused: 'the kernel walks nested netlink attributes with nla_find_nested(), which no eBPF program can call' },
  mark: { field: 'mark' },
  queue: { field: 'queue_mapping' },
  hatype: { refused: 'the kernel reads skb->dev->type, which __sk_buff does not expose' },
  rxhash: { field: 'hash' },
  cpu: { helper: 'get_smp_processor_id' },
  alu_xor_x: { xorX: true },
  vlan_tag: { field: 'vlan_tci' },
  vlan_tag_present: { field: 'vlan_present' },
  pay_offset: { refused: 'the kernel runs the flow dissector (skb_get_poff()), which no eBPF program can call' },
  random: { helper: 'get_prandom_u32' },
  vlan_tpid: { field: 'vlan_proto', swap16: true },
};

export interface CbpfTranslation {
  insns: Insn[];
  /** The classic instruction each eBPF instruction came from; the prologue counts as the first. */
  origin: number[];
  /** Where each classic instruction's eBPF code starts (an unreachable one: where the next one's does). */
  start: number[];
  diagnostics: Diagnostic[];
}

const code = (id: string) => rowById(id).code;
const SKB = ctxStruct('__sk_buff')!;

function skbFieldOffset(name: string): number {
  const f = SKB.fields.find((x) => x.name === name);
  if (!f) throw new Error(`__sk_buff has no field ${name}`);
  return f.off;
}

const memOffset = (k: number) => -(BPF_MEMWORDS - k) * 4;

// Classic jump operations, their JMP32 rows, and the inverse used when the true branch falls through.
const JUMPS: Record<string, { id: string; inverse?: string }> = {
  jeq: { id: 'jeq32', inverse: 'jne32' },
  jgt: { id: 'jgt32', inverse: 'jle32' },
  jge: { id: 'jge32', inverse: 'jlt32' },
  jset: { id: 'jset32' },
};

/**
 * Translates a classic program that passed checkCbpf. A classic instruction that cannot be
 * translated gets an error at its line (`lines`), and the result then has no instructions.
 */
export function translateCbpf(prog: readonly CInsn[], lines?: readonly Span[]): CbpfTranslation {
  const out: Insn[] = [];
  const origin: number[] = [];
  const start: number[] = [];
  const diagnostics: Diagnostic[] = [];
  // Jumps are emitted with the classic target in `imm` of this list and patched at the end.
  const fixups: { at: number; target: number }[] = [];
  let cur = 0;
  const emit = (i: Insn) => { out.push(i); origin.push(cur); };
  const jump = (i: Insn, target: number) => { fixups.push({ at: out.length, target }); emit(i); };
  const refuse = (pc: number, message: string) => {
    const d = error('cbpf-translate', `insn ${pc}: ${message}`, lines?.[pc]);
    d.insnIdx = pc;
    diagnostics.push(d);
  };

  emit(insn(code('mov32_imm'), A));
  emit(insn(code('mov32_imm'), X));
  emit(insn(code('mov64_reg'), CTX, 1));

  const ancillary = (pc: number, key: keyof typeof SKF_AD, name: string) => {
    const how = ANCILLARY[key];
    if ('refused' in how) refuse(pc, `${name} has no equivalent in a loadable eBPF program: ${how.refused}`);
    else if ('field' in how) {
      emit(insn(code('ldxw'), A, CTX, skbFieldOffset(how.field)));
      if (how.swap16) emit(insn(code('be16'), A, 0, 0, 16));
    } else if ('helper' in how) emit(insn(code('call'), 0, 0, 0, helperByName(how.helper)!.id));
    else emit(insn(code('xor32_reg'), A, X));
  };

  const reachable = reachableInsns(prog);
  prog.forEach((c, pc) => {
    cur = pc;
    start.push(out.length);
    if (!reachable[pc]) return;
    const row = lookupCbpfRow(c.code, c.k);
    if (!row) { refuse(pc, `code 0x${c.code.toString(16)} is not a classic BPF instruction`); return; }
    const k = c.k | 0;
    const sizeSuffix = row.size === 1 ? 'b' : row.size === 2 ? 'h' : 'w';
    switch (row.kind) {
      case 'ld_abs': case 'ld_anc': {
        // An offset in the ancillary range that names nothing stays a load, which fails (returns 0) in both.
        const key = k >= SKF_AD_OFF && k < 0
          ? (Object.keys(SKF_AD) as (keyof typeof SKF_AD)[]).find((n) => SKF_AD[n] === k - SKF_AD_OFF) : undefined;
        if (key) ancillary(pc, key, row.kind === 'ld_anc' ? row.asm : `ld [SKF_AD_OFF + ${k - SKF_AD_OFF}]`);
        else emit(insn(code(`ldabs${sizeSuffix}`), 0, 0, 0, k));
        break;
      }
      case 'ld_ind': emit(insn(code(`ldind${sizeSuffix}`), 0, X, 0, k)); break;
      case 'ld_len': emit(insn(code('ldxw'), A, CTX, skbFieldOffset('len'))); break;
      case 'ld_imm': emit(insn(code('mov32_imm'), A, 0, 0, k)); break;
      case 'ld_mem': emit(insn(code('ldxw'), A, FP, memOffset(k))); break;
      case 'ldx_imm': emit(insn(code('mov32_imm'), X, 0, 0, k)); break;
      case 'ldx_len': emit(insn(code('ldxw'), X, CTX, skbFieldOffset('len'))); break;
      case 'ldx_mem': emit(insn(code('ldxw'), X, FP, memOffset(k))); break;
      case 'ldx_msh':
        emit(insn(code('mov64_reg'), SAVED_A, A));
        emit(insn(code('ldabsb'), 0, 0, 0, k));
        emit(insn(code('and32_imm'), A, 0, 0, 0xf));
        emit(insn(code('lsh32_imm'), A, 0, 0, 2));
        emit(insn(code('mov64_reg'), X, A));
        emit(insn(code('mov64_reg'), A, SAVED_A));
        break;
      case 'st': emit(insn(code('stxw'), FP, A, memOffset(k))); break;
      case 'stx': emit(insn(code('stxw'), FP, X, memOffset(k))); break;
      case 'alu_k': emit(insn(code(`${row.op}32_imm`), A, 0, 0, k)); break;
      case 'alu_x':
        if (row.op === 'div' || row.op === 'mod') {
          // Classic BPF returns 0 on division by zero; eBPF would go on with 0 (or A).
          emit(insn(code('jne_imm'), X, 0, 2, 0));
          emit(insn(code('mov32_imm'), A));
          emit(insn(code('exit')));
        }
        emit(insn(code(`${row.op}32_reg`), A, X));
        break;
      case 'neg': emit(insn(code('neg32'), A)); break;
      case 'ja': jump(insn(code('ja')), pc + 1 + (c.k >>> 0)); break;
      case 'jcond_k': case 'jcond_x': {
        const j = JUMPS[row.op!];
        const bySrc = (id: string, dst: number) => row.kind === 'jcond_x'
          ? insn(code(`${id}_reg`), dst, X) : insn(code(`${id}_imm`), dst, 0, 0, k);
        const t = pc + 1 + c.jt, f = pc + 1 + c.jf;
        if (c.jf === 0) jump(bySrc(j.id, A), t);
        else if (c.jt === 0 && j.inverse) jump(bySrc(j.inverse, A), f);
        else { jump(bySrc(j.id, A), t); jump(insn(code('ja')), f); }
        break;
      }
      case 'ret_k': emit(insn(code('mov32_imm'), A, 0, 0, k)); emit(insn(code('exit'))); break;
      case 'ret_a': emit(insn(code('exit'))); break;
      case 'tax': emit(insn(code('mov64_reg'), X, A)); break;
      case 'txa': emit(insn(code('mov64_reg'), A, X)); break;
    }
  });

  for (const { at, target } of fixups) {
    const to = start[target];
    if (to === undefined) { refuse(origin[at], `jumps to insn ${target}, outside the program`); continue; }
    const off = to - (at + 1);
    if (off > 0x7fff) { refuse(origin[at], `jumps ${off} eBPF instructions ahead, more than a jump's 16-bit offset holds`); continue; }
    out[at].off = off;
  }
  if (diagnostics.length) return { insns: [], origin: [], start: [], diagnostics };
  return { insns: out, origin, start, diagnostics };
}

/** Which instructions some path from the first reaches (a jump's targets, the next one unless it returns or jumps). */
function reachableInsns(prog: readonly CInsn[]): boolean[] {
  const seen = new Array<boolean>(prog.length).fill(false);
  const todo = [0];
  while (todo.length) {
    const pc = todo.pop()!;
    if (pc >= prog.length || seen[pc]) continue;
    seen[pc] = true;
    const row = lookupCbpfRow(prog[pc].code, prog[pc].k);
    if (!row || row.kind === 'ret_k' || row.kind === 'ret_a') continue;
    if (row.kind === 'ja') todo.push(pc + 1 + (prog[pc].k >>> 0));
    else if (row.kind === 'jcond_k' || row.kind === 'jcond_x') todo.push(pc + 1 + prog[pc].jt, pc + 1 + prog[pc].jf);
    else todo.push(pc + 1);
  }
  return seen;
}

/** The translation as an object of one tc classifier, each slot placed on its classic line. */
export function cbpfObject(t: CbpfTranslation, lines: readonly Span[]): BpfObject {
  const object = emptyObject();
  object.sections.push({
    name: CBPF_SECTION, kind: 'code', insns: t.insns, data: new Uint8Array(0), relocs: [],
    lines: t.origin.map((c) => lines[c]),
  });
  object.symbols.push({ name: 'cbpf_filter', section: CBPF_SECTION, offset: 0, size: t.insns.length * 8, global: true, kind: 'func' });
  return object;
}

/** A classic BPF text through the whole pipeline: parsed, checked, translated; the first stage with errors ends it. */
export interface ClassicProgram {
  parsed: CbpfParse;
  diagnostics: Diagnostic[];
  /** Present when every stage passed. */
  translation?: CbpfTranslation;
  object?: BpfObject;
}

export function classicProgram(text: string): ClassicProgram {
  const parsed = parseCbpf(text);
  const diagnostics = [...parsed.diagnostics];
  if (!hasErrors(diagnostics)) diagnostics.push(...checkCbpf(parsed.insns, parsed.lines));
  if (hasErrors(diagnostics)) return { parsed, diagnostics };
  const translation = translateCbpf(parsed.insns, parsed.lines);
  diagnostics.push(...translation.diagnostics);
  if (hasErrors(diagnostics)) return { parsed, diagnostics };
  return { parsed, diagnostics, translation, object: cbpfObject(translation, parsed.lines) };
}

/** A classic BPF file's text as the object of its translation, or the reasons there is none. */
export function classicObject(text: string): { object: BpfObject; diagnostics: Diagnostic[] } {
  const c = classicProgram(text);
  return { object: c.object ?? emptyObject(), diagnostics: c.diagnostics };
}
