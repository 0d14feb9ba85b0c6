/**
 * What an editor knows about one document, computed once per version and read by every
 * feature (diagnostics, hover, completion, navigation, lenses, hints, fixes): the object the
 * text assembles to, each program linked and verified, the instructions on each line, the
 * names defined and used, and every diagnostic placed on its line.
 *
 * eBPF assembly is assembled and each program verified as its section's type (or the
 * default type). Classic BPF is parsed, checked, translated to eBPF and the translation
 * verified as a tc classifier, each eBPF instruction placed on its classic line.
 *
 * Never throws on a document: a broken line is a diagnostic and the rest still analyses.
 */

import { Diagnostic, Span, hasErrors } from '../diag';
import { BpfObject, SourcePos, emptyObject } from '../object';
import { assemble } from '../asm/assemble';
import { lex } from '../asm/lexer';
import { LinkedProgram, ProgramRef, linkProgram, listPrograms } from '../link';
import { sectionProgType } from '../progtypes/table';
import { verifyProgram, VerifyResult } from '../verifier';
import { CInsn } from '../cbpf/opcodes';
import { CbpfTranslation, CBPF_PROG_TYPE, classicProgram } from '../cbpf/translate';
import { sectionListing } from '../asm/listing';
import { Dialect } from '../asm/match';
import { printInsn } from '../asm/print';
import { SymbolTable, collectSymbols } from './symbols';

export type Language = 'ebpf' | 'cbpf';

export interface AnalysisOptions {
  language?: Language;
  /** The program type of a section whose name says none (`ebpf.defaultProgramType`). */
  defaultProgType?: string;
  /** Asked during verification; true abandons the analysis (a newer edit arrived). */
  isCancelled?: () => boolean;
}

export interface ProgramAnalysis {
  ref: ProgramRef;
  progType: string;
  program: LinkedProgram;
  /** Absent when the document has assembly errors (nothing is verified then). */
  result?: VerifyResult;
}

/** An instruction on a line: which program, and its slot in the linked program. */
export interface InsnAt {
  program: number;
  insnIdx: number;
}

export interface ClassicAnalysis {
  insns: CInsn[];
  lines: Span[];
  /** Classic instruction index by line. */
  insnAtLine: Map<number, number>;
  translation?: CbpfTranslation;
}

export interface Analysis {
  language: Language;
  text: string;
  lines: string[];
  object: BpfObject;
  programs: ProgramAnalysis[];
  /** Document line → the instructions written on it (the main file's own lines only). */
  insnsAtLine: Map<number, InsnAt[]>;
  symbols: SymbolTable;
  diagnostics: Diagnostic[];
  cbpf?: ClassicAnalysis;
  cancelled?: boolean;
  defaultProgType: string;
  /**
   * A C document (`.bpf.c`): the path clang built it from. The object's lines are then the
   * BTF line info's C positions, and only those in this file count as the document's own.
   */
  sourceFile?: string;
}

export const DEFAULT_PROG_TYPE = 'socket_filter';

export function analyzeDocument(text: string, opts: AnalysisOptions = {}): Analysis {
  const language = opts.language ?? 'ebpf';
  const defaultProgType = opts.defaultProgType ?? DEFAULT_PROG_TYPE;
  const base = { language, text, lines: text.split(/\r\n|\r|\n/), defaultProgType };
  if (language === 'cbpf') return analyzeClassic(text, base, opts);
  const statements = lex(text);
  const { object, diagnostics } = assemble(text, statements);
  const programs = listPrograms(object).map((ref): ProgramAnalysis => {
    const def = sectionProgType(ref.section);
    return { ref, progType: def?.progType ?? defaultProgType, program: linkProgram(object, ref).program };
  });
  const a: Analysis = { ...base, object, programs, insnsAtLine: lineIndex(programs), symbols: collectSymbols(text, object, 'ebpf', statements), diagnostics: [...diagnostics] };
  if (!hasErrors(diagnostics)) verifyAll(a, opts);
  return a;
}

/**
 * An object read from bytes (an ELF `.o` or a `.bin`), as a read-only document: its
 * disassembly laid out as llvm-objdump prints it, each program verified, and each
 * diagnostic on the listing line of its instruction.
 */
export function analyzeObject(source: BpfObject, loadDiagnostics: readonly Diagnostic[], opts: AnalysisOptions & { dialect?: Dialect } = {}): Analysis {
  const defaultProgType = opts.defaultProgType ?? DEFAULT_PROG_TYPE;
  const text: string[] = [];
  // A copy whose code slots sit on the listing's lines (the object's own lines point at its C source).
  const object: BpfObject = { ...source, sections: source.sections.map((sec) => ({ ...sec, lines: sec.lines.map(() => undefined) })) };
  for (const sec of object.sections) {
    if (sec.kind !== 'code' || sec.insns.length === 0) continue;
    for (const row of sectionListing(object, sec, { dialect: opts.dialect })) {
      const m = /^ *(\d+):\t/.exec(row);
      if (m) {
        const slot = Number(m[1]);
        const pos = { line: text.length, col: m[0].length, endCol: row.length };
        sec.lines[slot] = pos;
        if (sec.insns[slot].code === 0x18 && slot + 1 < sec.insns.length) sec.lines[slot + 1] = pos;
      }
      text.push(row);
    }
  }
  const joined = text.join('\n') + '\n';
  const programs = listPrograms(object).map((ref): ProgramAnalysis => {
    const def = sectionProgType(ref.section);
    return { ref, progType: def?.progType ?? defaultProgType, program: linkProgram(object, ref).program };
  });
  const a: Analysis = {
    language: 'ebpf', text: joined, lines: joined.split('\n'), defaultProgType, object, programs, insnsAtLine: lineIndex(programs),
    symbols: { defs: [], uses: [] }, diagnostics: [...loadDiagnostics],
  };
  if (!hasErrors(loadDiagnostics)) verifyAll(a, opts);
  return a;
}

function analyzeClassic(text: string, base: Pick<Analysis, 'language' | 'text' | 'lines' | 'defaultProgType'>, opts: AnalysisOptions): Analysis {
  const c = classicProgram(text);
  const { parsed } = c;
  const cbpf: ClassicAnalysis = { insns: parsed.insns, lines: parsed.lines, insnAtLine: new Map(parsed.lines.map((s, k) => [s.line, k])), translation: c.translation };
  const a: Analysis = {
    ...base, object: c.object ?? emptyObject(), programs: [], insnsAtLine: new Map(), symbols: collectSymbols(text, undefined, 'cbpf'),
    diagnostics: c.diagnostics, cbpf,
  };
  if (!c.object) return a;
  a.programs = listPrograms(a.object).map((ref) => ({ ref, progType: CBPF_PROG_TYPE, program: linkProgram(a.object, ref).program }));
  a.insnsAtLine = lineIndex(a.programs);
  verifyAll(a, opts);
  return a;
}

/**
 * A C source file's object (built by clang with -g: BTF line info) as the document `text`:
 * each program linked and verified, each verifier diagnostic on the C line of its
 * instruction (in `file`; one inlined from a header sits on the nearest line of the file
 * before it), the failing instruction and the verifier's path as related lines. `build`
 * holds the compiler's own diagnostics; without an object (the build failed) only those.
 */
export function analyzeCSource(text: string, file: string, source: BpfObject | undefined, build: readonly Diagnostic[], opts: AnalysisOptions = {}): Analysis {
  const defaultProgType = opts.defaultProgType ?? DEFAULT_PROG_TYPE;
  const object = source ?? emptyObject();
  const programs = source ? listPrograms(object).map((ref): ProgramAnalysis => {
    const def = sectionProgType(ref.section);
    return { ref, progType: def?.progType ?? defaultProgType, program: linkProgram(object, ref).program };
  }) : [];
  const a: Analysis = {
    language: 'ebpf', text, lines: text.split(/\r\n|\r|\n/), defaultProgType, object, programs, insnsAtLine: new Map(),
    symbols: { defs: [], uses: [] }, diagnostics: [...build], sourceFile: file,
  };
  a.insnsAtLine = lineIndex(programs, a);
  if (source && !hasErrors(build)) verifyAll(a, opts);
  return a;
}

/** Whether two paths name the same file: equal, or one is the other's tail after a `/`. */
export function sameSourceFile(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/^\.\//, '');
  const x = norm(a), y = norm(b);
  return x === y || x.endsWith(`/${y}`) || y.endsWith(`/${x}`);
}

/** Whether an instruction's position is on one of the document's own lines (not an included file's). */
export function isOwnLine(a: Pick<Analysis, 'sourceFile'>, pos: SourcePos | undefined): pos is SourcePos {
  if (!pos) return false;
  return a.sourceFile !== undefined ? pos.file !== undefined && sameSourceFile(pos.file, a.sourceFile) : !pos.file;
}

function verifyAll(a: Analysis, opts: AnalysisOptions): void {
  a.programs.forEach((p) => {
    if (a.cancelled) return;
    const def = sectionProgType(p.ref.section);
    p.result = verifyProgram(p.program, {
      progType: p.progType, attachType: def?.expectedAttachType, license: a.object.license, maps: a.object.maps, isCancelled: opts.isCancelled,
    });
    if (p.result.cancelled) { a.cancelled = true; return; }
    for (const d of p.result.diagnostics) a.diagnostics.push(a.sourceFile !== undefined ? placeOnCLine(a, d, p) : placeOnLine(a, d, p.program.lines));
  });
}

/** A verifier diagnostic on the line of its instruction, its path as related lines. */
function placeOnLine(a: Analysis, d: Diagnostic, lines: readonly (SourcePos | undefined)[]): Diagnostic {
  const own = (pos: SourcePos | undefined) => (isOwnLine(a, pos) ? { line: pos.line, col: pos.col, endCol: pos.endCol } : undefined);
  return {
    ...d,
    span: own(d.insnIdx !== undefined ? lines[d.insnIdx] : undefined) ?? { line: 0, col: 0, endCol: 0 },
    related: (d.related ?? []).map((r) => ({ ...r, span: own(r.insnIdx !== undefined ? lines[r.insnIdx] : undefined) })),
  };
}

/**
 * placeOnLine for a C document: an instruction whose line is in another file (a function
 * inlined from a header) takes the nearest own line before it, and the failing instruction,
 * printed, comes first among the related lines.
 */
function placeOnCLine(a: Analysis, d: Diagnostic, p: ProgramAnalysis): Diagnostic {
  const lines = p.program.lines;
  const spanAt = (idx: number | undefined) => {
    if (idx === undefined) return undefined;
    for (let k = Math.min(idx, lines.length - 1); k >= 0; k--) {
      const pos = lines[k];
      if (isOwnLine(a, pos)) return { line: pos.line, col: pos.col, endCol: pos.endCol };
    }
    return undefined;
  };
  const placed = placeOnLine(a, d, lines);
  placed.span = spanAt(d.insnIdx) ?? placed.span;
  placed.related = (d.related ?? []).map((r) => ({ ...r, span: spanAt(r.insnIdx) }));
  if (d.insnIdx !== undefined && d.insnIdx < p.program.insns.length) {
    const pos = lines[d.insnIdx];
    const where = pos?.file && !sameSourceFile(pos.file, a.sourceFile ?? '') ? ` (${pos.file}:${pos.line + 1})` : '';
    placed.related.unshift({ message: `insn ${d.insnIdx}: ${printInsn(p.program.insns, d.insnIdx, { dialect: 'llvm' })}${where}`, span: placed.span, insnIdx: d.insnIdx });
  }
  return placed;
}

function lineIndex(programs: readonly ProgramAnalysis[], a: Pick<Analysis, 'sourceFile'> = {}): Map<number, InsnAt[]> {
  const at = new Map<number, InsnAt[]>();
  programs.forEach((p, program) => p.program.lines.forEach((pos, insnIdx) => {
    if (!isOwnLine(a, pos)) return;
    // The second slot of an lddw shares its line; hover and hints speak of the first.
    const list = at.get(pos.line) ?? [];
    if (!list.some((x) => x.program === program && x.insnIdx === insnIdx - 1 && p.program.insns[insnIdx - 1]?.code === 0x18)) list.push({ program, insnIdx });
    at.set(pos.line, list);
  }));
  return at;
}
