// SPDX-License-Identifier: GPL-2.0
/*
 * tc_classifier: a tc (sched_cls) program that looks up each IPv4 packet's
 * destination address in a policy map, then marks it, drops it, or lets it go.
 *
 *   policy   hash map, key = destination IPv4 address (network byte order, as in
 *            the header), value = what to do and a hit counter.
 *
 * Packets without a policy entry, and anything that is not IPv4, pass
 * unchanged. A mark set here (skb->mark) can be matched later by iptables/nft
 * or by routing rules (ip rule ... fwmark).
 *
 * Attach: tc qdisc add dev eth0 clsact
 *         tc filter add dev eth0 egress bpf da obj tc_classifier.bpf.o sec tc
 *
 * Build: clang-19 -g -O2 -target bpf -I/usr/include/x86_64-linux-gnu \
 *            -c tc_classifier.bpf.c -o tc_classifier.bpf.o
 */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

enum policy_action {
	POLICY_MARK = 0,	/* set skb->mark to policy.mark, then pass */
	POLICY_DROP = 1,	/* drop the packet */
};

struct policy {
	__u32 action;		/* enum policy_action */
	__u32 mark;		/* used by POLICY_MARK */
	__u64 hits;		/* packets that matched, updated atomically */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, struct policy);
} policy SEC(".maps");

SEC("tc")
int classify_by_daddr(struct __sk_buff *skb)
{
	struct policy *p;
	__be32 daddr;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;

	/* A tc program sees the packet from the Ethernet header. The helper
	 * copies the bytes and does the bounds check itself (it fails on a short
	 * packet), so no data/data_end comparison is needed. */
	if (bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, daddr), &daddr, sizeof(daddr)) < 0)
		return TC_ACT_OK;

	p = bpf_map_lookup_elem(&policy, &daddr);
	if (!p)
		return TC_ACT_OK;

	__sync_fetch_and_add(&p->hits, 1);
	if (p->action == POLICY_DROP)
		return TC_ACT_SHOT;

	skb->mark = p->mark;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
