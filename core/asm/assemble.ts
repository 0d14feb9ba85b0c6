/**
 * The assembler: eBPF assembly text (LLVM/kernel syntax and the uBPF syntax, mixed freely)
 * to a `BpfObject` with a source map, plus every problem found as a diagnostic.
 *
 * It never throws and never stops at the first error: a broken line is reported and
 * skipped (its slot is left out), so hover and the rest of the file keep working.
 *
 * Passes: lex into statements; collect label names (calls and pseudo operands need to know
 * which names are labels before lowering); match and lower each statement, laying slots out
 * per section; then resolve label references to offsets.
 */

import { Diagnostic, Span, error, warning } from '../diag';
import { Insn, LDDW_CODE, splitImm64 } from '../isa/insn';
import { BpfObject, BpfSymbol, Section, emptyObject } from '../object';
import { helperByName } from '../helpers/table';
import { Token, lex, Statement } from './lexer';
import { Bindings, MatchResult, NameContext, Operand, matchInstruction } from './match';
import { DirectiveState, handleDirective } from './directives';

export interface AssembleResult {
  object: BpfObject;
  diagnostics: Diagnostic[];
}

/** A reference to a label that is resolved once all labels are known. */
interface Fixup {
  section: Section;
  slot: number;
  /** off/imm: a jump; call: a local call; func: `func(LABEL)`; funcReloc: `r1 = LABEL ll`. */
  field: 'off' | 'imm' | 'call' | 'func' | 'funcReloc';
  label: string;
  span: Span;
}

/** `statements`: the text already lexed (an editor lexes once for the assembler and its own uses); read, not changed. */
export function assemble(text: string, statements: readonly Statement[] = lex(text)): AssembleResult {
  const diagnostics: Diagnostic[] = [];
  const object = emptyObject();
  try {
    new Assembler(object, diagnostics).run(statements);
  } catch (e) {
    diagnostics.push(error('internal', `internal assembler error: ${(e as Error).message}`));
  }
  return { object, diagnostics };
}

export function spanOf(a: Token, b: Token = a): Span {
  return { line: a.line, col: a.col, endCol: b.line === a.line ? b.endCol : a.endCol };
}

class Assembler implements NameContext {
  private labels = new Set<string>();
  private mapNames = new Set<string>();
  private labelSlots = new Map<string, { section: Section; slot: number }>();
  private fixups: Fixup[] = [];
  private section!: Section;
  private pendingBytes: number[] = [];
  private pendingSpan?: Span;
  private readonly dirState: DirectiveState;

  constructor(private obj: BpfObject, private diags: Diagnostic[]) {
    this.dirState = {
      obj,
      diags,
      switchSection: (name, flags, span) => this.switchSection(name, flags, span),
      emitData: (bytes, span) => this.emitData(bytes, span),
      symbol: (name) => this.symbol(name),
    };
  }

  isLabel(name: string): boolean {
    return this.labels.has(name);
  }
  isHelper(name: string): boolean {
    return helperByName(name) !== undefined;
  }
  isMap(name: string): boolean {
    return this.mapNames.has(name);
  }

  run(statements: readonly Statement[]): void {
    this.prepass(statements);
    this.switchSection('.text', undefined, undefined);
    for (const st of statements) this.statement(st);
    this.flushData();
    this.resolveFixups();
    this.finish();
  }

  /** Label and map names, so that `call NAME` and `r1 = NAME ll` can be read before they are defined. */
  private prepass(statements: readonly Statement[]): void {
    for (const st of statements) {
      const t = st.tokens;
      for (let i = 0; i + 1 < t.length && t[i + 1].text === ':' && (t[i].kind === 'ident' || t[i].kind === 'num'); i += 2) {
        this.labels.add(t[i].text);
      }
      if (t[0]?.kind === 'ident' && t[0].text === '.map' && t[1]?.kind === 'ident') this.mapNames.add(t[1].text);
    }
  }

  private statement(st: Statement): void {
    let toks = st.tokens;
    // Labels: `name:` (several may precede one instruction).
    while (toks.length >= 2 && toks[1].kind === 'punct' && toks[1].text === ':' && (toks[0].kind === 'ident' || toks[0].kind === 'num')) {
      this.defineLabel(toks[0]);
      toks = toks.slice(2);
    }
    if (toks.length === 0) return;
    const bad = toks.find((t) => t.kind === 'bad');
    if (bad) {
      this.diags.push(error('syntax', `unexpected '${bad.text}'`, spanOf(bad)));
      return;
    }
    if (toks[0].kind === 'ident' && toks[0].text.startsWith('.')) {
      if (toks[0].text !== '.quad' && toks[0].text !== '.byte' && toks[0].text !== '.short' && toks[0].text !== '.long'
        && toks[0].text !== '.word' && toks[0].text !== '.zero' && toks[0].text !== '.space' && toks[0].text !== '.ascii'
        && toks[0].text !== '.asciz' && toks[0].text !== '.string') this.flushData();
      handleDirective(toks, this.dirState);
      return;
    }
    this.flushData();
    const m = matchInstruction(toks, this);
    if (!m.ok) {
      const at = toks[m.at];
      const where = at ?? toks[toks.length - 1];
      const what = at ? `'${at.text}'` : 'the end of the line';
      const msg = m.at === 0 && !m.row
        ? `unknown instruction '${toks.map((t) => t.text).join(' ')}'`
        : `expected ${m.expected} but found ${what}${m.row ? ` (reading as ${m.row.id})` : ''}`;
      this.diags.push(error('syntax', msg, at ? spanOf(at) : { line: where.line, col: where.endCol, endCol: where.endCol + 1 }));
      return;
    }
    this.lower(m, spanOf(toks[0], toks[toks.length - 1]));
  }

  private defineLabel(tok: Token): void {
    const name = tok.text;
    if (this.labelSlots.has(name)) {
      this.diags.push(error('duplicate-label', `label '${name}' is already defined`, spanOf(tok)));
      return;
    }
    this.flushData();
    this.labelSlots.set(name, { section: this.section, slot: this.section.insns.length });
    const sym = this.symbol(name);
    sym.section = this.section.name;
    sym.offset = this.section.insns.length * 8 + (this.section.kind === 'data' ? this.section.data.length : 0);
    sym.span = spanOf(tok);
  }

  private symbol(name: string): BpfSymbol {
    let sym = this.obj.symbols.find((s) => s.name === name);
    if (!sym) {
      sym = { name, section: this.section?.name ?? '.text', offset: 0, size: 0, global: false, kind: 'label' };
      this.obj.symbols.push(sym);
    }
    return sym;
  }

  private switchSection(name: string, flags: string | undefined, span: Span | undefined): void {
    this.flushData();
    let sec = this.obj.sections.find((s) => s.name === name);
    if (!sec) {
      const code = flags !== undefined ? flags.includes('x') : !isDataSectionName(name);
      sec = { name, kind: code ? 'code' : 'data', insns: [], data: new Uint8Array(0), relocs: [], lines: [] };
      this.obj.sections.push(sec);
    }
    void span;
    this.section = sec;
  }

  /** Raw data: instruction bytes in a code section (8 to a slot), plain bytes elsewhere. */
  private emitData(bytes: number[], span: Span): void {
    if (this.section.kind === 'data') {
      const merged = new Uint8Array(this.section.data.length + bytes.length);
      merged.set(this.section.data);
      merged.set(bytes, this.section.data.length);
      this.section.data = merged;
      return;
    }
    this.pendingSpan ??= span;
    for (const b of bytes) {
      this.pendingBytes.push(b & 0xff);
      if (this.pendingBytes.length === 8) {
        const v = new DataView(Uint8Array.from(this.pendingBytes).buffer);
        const regs = v.getUint8(1);
        this.pushSlot({ code: v.getUint8(0), dst: regs & 15, src: regs >> 4, off: v.getInt16(2, true), imm: v.getInt32(4, true) }, this.pendingSpan);
        this.pendingBytes = [];
        this.pendingSpan = undefined;
      }
    }
  }

  private flushData(): void {
    if (this.pendingBytes.length && this.section.kind === 'code') {
      this.diags.push(error('partial-slot', `${this.pendingBytes.length} bytes of data in code section ${this.section.name} do not make a whole 8-byte instruction`, this.pendingSpan));
    }
    this.pendingBytes = [];
    this.pendingSpan = undefined;
  }

  private pushSlot(i: Insn, span: Span | undefined): number {
    const slot = this.section.insns.length;
    this.section.insns.push(i);
    this.section.lines.push(span);
    return slot;
  }

  // --- lowering ---------------------------------------------------------------------------

  private lower(m: MatchResult, span: Span): void {
    const { row, b } = m;
    if (this.section.kind === 'data') {
      this.diags.push(error('data-section', `instruction in data section ${this.section.name}`, span));
      return;
    }
    const i: Insn = { code: row.code, dst: 0, src: 0, off: 0, imm: 0 };
    if (row.match?.src !== undefined) i.src = row.match.src;
    if (row.match?.off !== undefined) i.off = row.match.off;
    if (row.match?.imm !== undefined) i.imm = row.match.imm;
    if (b.dst) i.dst = this.reg(b.dst);
    if (b.src) i.src = this.reg(b.src);
    if (b.off) i.off = this.int(b.off, -0x8000n, 0x7fffn, 'offset', 16);
    if (b.imm) i.imm = this.imm32(b.imm);
    if (b.asDst || b.asSrc) {
      const hi = b.asDst ? this.int(b.asDst, 0n, 0xffffn, 'address space', 16) : 0;
      const lo = b.asSrc ? this.int(b.asSrc, 0n, 0xffffn, 'address space', 16) : 0;
      i.imm = ((hi << 16) | lo) | 0;
    }
    if (b.helper) i.imm = this.helperId(b.helper);
    if (b.kfunc) i.imm = this.imm32(b.kfunc);
    if (b.kfuncOff) i.off = this.int(b.kfuncOff, -0x8000n, 0x7fffn, 'offset', 16);

    if (row.kind === 'lddw') {
      this.lowerLddw(i, b, span);
      return;
    }
    const slot = this.pushSlot(i, span);
    if (b.target) this.jumpOperand(b.target, slot, row.id === 'gotol' ? 'imm' : 'off', span);
    if (b.func) this.funcOperand(b.func, slot, span);
  }

  private lowerLddw(i: Insn, b: Bindings, span: Span): void {
    let hi = 0;
    if (b.imm64) {
      const v = b.imm64.value ?? 0n;
      if (v < -(1n << 63n) || v >= 1n << 64n) this.diags.push(error('range', `constant ${v} does not fit in 64 bits`, spanOf(b.imm64.tok, b.imm64.endTok)));
      const parts = splitImm64(v);
      i.imm = parts.lo;
      hi = parts.hi;
    }
    const slot = this.pushSlot(i, span);
    this.pushSlot({ code: 0, dst: 0, src: 0, off: 0, imm: 0 }, span);
    const p = b.pseudo;
    if (p) {
      const addend = p.addend ?? 0n;
      const pspan = spanOf(p.tok, p.endTok);
      if (p.symbol !== undefined) {
        if (i.src === 1 || i.src === 2) {
          if (!this.mapNames.has(p.symbol)) {
            this.diags.push(error('unknown-map', `unknown map '${p.symbol}'; declare it with .map ${p.symbol}, type=..., key=..., value=..., max_entries=...`, pspan));
          }
          // As clang emits it: the reference lives in the relocation; the bytes say src=0, imm=0.
          this.section.relocs.push({ insnIdx: slot, kind: i.src === 1 ? 'map' : 'map_value', symbol: p.symbol, addend: Number(addend) });
          i.src = 0;
        } else if (i.src === 4 && p.bare) {
          // `r1 = LABEL ll`: as llvm-mc, an absolute address left to a relocation (libbpf makes it BPF_PSEUDO_FUNC).
          this.fixups.push({ section: this.section, slot, field: 'funcReloc', label: p.symbol, span: pspan });
          i.src = 0;
        } else if (i.src === 4) {
          this.fixups.push({ section: this.section, slot, field: 'func', label: p.symbol, span: pspan });
        } else {
          this.diags.push(error('syntax', `${p.pseudoKind}(...) takes a number`, pspan));
        }
      } else {
        i.imm = this.imm32({ ...p, value: p.value ?? 0n });
        hi = this.int({ ...p, value: addend }, -(1n << 31n), (1n << 32n) - 1n, 'offset', 32);
      }
    }
    this.section.insns[slot + 1].imm = hi;
  }

  private jumpOperand(t: Operand, slot: number, field: 'off' | 'imm', span: Span): void {
    if (t.symbol !== undefined) {
      this.fixups.push({ section: this.section, slot, field, label: t.symbol, span: spanOf(t.tok) });
      return;
    }
    const insn = this.section.insns[slot];
    if (field === 'off') insn.off = this.int(t, -0x8000n, 0x7fffn, 'jump offset', 16);
    else insn.imm = this.imm32(t);
    void span;
  }

  private funcOperand(f: Operand, slot: number, span: Span): void {
    if (f.symbol !== undefined) this.fixups.push({ section: this.section, slot, field: 'call', label: f.symbol, span: spanOf(f.tok) });
    else this.section.insns[slot].imm = this.imm32(f);
    void span;
  }

  private resolveFixups(): void {
    for (const f of this.fixups) {
      const insn = f.section.insns[f.slot];
      let target = this.labelSlots.get(f.label);
      // The uBPF suite's convention: `exit` names the first exit instruction when no label does.
      if (!target && f.label === 'exit') {
        const idx = f.section.insns.findIndex((x, k) => x.code === 0x95 && !(k > 0 && f.section.insns[k - 1].code === LDDW_CODE));
        if (idx >= 0) target = { section: f.section, slot: idx };
      }
      if (!target) {
        if (f.field !== 'off' && f.field !== 'imm') {
          this.diags.push(error('unknown-label', `unknown function '${f.label}'`, f.span));
        } else {
          this.diags.push(error('unknown-label', `unknown label '${f.label}'`, f.span));
        }
        continue;
      }
      if (f.field === 'funcReloc' || (target.section !== f.section && (f.field === 'call' || f.field === 'func'))) {
        this.functionReloc(f, target);
        continue;
      }
      if (target.section !== f.section) {
        this.diags.push(error('cross-section-jump', `label '${f.label}' is in section ${target.section.name}; a jump cannot leave its section`, f.span));
        continue;
      }
      const delta = target.slot - (f.slot + 1);
      if (f.field === 'off') {
        if (delta < -0x8000 || delta > 0x7fff) {
          this.diags.push(error('range', `label '${f.label}' is ${delta} instructions away, beyond a 16-bit jump offset; use gotol`, f.span));
          continue;
        }
        insn.off = delta;
      } else {
        insn.imm = delta;
      }
    }
  }

  /**
   * A reference left to the linker (libbpf), encoded as llvm-mc encodes it: against the
   * function's own symbol when it is global (a call's imm -1, an lddw's 0), otherwise
   * against its section's symbol with the position in imm (a call: slot - 1; an lddw:
   * byte offset).
   */
  private functionReloc(f: Fixup, target: { section: Section; slot: number }): void {
    const insn = f.section.insns[f.slot];
    const isCall = f.field === 'call';
    const global = this.obj.symbols.find((y) => y.name === f.label)?.global ?? false;
    insn.src = isCall ? 1 : 0;
    insn.imm = global ? (isCall ? -1 : 0) : isCall ? target.slot - 1 : target.slot * 8;
    f.section.relocs.push({ insnIdx: f.slot, kind: isCall ? 'call' : 'func', symbol: global ? f.label : target.section.name, addend: 0 });
  }

  private finish(): void {
    // Drop the implicit .text when nothing was put in it.
    this.obj.sections = this.obj.sections.filter((s) => s.name !== '.text' || s.insns.length > 0 || s.data.length > 0
      || this.obj.symbols.some((y) => y.section === '.text'));
    for (const s of this.obj.sections) {
      if (s.kind === 'data' && s.name === 'license') {
        const nul = s.data.indexOf(0);
        this.obj.license = new TextDecoder().decode(s.data.subarray(0, nul < 0 ? s.data.length : nul));
      }
    }
    const sizes = new Map<string, number>();
    for (const s of this.obj.sections) sizes.set(s.name, s.kind === 'code' ? s.insns.length * 8 : s.data.length);
    // A function's size runs to the next function symbol of its section, or the section end.
    for (const sym of this.obj.symbols) {
      if (sym.kind !== 'func' || sym.size) continue;
      const next = this.obj.symbols.filter((o) => o.section === sym.section && o.kind === 'func' && o.offset > sym.offset)
        .reduce((m, o) => Math.min(m, o.offset), sizes.get(sym.section) ?? sym.offset);
      sym.size = next - sym.offset;
    }
  }

  // --- operand checks ---------------------------------------------------------------------

  private reg(o: Operand): number {
    const n = Number(o.value ?? 0n);
    if (n > 15) {
      this.diags.push(error('bad-register', `register r${n} does not exist (r0-r10)`, spanOf(o.tok)));
      return 0;
    }
    // r11-r15 fit the 4-bit field: encode them, so that a test can show the loader refusing them.
    if (n > 10) this.diags.push(warning('bad-register', `register r${n} does not exist (r0-r10); encoded as ${n}, which loading refuses`, spanOf(o.tok)));
    return n;
  }

  private int(o: Operand, min: bigint, max: bigint, what: string, bits: number): number {
    const v = o.value ?? 0n;
    if (v < min || v > max) {
      this.diags.push(error('range', `${what} ${v} does not fit in a signed ${bits}-bit field (${min} to ${max})`, spanOf(o.tok, o.endTok)));
      return 0;
    }
    return Number(v);
  }

  /** A 32-bit immediate: signed, or a 32-bit pattern such as 0xffffffff (taken as -1). */
  private imm32(o: Operand): number {
    const v = o.value ?? 0n;
    if (v < -(1n << 31n) || v >= 1n << 32n) {
      this.diags.push(error('range', `immediate ${v} does not fit in 32 bits${v >= 1n << 32n || v < -(1n << 31n) ? ' (a 64-bit constant needs lddw: `rN = VALUE ll`)' : ''}`, spanOf(o.tok, o.endTok)));
      return 0;
    }
    return Number(BigInt.asIntN(32, v));
  }

  private helperId(o: Operand): number {
    if (o.symbol !== undefined) return helperByName(o.symbol)?.id ?? 0;
    return this.imm32(o);
  }
}

/** Sections that hold data rather than code when no flags say otherwise. */
export function isDataSectionName(name: string): boolean {
  return /^(\.maps|maps|license|version|\.data|\.rodata|\.bss|\.BTF|\.debug|\.llvm|\.eh_frame|\.note|\.comment)/.test(name) || name.startsWith('.rel');
}
