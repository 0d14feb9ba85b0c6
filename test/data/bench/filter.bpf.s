# Benchmark (issue #9): a branchy Ethernet / IPv4 / TCP filter, the shape of a firewall's
# fast path: drop TCP SYNs to ports outside an allowed set, pass everything else.
	.section xdp
	.globl filter
filter:
	r2 = *(u32 *)(r1 + 0)           # data
	r3 = *(u32 *)(r1 + 4)           # data_end
	r0 = 2                          # XDP_PASS
	r4 = r2
	r4 += 14
	if r4 > r3 goto out
	r5 = *(u16 *)(r2 + 12)          # EtherType
	if r5 == 0x81 goto vlan         # 802.1Q (0x8100, read little-endian)
	if r5 != 0x8 goto out           # not IPv4
	r6 = 14                         # the network header's offset
	goto ip
vlan:
	r4 += 4
	if r4 > r3 goto out
	r5 = *(u16 *)(r2 + 16)
	if r5 != 0x8 goto out
	r6 = 18
ip:
	r4 = r2
	r4 += r6
	r5 = r4
	r5 += 20
	if r5 > r3 goto out
	r7 = *(u8 *)(r4 + 0)            # version and IHL
	r8 = r7
	r8 >>= 4
	if r8 != 4 goto out
	r7 &= 0xf
	if r7 < 5 goto out
	r8 = *(u16 *)(r4 + 6)           # flags and fragment offset
	r8 &= 0xff1f                    # the fragment offset, little-endian view
	if r8 != 0 goto out             # a fragment: no transport header here
	r8 = *(u8 *)(r4 + 9)            # protocol
	if r8 != 6 goto out             # not TCP
	r7 <<= 2
	r4 += r7                        # the TCP header
	r5 = r4
	r5 += 20
	if r5 > r3 goto out
	r8 = *(u8 *)(r4 + 13)           # TCP flags
	r9 = r8
	r9 &= 0x12
	if r9 != 0x2 goto out           # only a SYN without ACK is checked
	r8 = *(u16 *)(r4 + 2)           # destination port, big-endian
	r8 = be16 r8
	if r8 == 22 goto out
	if r8 == 80 goto out
	if r8 == 443 goto out
	if r8 > 1023 goto out           # unprivileged ports pass
	r0 = 1                          # XDP_DROP
out:
	exit
