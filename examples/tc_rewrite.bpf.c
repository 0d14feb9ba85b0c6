// SPDX-License-Identifier: GPL-2.0
/*
 * tc_rewrite: a tc (sched_cls) program that does destination NAT, as a load balancer's
 * datapath does: a TCP or UDP packet sent to a service (address, port, protocol)
 * found in the map `services` is rewritten to go to that service's backend, and
 * the IPv4 header checksum and the TCP/UDP checksum are patched to match.
 *
 *   services  hash map, key = struct service (destination address, port and IP
 *             protocol, in network byte order as in the packet), value = struct
 *             backend: the address and port to send to instead (network byte
 *             order), and the packets and bytes rewritten to it (counted here).
 *
 * Anything else (no service, not TCP or UDP, not IPv4, a fragment) passes
 * unchanged. Replies would need the reverse rewrite (source NAT) on the way back.
 *
 * Attach: tc qdisc add dev eth0 clsact
 *         tc filter add dev eth0 egress bpf da obj tc_rewrite.bpf.o sec tc
 *
 * Build: clang-19 -g -O2 -target bpf -I/usr/include/x86_64-linux-gnu \
 *            -c tc_rewrite.bpf.c -o tc_rewrite.bpf.o
 */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct service {
	__be32 addr;
	__be16 port;
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;		/* always 0: keys are compared byte by byte */
};

struct backend {
	__be32 addr;
	__be16 port;
	__u16 pad;
	__u64 packets;		/* packets rewritten to this backend */
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct service);
	__type(value, struct backend);
} services SEC(".maps");

#define IP_CSUM_OFF (ETH_HLEN + offsetof(struct iphdr, check))
#define IP_DADDR_OFF (ETH_HLEN + offsetof(struct iphdr, daddr))

SEC("tc")
int rewrite_to_backend(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct service svc = {};
	struct backend *be;
	struct iphdr *ip;
	__u32 l4_off, csum_off, flags;
	__be16 *dport;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl < 5)
		return TC_ACT_OK;
	if (ip->frag_off & bpf_htons(0x1fff))	/* only the first fragment has ports */
		return TC_ACT_OK;

	/* The ports follow a header of ihl * 4 bytes (longer with options). TCP and UDP
	 * both start with the source port, then the destination port. */
	l4_off = ETH_HLEN + ip->ihl * 4;
	if (ip->protocol == IPPROTO_TCP) {
		csum_off = l4_off + offsetof(struct tcphdr, check);
		flags = 0;
	} else if (ip->protocol == IPPROTO_UDP) {
		csum_off = l4_off + offsetof(struct udphdr, check);
		/* A UDP checksum of 0 means "none": leave it so, and write a sum
		 * that comes out 0 as 0xffff. */
		flags = BPF_F_MARK_MANGLED_0;
	} else {
		return TC_ACT_OK;
	}
	dport = data + l4_off + offsetof(struct udphdr, dest);
	if ((void *)(dport + 1) > data_end)
		return TC_ACT_OK;

	svc.addr = ip->daddr;
	svc.port = *dport;
	svc.proto = ip->protocol;
	be = bpf_map_lookup_elem(&services, &svc);
	if (!be)
		return TC_ACT_OK;

	/* The address is in the IPv4 header checksum and, through the pseudo-header,
	 * in the TCP/UDP checksum; the port only in the latter. Each helper patches
	 * one checksum for the change of one field (RFC 1624), then the field itself
	 * is written. */
	bpf_l4_csum_replace(skb, csum_off, svc.addr, be->addr, flags | BPF_F_PSEUDO_HDR | sizeof(be->addr));
	bpf_l3_csum_replace(skb, IP_CSUM_OFF, svc.addr, be->addr, sizeof(be->addr));
	bpf_skb_store_bytes(skb, IP_DADDR_OFF, &be->addr, sizeof(be->addr), 0);
	bpf_l4_csum_replace(skb, csum_off, svc.port, be->port, flags | sizeof(be->port));
	bpf_skb_store_bytes(skb, l4_off + offsetof(struct udphdr, dest), &be->port, sizeof(be->port), 0);

	/* The helpers may have moved the packet: every packet pointer taken before
	 * them is invalid now. Take data and data_end again, and check again. */
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	ip = data + ETH_HLEN;
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_SHOT;
	__sync_fetch_and_add(&be->packets, 1);
	__sync_fetch_and_add(&be->bytes, bpf_ntohs(ip->tot_len));
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
