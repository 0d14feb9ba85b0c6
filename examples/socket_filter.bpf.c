// SPDX-License-Identifier: GPL-2.0
/*
 * socket_filter: a socket filter that lets only TCP through (over IPv4 or IPv6)
 * and counts the packets it sees per IP protocol number in a hash map.
 *
 * A socket filter returns how many bytes of the packet the socket keeps:
 * skb->len keeps all of it, 0 drops it.
 *
 * Where the packet starts depends on the socket (a raw packet socket sees the
 * Ethernet header, BPF_PROG_TEST_RUN starts at the network header), so the
 * protocol byte is read relative to the network header with
 * bpf_skb_load_bytes_relative(..., BPF_HDR_START_NET), which works for both.
 *
 * Attach it with setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, ...).
 *
 * Build: clang-19 -g -O2 -target bpf -I/usr/include/x86_64-linux-gnu \
 *            -c socket_filter.bpf.c -o socket_filter.bpf.o
 */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* IP protocol number -> packets seen (TCP, UDP, ICMP... whatever arrives). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} packets_by_proto SEC(".maps");

/* Add one to the counter for proto, creating it on first sight. */
static __always_inline void count(__u32 proto)
{
	__u64 one = 1;
	__u64 *value = bpf_map_lookup_elem(&packets_by_proto, &proto);

	if (value) {
		/* Several CPUs may share this entry: add atomically. */
		__sync_fetch_and_add(value, 1);
		return;
	}
	/* BPF_NOEXIST: if another CPU created it meanwhile, this packet is lost
	 * from the count, which is acceptable for statistics. */
	bpf_map_update_elem(&packets_by_proto, &proto, &one, BPF_NOEXIST);
}

SEC("socket")
int tcp_only(struct __sk_buff *skb)
{
	__u8 proto;
	__u32 offset;

	/* skb->protocol is the EtherType, in network byte order. */
	if (skb->protocol == bpf_htons(ETH_P_IP))
		offset = offsetof(struct iphdr, protocol);
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		offset = offsetof(struct ipv6hdr, nexthdr);	/* no extension headers */
	else
		return 0;

	if (bpf_skb_load_bytes_relative(skb, offset, &proto, sizeof(proto), BPF_HDR_START_NET) < 0)
		return 0;	/* too short to hold the header */

	count(proto);
	return proto == IPPROTO_TCP ? skb->len : 0;
}

char LICENSE[] SEC("license") = "GPL";
