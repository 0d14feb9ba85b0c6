// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_firewall: a small XDP firewall, the C twin of xdp_firewall.bpf.s. For every
 * frame, before the kernel builds an skb: parse Ethernet, then IPv4, checking that
 * each header fits in the packet; drop the frame when its IPv4 source address is in
 * the blocklist; count the verdict, per reason, in per-CPU statistics.
 *
 *   blocklist  hash map, key = IPv4 source address (network byte order, as in the
 *              header: 203.0.113.66 is the key "cb007142" in a maps JSON file),
 *              value = struct block_entry: why user space blocked it, and the
 *              packets and bytes dropped because of it (counted here).
 *   stats      per-CPU array, index = enum verdict_reason, value = struct stats;
 *              each CPU updates its own copy, user space adds them up.
 *
 * Try it (after building, see below):
 *   ebpf-workbench run xdp_firewall.bpf.o --pcap inputs/firewall.pcap \
 *       --maps inputs/firewall_c.maps.json --json
 *
 * Build: clang-19 -g -O2 -target bpf -I/usr/include/x86_64-linux-gnu \
 *            -c xdp_firewall.bpf.c -o xdp_firewall.bpf.o
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

enum verdict_reason {
	REASON_PASS = 0,	/* IPv4, source not blocked: XDP_PASS */
	REASON_BLOCKED = 1,	/* IPv4, source in the blocklist: XDP_DROP */
	REASON_NOT_IPV4 = 2,	/* IPv6, ARP, anything else: XDP_PASS */
	REASON_MALFORMED = 3,	/* cut short, or a bad IPv4 header: XDP_DROP */
	REASON_COUNT,
};

struct stats {
	__u64 packets;
	__u64 bytes;
};

struct block_entry {
	char reason[16];	/* set by user space, for people: "scanner"... */
	__u64 packets;		/* frames dropped because of this entry */
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, struct block_entry);
} blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REASON_COUNT);
	__type(key, __u32);
	__type(value, struct stats);
} stats SEC(".maps");

/* Counts the frame under its reason, then gives the verdict back. */
static __always_inline int count(enum verdict_reason reason, __u64 bytes, int verdict)
{
	__u32 key = reason;
	struct stats *s = bpf_map_lookup_elem(&stats, &key);

	if (s) {	/* never NULL for a key below max_entries, but the check is cheap */
		s->packets += 1;
		s->bytes += bytes;
	}
	return verdict;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	struct ethhdr *eth = data;
	struct block_entry *blocked;
	struct iphdr *ip;

	/* Every packet access needs a bounds check against data_end first. */
	if ((void *)(eth + 1) > data_end)
		return count(REASON_MALFORMED, len, XDP_DROP);
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return count(REASON_NOT_IPV4, len, XDP_PASS);

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return count(REASON_MALFORMED, len, XDP_DROP);
	if (ip->version != 4 || ip->ihl < 5)
		return count(REASON_MALFORMED, len, XDP_DROP);

	/* The key can point into the packet: the helper reads its 4 bytes there. */
	blocked = bpf_map_lookup_elem(&blocklist, &ip->saddr);
	if (blocked) {
		/* Other CPUs may count the same entry at once: add atomically. */
		__sync_fetch_and_add(&blocked->packets, 1);
		__sync_fetch_and_add(&blocked->bytes, len);
		return count(REASON_BLOCKED, len, XDP_DROP);
	}
	return count(REASON_PASS, len, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
