# Benchmark (issue #9): a mix of 32-bit ALU, JMP32 and stack traffic: a small state machine
# over the stack, 2,000 iterations (about 40,000 instructions).
	.section xdp
	.globl mix
mix:
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	*(u64 *)(r10 - 16) = r1
	*(u64 *)(r10 - 24) = r1
	w6 = 0                          # i
	w7 = 0x12345678                 # state
loop:
	w2 = w6
	w2 *= 0x9e3779b1
	w7 ^= w2
	w3 = w7
	w3 >>= 13
	w7 += w3
	*(u32 *)(r10 - 4) = w7
	if w7 & 1 goto odd
	w4 = *(u32 *)(r10 - 8)
	w4 += w7
	*(u32 *)(r10 - 8) = w4
	goto next
odd:
	w4 = *(u32 *)(r10 - 12)
	w4 -= w7
	*(u32 *)(r10 - 12) = w4
next:
	w5 = *(u32 *)(r10 - 4)
	if w5 s< 0 goto neg
	w5 <<= 1
neg:
	*(u32 *)(r10 - 16) = w5
	w6 += 1
	if w6 < 2000 goto loop
	w0 = *(u32 *)(r10 - 8)
	w1 = *(u32 *)(r10 - 12)
	w0 ^= w1
	w1 = *(u32 *)(r10 - 16)
	w0 += w1
	exit
