# Hand-written assembly for llvm-mc-19 -triple bpf -filetype=obj: a program calling a
# global function in .text and a local one in its own section, a loop label, a map
# reference against a symbol in .maps (no BTF: llvm-mc writes none), and a license.
# test/elf/read.test.ts compares what readElf finds with llvm-readelf-19.
#
# expect-license: GPL

	.text
	.globl	helper
	.type	helper,@function
helper:
	r0 = 1
	exit

	.section	tc,"ax",@progbits
	.globl	classifier
	.type	classifier,@function
classifier:
	r1 = counts ll
	r2 = 0
loop:
	r2 += 1
	if r2 < 10 goto loop
	call helper
	call local_sub
	exit
local_sub:
	r0 = 2
	exit

	.section	.maps,"aw",@progbits
	.globl	counts
counts:
	.quad	0

	.section	license,"aw",@progbits
	.asciz	"GPL"
