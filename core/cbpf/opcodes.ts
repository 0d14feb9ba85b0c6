/**
 * The classic BPF opcode table: one row per instruction of struct sock_filter
 * (u16 code, u8 jt, u8 jf, u32 k), as the kernel's include/uapi/linux/filter.h defines the
 * fields and net/core/filter.c (chk_code_allowed) admits them.
 *
 * Every layer reads this one table: the parser matches its templates, the printers fill
 * them, the checker asks it which codes exist, and hover shows `doc`. Nothing else lists
 * classic opcodes.
 *
 * A row is selected by `code`, and for the ancillary loads (ld [SKF_AD_OFF + n]) also by `k`.
 *
 * Templates: literal text with placeholders (case-insensitive when parsing).
 *   {k}        the constant k in decimal (bpf_asm prints it unsigned, tcpdump signed)
 *   {kx}       the constant k in hex (0x800)
 *   {target}   ja's destination: a label in bpf_asm, an absolute instruction number in tcpdump -d
 *   {jt} {jf}  a conditional jump's destinations, the same way
 * bpf_asm may leave out `, {jf}`: the false branch then falls through.
 */

/* eslint-disable */

// Instruction classes (code & 0x07).
export const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03;
export const BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_RET = 0x06, BPF_MISC = 0x07;
// Load sizes (code & 0x18) and modes (code & 0xe0).
export const BPF_W = 0x00, BPF_H = 0x08, BPF_B = 0x10;
export const BPF_IMM = 0x00, BPF_ABS = 0x20, BPF_IND = 0x40, BPF_MEM = 0x60, BPF_LEN = 0x80, BPF_MSH = 0xa0;
// Operand source (code & 0x08 for ALU and jumps; code & 0x18 for ret).
export const BPF_K = 0x00, BPF_X = 0x08, BPF_A = 0x10;
// misc operations (code & 0xf8).
export const BPF_TAX = 0x00, BPF_TXA = 0x80;

/** Classic programs may have at most this many instructions (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** Words of scratch memory M[] (BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;

/** Negative k of ld [k] reaching outside the packet (filter.h). */
export const SKF_AD_OFF = -0x1000;
export const SKF_NET_OFF = -0x100000;
export const SKF_LL_OFF = -0x200000;

/** The ancillary data offsets (SKF_AD_*), added to SKF_AD_OFF. */
export const SKF_AD = {
  protocol: 0, pkttype: 4, ifindex: 8, nlattr: 12, nlattr_nest: 16, mark: 20, queue: 24, hatype: 28,
  rxhash: 32, cpu: 36, alu_xor_x: 40, vlan_tag: 44, vlan_tag_present: 48, pay_offset: 52, random: 56, vlan_tpid: 60,
} as const;

export type CKind =
  | 'ld_abs' | 'ld_ind' | 'ld_len' | 'ld_imm' | 'ld_mem' | 'ld_anc'
  | 'ldx_imm' | 'ldx_len' | 'ldx_mem' | 'ldx_msh'
  | 'st' | 'stx' | 'alu_k' | 'alu_x' | 'neg'
  | 'ja' | 'jcond_k' | 'jcond_x' | 'ret_k' | 'ret_a' | 'tax' | 'txa';

export interface CbpfOpcodeSpec {
  /** Unique name of the row, e.g. `ldh_abs`, `jeq_k`, `ld_proto`. */
  readonly id: string;
  readonly code: number;
  /** Ancillary loads only: the k that selects the row (SKF_AD_OFF + SKF_AD_*). */
  readonly k?: number;
  readonly kind: CKind;
  /** ALU and jump operation (`add`, `jeq`...). */
  readonly op?: string;
  /** Bytes read from the packet by absolute, indirect and msh loads. */
  readonly size?: 1 | 2 | 4;
  /** Printing template in bpf_asm syntax, and further spellings accepted when parsing. */
  readonly asm: string;
  readonly asmAlt?: readonly string[];
  /** Printing template in tcpdump -d syntax (libpcap's bpf_image), and further accepted spellings. */
  readonly tcpdump: string;
  readonly tcpdumpAlt?: readonly string[];
  /** Hover text for users. */
  readonly doc: string;
}

type Row = CbpfOpcodeSpec;

const SIZES: ReadonlyArray<{ sfx: string; bits: number; size: 1 | 2 | 4; what: string }> = [
  { sfx: '', bits: BPF_W, size: 4, what: 'the 32-bit big-endian word' },
  { sfx: 'h', bits: BPF_H, size: 2, what: 'the 16-bit big-endian half-word' },
  { sfx: 'b', bits: BPF_B, size: 1, what: 'the byte' },
];

function loadRows(): Row[] {
  const rows: Row[] = [];
  for (const s of SIZES) {
    rows.push({
      id: `ld${s.sfx}_abs`, code: BPF_LD | s.bits | BPF_ABS, kind: 'ld_abs', size: s.size,
      asm: `ld${s.sfx} [{k}]`, tcpdump: `ld${s.sfx} [{k}]`,
      doc: `A = ${s.what} at packet offset k; past the end the filter returns 0`,
    });
    rows.push({
      id: `ld${s.sfx}_ind`, code: BPF_LD | s.bits | BPF_IND, kind: 'ld_ind', size: s.size,
      asm: `ld${s.sfx} [x + {k}]`, asmAlt: [`ld${s.sfx} [%x + {k}]`], tcpdump: `ld${s.sfx} [x + {k}]`,
      doc: `A = ${s.what} at packet offset X + k; past the end the filter returns 0`,
    });
  }
  rows.push(
    { id: 'ld_len', code: BPF_LD | BPF_W | BPF_LEN, kind: 'ld_len', asm: 'ld #len', asmAlt: ['ld len', 'ld #pktlen'],
      tcpdump: 'ld #pktlen', tcpdumpAlt: ['ld #len'], doc: 'A = the length of the packet on the wire' },
    { id: 'ld_imm', code: BPF_LD | BPF_W | BPF_IMM, kind: 'ld_imm', asm: 'ld #{kx}', asmAlt: ['ldi #{kx}'],
      tcpdump: 'ld #{kx}', doc: 'A = k' },
    { id: 'ld_mem', code: BPF_LD | BPF_W | BPF_MEM, kind: 'ld_mem', asm: 'ld M[{k}]', tcpdump: 'ld M[{k}]',
      doc: 'A = M[k], the scratch word k (0..15); it must have been written on every path' },
    { id: 'ldx_imm', code: BPF_LDX | BPF_W | BPF_IMM, kind: 'ldx_imm', asm: 'ldx #{kx}', asmAlt: ['ldxi #{kx}'],
      tcpdump: 'ldx #{kx}', doc: 'X = k' },
    { id: 'ldx_len', code: BPF_LDX | BPF_W | BPF_LEN, kind: 'ldx_len', asm: 'ldx #len', asmAlt: ['ldx len', 'ldx #pktlen'],
      tcpdump: 'ldx #pktlen', tcpdumpAlt: ['ldx #len'], doc: 'X = the length of the packet on the wire' },
    { id: 'ldx_mem', code: BPF_LDX | BPF_W | BPF_MEM, kind: 'ldx_mem', asm: 'ldx M[{k}]', tcpdump: 'ldx M[{k}]',
      doc: 'X = M[k], the scratch word k (0..15); it must have been written on every path' },
    { id: 'ldxb_msh', code: BPF_LDX | BPF_B | BPF_MSH, kind: 'ldx_msh', size: 1,
      asm: 'ldxb 4*([{k}]&0xf)', asmAlt: ['ldx 4*([{k}]&0xf)'], tcpdump: 'ldxb 4*([{k}]&0xf)',
      doc: 'X = 4 * (the low nibble of the byte at offset k): the IPv4 header length; past the end the filter returns 0' },
  );
  return rows;
}

// The ancillary loads: ld [SKF_AD_OFF + n] reads a property of the packet instead of its bytes.
// bpf_asm names them; libpcap prints the raw negative offset.
const ANCILLARY: ReadonlyArray<{ name: string; alt?: string[]; off: number; doc: string }> = [
  { name: 'proto', alt: ['protocol'], off: SKF_AD.protocol, doc: 'A = skb->protocol, the EtherType (host order)' },
  { name: 'type', alt: ['pkttype'], off: SKF_AD.pkttype, doc: 'A = the packet type (PACKET_HOST = 0, BROADCAST = 1, MULTICAST = 2, OTHERHOST = 3, OUTGOING = 4)' },
  { name: 'ifidx', alt: ['ifx'], off: SKF_AD.ifindex, doc: 'A = the index of the receiving interface' },
  { name: 'nla', off: SKF_AD.nlattr, doc: 'A = the offset of the netlink attribute of type X, searched from offset A (0 when absent)' },
  { name: 'nlan', off: SKF_AD.nlattr_nest, doc: 'A = the offset of the attribute of type X nested in the netlink attribute at offset A (0 when absent)' },
  { name: 'mark', off: SKF_AD.mark, doc: 'A = skb->mark' },
  { name: 'queue', alt: ['rxqueue'], off: SKF_AD.queue, doc: 'A = the receive queue index' },
  { name: 'hatype', off: SKF_AD.hatype, doc: 'A = the interface hardware type (ARPHRD_ETHER = 1)' },
  { name: 'rxhash', alt: ['hash'], off: SKF_AD.rxhash, doc: 'A = skb->hash, the flow hash' },
  { name: 'cpu', off: SKF_AD.cpu, doc: 'A = the number of the CPU running the filter' },
  { name: 'vlan_tci', alt: ['vlant'], off: SKF_AD.vlan_tag, doc: 'A = the VLAN TCI offloaded from the frame (0 when none)' },
  { name: 'vlan_avail', alt: ['vlanp', 'vlan_pr'], off: SKF_AD.vlan_tag_present, doc: 'A = 1 when a VLAN tag was offloaded from the frame, else 0' },
  { name: 'poff', off: SKF_AD.pay_offset, doc: 'A = the offset of the transport payload, found by the flow dissector' },
  { name: 'rand', off: SKF_AD.random, doc: 'A = a pseudo-random 32-bit number' },
  { name: 'vlan_tpid', alt: ['vlan_tp'], off: SKF_AD.vlan_tpid, doc: 'A = the TPID of the offloaded VLAN tag' },
];

function ancillaryRows(): Row[] {
  return ANCILLARY.map((a) => ({
    id: `ld_${a.name}`, code: BPF_LD | BPF_W | BPF_ABS, k: (SKF_AD_OFF + a.off) >>> 0, kind: 'ld_anc' as const, size: 4 as const,
    asm: `ld #${a.name}`, asmAlt: [`ld ${a.name}`, ...(a.alt ?? []).flatMap((n) => [`ld #${n}`, `ld ${n}`])],
    tcpdump: `ld [{k}]`, doc: `${a.doc} (ld [SKF_AD_OFF + ${a.off}])`,
  }));
}

const ALU_OPS: ReadonlyArray<{ op: string; bits: number; hex: boolean; doc: string }> = [
  { op: 'add', bits: 0x00, hex: false, doc: 'A += {src}' },
  { op: 'sub', bits: 0x10, hex: false, doc: 'A -= {src}' },
  { op: 'mul', bits: 0x20, hex: false, doc: 'A *= {src}' },
  { op: 'div', bits: 0x30, hex: false, doc: 'A /= {src}, unsigned; dividing by X = 0 makes the filter return 0' },
  { op: 'or', bits: 0x40, hex: true, doc: 'A |= {src}' },
  { op: 'and', bits: 0x50, hex: true, doc: 'A &= {src}' },
  { op: 'lsh', bits: 0x60, hex: false, doc: 'A <<= {src}' },
  { op: 'rsh', bits: 0x70, hex: false, doc: 'A >>= {src}, logical' },
  { op: 'mod', bits: 0x90, hex: false, doc: 'A %= {src}, unsigned; X = 0 makes the filter return 0' },
  { op: 'xor', bits: 0xa0, hex: true, doc: 'A ^= {src}' },
];

function aluRows(): Row[] {
  const rows: Row[] = [];
  for (const a of ALU_OPS) {
    const kk = a.hex ? '{kx}' : '{k}';
    rows.push({
      id: `${a.op}_k`, code: BPF_ALU | a.bits | BPF_K, kind: 'alu_k', op: a.op,
      asm: `${a.op} #${kk}`, tcpdump: `${a.op} #${kk}`, doc: `${a.doc.replace('{src}', 'k')} (32-bit)`,
    });
    rows.push({
      id: `${a.op}_x`, code: BPF_ALU | a.bits | BPF_X, kind: 'alu_x', op: a.op,
      asm: `${a.op} x`, asmAlt: [`${a.op} %x`], tcpdump: `${a.op} x`, doc: `${a.doc.replace('{src}', 'X')} (32-bit)`,
    });
  }
  rows.push({ id: 'neg', code: BPF_ALU | 0x80, kind: 'neg', op: 'neg', asm: 'neg', tcpdump: 'neg', doc: 'A = -A (32-bit)' });
  return rows;
}

// `inverse`: bpf_asm's one-label spellings of the opposite test (jne #k, L is jeq #k with
// the true branch falling through and L as jf), as tools/bpf/bpf_exp.y reads them.
const JUMP_OPS: ReadonlyArray<{ op: string; bits: number; doc: string; inverse?: string[] }> = [
  { op: 'jeq', bits: 0x10, doc: 'A == {src}', inverse: ['jneq', 'jne'] },
  { op: 'jgt', bits: 0x20, doc: 'A > {src}, unsigned', inverse: ['jle'] },
  { op: 'jge', bits: 0x30, doc: 'A >= {src}, unsigned', inverse: ['jlt'] },
  { op: 'jset', bits: 0x40, doc: 'A & {src} != 0' },
];

function jumpRows(): Row[] {
  const rows: Row[] = [{
    id: 'ja', code: BPF_JMP | 0x00, kind: 'ja', op: 'ja', asm: 'ja {target}', asmAlt: ['jmp {target}'],
    tcpdump: 'ja {target}', doc: 'Jump forward k instructions (to the label)',
  }];
  for (const j of JUMP_OPS) {
    const inv = j.inverse ?? [];
    rows.push({
      id: `${j.op}_k`, code: BPF_JMP | j.bits | BPF_K, kind: 'jcond_k', op: j.op,
      asm: `${j.op} #{kx}, {jt}, {jf}`, asmAlt: inv.map((n) => `${n} #{kx}, {jf}`), tcpdump: `${j.op} #{kx} jt {jt} jf {jf}`,
      doc: `Go to jt when ${j.doc.replace('{src}', 'k')}, else to jf (both forward)`,
    });
    rows.push({
      id: `${j.op}_x`, code: BPF_JMP | j.bits | BPF_X, kind: 'jcond_x', op: j.op,
      asm: `${j.op} x, {jt}, {jf}`, asmAlt: [`${j.op} %x, {jt}, {jf}`, ...inv.flatMap((n) => [`${n} x, {jf}`, `${n} %x, {jf}`])],
      tcpdump: `${j.op} x jt {jt} jf {jf}`,
      doc: `Go to jt when ${j.doc.replace('{src}', 'X')}, else to jf (both forward)`,
    });
  }
  return rows;
}

function miscRows(): Row[] {
  return [
    { id: 'st', code: BPF_ST, kind: 'st', asm: 'st M[{k}]', tcpdump: 'st M[{k}]', doc: 'M[k] = A (k in 0..15)' },
    { id: 'stx', code: BPF_STX, kind: 'stx', asm: 'stx M[{k}]', tcpdump: 'stx M[{k}]', doc: 'M[k] = X (k in 0..15)' },
    { id: 'ret_k', code: BPF_RET | BPF_K, kind: 'ret_k', asm: 'ret #{k}', tcpdump: 'ret #{k}',
      doc: 'Return k: the number of bytes to keep (0 drops the packet)' },
    { id: 'ret_a', code: BPF_RET | BPF_A, kind: 'ret_a', asm: 'ret a', asmAlt: ['ret %a'], tcpdump: 'ret', tcpdumpAlt: ['ret a'],
      doc: 'Return A: the number of bytes to keep (0 drops the packet)' },
    { id: 'tax', code: BPF_MISC | BPF_TAX, kind: 'tax', asm: 'tax', tcpdump: 'tax', doc: 'X = A' },
    { id: 'txa', code: BPF_MISC | BPF_TXA, kind: 'txa', asm: 'txa', tcpdump: 'txa', doc: 'A = X' },
  ];
}

export const CBPF_OPCODES: readonly CbpfOpcodeSpec[] = [
  ...loadRows(), ...ancillaryRows(), ...miscRows(), ...aluRows(), ...jumpRows(),
];

const BY_CODE = new Map<number, Row>();
const ANC_BY_K = new Map<number, Row>();
for (const r of CBPF_OPCODES) {
  if (r.kind === 'ld_anc') ANC_BY_K.set(r.k!, r);
  else BY_CODE.set(r.code, r);
}

/** The row of an instruction: the ancillary row when ld [k] names one, else the row of its code. */
export function lookupCbpfRow(code: number, k = 0): CbpfOpcodeSpec | undefined {
  if (code === (BPF_LD | BPF_W | BPF_ABS)) {
    const anc = ANC_BY_K.get(k >>> 0);
    if (anc) return anc;
  }
  return BY_CODE.get(code);
}

/** Whether the kernel accepts this code in a classic filter (chk_code_allowed). */
export function cbpfCodeAllowed(code: number): boolean {
  return BY_CODE.has(code);
}

/** One struct sock_filter. k is kept unsigned (0..2^32-1); jt and jf are 0..255. */
export interface CInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}
