// SPDX-License-Identifier: GPL-2.0
/*
 * CO-RE test program (test/btf/coreRelo.test.ts): one of each relocation kind against
 * the running kernel's task_struct, built with a vmlinux.h that the test generates with
 * `bpftool btf dump file /sys/kernel/btf/vmlinux format c` (never committed).
 *
 * Each value goes into its own slot of the array map `out`, so that the relocated
 * instructions stay apart and can be compared one by one with what libbpf loads.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* A field that this kernel no longer has (renamed to __state in 5.14): its relocation fails. */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

/* The same struct under a flavor name, as BPF code spells kernel-version variants. */
struct task_struct___flavored {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} out SEC(".maps");

static __always_inline void put(__u32 slot, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&out, &slot);

	if (p)
		*p = v;
}

SEC("kprobe/do_unlinkat")
int task_core(void *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct task_struct___flavored *flav = (void *)task;
	struct task_struct___old *old = (void *)task;

	put(0, BPF_CORE_READ(task, real_parent, tgid));
	put(1, BPF_CORE_READ(task, pid));
	put(2, BPF_CORE_READ(flav, tgid));
	put(3, bpf_core_field_exists(task->real_parent));
	put(4, bpf_core_field_size(task->comm));
	put(5, BPF_CORE_READ_BITFIELD_PROBED(task, in_execve));
	put(6, bpf_core_type_exists(struct task_struct));
	put(7, bpf_core_type_size(struct pid));
	put(8, bpf_core_enum_value_exists(enum pid_type, PIDTYPE_TGID));
	put(9, bpf_core_enum_value(enum pid_type, PIDTYPE_SID));
	put(10, bpf_core_field_offset(task->tgid));
	put(11, bpf_core_type_id_kernel(struct task_struct));
	if (bpf_core_field_exists(old->state))
		put(12, BPF_CORE_READ(old, state));
	else
		put(12, BPF_CORE_READ(task, __state));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
