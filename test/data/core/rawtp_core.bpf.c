// SPDX-License-Identifier: GPL-2.0
/*
 * CO-RE in a raw tracepoint (test/btf/coreRelo.test.ts): sched_process_exec's arguments
 * are the task, its old pid and the linux_binprm; read through two levels of pointers and
 * an anonymous union member, built with a generated vmlinux.h (never committed).
 * With -DUNGUARDED it also reads a field this kernel does not have, without checking that
 * it exists: the poisoned instruction is reachable and the verifier must refuse it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("raw_tp/sched_process_exec")
int exec_core(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *p = (void *)ctx->args[0];
	struct linux_binprm *bprm = (void *)ctx->args[2];
	__u32 pid = BPF_CORE_READ(p, pid);
	__u64 ino = BPF_CORE_READ(bprm, file, f_inode, i_ino);

#ifdef UNGUARDED
	ino += BPF_CORE_READ((struct task_struct___old *)p, state);
#endif
	bpf_map_update_elem(&seen, &pid, &ino, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
