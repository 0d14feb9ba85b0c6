# socket_ubpf: a socket filter in the uBPF / bpf_conformance mnemonic dialect.
# It counts packets per EtherType in a hash map and keeps only IPv4 packets.
# A socket filter returns the number of bytes to keep: skb->len keeps the
# packet whole, 0 drops it. r1 is the context, a struct __sk_buff *.

	.map packets_by_proto, type=hash, key=4, value=8, max_entries=1024

	.section socket
	.globl ipv4_only
ipv4_only:
	mov r6, r1                      # r1 is clobbered by calls: keep the context
	ldxw r2, [r6+16]                # skb->protocol, the EtherType (network order)
	stxw [r10-4], r2                # the map key, on the stack
	mov r2, r10
	add r2, -4                      # r2 = &key
	lddw r1, map_fd(packets_by_proto)
	call 1                          # bpf_map_lookup_elem(map, &key)
	jeq r0, 0, +3                   # no counter for this EtherType yet
	mov r1, 1
	lock add [r0+0], r1             # shared between CPUs: add atomically
	ja verdict
	stdw [r10-16], 1                # first packet: insert the value 1
	mov r2, r10
	add r2, -4                      # r2 = &key
	mov r3, r10
	add r3, -16                     # r3 = &value
	mov r4, 1                       # BPF_NOEXIST: another CPU may have won
	lddw r1, map_fd(packets_by_proto)
	call 2                          # bpf_map_update_elem(map, &key, &value, flags)
verdict:
	mov r0, 0                       # drop...
	ldxw r2, [r6+16]
	jne r2, 0x8, +1                 # ...unless ETH_P_IP (0x0800, read little-endian)
	ldxw r0, [r6+0]                 # keep skb->len bytes: the whole packet
	exit
