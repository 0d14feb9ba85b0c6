/**
 * The opcode table: one row per instruction of the eBPF ISA (RFC 9669, with the v4
 * additions and the Linux extensions may_goto and addr_space_cast).
 *
 * Every layer reads this one table: the assembler parses with the `llvm`/`ubpf` templates,
 * the disassembler prints with them, the load check validates fields with the rules, and
 * hover and completion show `doc`. Nothing else lists opcodes.
 *
 * A row is selected by the opcode byte and, where one byte holds several instructions, by
 * the field in `match` (sdiv is div with off=1, the atomics differ in imm, lddw's pseudo
 * sources and calls differ in src, the byte swaps in imm).
 *
 * Templates: literal text with placeholders, lexed by the assembler's own lexer.
 *   {dst} {src}       a register, spelt rN (uBPF also %rN)
 *   {dst32} {src32}   the same register spelt wN (LLVM syntax for 32-bit operands)
 *   {imm}             signed 32-bit immediate (a 32-bit hex pattern such as 0xffffffff is taken as -1)
 *   {off}             memory offset: LLVM prints "+ 0x4" / "- 0x4", uBPF "+4" / "-4"
 *   {target}          jump target in `off`: +N / -N slots from the next instruction, or a label
 *   {target32}        jump target in `imm` (gotol)
 *   {imm64}           the 64-bit constant of an lddw
 *   {pseudo}          an lddw pseudo source: a map name, map_fd(...), map_value(...)+N, ...
 *   {helper}          helper id or name; {func} a local function; {kfunc} a kfunc BTF id
 *   {indoff}          LD_IND immediate: printed " + 0xe" when not zero
 *   {as_dst} {as_src} the address spaces of addr_space_cast (imm = dst << 16 | src)
 *   {psrc}            the pseudo-source number of llvm-mc's `ld_pseudo` (must equal the row's src)
 */

/* eslint-disable */

export const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03;
export const BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_JMP32 = 0x06, BPF_ALU64 = 0x07;

export type IsaVersion = 'v1' | 'v2' | 'v3' | 'v4';
export const ISA_VERSIONS: readonly IsaVersion[] = ['v1', 'v2', 'v3', 'v4'];

export type InsnKind =
  | 'alu' | 'neg' | 'mov' | 'movsx' | 'end' | 'addr_space_cast'
  | 'lddw' | 'ld_abs' | 'ld_ind' | 'ldx' | 'ldsx' | 'st' | 'stx' | 'atomic'
  | 'ja' | 'jcond' | 'may_goto' | 'call' | 'call_local' | 'kfunc_call' | 'callx' | 'exit';

/** What a field may hold. Fields a row does not use must be zero (RFC 9669 §3). */
export type FieldRule = 'zero' | 'reg' | 's16' | 's32' | 'any';

export interface OpcodeSpec {
  /** Unique name of the row, e.g. `add64_imm`, `lddw_map_fd`. */
  readonly id: string;
  readonly code: number;
  readonly match?: Readonly<{ src?: number; off?: number; imm?: number }>;
  readonly kind: InsnKind;
  /** Operation name for alu/jcond/atomic rows (`add`, `jgt`, `fetch_add`...). */
  readonly op?: string;
  /** 64 or 32 for ALU and jumps (which half of the registers it works on). */
  readonly width?: 32 | 64;
  /** Bytes accessed by loads, stores and atomics. */
  readonly size?: 1 | 2 | 4 | 8;
  readonly dst: FieldRule;
  readonly src: FieldRule;
  readonly off: FieldRule;
  readonly imm: FieldRule;
  /** The only values imm may take, where the kernel allows just a few. */
  readonly immOneOf?: readonly number[];
  /** Printing template (LLVM/kernel syntax) and further spellings accepted when parsing. */
  readonly llvm: string;
  readonly llvmAlt?: readonly string[];
  /** Printing template (uBPF/conformance syntax) and further spellings accepted when parsing. */
  readonly ubpf: string;
  readonly ubpfAlt?: readonly string[];
  readonly since: IsaVersion;
  /** Hover text for users. */
  readonly doc: string;
}

type Row = OpcodeSpec;

// ---------------------------------------------------------------------------------------------
// ALU and ALU64 (RFC 9669 §4.1). The operation is bits 4-7, bit 3 selects K (imm) or X (src).

interface AluOp { op: string; bits: number; llvm: string; doc: string; off?: number; since?: IsaVersion }
const ALU_OPS: readonly AluOp[] = [
  { op: 'add', bits: 0x00, llvm: '+=', doc: 'dst += src' },
  { op: 'sub', bits: 0x10, llvm: '-=', doc: 'dst -= src' },
  { op: 'mul', bits: 0x20, llvm: '*=', doc: 'dst *= src' },
  { op: 'div', bits: 0x30, llvm: '/=', doc: 'dst /= src, unsigned; division by zero gives 0', off: 0 },
  { op: 'sdiv', bits: 0x30, llvm: 's/=', doc: 'dst /= src, signed; division by zero gives 0', off: 1, since: 'v4' },
  { op: 'or', bits: 0x40, llvm: '|=', doc: 'dst |= src' },
  { op: 'and', bits: 0x50, llvm: '&=', doc: 'dst &= src' },
  { op: 'lsh', bits: 0x60, llvm: '<<=', doc: 'dst <<= src (the shift count is masked to the operand width)' },
  { op: 'rsh', bits: 0x70, llvm: '>>=', doc: 'dst >>= src, logical (the shift count is masked)' },
  { op: 'mod', bits: 0x90, llvm: '%=', doc: 'dst %= src, unsigned; modulo by zero leaves dst unchanged', off: 0 },
  { op: 'smod', bits: 0x90, llvm: 's%=', doc: 'dst %= src, signed; modulo by zero leaves dst unchanged', off: 1, since: 'v4' },
  { op: 'xor', bits: 0xa0, llvm: '^=', doc: 'dst ^= src' },
  { op: 'mov', bits: 0xb0, llvm: '=', doc: 'dst = src', off: 0 },
  { op: 'arsh', bits: 0xc0, llvm: 's>>=', doc: 'dst >>= src, arithmetic (sign-filling; the shift count is masked)' },
];

function aluRows(width: 32 | 64): Row[] {
  const cls = width === 64 ? BPF_ALU64 : BPF_ALU;
  const sfx = width === 64 ? '' : '32';
  const d = width === 64 ? '{dst}' : '{dst32}';
  const s = width === 64 ? '{src}' : '{src32}';
  const what = width === 64 ? '64-bit' : '32-bit, result zero-extended';
  const rows: Row[] = [];
  for (const a of ALU_OPS) {
    const match = a.off === undefined ? undefined : { off: a.off };
    const kind: InsnKind = a.op === 'mov' ? 'mov' : 'alu';
    const since = a.since ?? 'v1';
    rows.push({
      id: `${a.op}${width}_imm`, code: cls | a.bits | 0x00, match, kind, op: a.op, width,
      dst: 'reg', src: 'zero', off: 'zero', imm: 's32',
      llvm: `${d} ${a.llvm} {imm}`, ubpf: `${a.op}${sfx} {dst}, {imm}`, since,
      doc: `${a.doc.replace('src', 'imm')} (${what})`,
    });
    rows.push({
      id: `${a.op}${width}_reg`, code: cls | a.bits | 0x08, match, kind, op: a.op, width,
      dst: 'reg', src: 'reg', off: 'zero', imm: 'zero',
      llvm: `${d} ${a.llvm} ${s}`, ubpf: `${a.op}${sfx} {dst}, {src}`, since,
      doc: `${a.doc} (${what})`,
    });
  }
  rows.push({
    id: `neg${width}`, code: cls | 0x80, kind: 'neg', op: 'neg', width,
    dst: 'reg', src: 'zero', off: 'zero', imm: 'zero',
    llvm: `${d} = -${d}`, ubpf: `neg${sfx} {dst}`, since: 'v1', doc: `dst = -dst (${what})`,
  });
  // Sign-extending moves (v4): mov with off = the source width.
  for (const from of width === 64 ? [8, 16, 32] : [8, 16]) {
    rows.push({
      id: `movsx${from}_${width}`, code: cls | 0xb8, match: { off: from }, kind: 'movsx', op: 'movsx', width,
      dst: 'reg', src: 'reg', off: 'zero', imm: 'zero',
      llvm: `${d} = (s${from})${s}`, ubpf: `movsx${from}${width} {dst}, {src}`, since: 'v4',
      doc: `dst = the low ${from} bits of src, sign-extended to ${width} bits${width === 32 ? ', then zero-extended' : ''}`,
    });
  }
  return rows;
}

// Byte swaps (RFC 9669 §4.2). In the ALU class bit 3 picks the target order (le = K, be = X);
// in ALU64 with K it is the unconditional bswap (v4). imm holds the width.
function endianRows(): Row[] {
  const rows: Row[] = [];
  const forms = [
    { name: 'le', code: BPF_ALU | 0xd0, since: 'v1' as IsaVersion, doc: 'convert dst to little-endian (truncates to the width, zero-extends)' },
    { name: 'be', code: BPF_ALU | 0xd8, since: 'v1' as IsaVersion, doc: 'convert dst to big-endian (swaps on this little-endian target; truncates to the width, zero-extends)' },
    { name: 'bswap', code: BPF_ALU64 | 0xd0, since: 'v4' as IsaVersion, doc: 'swap the byte order of the low bits of dst unconditionally (zero-extends)' },
  ];
  for (const f of forms) {
    for (const bits of [16, 32, 64]) {
      rows.push({
        id: `${f.name}${bits}`, code: f.code, match: { imm: bits }, kind: 'end', op: f.name, width: 64,
        dst: 'reg', src: 'zero', off: 'zero', imm: 'any',
        llvm: `{dst} = ${f.name}${bits} {dst}`, ubpf: `${f.name}${bits} {dst}`,
        ubpfAlt: f.name === 'bswap' ? [`swap${bits} {dst}`] : undefined,
        since: f.since, doc: `${f.doc}; ${bits} bits`,
      });
    }
  }
  return rows;
}

const ADDR_SPACE_CAST: Row = {
  id: 'addr_space_cast', code: BPF_ALU64 | 0xb8, match: { off: 1 }, kind: 'addr_space_cast', width: 64,
  // The kernel converts only between address spaces 0 and 1 (bpf_arena): imm = 1 or 1 << 16.
  dst: 'reg', src: 'reg', off: 'zero', imm: 'any', immOneOf: [1, 0x10000],
  llvm: '{dst} = addr_space_cast({src}, {as_dst}, {as_src})', ubpf: 'addr_space_cast {dst}, {src}, {as_dst}, {as_src}',
  since: 'v4', doc: 'dst = src converted between address spaces (bpf_arena); a Linux extension',
};

// ---------------------------------------------------------------------------------------------
// Loads and stores (RFC 9669 §5).

const SIZES = [
  { size: 1 as const, bits: 0x10, u: 'u8', s: 's8', sfx: 'b' },
  { size: 2 as const, bits: 0x08, u: 'u16', s: 's16', sfx: 'h' },
  { size: 4 as const, bits: 0x00, u: 'u32', s: 's32', sfx: 'w' },
  { size: 8 as const, bits: 0x18, u: 'u64', s: 's64', sfx: 'dw' },
];

const BPF_MEM = 0x60, BPF_MEMSX = 0x80, BPF_ATOMIC = 0xc0, BPF_ABS = 0x20, BPF_IND = 0x40, BPF_IMM = 0x00;

function memRows(): Row[] {
  const rows: Row[] = [];
  for (const z of SIZES) {
    // Sub-word values live in the 32-bit subregister: llvm-objdump (with v4) prints wN there.
    const reg = z.size === 8 ? '{dst}' : '{dst32}';
    const sreg = z.size === 8 ? '{src}' : '{src32}';
    rows.push({
      id: `ldx${z.sfx}`, code: BPF_LDX | BPF_MEM | z.bits, kind: 'ldx', size: z.size,
      dst: 'reg', src: 'reg', off: 's16', imm: 'zero',
      llvm: `${reg} = *(${z.u} *)({src} {off})`, llvmAlt: z.size === 8 ? undefined : [`{dst} = *(${z.u} *)({src} {off})`],
      ubpf: `ldx${z.sfx} {dst}, [{src}{off}]`, since: 'v1',
      doc: `dst = the ${z.size}-byte value at src + off, zero-extended`,
    });
    if (z.size !== 8) {
      rows.push({
        id: `ldxs${z.sfx}`, code: BPF_LDX | BPF_MEMSX | z.bits, kind: 'ldsx', size: z.size,
        dst: 'reg', src: 'reg', off: 's16', imm: 'zero',
        llvm: `{dst} = *(${z.s} *)({src} {off})`, ubpf: `ldxs${z.sfx} {dst}, [{src}{off}]`, since: 'v4',
        doc: `dst = the ${z.size}-byte value at src + off, sign-extended to 64 bits`,
      });
    }
    rows.push({
      id: `st${z.sfx}`, code: BPF_ST | BPF_MEM | z.bits, kind: 'st', size: z.size,
      dst: 'reg', src: 'zero', off: 's16', imm: 's32',
      llvm: `*(${z.u} *)({dst} {off}) = {imm}`, ubpf: `st${z.sfx} [{dst}{off}], {imm}`, since: 'v1',
      doc: `store imm as ${z.size} bytes at dst + off`,
    });
    rows.push({
      id: `stx${z.sfx}`, code: BPF_STX | BPF_MEM | z.bits, kind: 'stx', size: z.size,
      dst: 'reg', src: 'reg', off: 's16', imm: 'zero',
      llvm: `*(${z.u} *)({dst} {off}) = ${sreg}`, llvmAlt: z.size === 8 ? undefined : [`*(${z.u} *)({dst} {off}) = {src}`],
      ubpf: `stx${z.sfx} [{dst}{off}], {src}`, since: 'v1',
      doc: `store the low ${z.size} bytes of src at dst + off`,
    });
  }
  return rows;
}

// Atomic operations (RFC 9669 §5.3): BPF_STX | BPF_ATOMIC with the operation in imm.
const ATOMIC_OPS = [
  { op: 'add', imm: 0x00, sym: '+=' },
  { op: 'or', imm: 0x40, sym: '|=' },
  { op: 'and', imm: 0x50, sym: '&=' },
  { op: 'xor', imm: 0xa0, sym: '^=' },
];
const BPF_FETCH = 0x01, BPF_XCHG = 0xe0 | BPF_FETCH, BPF_CMPXCHG = 0xf0 | BPF_FETCH;

function atomicRows(): Row[] {
  const rows: Row[] = [];
  for (const width of [64, 32] as const) {
    const code = BPF_STX | BPF_ATOMIC | (width === 64 ? 0x18 : 0x00);
    const ty = width === 64 ? 'u64' : 'u32';
    const s = width === 64 ? '{src}' : '{src32}';
    const r0 = width === 64 ? 'r0' : 'w0';
    const sfx = width === 64 ? '' : '32';
    const size = width === 64 ? 8 : 4;
    const base = { code, kind: 'atomic' as const, width, size: size as 4 | 8, dst: 'reg' as const, src: 'reg' as const, off: 's16' as const, imm: 'any' as const, since: 'v3' as const };
    for (const a of ATOMIC_OPS) {
      rows.push({
        ...base, id: `atomic${width}_${a.op}`, match: { imm: a.imm }, op: a.op,
        llvm: `lock *(${ty} *)({dst} {off}) ${a.sym} ${s}`, ubpf: `lock ${a.op}${sfx} [{dst}{off}], {src}`,
        doc: `atomically *(${ty} *)(dst + off) ${a.sym} src`,
      });
      rows.push({
        ...base, id: `atomic${width}_fetch_${a.op}`, match: { imm: a.imm | BPF_FETCH }, op: `fetch_${a.op}`,
        llvm: `${s} = atomic_fetch_${a.op}((${ty} *)({dst} {off}), ${s})`, ubpf: `lock fetch ${a.op}${sfx} [{dst}{off}], {src}`,
        doc: `atomically *(${ty} *)(dst + off) ${a.sym} src; src = the old value`,
      });
    }
    rows.push({
      ...base, id: `atomic${width}_xchg`, match: { imm: BPF_XCHG }, op: 'xchg',
      llvm: `${s} = xchg${width === 64 ? '' : '32'}_${width}({dst} {off}, ${s})`, ubpf: `lock xchg${sfx} [{dst}{off}], {src}`,
      doc: `atomically exchange src with *(${ty} *)(dst + off)`,
    });
    rows.push({
      ...base, id: `atomic${width}_cmpxchg`, match: { imm: BPF_CMPXCHG }, op: 'cmpxchg',
      llvm: `${r0} = cmpxchg${width === 64 ? '' : '32'}_${width}({dst} {off}, ${r0}, ${s})`, ubpf: `lock cmpxchg${sfx} [{dst}{off}], {src}`,
      doc: `atomically: if *(${ty} *)(dst + off) == r0, store src there; r0 = the old value`,
    });
  }
  return rows;
}

// 64-bit immediate loads (RFC 9669 §5.4) and their pseudo sources (Linux include/uapi/linux/bpf.h).
export const LDDW_PSEUDO = [
  { src: 0, id: 'lddw', pseudo: '', doc: 'dst = imm64' },
  { src: 1, id: 'lddw_map_fd', pseudo: 'map_fd', doc: 'dst = the address of the map (BPF_PSEUDO_MAP_FD)' },
  { src: 2, id: 'lddw_map_value', pseudo: 'map_value', doc: 'dst = the address of the map\'s value + offset (BPF_PSEUDO_MAP_VALUE)' },
  { src: 3, id: 'lddw_btf_id', pseudo: 'btf_id', doc: 'dst = the address of a kernel variable by BTF id (BPF_PSEUDO_BTF_ID)' },
  { src: 4, id: 'lddw_func', pseudo: 'func', doc: 'dst = the address of a BPF function (BPF_PSEUDO_FUNC), for callbacks' },
  { src: 5, id: 'lddw_map_idx', pseudo: 'map_idx', doc: 'dst = the map at this index of the fd array (BPF_PSEUDO_MAP_IDX)' },
  { src: 6, id: 'lddw_map_idx_value', pseudo: 'map_idx_value', doc: 'dst = the value of the map at this index + offset (BPF_PSEUDO_MAP_IDX_VALUE)' },
] as const;

function lddwRows(): Row[] {
  return LDDW_PSEUDO.map((p): Row => ({
    id: p.id, code: BPF_LD | BPF_IMM | 0x18, match: { src: p.src }, kind: 'lddw', size: 8,
    dst: 'reg', src: 'any', off: 'zero', imm: 'any',
    llvm: p.src === 0 ? '{dst} = {imm64} ll' : '{dst} = {pseudo} ll',
    // llvm-mc's own spelling of a pseudo source (its second slot is always 0).
    llvmAlt: p.src === 0 ? undefined : ['ld_pseudo {dst}, {psrc}, {imm}'],
    ubpf: p.src === 0 ? 'lddw {dst}, {imm64}' : 'lddw {dst}, {pseudo}',
    since: 'v1', doc: `${p.doc} (two slots)`,
  }));
}

// Legacy packet loads (RFC 9669 §5.5): r0 = the big-endian value at skb data + imm (+ src).
function packetLoadRows(): Row[] {
  const rows: Row[] = [];
  for (const z of SIZES.filter((s) => s.size !== 8)) {
    rows.push({
      id: `ldabs${z.sfx}`, code: BPF_LD | BPF_ABS | z.bits, kind: 'ld_abs', size: z.size,
      dst: 'zero', src: 'zero', off: 'zero', imm: 's32',
      llvm: `r0 = *(${z.u} *)skb[{imm}]`, ubpf: `ldabs${z.sfx} {imm}`, since: 'v1',
      doc: `r0 = the ${z.size}-byte big-endian value at packet offset imm (legacy; socket filters and tc)`,
    });
    rows.push({
      id: `ldind${z.sfx}`, code: BPF_LD | BPF_IND | z.bits, kind: 'ld_ind', size: z.size,
      dst: 'zero', src: 'reg', off: 'zero', imm: 's32',
      llvm: `r0 = *(${z.u} *)skb[{src}{indoff}]`, ubpf: `ldind${z.sfx} {src}, {imm}`, since: 'v1',
      doc: `r0 = the ${z.size}-byte big-endian value at packet offset src + imm (legacy)`,
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Jumps (RFC 9669 §4.3). JMP compares 64 bits, JMP32 the low 32 bits.

const JUMP_OPS = [
  { op: 'jeq', bits: 0x10, sym: '==', since: 'v1' as IsaVersion, doc: 'if dst == src' },
  { op: 'jgt', bits: 0x20, sym: '>', since: 'v1' as IsaVersion, doc: 'if dst > src (unsigned)' },
  { op: 'jge', bits: 0x30, sym: '>=', since: 'v1' as IsaVersion, doc: 'if dst >= src (unsigned)' },
  { op: 'jset', bits: 0x40, sym: '&', since: 'v1' as IsaVersion, doc: 'if dst & src' },
  { op: 'jne', bits: 0x50, sym: '!=', since: 'v1' as IsaVersion, doc: 'if dst != src' },
  { op: 'jsgt', bits: 0x60, sym: 's>', since: 'v1' as IsaVersion, doc: 'if dst > src (signed)' },
  { op: 'jsge', bits: 0x70, sym: 's>=', since: 'v1' as IsaVersion, doc: 'if dst >= src (signed)' },
  { op: 'jlt', bits: 0xa0, sym: '<', since: 'v2' as IsaVersion, doc: 'if dst < src (unsigned)' },
  { op: 'jle', bits: 0xb0, sym: '<=', since: 'v2' as IsaVersion, doc: 'if dst <= src (unsigned)' },
  { op: 'jslt', bits: 0xc0, sym: 's<', since: 'v2' as IsaVersion, doc: 'if dst < src (signed)' },
  { op: 'jsle', bits: 0xd0, sym: 's<=', since: 'v2' as IsaVersion, doc: 'if dst <= src (signed)' },
];

function jumpRows(width: 32 | 64): Row[] {
  const cls = width === 64 ? BPF_JMP : BPF_JMP32;
  const sfx = width === 64 ? '' : '32';
  const d = width === 64 ? '{dst}' : '{dst32}';
  const s = width === 64 ? '{src}' : '{src32}';
  const rows: Row[] = [];
  for (const j of JUMP_OPS) {
    const since: IsaVersion = width === 32 ? 'v3' : j.since;
    const what = width === 64 ? '' : ' (low 32 bits)';
    rows.push({
      id: `${j.op}${sfx}_imm`, code: cls | j.bits, kind: 'jcond', op: j.op, width,
      dst: 'reg', src: 'zero', off: 's16', imm: 's32',
      llvm: `if ${d} ${j.sym} {imm} goto {target}`, ubpf: `${j.op}${sfx} {dst}, {imm}, {target}`, since,
      doc: `${j.doc.replace('src', 'imm')}${what}, jump by off`,
    });
    rows.push({
      id: `${j.op}${sfx}_reg`, code: cls | j.bits | 0x08, kind: 'jcond', op: j.op, width,
      dst: 'reg', src: 'reg', off: 's16', imm: 'zero',
      llvm: `if ${d} ${j.sym} ${s} goto {target}`, ubpf: `${j.op}${sfx} {dst}, {src}, {target}`, since,
      doc: `${j.doc}${what}, jump by off`,
    });
  }
  return rows;
}

const CONTROL_ROWS: Row[] = [
  {
    id: 'ja', code: BPF_JMP | 0x00, kind: 'ja', dst: 'zero', src: 'zero', off: 's16', imm: 'zero',
    llvm: 'goto {target}', ubpf: 'ja {target}', since: 'v1', doc: 'jump by off (relative to the next instruction)',
  },
  {
    id: 'gotol', code: BPF_JMP32 | 0x00, kind: 'ja', dst: 'zero', src: 'zero', off: 'zero', imm: 's32',
    llvm: 'gotol {target32}', ubpf: 'ja32 {target32}', ubpfAlt: ['gotol {target32}'], since: 'v4',
    doc: 'jump by imm, a 32-bit offset (relative to the next instruction)',
  },
  {
    id: 'may_goto', code: BPF_JMP | 0xe0, match: { src: 0 }, kind: 'may_goto', dst: 'zero', src: 'any', off: 's16', imm: 'zero',
    llvm: 'may_goto {target}', ubpf: 'may_goto {target}', since: 'v4',
    doc: 'jump by off once the loop budget the kernel grants is spent; otherwise fall through (a Linux extension)',
  },
  {
    id: 'call', code: BPF_JMP | 0x80, match: { src: 0 }, kind: 'call', dst: 'zero', src: 'any', off: 'zero', imm: 'any',
    llvm: 'call {helper}', ubpf: 'call {helper}', since: 'v1', doc: 'call the helper function numbered imm; r1-r5 are its arguments, r0 its result',
  },
  {
    id: 'call_local', code: BPF_JMP | 0x80, match: { src: 1 }, kind: 'call_local', dst: 'zero', src: 'any', off: 'zero', imm: 's32',
    llvm: 'call {func}', llvmAlt: ['call local {func}'], ubpf: 'call local {func}', since: 'v3',
    doc: 'call the BPF function imm slots after the next instruction, in a new frame (bpf-to-bpf call)',
  },
  {
    id: 'call_kfunc', code: BPF_JMP | 0x80, match: { src: 2 }, kind: 'kfunc_call', dst: 'zero', src: 'any', off: 's16', imm: 'any',
    llvm: 'call kfunc {kfunc}', ubpf: 'call kfunc {kfunc}', since: 'v4',
    doc: 'call the kernel function with BTF id imm (off selects a module BTF)',
  },
  {
    id: 'callx', code: BPF_JMP | 0x88, kind: 'callx', dst: 'reg', src: 'zero', off: 'zero', imm: 'zero',
    llvm: 'callx {dst}', ubpf: 'callx {dst}', ubpfAlt: ['call {dst}'], since: 'v4',
    doc: 'call the function whose address (or helper id) is in dst',
  },
  {
    id: 'exit', code: BPF_JMP | 0x90, kind: 'exit', dst: 'zero', src: 'zero', off: 'zero', imm: 'zero',
    llvm: 'exit', ubpf: 'exit', since: 'v1', doc: 'return r0 to the caller, or end the program with r0 as its result',
  },
];

// prettier-ignore
export const OPCODES: readonly OpcodeSpec[] = [
  ...aluRows(64), ...aluRows(32), ...endianRows(), ADDR_SPACE_CAST,
  ...lddwRows(), ...packetLoadRows(), ...memRows(), ...atomicRows(),
  ...jumpRows(64), ...jumpRows(32), ...CONTROL_ROWS,
];

// ---------------------------------------------------------------------------------------------
// Lookups, built once.

const byCode = new Map<number, OpcodeSpec[]>();
for (const row of OPCODES) {
  const list = byCode.get(row.code) ?? [];
  list.push(row);
  byCode.set(row.code, list);
}
const byId = new Map(OPCODES.map((r) => [r.id, r] as const));

/** Every row that shares this opcode byte (one, or several told apart by `match`). */
export function rowsForCode(code: number): readonly OpcodeSpec[] {
  return byCode.get(code) ?? [];
}

export function rowById(id: string): OpcodeSpec {
  const row = byId.get(id);
  if (!row) throw new Error(`internal error: no opcode row ${id}`);
  return row;
}

/** The row an instruction decodes to, or undefined for an unknown encoding. */
export function lookupRow(i: { code: number; src: number; off: number; imm: number }): OpcodeSpec | undefined {
  const rows = byCode.get(i.code);
  if (!rows) return undefined;
  for (const r of rows) {
    const m = r.match;
    if (!m) return r;
    if (m.src !== undefined && m.src !== i.src) continue;
    if (m.off !== undefined && m.off !== i.off) continue;
    if (m.imm !== undefined && m.imm !== i.imm) continue;
    return r;
  }
  return undefined;
}

export function insnClass(code: number): number {
  return code & 0x07;
}

export function versionAtMost(v: IsaVersion, max: IsaVersion): boolean {
  return ISA_VERSIONS.indexOf(v) <= ISA_VERSIONS.indexOf(max);
}
