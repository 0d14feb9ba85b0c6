# Benchmark (issue #9): the internet checksum (RFC 1071) over a 1500-byte packet, 16 bits at
# a time, each read behind a bounds check against data_end as the verifier requires.
	.section xdp
	.globl checksum
checksum:
	r2 = *(u32 *)(r1 + 0)           # data
	r3 = *(u32 *)(r1 + 4)           # data_end
	r0 = 0                          # the running sum
	r4 = 0                          # byte offset
loop:
	r5 = r2
	r5 += r4
	r6 = r5
	r6 += 2
	if r6 > r3 goto fold            # past the end of the packet
	r6 = *(u16 *)(r5 + 0)
	r0 += r6
	r4 += 2
	if r4 < 1500 goto loop
fold:
	r1 = r0                         # fold the carries back in, twice
	r1 >>= 16
	r0 &= 0xffff
	r0 += r1
	r1 = r0
	r1 >>= 16
	r0 &= 0xffff
	r0 += r1
	r0 ^= 0xffff
	exit
