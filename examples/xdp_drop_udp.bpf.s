# xdp_drop_udp: drop IPv4 UDP packets, pass everything else, and count what
# happened to each packet in an array map. LLVM/kernel syntax, written by hand.
#
# counters[0]  too short for an Ethernet header     (passed)
# counters[1]  not IPv4, or a truncated IPv4 header (passed)
# counters[2]  IPv4 but not UDP                     (passed)
# counters[3]  IPv4 UDP                             (dropped)

	.map counters, type=array, key=4, value=8, max_entries=4
	.license "GPL"

	.section xdp
	.globl xdp_drop_udp
xdp_drop_udp:
	r2 = *(u32 *)(r1 + 0)           # ctx->data: the first byte of the packet
	r3 = *(u32 *)(r1 + 4)           # ctx->data_end: one past the last byte
	r6 = 2                          # the verdict, XDP_PASS unless we decide to drop
	r7 = 0                          # the counter slot
	r4 = r2
	r4 += 14                        # the end of the Ethernet header
	if r4 > r3 goto count           # bounds check before reading any packet byte
	r7 = 1
	r5 = *(u16 *)(r2 + 12)          # EtherType, big-endian in the packet
	if r5 != 0x8 goto count         # ETH_P_IP (0x0800) read little-endian
	r4 += 20                        # the end of a minimal IPv4 header
	if r4 > r3 goto count           # now r2 is known good up to offset 34
	r7 = 2
	r5 = *(u8 *)(r2 + 23)           # IPv4 protocol field (14 + 9)
	if r5 != 17 goto count          # IPPROTO_UDP
	r7 = 3
	r6 = 1                          # XDP_DROP
count:
	*(u32 *)(r10 - 4) = w7          # the map key lives on the stack
	r2 = r10
	r2 += -4                        # r2 = &key
	r1 = counters ll                # r1 = the map (two slots, BPF_PSEUDO_MAP_FD)
	call bpf_map_lookup_elem        # r0 = &counters[key], or NULL
	if r0 == 0 goto out             # the verifier insists on the null check
	r1 = 1
	lock *(u64 *)(r0 + 0) += r1     # several CPUs share the slot: add atomically
out:
	r0 = r6
	exit
