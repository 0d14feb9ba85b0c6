# xdp_firewall: a small XDP firewall, in the style of Cilium's datapath.
# LLVM/kernel syntax, written by hand.
#
# For every frame the driver hands us, before the kernel builds an skb:
#   1. parse Ethernet, then IPv4, checking each header fits in the packet;
#   2. look the IPv4 source address up in the hash map `blocklist`;
#   3. drop the frame if the address is there, pass it otherwise;
#   4. count the verdict, per reason, in the per-CPU array `stats`.
#
# Try it:
#   ebpf-workbench verify examples/xdp_firewall.bpf.s --kernel
#   ebpf-workbench run examples/xdp_firewall.bpf.s --pcap examples/inputs/firewall.pcap \
#       --maps examples/inputs/firewall.maps.json
#
# stats[reason] = {u64 packets, u64 bytes}, one value per CPU:
#   stats[0]  PASS      IPv4, source not blocked            XDP_PASS (2)
#   stats[1]  BLOCKED   IPv4, source in the blocklist       XDP_DROP (1)
#   stats[2]  NOT_IPV4  IPv6, ARP, anything else            XDP_PASS (2)
#   stats[3]  MALFORMED cut short, or a bad IPv4 header     XDP_DROP (1)

	# Keys are IPv4 addresses as they lie in the packet (network byte order), so
	# 203.0.113.66 is the key "cb007142" in a maps JSON file. The value is unused
	# (a u8 flag): being in the map is what counts.
	.map blocklist, type=hash, key=4, value=1, max_entries=1024
	# Per-CPU: each CPU updates its own copy, so no atomic instruction is needed;
	# user space adds the copies up when it reads the map.
	.map stats, type=percpu_array, key=4, value=16, max_entries=4
	.license "GPL"

	.section xdp
	.globl xdp_firewall
xdp_firewall:
	# --- the packet's bounds -------------------------------------------------
	# r1 is the context, struct xdp_md. Its 32-bit fields data and data_end are
	# turned into packet pointers by the verifier: r2 = first byte, r3 = one past
	# the last. Every packet read must be proven to lie below r3.
	r2 = *(u32 *)(r1 + 0)           # ctx->data
	r3 = *(u32 *)(r1 + 4)           # ctx->data_end
	# The frame's length, for the byte counter: the difference of two packet
	# pointers is a plain number (allowed with CAP_PERFMON, as root has).
	r8 = r3
	r8 -= r2

	# --- Ethernet --------------------------------------------------------------
	r4 = r2
	r4 += 14                        # the end of the Ethernet header
	# Without this check the verifier refuses the read below: "R2 offset is
	# outside of the packet".
	if r4 > r3 goto malformed
	r5 = *(u16 *)(r2 + 12)          # EtherType, big-endian in the packet...
	if r5 != 0x8 goto not_ipv4      # ...so ETH_P_IP (0x0800) reads as 0x0008

	# --- IPv4 ------------------------------------------------------------------
	r4 += 20                        # the end of a minimal IPv4 header (offset 34)
	if r4 > r3 goto malformed       # now bytes 0..33 are known to be in the packet
	r5 = *(u8 *)(r2 + 14)           # version (high nibble) and IHL (low nibble)
	r4 = r5
	r4 >>= 4
	if r4 != 4 goto malformed       # not version 4 behind an IPv4 EtherType
	r5 &= 0xf
	if r5 < 5 goto malformed        # IHL counts 32-bit words: fewer than 5 is bogus

	# --- the blocklist -----------------------------------------------------------
	# Map helpers take pointers to the key, and the key must be on the stack
	# (or in a map value): copy the source address to fp-4.
	r5 = *(u32 *)(r2 + 26)          # saddr: Ethernet 14 + offset 12 in IPv4
	*(u32 *)(r10 - 4) = w5
	r2 = r10
	r2 += -4                        # r2 = &key
	r1 = blocklist ll               # r1 = the map (two slots: BPF_PSEUDO_MAP_FD)
	call bpf_map_lookup_elem        # r0 = &value, or NULL when not found
	# Calls clobber r1-r5: the verdict and the length live in r6-r8, which
	# helpers preserve.
	r6 = 2                          # XDP_PASS
	r7 = 0                          # stats[PASS]
	if r0 == 0 goto count           # not in the blocklist
	r6 = 1                          # XDP_DROP
	r7 = 1                          # stats[BLOCKED]
	goto count

not_ipv4:
	r6 = 2                          # XDP_PASS: the firewall only filters IPv4
	r7 = 2                          # stats[NOT_IPV4]
	goto count

malformed:
	r6 = 1                          # XDP_DROP: the stack would drop it anyway
	r7 = 3                          # stats[MALFORMED]

count:
	# --- the statistics ---------------------------------------------------------
	*(u32 *)(r10 - 8) = w7          # the array index, on the stack
	r2 = r10
	r2 += -8                        # r2 = &index
	r1 = stats ll
	call bpf_map_lookup_elem        # r0 = this CPU's {packets, bytes}, or NULL
	# r0 is never NULL for a constant index below max_entries, and 6.18 (and our
	# verifier) know it when the key is spilled at exactly its size, as here;
	# older kernels refuse to dereference a map_value_or_null, so keep the check.
	if r0 == 0 goto out
	r1 = *(u64 *)(r0 + 0)
	r1 += 1
	*(u64 *)(r0 + 0) = r1           # packets++
	r1 = *(u64 *)(r0 + 8)
	r1 += r8
	*(u64 *)(r0 + 8) = r1           # bytes += length
out:
	r0 = r6                         # the verdict
	exit
