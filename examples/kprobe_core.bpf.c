// SPDX-License-Identifier: GPL-2.0
/*
 * kprobe_core: on every call of the kernel's do_unlinkat() (a file being deleted),
 * count deletions per parent process, reading the kernel's task_struct with CO-RE.
 *
 * No vmlinux.h is needed: the two structs below declare only the fields the program
 * reads, with preserve_access_index, so clang records a CO-RE relocation for each
 * access. The `___local` suffix is a flavor: CO-RE ignores everything from the last
 * `___`, so they stand for the kernel's struct task_struct. Before loading, libbpf (or
 * `ebpf-workbench verify/run`, with the running kernel's /sys/kernel/btf/vmlinux or
 * `--btf FILE`) rewrites each offset to where the field really is in that kernel.
 *
 * Build: clang-19 -g -O2 -target bpf -I/usr/include/x86_64-linux-gnu \
 *            -c kprobe_core.bpf.c -o kprobe_core.bpf.o
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___local {
	unsigned int __state;
	int tgid;
	struct task_struct___local *real_parent;
} __attribute__((preserve_access_index));

/* Kernels before 5.14 named the task state `state`; later ones `__state`. */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);	/* the parent's tgid */
	__type(value, __u64);	/* deletions by its children */
} deletions SEC(".maps");

SEC("kprobe/do_unlinkat")
int count_unlink(void *ctx)
{
	struct task_struct___local *task = (void *)bpf_get_current_task();
	__u32 ppid = BPF_CORE_READ(task, real_parent, tgid);
	struct task_struct___pre514 *old = (void *)task;
	__u64 one = 1, *n;
	long state;

	/* bpf_core_field_exists() becomes the constant 0 or 1 for the target kernel, so
	 * the verifier drops the other branch, and with it the read of the field that
	 * kernel lacks (whose instruction CO-RE has replaced by an invalid call). */
	if (bpf_core_field_exists(old->state))
		state = BPF_CORE_READ(old, state);
	else
		state = BPF_CORE_READ(task, __state);
	if (state != 0)	/* only tasks running (TASK_RUNNING), as a caller of unlink is */
		return 0;

	n = bpf_map_lookup_elem(&deletions, &ppid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&deletions, &ppid, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
