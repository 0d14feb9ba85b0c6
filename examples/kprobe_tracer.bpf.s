# kprobe_tracer: an observer in the style of Hubble or Pixie. A kprobe on
# tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size) sends one event
# per call to user space through a ring buffer: when, which process, how many
# bytes. LLVM/kernel syntax, written by hand.
#
# The event, 40 bytes:
#   +0   u64  timestamp      bpf_ktime_get_ns(): nanoseconds since boot
#   +8   u32  tgid           the process id, as user space sees it
#   +12  u32  pid            the thread id
#   +16  u64  size           the third argument of tcp_sendmsg
#   +24  char comm[16]       the thread's name
#
# Try it (kprobes cannot be test-run by the kernel; our VM runs them on a
# context you give field by field, and --env fixes pid, time and comm):
#   ebpf-workbench verify examples/kprobe_tracer.bpf.s --kernel
#   ebpf-workbench run examples/kprobe_tracer.bpf.s --ctx @examples/inputs/kprobe.ctx.json \
#       --env examples/inputs/env.json

	# A ring buffer's size is a power of two and a multiple of the page size.
	.map events, type=ringbuf, max_entries=262144
	.license "GPL"                  # the ringbuf and tracing helpers are GPL-only

	.section kprobe/tcp_sendmsg
	.globl trace_tcp_sendmsg
trace_tcp_sendmsg:
	# r1 is the context: struct pt_regs, the registers at the probed call. On
	# x86-64 the arguments arrive in di, si, dx, cx, r8, r9.
	r6 = *(u64 *)(r1 + 96)          # regs->dx: size, the third argument
	if r6 == 0 goto out             # nothing sent: nothing to report

	# --- reserve room in the ring buffer ----------------------------------------
	# bpf_ringbuf_reserve(map, size, flags) returns a pointer into the ring, or
	# NULL when the ring is full (user space is not keeping up). The size must be
	# a constant the verifier knows, so it can check every write below.
	r1 = events ll
	r2 = 40                         # sizeof(event)
	r3 = 0                          # flags: none
	call bpf_ringbuf_reserve
	# Required: the verifier refuses any access through r0 until it is known
	# not to be NULL ("invalid mem access 'ringbuf_mem_or_null'").
	if r0 == 0 goto out
	r7 = r0                         # the event; r0 is overwritten by each call

	# --- fill it in ------------------------------------------------------------
	call bpf_ktime_get_ns
	*(u64 *)(r7 + 0) = r0           # timestamp

	call bpf_get_current_pid_tgid   # r0 = tgid << 32 | pid
	*(u32 *)(r7 + 12) = w0          # the low half: the thread id (the kernel's pid)
	r0 >>= 32
	*(u32 *)(r7 + 8) = w0           # the high half: the process id (tgid)

	*(u64 *)(r7 + 16) = r6          # size

	r1 = r7
	r1 += 24                        # r1 = &event->comm
	r2 = 16                         # its size
	call bpf_get_current_comm       # writes the name, NUL-padded

	# --- hand it over ------------------------------------------------------------
	# Every reserved record must be submitted or discarded before the program
	# exits: the verifier tracks the reservation like a reference and refuses a
	# path that leaks it ("BPF_EXIT instruction in main prog would lead to
	# reference leak").
	r1 = r7
	r2 = 0                          # flags: wake the reader as usual
	call bpf_ringbuf_submit
out:
	r0 = 0                          # 0: the probe's own perf sample is not kept
	exit                            # (the event went through the ring instead)
