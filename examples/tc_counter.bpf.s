# tc_counter: a tc classifier (attached with `tc filter add dev eth0 ingress bpf
# direct-action obj ...`) that counts bytes per IPv4 protocol and marks TCP.
# LLVM/kernel syntax, written by hand.
#
#   bytes_by_proto[protocol] += skb->len     for every IPv4 packet (key: 6 TCP, 17 UDP, 1 ICMP...)
#   skb->mark = 0x100                         for IPv4 TCP, so that `ip rule add fwmark 0x100`
#                                             or a qdisc downstream can pick it out
# It always returns TC_ACT_OK (0): the packet goes on, counted (and maybe marked).
#
# Try it:
#   ebpf-workbench verify examples/tc_counter.bpf.s --kernel
#   ebpf-workbench run examples/tc_counter.bpf.s --pcap examples/inputs/tc.pcap --json

	.map bytes_by_proto, type=hash, key=4, value=8, max_entries=256
	.license "GPL"

	.section tc
	.globl tc_counter
tc_counter:
	# r1 is the context, struct __sk_buff. Keep it in r6: calls clobber r1-r5.
	r6 = r1

	# --- headers -------------------------------------------------------------
	# tc programs may read the packet directly, between skb->data (offset 76)
	# and skb->data_end (offset 80); the verifier turns both into packet
	# pointers and demands a bounds check before each read. At tc the data
	# starts at the Ethernet header.
	r2 = *(u32 *)(r6 + 76)          # skb->data
	r3 = *(u32 *)(r6 + 80)          # skb->data_end
	r4 = r2
	r4 += 34                        # Ethernet (14) + a minimal IPv4 header (20)
	if r4 > r3 goto out             # too short for both: not ours to count
	r4 = *(u16 *)(r2 + 12)          # EtherType, big-endian in the packet
	if r4 != 0x8 goto out           # ETH_P_IP (0x0800) read little-endian
	r7 = *(u8 *)(r2 + 23)           # IPv4 protocol: 14 + 9

	# --- mark TCP -------------------------------------------------------------
	# skb->mark (offset 8) is one of the few __sk_buff fields a tc program may
	# write; writing skb->len, say, is refused: "invalid bpf_context access".
	if r7 != 6 goto count           # IPPROTO_TCP
	w1 = 0x100
	*(u32 *)(r6 + 8) = w1           # skb->mark = 0x100

count:
	# --- count bytes ----------------------------------------------------------
	r8 = *(u32 *)(r6 + 0)           # skb->len: the whole frame, Ethernet included
	*(u32 *)(r10 - 4) = w7          # the key (protocol as a u32), on the stack
	r2 = r10
	r2 += -4                        # r2 = &key
	r1 = bytes_by_proto ll
	call bpf_map_lookup_elem        # r0 = &bytes, or NULL
	if r0 == 0 goto insert          # the verifier insists on the null check
	lock *(u64 *)(r0 + 0) += r8     # several CPUs share the value: add atomically
	goto out

insert:
	# The first packet of this protocol: create the entry. BPF_NOEXIST makes the
	# update fail (harmlessly) if another CPU created it meanwhile; that
	# packet's bytes are then lost, which a counter can live with.
	*(u64 *)(r10 - 16) = r8         # the value, on the stack too
	r2 = r10
	r2 += -4                        # r2 = &key
	r3 = r10
	r3 += -16                       # r3 = &value
	r4 = 1                          # BPF_NOEXIST
	r1 = bytes_by_proto ll
	call bpf_map_update_elem

out:
	r0 = 0                          # TC_ACT_OK: let the packet through
	exit
