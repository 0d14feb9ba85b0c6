# socket_filter: keep only DNS queries (UDP to port 53, over IPv4 or IPv6), as
# `tcpdump udp dst port 53` would, but in eBPF. LLVM/kernel syntax, by hand.
#
# A socket filter is attached to a socket with setsockopt(SO_ATTACH_BPF) and
# returns how many bytes of each packet the socket receives: 0 drops the packet,
# skb->len keeps it whole (a smaller number would cut it, like a snap length).
#
# The packet starts at the network header here: that is where it starts on an
# inet socket or an AF_PACKET SOCK_DGRAM socket, and where BPF_PROG_TEST_RUN
# starts it (the Ethernet header is consumed, its EtherType is skb->protocol).
#
# Try it:
#   ebpf-workbench verify examples/socket_filter.bpf.s --kernel
#   ebpf-workbench run examples/socket_filter.bpf.s --pcap examples/inputs/dns.pcap

	.license "GPL"

	.section socket
	.globl dns_only
dns_only:
	# Socket filters may not read the packet through pointers (there is no
	# skb->data for them); they use the legacy packet loads
	#   r0 = *(u16 *)skb[OFFSET]      and      r0 = *(u16 *)skb[rX + OFFSET]
	# which read through the context in r6, give the value in host byte order,
	# and end the program with r0 = 0 (drop) when OFFSET is past the end. They
	# clobber r1-r5, like a call.
	r6 = r1                         # the context, where the packet loads want it

	r2 = *(u32 *)(r6 + 16)          # skb->protocol: the EtherType, big-endian,
	if r2 == 0x8 goto ipv4          # so ETH_P_IP (0x0800) reads as 0x0008
	if r2 == 0xdd86 goto ipv6       # and ETH_P_IPV6 (0x86dd) as 0xdd86
	goto drop                       # ARP and the rest

ipv4:
	r0 = *(u8 *)skb[9]              # IPv4 protocol
	if r0 != 17 goto drop           # IPPROTO_UDP
	r0 = *(u16 *)skb[6]             # flags and fragment offset
	if r0 & 0x1fff goto drop        # a later fragment carries no UDP header
	r0 = *(u8 *)skb[0]              # version and IHL
	r0 &= 0xf
	r0 <<= 2                        # IHL * 4: where the UDP header starts
	r7 = r0                         # the index register of the load below
	r0 = *(u16 *)skb[r7 + 2]        # UDP destination port (host order)
	if r0 != 53 goto drop
	goto keep

ipv6:
	# IPv6 with UDP right behind the fixed 40-byte header; a packet with
	# extension headers first is dropped, as tcpdump's `udp` does.
	r0 = *(u8 *)skb[6]              # next header
	if r0 != 17 goto drop           # IPPROTO_UDP
	r0 = *(u16 *)skb[42]            # UDP destination port: 40 + 2
	if r0 != 53 goto drop

keep:
	r0 = *(u32 *)(r6 + 0)           # skb->len: keep the whole packet
	exit
drop:
	r0 = 0                          # keep nothing: the socket never sees it
	exit
