# Benchmark (issue #9): a compute loop of as many iterations as the kernel's verifier lets
# through. The verifier walks every iteration of a bounded loop (the counter is precise), so
# 100,000 iterations of this 8-instruction body are about 800,000 processed instructions,
# under its 1,000,000 limit. 64-bit ALU: a sum of squares and an xor-shift mix.
	.section xdp
	.globl compute
compute:
	r6 = 0                          # i
	r7 = 0                          # sum of i * i
	r8 = 0                          # mix
loop:
	r2 = r6
	r2 *= r6                        # i * i
	r7 += r2
	r8 ^= r7
	r3 = r8
	r3 >>= 7
	r8 += r3
	r6 += 1
	if r6 < 100000 goto loop
	r0 = r8
	r0 ^= r7
	exit
