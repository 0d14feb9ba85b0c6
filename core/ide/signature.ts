/**
 * Helper prototypes as C-like text, and signature help on a `call helper` line.
 *
 * The prototype is built from the helper table's `proto` (core/helpers/proto.ts): each
 * argument kind of the kernel's `enum bpf_arg_type` reads as a C type and a parameter name
 * (`const_map_ptr` → `struct bpf_map *map`), each return kind as a C type. The kernel's
 * protos carry no parameter names, so the names here follow the kind (`key`, `buf`, `size`)
 * and are numbered where the kind says nothing (`u64 arg4`). A helper without a `proto` row
 * has no arguments to show: its prototype reads `bpf_name(...)`.
 *
 * Signature help works from the document's tokens, not from the verifier, so that it keeps
 * working while the document does not assemble (the usual case while typing a call).
 * Also here, shared with hover and completion: the document's statements, lexed once per
 * analysis.
 */

import { HelperSpec, helperById, helperByName } from '../helpers/table';
import { ArgBase, ArgFlag, ArgSpec, RetType, argSpec } from '../helpers/proto';
import { Statement, Token, lex } from '../asm/lexer';
import { OPCODES, OpcodeSpec } from '../isa/opcodes';
import { writesDst } from '../isa/validate';
import { Analysis } from './analysis';

export interface ParameterInfo {
  label: string;
  documentation?: string;
}

export interface SignatureHelp {
  label: string;
  documentation?: string;
  parameters: ParameterInfo[];
  activeParameter: number;
}

export interface HelperParam {
  /** `r1`..`r5`. */
  reg: string;
  /** `struct bpf_map *map`. */
  decl: string;
  doc: string;
}

export interface HelperSignature {
  /** `void *`, `long`; empty when the table has no prototype. */
  ret: string;
  retDoc?: string;
  name: string;
  params: HelperParam[];
  /** False when the helper table has no `proto` for it. */
  known: boolean;
}

/** The helper's prototype, parameter by parameter. */
export function helperSignature(h: HelperSpec): HelperSignature {
  const name = `bpf_${h.name}`;
  if (!h.proto) return { ret: '', name, params: [], known: false };
  const used = new Map<string, number>();
  const params = h.proto.args.map((a, k): HelperParam => {
    const spec = argSpec(a);
    const c = ARG_C[spec.type];
    let type = spec.type === 'ptr_to_btf_id' && spec.btf ? `struct ${spec.btf} *` : c.type;
    if (spec.flags?.includes('rdonly') && !type.startsWith('const ')) type = `const ${type}`;
    if ((spec.flags?.includes('write') || spec.flags?.includes('uninit')) && type.startsWith('const ')) type = type.slice(6);
    let pname = c.name === 'arg' ? `arg${k + 1}` : c.name;
    const seen = used.get(pname) ?? 0;
    used.set(pname, seen + 1);
    if (seen) pname += String(seen + 1);
    const sep = type.endsWith('*') ? '' : ' ';
    return { reg: `r${k + 1}`, decl: `${type}${sep}${pname}`, doc: argDoc(spec) };
  });
  const r = RET_C[h.proto.ret];
  const ret = h.proto.retBtf && h.proto.ret.startsWith('btf_id') ? `struct ${h.proto.retBtf} *` : r.type;
  return { ret, retDoc: r.doc, name, params, known: true };
}

/** `void *bpf_map_lookup_elem(struct bpf_map *map, const void *key)`. */
export function helperPrototype(h: HelperSpec): string {
  const s = helperSignature(h);
  if (!s.known) return `${s.name}(...)`;
  const sep = s.ret.endsWith('*') ? '' : ' ';
  return `${s.ret}${sep}${s.name}(${s.params.map((p) => p.decl).join(', ') || 'void'})`;
}

/** Signature help for the helper a `call` statement at this position names. */
export function signatureHelpAt(a: Analysis, line: number, col: number): SignatureHelp | undefined {
  if (a.language !== 'ebpf') return undefined;
  const statements = documentStatements(a);
  const stIdx = statementIndexAt(statements, line, col);
  if (stIdx < 0) return undefined;
  const toks = withoutLabels(statements[stIdx].tokens);
  const h = calledHelper(a, toks);
  if (!h) return undefined;
  const s = helperSignature(h);
  const sep = s.ret.endsWith('*') ? '' : ' ';
  const parameters = s.params.map((p) => ({ label: `${p.reg}: ${p.decl}`, documentation: p.doc }));
  const label = s.known ? `${s.ret}${sep}${s.name}(${parameters.map((p) => p.label).join(', ')})` : `${s.name}(...)`;
  const documentation = `Helper #${h.id}: ${h.doc}${s.retDoc ? `. Returns in r0: ${s.retDoc}` : ''}${s.known ? '' : '. The helper table has no prototype for it yet'}`;
  return { label, documentation, parameters, activeParameter: activeArg(statements, stIdx, parameters.length) };
}

// ---------------------------------------------------------------------------------------------
// Statements, shared with hover and completion.

const statementCache = new WeakMap<Analysis, Statement[]>();

/** The document's statements (eBPF or classic lexing rules), lexed once per analysis. */
export function documentStatements(a: Analysis): Statement[] {
  let st = statementCache.get(a);
  if (!st) {
    st = lex(a.text, { flavour: a.language === 'cbpf' ? 'cbpf' : 'ebpf' });
    statementCache.set(a, st);
  }
  return st;
}

/**
 * The statement under a position: the one whose tokens cover the column, else the last one
 * on the line that starts before it (a cursor after the last token still belongs to it).
 */
export function statementIndexAt(statements: readonly Statement[], line: number, col: number): number {
  let best = -1;
  for (let k = 0; k < statements.length; k++) {
    const t = statements[k].tokens;
    if (t[0].line > line) break;
    if (t[0].line !== line) continue;
    if (t[0].col <= col) best = k;
  }
  return best;
}

/** The tokens after any leading `name:` labels. */
export function withoutLabels(toks: readonly Token[]): Token[] {
  let k = 0;
  while (toks[k + 1]?.text === ':' && (toks[k].kind === 'ident' || toks[k].kind === 'num')) k += 2;
  return toks.slice(k);
}

/** The helper a `call NAME` / `call N` statement names, unless NAME is a function of the document. */
export function calledHelper(a: Analysis, toks: readonly Token[]): HelperSpec | undefined {
  if (toks[0]?.text !== 'call' || toks.length !== 2) return undefined;
  const t = toks[1];
  if (t.kind === 'num' && t.value !== undefined && t.value < 1n << 31n) return helperById(Number(t.value));
  if (t.kind !== 'ident') return undefined;
  if (a.symbols.defs.some((d) => d.name === t.text && (d.kind === 'function' || d.kind === 'label'))) return undefined;
  return helperByName(t.text);
}

/** The register a statement writes: `rN = ...`, `rN += ...` (LLVM), or `mnemonic rN, ...` (uBPF). */
export function writtenReg(toks: readonly Token[]): number | undefined {
  const [t0, t1] = toks;
  if (t0?.kind === 'reg' && t1?.kind === 'punct' && t1.text.endsWith('=') && !['==', '!=', '<=', '>='].includes(t1.text)) return t0.reg;
  if (t0?.kind === 'ident' && t1?.kind === 'reg' && UBPF_WRITERS.has(t0.text.toLowerCase())) return t1.reg;
  return undefined;
}

// ---------------------------------------------------------------------------------------------

/**
 * The first argument register that no statement before the call, in the same straight run of
 * code, has written; 0 when all are (nothing left to fill in). The run ends, going up, at a
 * label, a jump, a call or exit, or a section change: registers set before those may not
 * reach the call.
 */
function activeArg(statements: readonly Statement[], callIdx: number, nArgs: number): number {
  const written = new Set<number>();
  for (let k = callIdx - 1; k >= 0; k--) {
    const all = statements[k].tokens;
    const toks = withoutLabels(all);
    if (toks.length && endsRun(toks[0])) break;
    const w = writtenReg(toks);
    if (w !== undefined) written.add(w);
    if (toks.length !== all.length) break; // a label: code may jump here
  }
  for (let r = 1; r <= nArgs; r++) if (!written.has(r)) return r - 1;
  return 0;
}

function endsRun(t: Token): boolean {
  return RUN_ENDS.has(t.text.toLowerCase());
}

const firstWord = (template: string) => template.split(' ')[0].toLowerCase();
const templates = (r: OpcodeSpec) => [r.llvm, ...(r.llvmAlt ?? []), r.ubpf, ...(r.ubpfAlt ?? [])];

// The words that open a jump, call or exit in either dialect (`if`, `goto`, `jeq`, `call`...), from the opcode table.
const RUN_ENDS = new Set([
  ...OPCODES.filter((r) => ['jcond', 'ja', 'may_goto', 'call', 'call_local', 'kfunc_call', 'callx', 'exit'].includes(r.kind)).flatMap((r) => templates(r).map(firstWord)),
  '.section', '.text',
]);

// uBPF mnemonics whose first operand is the register they write (`mov`, `ldxw`, `lddw`...).
const UBPF_WRITERS = new Set(OPCODES.filter(writesDst).flatMap((r) => [r.ubpf, ...(r.ubpfAlt ?? [])].map(firstWord)));

interface CArg {
  type: string;
  /** `arg` means: number it by position (`arg4`). */
  name: string;
  doc: string;
}

// How each kind of argument reads in C. The kernel's enum names are in argDoc().
const ARG_C: Record<ArgBase, CArg> = {
  dontcare: { type: 'u64', name: 'arg', doc: 'not checked by the verifier' },
  const_map_ptr: { type: 'struct bpf_map *', name: 'map', doc: 'a map, loaded with `rN = NAME ll`' },
  map_key: { type: 'const void *', name: 'key', doc: 'a pointer to key_size initialised bytes (stack, map value or packet)' },
  map_value: { type: 'const void *', name: 'value', doc: 'a pointer to value_size bytes' },
  ptr_to_mem: { type: 'void *', name: 'buf', doc: 'a pointer to memory (stack, map value, packet...) whose size is the next argument' },
  ptr_to_arena: { type: 'void *', name: 'addr', doc: 'an address in a bpf_arena' },
  const_size: { type: 'u32', name: 'size', doc: 'the byte size of the buffer before it; its bounds must be known to the verifier and above 0' },
  const_size_or_zero: { type: 'u32', name: 'size', doc: 'the byte size of the buffer before it; bounds known to the verifier, 0 allowed' },
  ptr_to_ctx: { type: 'void *', name: 'ctx', doc: 'the program\'s context, as r1 held it at entry (unmodified)' },
  anything: { type: 'u64', name: 'arg', doc: 'any initialised value' },
  ptr_to_spin_lock: { type: 'struct bpf_spin_lock *', name: 'lock', doc: 'a bpf_spin_lock inside a map value' },
  ptr_to_sock_common: { type: 'struct sock_common *', name: 'sk', doc: 'a socket pointer (sock_common or fuller)' },
  ptr_to_socket: { type: 'struct bpf_sock *', name: 'sk', doc: 'a full socket pointer' },
  ptr_to_btf_id: { type: 'void *', name: 'ptr', doc: 'a pointer to a kernel object of a given BTF type' },
  ptr_to_ringbuf_mem: { type: 'void *', name: 'data', doc: 'a record reserved with bpf_ringbuf_reserve' },
  const_alloc_size_or_zero: { type: 'u64', name: 'size', doc: 'a size the verifier knows exactly: the size of the memory returned' },
  ptr_to_btf_id_sock_common: { type: 'struct sock_common *', name: 'sk', doc: 'a socket pointer (BTF-typed or sock_common)' },
  ptr_to_percpu_btf_id: { type: 'const void *', name: 'percpu_ptr', doc: 'a per-CPU kernel variable' },
  ptr_to_func: { type: 'void *', name: 'callback_fn', doc: 'a BPF function, loaded with `rN = func(NAME) ll`' },
  ptr_to_stack: { type: 'void *', name: 'callback_ctx', doc: 'a pointer into the stack, handed to the callback' },
  ptr_to_const_str: { type: 'const char *', name: 'str', doc: 'a NUL-terminated string in a read-only map (.rodata)' },
  ptr_to_timer: { type: 'struct bpf_timer *', name: 'timer', doc: 'a bpf_timer inside a map value' },
  kptr_xchg_dest: { type: 'void *', name: 'dst', doc: 'a kptr field in a map value' },
  ptr_to_dynptr: { type: 'struct bpf_dynptr *', name: 'ptr', doc: 'a dynptr on the stack' },
  ptr_to_fixed_size_mem: { type: 'void *', name: 'res', doc: 'a pointer to memory of a size fixed by the helper' },
};

const FLAG_NAMES: Record<ArgFlag, { kernel: string; doc: string }> = {
  maybe_null: { kernel: 'PTR_MAYBE_NULL', doc: 'may be NULL' },
  rdonly: { kernel: 'MEM_RDONLY', doc: 'only read by the helper' },
  uninit: { kernel: 'MEM_UNINIT', doc: 'need not be initialised' },
  write: { kernel: 'MEM_WRITE', doc: 'written by the helper' },
  aligned: { kernel: 'MEM_ALIGNED', doc: 'must be aligned' },
  release: { kernel: 'OBJ_RELEASE', doc: 'the call releases the reference it holds' },
  dynptr_local: { kernel: 'DYNPTR_TYPE_LOCAL', doc: 'a local dynptr' },
  dynptr_ringbuf: { kernel: 'DYNPTR_TYPE_RINGBUF', doc: 'a ringbuf dynptr' },
};

const RET_C: Record<RetType, { type: string; doc: string }> = {
  integer: { type: 'long', doc: 'a number' },
  void: { type: 'void', doc: 'nothing (r0 is not readable after the call)' },
  map_value: { type: 'void *', doc: 'a pointer to a map value' },
  map_value_or_null: { type: 'void *', doc: 'a pointer to a map value, or NULL: test r0 against 0 before using it' },
  socket_or_null: { type: 'struct bpf_sock *', doc: 'a referenced socket, or NULL; release it' },
  tcp_sock_or_null: { type: 'struct bpf_tcp_sock *', doc: 'a TCP socket, or NULL' },
  sock_common_or_null: { type: 'struct bpf_sock *', doc: 'a socket (sock_common), or NULL' },
  ringbuf_mem_or_null: { type: 'void *', doc: 'a reserved ringbuf record, or NULL; submit or discard it' },
  dynptr_mem_or_null: { type: 'void *', doc: 'a pointer into the dynptr\'s data, or NULL' },
  mem_or_btf_id: { type: 'void *', doc: 'a pointer to memory or a kernel object' },
  mem_or_btf_id_or_null: { type: 'void *', doc: 'a pointer to memory or a kernel object, or NULL' },
  btf_id: { type: 'void *', doc: 'a pointer to a kernel object' },
  btf_id_or_null: { type: 'void *', doc: 'a pointer to a kernel object, or NULL' },
  btf_id_trusted: { type: 'void *', doc: 'a trusted pointer to a kernel object' },
};

/** `ARG_PTR_TO_MAP_KEY: a pointer to key_size initialised bytes...`. */
function argDoc(spec: ArgSpec): string {
  const base = spec.type === 'map_key' || spec.type === 'map_value' ? `ARG_PTR_TO_${spec.type.toUpperCase()}` : `ARG_${spec.type.toUpperCase()}`;
  const flags = spec.flags ?? [];
  const kernel = [base, ...flags.map((f) => FLAG_NAMES[f].kernel)].join(' | ');
  const extra = flags.map((f) => FLAG_NAMES[f].doc);
  if (spec.size !== undefined) extra.push(`${spec.size} bytes`);
  return `\`${kernel}\`: ${ARG_C[spec.type].doc}${extra.length ? `; ${extra.join(', ')}` : ''}`;
}
