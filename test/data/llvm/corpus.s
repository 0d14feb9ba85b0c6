# LLVM differential corpus for the eBPF Workbench assembler and disassembler.
#
# Every row of the opcode table (core/isa/opcodes.ts) that llvm-mc-19 can spell
# appears here at least once, with boundary immediates, offsets and registers:
# all rows but call_kfunc (see README.md). The lddw pseudo sources are written
# `ld_pseudo DST, SRC, IMM`, the only spelling llvm-mc-19 has for them.
# Tests assemble this file with our assembler and with
#     llvm-mc-19 -triple bpf -mcpu=v4 -filetype=obj corpus.s
# and require the same instruction bytes; the disassembler is checked against
# llvm-objdump-19 -d --mcpu=v4 on the resulting object. See README.md.
#
# This is not a program meant to pass the verifier: it divides by zero,
# writes r10 and jumps out of range on purpose. Keep it llvm-mc-clean: do not
# start a line with ';' (llvm-mc reads it as a separator, not a comment), and
# do not put a /* */ comment right after a register or ')' operand (llvm-mc-19
# rejects `r0 += r1 /* x */`; after an immediate, or before the line, it is fine).
#
# Two sections: .text (corpus and local_fn) and "socket", whose one lddw
# refers to a function and so carries an R_BPF_64_64 relocation against .text
# (imm = byte offset of local_fn; libbpf makes it BPF_PSEUDO_FUNC at load time).

	.text
	.globl	corpus
	.p2align	3
	.type	corpus,@function
corpus:

# ---------------------------------------------------------------- ALU64, imm
	r0 = 0
	r1 = 1
	r2 = -1
	r3 = 0x7fffffff
	r4 = -0x80000000
	r5 = 0xffffffff                 # a 32-bit pattern: imm = -1
	r0 += 0
	r1 += 1
	r2 += -1
	r3 += 0x7fffffff
	r4 += -0x80000000
	r5 += 0xffffffff
	r6 -= 1
	r7 -= -0x80000000
	r8 *= 0x7fffffff
	r9 *= -1
	r0 /= 0                         // division by an immediate zero encodes fine
	r1 /= 0xffffffff
	r2 s/= -1
	r3 s/= 0x7fffffff
	r4 |= 0xffffffff
	r5 |= 0
	r6 &= 0x7fffffff
	r7 &= -0x80000000
	r8 <<= 0
	r9 <<= 63
	r0 >>= 1
	r1 >>= 63
	r2 %= 1
	r3 %= 0xffffffff
	r4 s%= -1
	r5 s%= 0x7fffffff
	r6 ^= -1
	r7 ^= 0
	r8 s>>= 63
	r9 s>>= 1

# ---------------------------------------------------------------- ALU64, reg
	r0 = r1
	r1 = r10                        # reading the frame pointer is fine
	r2 += r3
	r3 += r10
	r4 -= r5
	r5 *= r6
	r6 /= r7
	r7 s/= r8
	r8 |= r9
	r9 &= r0
	r0 <<= r1
	r1 >>= r2
	r2 %= r3
	r3 s%= r4
	r4 ^= r5
	r5 s>>= r6
	r6 = -r6                        # neg64
	r0 = -r0
	r10 = r1                        ; r10 += 8 # llvm-mc accepts writes to r10 (the verifier does not)

# ---------------------------------------------------------------- ALU32, imm
	w0 = 0
	w1 = 1
	w2 = -1
	w3 = 0x7fffffff
	w4 = -0x80000000
	w5 = 0xffffffff
	w6 += 0
	w7 += 0xffffffff
	w8 -= 1
	w9 -= -0x80000000
	w0 *= 0x7fffffff
	w1 *= -1
	w2 /= 1
	w3 /= 0xffffffff
	w4 s/= -1
	w5 s/= -0x80000000
	w6 |= 0x7fffffff
	w7 &= 0xffffffff
	w8 <<= 31
	w9 <<= 0
	w0 >>= 31
	w1 >>= 1
	w2 %= 0x7fffffff
	w3 %= 0
	w4 s%= 1
	w5 s%= -1
	w6 ^= 0xffffffff
	w7 ^= -0x80000000
	w8 s>>= 31
	w9 s>>= 0

# ---------------------------------------------------------------- ALU32, reg
	w0 = w1
	w1 = w10
	w2 += w3
	w3 -= w4
	w4 *= w5
	w5 /= w6
	w6 s/= w7
	w7 |= w8
	w8 &= w9
	w9 <<= w0
	w0 >>= w1
	w1 %= w2
	w2 s%= w3
	w3 ^= w4
	w4 s>>= w5
	w5 = -w5                        # neg32
	w9 = -w9

# ---------------------------------------------------------------- sign-extending moves (v4)
	r0 = (s8)r1
	r2 = (s16)r3
	r4 = (s32)r5
	r9 = (s32)r10
	w6 = (s8)w7
	w8 = (s16)w9

# ---------------------------------------------------------------- byte swaps
	r1 = le16 r1
	r2 = le32 r2
	r3 = le64 r3
	r4 = be16 r4
	r5 = be32 r5
	r6 = be64 r6
	r7 = bswap16 r7
	r8 = bswap32 r8
	r9 = bswap64 r9
	r0 = be16 r0 ; r0 = le16 r0 ; r0 = bswap64 r0

# ---------------------------------------------------------------- addr_space_cast (arena)
	r1 = addr_space_cast(r2, 0, 1)
	r3 = addr_space_cast(r3, 1, 0)
	r0 = addr_space_cast(r9, 0, 0)

# ---------------------------------------------------------------- lddw: 64-bit constants (two slots)
	r0 = 0 ll
	r1 = 1 ll
	r2 = -1 ll
	r3 = 0x7fffffff ll
	r4 = 0x80000000 ll              # does not fit a signed 32-bit imm
	r5 = 0xffffffff ll
	r6 = -0x80000000 ll
	r7 = 0x100000000 ll
	r8 = 0x123456789abcdef0 ll
	r9 = 0x7fffffffffffffff ll
	r0 = -0x8000000000000000 ll
	r1 = 0xffffffffffffffff ll
	r2 = -2 ll

# ---------------------------------------------------------------- lddw with a pseudo source (src 1..6)
# llvm-mc-19 spells these as llvm-objdump-19 prints them: ld_pseudo DST, SRC, IMM.
# It sets only the first slot's imm (the second slot, where map_value and
# map_idx_value keep their offset, is always 0), so the offsets here are 0.
	ld_pseudo r1, 1, 3              # BPF_PSEUDO_MAP_FD: map fd 3
	ld_pseudo r2, 2, 4              # BPF_PSEUDO_MAP_VALUE: map fd 4, value offset 0
	ld_pseudo r3, 3, 0x7fffffff     # BPF_PSEUDO_BTF_ID: a kernel variable's BTF id
	ld_pseudo r4, 4, 1              # BPF_PSEUDO_FUNC: imm = slots to the function
	ld_pseudo r5, 5, 0              # BPF_PSEUDO_MAP_IDX: index 0 of the fd array
	ld_pseudo r0, 0x6, 0x1          # BPF_PSEUDO_MAP_IDX_VALUE: index 1, offset 0

# ---------------------------------------------------------------- legacy packet loads (ld_abs / ld_ind)
	r0 = *(u8 *)skb[0]
	r0 = *(u16 *)skb[12]
	r0 = *(u32 *)skb[0x7fffffff]
	r0 = *(u32 *)skb[-1]
	r0 = *(u8 *)skb[r1]
	r0 = *(u16 *)skb[r7]
	r0 = *(u32 *)skb[r9]

# ---------------------------------------------------------------- loads (zero-extending)
	w0 = *(u8 *)(r1 + 0)
	r2 = *(u8 *)(r3 + 32767)        # the r spelling assembles to the same bytes
	w4 = *(u16 *)(r5 - 32768)
	r6 = *(u16 *)(r7 + 2)
	w8 = *(u32 *)(r9 + 4)
	r0 = *(u32 *)(r10 - 4)
	r1 = *(u64 *)(r10 - 8)
	r2 = *(u64 *)(r2 + 32767)
	r3 = *(u64 *)(r4 - 32768)
	r9 = *(u64 *)(r0 + 0)

# ---------------------------------------------------------------- loads (sign-extending, v4)
	r0 = *(s8 *)(r1 + 0)
	r2 = *(s8 *)(r10 - 32768)
	r3 = *(s16 *)(r4 + 32767)
	r5 = *(s16 *)(r6 - 2)
	r7 = *(s32 *)(r8 + 4)
	r9 = *(s32 *)(r10 - 4)

# ---------------------------------------------------------------- stores of an immediate
	*(u8 *)(r10 - 1) = 0
	*(u8 *)(r1 + 32767) = -1
	*(u16 *)(r10 - 2) = 0xffffffff
	*(u16 *)(r2 - 32768) = 1
	*(u32 *)(r10 - 4) = 0x7fffffff
	*(u32 *)(r3 + 0) = -0x80000000
	*(u64 *)(r10 - 8) = -1
	*(u64 *)(r4 + 32767) = 0x7fffffff
	*(u64 *)(r5 - 32768) = 0

# ---------------------------------------------------------------- stores of a register
	*(u8 *)(r10 - 1) = w0
	*(u8 *)(r1 + 32767) = r2        # the r spelling assembles to the same bytes
	*(u16 *)(r10 - 2) = w3
	*(u16 *)(r4 - 32768) = r5
	*(u32 *)(r10 - 4) = w6
	*(u32 *)(r7 + 0) = r8
	*(u64 *)(r10 - 8) = r9
	*(u64 *)(r0 + 32767) = r10
	*(u64 *)(r1 - 32768) = r1

# ---------------------------------------------------------------- atomics, 64-bit
	lock *(u64 *)(r10 - 8) += r1
	lock *(u64 *)(r2 + 32767) |= r3
	lock *(u64 *)(r4 - 32768) &= r5
	lock *(u64 *)(r6 + 0) ^= r7
	r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)
	r2 = atomic_fetch_or((u64 *)(r3 + 8), r2)
	r4 = atomic_fetch_and((u64 *)(r5 - 32768), r4)
	r6 = atomic_fetch_xor((u64 *)(r7 + 32767), r6)
	r8 = xchg_64(r9 + 0, r8)
	r1 = xchg_64(r10 - 16, r1)
	r0 = cmpxchg_64(r1 + 0, r0, r2)
	r0 = cmpxchg_64(r10 - 32768, r0, r9)

# ---------------------------------------------------------------- atomics, 32-bit
	lock *(u32 *)(r10 - 4) += w1
	lock *(u32 *)(r2 + 32767) |= w3
	lock *(u32 *)(r4 - 32768) &= w5
	lock *(u32 *)(r6 + 0) ^= w7
	w1 = atomic_fetch_add((u32 *)(r10 - 4), w1)
	w2 = atomic_fetch_or((u32 *)(r3 + 4), w2)
	w4 = atomic_fetch_and((u32 *)(r5 - 32768), w4)
	w6 = atomic_fetch_xor((u32 *)(r7 + 32767), w6)
	w8 = xchg32_32(r9 + 0, w8)
	w1 = xchg32_32(r10 - 4, w1)
	w0 = cmpxchg32_32(r1 + 0, w0, w2)
	w0 = cmpxchg32_32(r10 - 32768, w0, w9)

# ---------------------------------------------------------------- conditional jumps, 64-bit, imm
.Ljmp64_imm:
	if r0 == 0 goto +0
	if r1 > 1 goto +1
	if r2 >= -1 goto -1
	if r3 & 0x7fffffff goto +32767
	if r4 != -0x80000000 goto -32768
	if r5 s> 0xffffffff goto .Ljmp64_imm
	if r6 s>= 0 goto .Ljmp64_reg
	if r7 < 1 goto +2
	if r8 <= -1 goto -2
	if r9 s< 0x7fffffff goto .Ljmp64_imm
	if r10 s<= -0x80000000 goto .Ljmp64_reg

# ---------------------------------------------------------------- conditional jumps, 64-bit, reg
.Ljmp64_reg:
	if r0 == r1 goto +0
	if r1 > r2 goto +1
	if r2 >= r3 goto -1
	if r3 & r4 goto +32767
	if r4 != r5 goto -32768
	if r5 s> r6 goto .Ljmp64_reg
	if r6 s>= r7 goto .Ljmp32_imm
	if r7 < r8 goto .Ljmp64_imm
	if r8 <= r9 goto +3
	if r9 s< r10 goto -3
	if r10 s<= r0 goto .Ljmp32_reg

# ---------------------------------------------------------------- conditional jumps, 32-bit, imm
.Ljmp32_imm:
	if w0 == 0 goto +0
	if w1 > 1 goto +1
	if w2 >= -1 goto -1
	if w3 & 0xffffffff goto +32767
	if w4 != 0x7fffffff goto -32768
	if w5 s> -0x80000000 goto .Ljmp32_imm
	if w6 s>= 0 goto .Ljmp32_reg
	if w7 < 1 goto +4
	if w8 <= -1 goto -4
	if w9 s< 0x7fffffff goto .Ljmp64_reg
	if w10 s<= 0 goto .Ljmp32_reg

# ---------------------------------------------------------------- conditional jumps, 32-bit, reg
.Ljmp32_reg:
	if w0 == w1 goto +0
	if w1 > w2 goto +1
	if w2 >= w3 goto -1
	if w3 & w4 goto +32767
	if w4 != w5 goto -32768
	if w5 s> w6 goto .Ljmp32_reg
	if w6 s>= w7 goto .Lcontrol
	if w7 < w8 goto .Ljmp32_imm
	if w8 <= w9 goto +5
	if w9 s< w10 goto -5
	if w10 s<= w0 goto .Lcontrol

# ---------------------------------------------------------------- unconditional jumps, calls
.Lcontrol:
	goto +0
	goto +1
	goto -1
	goto +32767
	goto -32768
	goto .Lforward                  # a forward label
	goto .Lcontrol                  # a backward label
	gotol +0
	gotol -1
	gotol +32767                    # llvm-mc-19 takes only 16-bit numbers here;
	gotol -32768                    # larger distances need a label
	gotol .Lforward
	gotol .Lcontrol
	may_goto +0
	may_goto +7
	may_goto -1
	may_goto .Lforward
	may_goto .Lcontrol
.Lforward:
	call 0
	call 1                          // bpf_map_lookup_elem
	call 0x7fffffff
	call -1
	call local_fn                   # bpf-to-bpf call, resolved in this section
	callx r0
	callx r5
	callx r9

# ---------------------------------------------------------------- comment styles and ';' separators
	r0 = 1 # hash comment
	r0 = 2 // slash comment
	/* before */ r0 = 3 /* after an immediate */
	/* a block comment
	   over two lines, r0 = 99 inside it is not code */
	r1 = r2; r3 = r4 ; r5 = r6      # three statements on one line
	r1 = 0x1234 ll; r2 = be16 r2 ; lock *(u64 *)(r10 - 8) += r1
	if r1 == 0 goto .Lend; r0 = *(u32 *)(r1 + 0)
.Lend:
	r0 = 0; exit
.Lfunc_end0:
	.size	corpus, .Lfunc_end0-corpus

# A local function in the same section, called by name from corpus above.
	.p2align	3
	.type	local_fn,@function
local_fn:
	r0 = r1
	r0 *= r2
	if r0 s> 0 goto +1
	r0 = -r0
	call local_fn                   # a recursive call, a backward target
	exit
.Lfunc_end1:
	.size	local_fn, .Lfunc_end1-local_fn

# A second program section: a callback address taken with lddw, as clang emits
# for bpf_loop(nr_loops, callback, ctx, flags).
	.section	socket,"ax",@progbits
	.globl	reloc_prog
	.p2align	3
	.type	reloc_prog,@function
reloc_prog:
	r1 = 4
	r2 = local_fn ll                # R_BPF_64_64 against .text; src = 0 in the object
	r3 = 0
	r4 = 0
	call 181                        # bpf_loop
	exit
.Lfunc_end2:
	.size	reloc_prog, .Lfunc_end2-reloc_prog
