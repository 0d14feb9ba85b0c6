// SPDX-License-Identifier: GPL-2.0
/*
 * kprobe_ringbuf: on every call of the kernel's do_unlinkat() (a file being
 * deleted), send an event with the caller's pid, uid and command name to user
 * space through a ring buffer.
 *
 * No vmlinux.h and no CO-RE: the program reads nothing from the kernel's
 * structures, only what helpers return about the current task, so the context
 * (a struct pt_regs) stays an opaque void *.
 *
 * User space: ring_buffer__new(bpf_map__fd(events), handle_event, NULL, NULL),
 * then ring_buffer__poll() in a loop.
 *
 * Build: clang-19 -g -O2 -target bpf -I/usr/include/x86_64-linux-gnu \
 *            -c kprobe_ringbuf.bpf.c -o kprobe_ringbuf.bpf.o
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define TASK_COMM_LEN 16

/* One record in the ring buffer; user space reads the same layout. */
struct unlink_event {
	__u64 timestamp_ns;	/* bpf_ktime_get_ns(): time since boot */
	__u32 pid;		/* thread group id, what ps calls the PID */
	__u32 tid;		/* thread id */
	__u32 uid;
	__u32 gid;
	char comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);	/* bytes; a power of two, page-aligned */
} events SEC(".maps");

/* Counts events that found the ring buffer full, so user space can tell. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} dropped SEC(".maps");

SEC("kprobe/do_unlinkat")
int trace_unlink(void *ctx)
{
	struct unlink_event *e;
	__u64 pid_tgid, uid_gid;
	__u32 zero = 0;
	__u64 *lost;

	/* Reserve space in the ring buffer; NULL means it is full. A reserved
	 * record must be submitted or discarded on every path after this. */
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		lost = bpf_map_lookup_elem(&dropped, &zero);
		if (lost)
			__sync_fetch_and_add(lost, 1);
		return 0;
	}

	pid_tgid = bpf_get_current_pid_tgid();
	uid_gid = bpf_get_current_uid_gid();

	e->timestamp_ns = bpf_ktime_get_ns();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)uid_gid;
	e->gid = uid_gid >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));

	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
