// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_counter: count IPv4 packets per IP protocol, and drop UDP packets sent to
 * one configurable destination port.
 *
 *   proto_count   per-CPU array, index = IP protocol number (6 TCP, 17 UDP...),
 *                 value = packets seen on this CPU; user space sums the CPUs.
 *   blocked_port  array with one slot: the UDP destination port to drop, in host
 *                 byte order; 0 (the initial value) blocks nothing.
 *
 * Everything that is not IPv4 (or is too short to parse) passes untouched.
 *
 * Build: clang-19 -g -O2 -target bpf -I/usr/include/x86_64-linux-gnu \
 *            -c xdp_counter.bpf.c -o xdp_counter.bpf.o
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} blocked_port SEC(".maps");

/*
 * A real bpf-to-bpf call: __noinline keeps this a separate function, which clang
 * places in .text and calls with `call count_protocol` (BPF_PSEUDO_CALL).
 * Per-CPU values need no atomic add: only this CPU writes its copy.
 */
static __noinline int count_protocol(__u32 proto)
{
	__u64 *packets = bpf_map_lookup_elem(&proto_count, &proto);

	if (!packets)	/* the verifier insists on the null check */
		return 0;
	*packets += 1;
	return 1;
}

/* The blocked port in network byte order, or 0 when none is set. */
static __always_inline __be16 blocked_udp_port(void)
{
	__u32 zero = 0;
	__u32 *port = bpf_map_lookup_elem(&blocked_port, &zero);

	if (!port || *port == 0 || *port > 0xffff)
		return 0;
	return bpf_htons((__u16)*port);
}

SEC("xdp")
int xdp_count_and_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct udphdr *udp;
	__be16 port;

	/* Every packet access needs a bounds check against data_end first. */
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (ip->ihl < 5)	/* malformed: shorter than the fixed header */
		return XDP_PASS;

	count_protocol(ip->protocol);

	if (ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	/* Only the first fragment carries the UDP header. */
	if (ip->frag_off & bpf_htons(0x1fff))
		return XDP_PASS;

	/* The IPv4 header has options when ihl > 5: skip ihl * 4 bytes. */
	udp = (void *)ip + ip->ihl * 4;
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;

	port = blocked_udp_port();
	if (port && udp->dest == port)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
