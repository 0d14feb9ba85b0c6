/**
 * The acceptance corpus of counterexample search (core/counterexample): programs our verifier
 * rejects, each with what a search must find.
 *
 * - `faults`: the rejection is a memory error a run can hit; the counterexample's run faults
 *   at the failing instruction. `access` says which: past the packet's end, a NULL map value,
 *   or outside a map value or reserved record.
 * - `reaches`: the rejection is about a state (an unset register, a leaked reference) that a
 *   run can reach; the counterexample's run reaches the failing instruction.
 * - `infeasible`: the verifier could not correlate the conditions that guard the failing
 *   instruction, and no run gets there; the answer names the line marked `# <-`: the jump
 *   whose condition cannot go the verifier's way (or one of those that cannot hold together),
 *   or the failing instruction where no state reaching it is the one refused.
 *
 * `reason` is a pattern of the verifier's message: the case checks the program is rejected
 * for the reason it was written for. Context offsets: pt_regs si = 104, di = 112; xdp_md
 * data = 0, data_end = 4; __sk_buff len = 0, data = 76, data_end = 80.
 */

import { assemble } from '../../core/asm/assemble';
import { BpfObject } from '../../core/object';
import { listPrograms, ProgramRef } from '../../core/link';
import { sectionProgType } from '../../core/progtypes/table';

/** What a faulting access does wrong: runs past the packet, goes through NULL, leaves a map value or record, leaves the stack frame. */
export type Access = 'packet' | 'null' | 'value' | 'stack';

export interface CexCase {
  name: string;
  /** The program type when the section does not say it (`socket` is socket_filter, `kprobe/...` kprobe). */
  progType?: string;
  asm: string;
  reason: RegExp;
  expect: 'faults' | 'reaches' | 'infeasible';
  /** faults: what the failing instruction does wrong. */
  access?: Access;
}

const PKT_OOB = /outside of the packet|invalid access to packet/;
const NULL_DEREF = /invalid mem access '.*or_null'/;
const VALUE_OOB = /map value|memory range/;

export const CASES: CexCase[] = [
  // --- reachable: packet accesses ------------------------------------------------------------
  {
    name: 'xdp: IPv4 protocol byte read after checking only the Ethernet header',
    expect: 'faults', access: 'packet', reason: PKT_OOB,
    asm: `
	.section xdp
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 14
	if r4 > r3 goto out
	r5 = *(u16 *)(r2 + 12)
	if r5 != 0x8 goto out
	r0 = *(u8 *)(r2 + 23)
out:
	r0 = 2
	exit
`,
  },
  {
    name: 'xdp: transport header at IHL*4, read after checking only the IPv4 header',
    expect: 'faults', access: 'packet', reason: PKT_OOB,
    asm: `
	.section xdp
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 34
	if r4 > r3 goto out
	r5 = *(u8 *)(r2 + 14)
	r5 &= 0xf
	r5 <<= 2
	r2 += r5
	r0 = *(u16 *)(r2 + 16)
out:
	r0 = 2
	exit
`,
  },
  {
    name: 'tc: the IPv6 branch checks its header, the IPv4 branch reads the ports unchecked',
    expect: 'faults', access: 'packet', reason: PKT_OOB,
    asm: `
	.section tc
prog:
	r2 = *(u32 *)(r1 + 76)
	r3 = *(u32 *)(r1 + 80)
	r4 = r2
	r4 += 14
	if r4 > r3 goto out
	r5 = *(u16 *)(r2 + 12)
	if r5 == 0xdd86 goto v6
	if r5 != 0x8 goto out
	r0 = *(u16 *)(r2 + 34)
	goto out
v6:
	r4 += 40
	if r4 > r3 goto out
	r0 = *(u32 *)(r2 + 22)
out:
	r0 = 0
	exit
`,
  },
  {
    name: 'xdp: ARP opcode read only on the ARP branch, unchecked',
    expect: 'faults', access: 'packet', reason: PKT_OOB,
    asm: `
	.section xdp
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 14
	if r4 > r3 goto out
	r5 = *(u8 *)(r2 + 12)
	if r5 != 0x08 goto out
	r5 = *(u8 *)(r2 + 13)
	if r5 != 0x06 goto out
	r0 = *(u16 *)(r2 + 20)
out:
	r0 = 2
	exit
`,
  },
  {
    name: 'xdp: an offset taken from a packet byte, added after the check',
    expect: 'faults', access: 'packet', reason: PKT_OOB,
    asm: `
	.section xdp
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 16
	if r4 > r3 goto out
	r5 = *(u8 *)(r2 + 15)
	r5 &= 0x3f
	r2 += r5
	r0 = *(u8 *)(r2 + 0)
out:
	r0 = 2
	exit
`,
  },
  {
    name: 'xdp: a store one byte past the checked header',
    expect: 'faults', access: 'packet', reason: PKT_OOB,
    asm: `
	.section xdp
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 14
	if r4 > r3 goto out
	r5 = *(u8 *)(r2 + 0)
	if r5 != 0xff goto out
	*(u8 *)(r2 + 14) = 1
out:
	r0 = 2
	exit
`,
  },
  {
    name: 'xdp, JMP32: a 32-bit compare of the source address guards an unchecked read',
    expect: 'faults', access: 'packet', reason: PKT_OOB,
    asm: `
	.section xdp
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 34
	if r4 > r3 goto out
	w5 = *(u32 *)(r2 + 26)
	if w5 s> 0x1000000 goto out
	if w5 == 0 goto out
	r0 = *(u16 *)(r2 + 36)
out:
	r0 = 2
	exit
`,
  },
  {
    name: 'xdp, bpf-to-bpf: the callee reads past the length its caller checked',
    expect: 'faults', access: 'packet', reason: PKT_OOB,
    asm: `
	.section xdp
	.globl prog
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 14
	if r4 > r3 goto out
	r1 = r2
	r2 = r3
	call parse
	exit
out:
	r0 = 2
	exit

	.text
parse:
	r3 = *(u8 *)(r1 + 12)
	if r3 != 0x08 goto done
	r0 = *(u8 *)(r1 + 30)
done:
	r0 = 2
	exit
`,
  },
  {
    name: 'tc: a bounded loop walks the header, then reads one byte too far',
    expect: 'faults', access: 'packet', reason: PKT_OOB,
    asm: `
	.section tc
prog:
	r2 = *(u32 *)(r1 + 76)
	r3 = *(u32 *)(r1 + 80)
	r4 = r2
	r4 += 14
	if r4 > r3 goto out
	r6 = 0
	r7 = 0
loop:
	r8 = r2
	r8 += r6
	r9 = *(u8 *)(r8 + 0)
	r7 += r9
	r6 += 1
	if r6 < 4 goto loop
	if r7 == 0 goto out
	r0 = *(u8 *)(r2 + 14)
out:
	r0 = 0
	exit
`,
  },
  // --- reachable: map values -----------------------------------------------------------------
  {
    name: 'xdp: hash lookup keyed by the source address, dereferenced without a NULL check',
    expect: 'faults', access: 'null', reason: NULL_DEREF,
    asm: `
	.map seen, type=hash, key=4, value=8, max_entries=16
	.section xdp
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 34
	if r4 > r3 goto out
	r5 = *(u32 *)(r2 + 26)
	*(u32 *)(r10 - 4) = r5
	r2 = r10
	r2 += -4
	r1 = seen ll
	call bpf_map_lookup_elem
	r0 = *(u64 *)(r0 + 0)
out:
	r0 = 2
	exit
`,
  },
  {
    name: 'tc: the UDP path dereferences the lookup the TCP path checks',
    expect: 'faults', access: 'null', reason: NULL_DEREF,
    asm: `
	.map ports, type=hash, key=2, value=8, max_entries=16
	.section tc
prog:
	r2 = *(u32 *)(r1 + 76)
	r3 = *(u32 *)(r1 + 80)
	r4 = r2
	r4 += 38
	if r4 > r3 goto out
	r6 = *(u8 *)(r2 + 23)
	r5 = *(u16 *)(r2 + 36)
	*(u16 *)(r10 - 2) = r5
	r2 = r10
	r2 += -2
	r1 = ports ll
	call bpf_map_lookup_elem
	if r6 == 17 goto udp
	if r0 == 0 goto out
	r0 = *(u64 *)(r0 + 0)
	goto out
udp:
	r1 = 1
	*(u64 *)(r0 + 0) = r1
out:
	r0 = 0
	exit
`,
  },
  {
    // The environment is an input too: the answer sets the pid with `env` (run --env).
    name: 'kprobe: only for one pid, a read past a ring buffer record',
    expect: 'faults', access: 'value', reason: /mem|range/,
    asm: `
	.map events, type=ringbuf, max_entries=4096
	.section kprobe/do_sys_open
prog:
	call bpf_get_current_pid_tgid
	r0 &= 0xffffffff
	if r0 != 31337 goto out
	r1 = events ll
	r2 = 8
	r3 = 0
	call bpf_ringbuf_reserve
	if r0 == 0 goto out
	r6 = r0
	r7 = *(u64 *)(r6 + 8)
	r1 = r6
	r2 = 0
	call bpf_ringbuf_discard
out:
	r0 = 0
	exit
`,
  },
  {
    name: 'kprobe: R8 read unset when the time is odd and the CPU is 1',
    expect: 'reaches', reason: /R8 !read_ok/,
    asm: `
	.section kprobe/do_sys_open
prog:
	call bpf_ktime_get_ns
	r6 = r0
	call bpf_get_smp_processor_id
	r6 &= 1
	if r6 == 0 goto set
	if r0 != 1 goto set
	r0 = r8
	exit
set:
	r0 = 0
	exit
`,
  },
  {
    name: 'kprobe: an array looked up at index di, unchecked (NULL when di >= 8)',
    expect: 'faults', access: 'null', reason: NULL_DEREF,
    asm: `
	.map slots, type=array, key=4, value=8, max_entries=8
	.section kprobe/do_sys_open
prog:
	r6 = *(u64 *)(r1 + 112)
	*(u32 *)(r10 - 4) = r6
	r2 = r10
	r2 += -4
	r1 = slots ll
	call bpf_map_lookup_elem
	r0 = *(u64 *)(r0 + 0)
	r0 = 0
	exit
`,
  },
  {
    name: 'xdp: an array keyed by a packet byte, unchecked (NULL past max_entries)',
    expect: 'faults', access: 'null', reason: NULL_DEREF,
    asm: `
	.map per_proto, type=array, key=4, value=8, max_entries=4
	.section xdp
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 34
	if r4 > r3 goto out
	r5 = *(u8 *)(r2 + 23)
	*(u32 *)(r10 - 4) = r5
	r2 = r10
	r2 += -4
	r1 = per_proto ll
	call bpf_map_lookup_elem
	r1 = 1
	lock *(u64 *)(r0 + 0) += r1
out:
	r0 = 2
	exit
`,
  },
  {
    name: 'kprobe: a loop of four iterations, then an unchecked lookup at index si',
    expect: 'faults', access: 'null', reason: NULL_DEREF,
    asm: `
	.map slots, type=array, key=4, value=8, max_entries=2
	.section kprobe/vfs_read
prog:
	r6 = *(u64 *)(r1 + 104)
	r7 = 0
loop:
	r6 += r7
	r7 += 1
	if r7 < 4 goto loop
	*(u32 *)(r10 - 4) = r6
	r2 = r10
	r2 += -4
	r1 = slots ll
	call bpf_map_lookup_elem
	r0 = *(u32 *)(r0 + 4)
	r0 = 0
	exit
`,
  },
  {
    name: 'xdp: a map value indexed by a packet byte past the value',
    expect: 'faults', access: 'value', reason: VALUE_OOB,
    asm: `
	.map hist, type=array, key=4, value=16, max_entries=1
	.section xdp
prog:
	r6 = *(u32 *)(r1 + 0)
	r7 = *(u32 *)(r1 + 4)
	r4 = r6
	r4 += 34
	if r4 > r7 goto out
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = hist ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r5 = *(u8 *)(r6 + 22)
	r5 &= 0x1f
	r0 += r5
	r1 = *(u8 *)(r0 + 0)
out:
	r0 = 2
	exit
`,
  },
  {
    name: 'tc: a hash value found by destination port, indexed by the TTL',
    expect: 'faults', access: 'value', reason: VALUE_OOB,
    asm: `
	.map by_port, type=hash, key=2, value=8, max_entries=16
	.section tc
prog:
	r6 = *(u32 *)(r1 + 76)
	r7 = *(u32 *)(r1 + 80)
	r4 = r6
	r4 += 38
	if r4 > r7 goto out
	r5 = *(u16 *)(r6 + 36)
	*(u16 *)(r10 - 2) = r5
	r2 = r10
	r2 += -2
	r1 = by_port ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r5 = *(u8 *)(r6 + 22)
	if r5 > 15 goto out
	r0 += r5
	r1 = 1
	*(u8 *)(r0 + 0) = r1
out:
	r0 = 0
	exit
`,
  },
  {
    name: 'kprobe: a ringbuf record of 8 bytes written at an offset from di',
    expect: 'faults', access: 'value', reason: VALUE_OOB,
    asm: `
	.map rb, type=ringbuf, key=0, value=0, max_entries=4096
	.section kprobe/do_unlinkat
prog:
	r6 = *(u64 *)(r1 + 112)
	r1 = rb ll
	r2 = 8
	r3 = 0
	call bpf_ringbuf_reserve
	if r0 == 0 goto out
	r6 &= 7
	r1 = r0
	r1 += r6
	r2 = 1
	*(u16 *)(r1 + 0) = r2
	r1 = r0
	r2 = 0
	call bpf_ringbuf_submit
out:
	r0 = 0
	exit
`,
  },
  {
    name: 'kprobe: a stack slot indexed by di (at most 64), read past the frame pointer',
    expect: 'faults', access: 'stack', reason: /variable-offset read from stack/,
    asm: `
	.section kprobe/do_sys_open
prog:
	r6 = *(u64 *)(r1 + 112)
	if r6 > 0x40 goto out
	r6 &= 0x78
	*(u64 *)(r10 - 8) = r6
	r2 = r10
	r2 += -64
	r2 += r6
	r0 = *(u64 *)(r2 + 0)
out:
	r0 = 0
	exit
`,
  },
  {
    name: 'tc: packets marked 7 take a path that reads the TCP flags unchecked (skb->mark from --ctx)',
    expect: 'faults', access: 'packet', reason: PKT_OOB,
    asm: `
	.section tc
prog:
	r6 = *(u32 *)(r1 + 8)
	r2 = *(u32 *)(r1 + 76)
	r3 = *(u32 *)(r1 + 80)
	r4 = r2
	r4 += 34
	if r4 > r3 goto out
	if r6 != 7 goto out
	r0 = *(u8 *)(r2 + 47)
out:
	r0 = 0
	exit
`,
  },
  {
    name: 'xdp: an array keyed by ingress_ifindex, unchecked (NULL for ifindex 4 and up)',
    expect: 'faults', access: 'null', reason: NULL_DEREF,
    asm: `
	.map per_dev, type=array, key=4, value=8, max_entries=4
	.section xdp
prog:
	r6 = *(u32 *)(r1 + 12)
	*(u32 *)(r10 - 4) = r6
	r2 = r10
	r2 += -4
	r1 = per_dev ll
	call bpf_map_lookup_elem
	r1 = *(u64 *)(r0 + 0)
	r0 = 2
	exit
`,
  },
  // --- reachable: states ---------------------------------------------------------------------
  {
    name: 'xdp: R0 is not set at exit when the EtherType is IPv6',
    expect: 'reaches', reason: /R0 !read_ok/,
    asm: `
	.section xdp
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 14
	if r4 > r3 goto pass
	r5 = *(u16 *)(r2 + 12)
	if r5 == 0xdd86 goto out
pass:
	r0 = 2
out:
	exit
`,
  },
  {
    name: 'tc: a register set on the IPv4 path only, read on both',
    expect: 'reaches', reason: /R7 !read_ok/,
    asm: `
	.section tc
prog:
	r2 = *(u32 *)(r1 + 76)
	r3 = *(u32 *)(r1 + 80)
	r4 = r2
	r4 += 14
	r0 = 0
	if r4 > r3 goto out
	r5 = *(u16 *)(r2 + 12)
	if r5 != 0x8 goto other
	r7 = 1
other:
	r0 = r7
out:
	exit
`,
  },
  {
    name: 'socket_filter: ld_abs reads the IP protocol; UDP leaves r7 unset',
    expect: 'reaches', reason: /R7 !read_ok/,
    asm: `
	.section socket
prog:
	r6 = r1
	r0 = *(u8 *)skb[9]
	if r0 == 17 goto udp
	r7 = 0
udp:
	r0 = r7
	exit
`,
  },
  {
    name: 'socket_filter: ld_ind past the IP header, gated on the TCP flags',
    expect: 'reaches', reason: /R8 !read_ok/,
    asm: `
	.section socket
prog:
	r6 = r1
	r0 = *(u8 *)skb[0]
	r0 &= 0xf
	r0 <<= 2
	r7 = r0
	r0 = *(u8 *)skb[r7 + 13]
	r0 &= 0x12
	if r0 == 0x12 goto synack
	r8 = 0
synack:
	r0 = r8
	exit
`,
  },
  {
    name: 'kprobe: an unset register read when si is above 100 (unsigned)',
    expect: 'reaches', reason: /R6 !read_ok/,
    asm: `
	.section kprobe/do_sys_open
prog:
	r2 = *(u64 *)(r1 + 104)
	if r2 > 100 goto odd
	r6 = 0
odd:
	r0 = r6
	exit
`,
  },
  {
    name: 'kprobe, JMP32: a negative 32-bit di skips setting r6',
    expect: 'reaches', reason: /R6 !read_ok/,
    asm: `
	.section kprobe/do_sys_open
prog:
	r2 = *(u64 *)(r1 + 112)
	r3 = *(u64 *)(r1 + 104)
	if w2 s< 0 goto neg
	r6 = 0
neg:
	if w3 != 7 goto done
	r0 = r6
	exit
done:
	r0 = 0
	exit
`,
  },
  {
    name: 'kprobe: a ringbuf record leaks when di is 42',
    expect: 'reaches', reason: /reference leak|Unreleased reference/,
    asm: `
	.map rb, type=ringbuf, key=0, value=0, max_entries=4096
	.section kprobe/do_unlinkat
prog:
	r6 = *(u64 *)(r1 + 112)
	r1 = rb ll
	r2 = 8
	r3 = 0
	call bpf_ringbuf_reserve
	if r0 == 0 goto out
	if r6 == 42 goto out
	r1 = r0
	r2 = 0
	call bpf_ringbuf_submit
out:
	r0 = 0
	exit
`,
  },
  {
    name: 'xdp, bpf-to-bpf: the callee returns without setting R0 for short packets',
    expect: 'reaches', reason: /R0 !read_ok/,
    asm: `
	.section xdp
	.globl prog
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r1 = r2
	r2 = r3
	call verdict
	exit

	.text
verdict:
	r1 += 60
	if r1 > r2 goto short
	r0 = 2
short:
	exit
`,
  },
  // --- infeasible: the verifier cannot correlate what guards the error -------------------------
  {
    name: 'xdp: the same packet byte loaded twice and compared',
    expect: 'infeasible', reason: PKT_OOB,
    asm: `
	.section xdp
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 14
	if r4 > r3 goto out
	r5 = *(u8 *)(r2 + 12)
	r6 = *(u8 *)(r2 + 12)
	if r5 == r6 goto out  # <-
	r0 = *(u8 *)(r2 + 40)
out:
	r0 = 2
	exit
`,
  },
  {
    name: 'kprobe: x*x == 2 has no solution modulo 2^64',
    expect: 'infeasible', reason: /R6 !read_ok/,
    asm: `
	.section kprobe/do_sys_open
prog:
	r2 = *(u64 *)(r1 + 112)
	r2 *= r2
	r0 = 0
	if r2 != 2 goto out  # <-
	r0 = r6
out:
	exit
`,
  },
  {
    name: 'kprobe: di ^ di through two loads is never non-zero',
    expect: 'infeasible', reason: /R7 !read_ok/,
    asm: `
	.section kprobe/do_sys_open
prog:
	r2 = *(u64 *)(r1 + 112)
	r3 = *(u64 *)(r1 + 112)
	r2 ^= r3
	r0 = 0
	if r2 == 0 goto out  # <-
	r0 = r7
out:
	exit
`,
  },
  {
    name: 'xdp: (b & 1) * 3 is 0 or 3, never 2',
    expect: 'infeasible', reason: PKT_OOB,
    asm: `
	.section xdp
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 14
	if r4 > r3 goto out
	r5 = *(u8 *)(r2 + 13)
	r5 &= 1
	r5 *= 3
	if r5 != 2 goto out  # <-
	r0 = *(u8 *)(r2 + 14)
out:
	r0 = 2
	exit
`,
  },
  {
    name: 'tc: skb->len checked against 60 makes the read at 40 safe',
    expect: 'infeasible', reason: PKT_OOB,
    asm: `
	.section tc
prog:
	r6 = *(u32 *)(r1 + 0)
	r2 = *(u32 *)(r1 + 76)
	r0 = 0
	if r6 < 60 goto out  # <-
	r0 = *(u8 *)(r2 + 40)
out:
	r0 = 0
	exit
`,
  },
  {
    name: 'cgroup_skb: skb->len (from the network header) checked, then the TTL read',
    expect: 'infeasible', reason: PKT_OOB,
    asm: `
	.section cgroup_skb/ingress
prog:
	r6 = *(u32 *)(r1 + 0)
	r2 = *(u32 *)(r1 + 76)
	r0 = 0
	if r6 <= 19 goto out  # <-
	r0 = *(u8 *)(r2 + 8)
	r0 = 0
out:
	exit
`,
  },
  {
    name: 'xdp: 80 bytes checked cover IHL*4 + 15, but a variable offset drops the checked range',
    expect: 'infeasible', reason: PKT_OOB,
    asm: `
	.section xdp
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 80
	if r4 > r3 goto out  # <-
	r5 = *(u8 *)(r2 + 14)
	r5 &= 0xf
	r5 <<= 2
	r2 += r5
	r0 = *(u8 *)(r2 + 14)
out:
	r0 = 2
	exit
`,
  },
  {
    name: 'xdp: the low byte of a u16 differs from the u8 at the same address',
    expect: 'infeasible', reason: /R7 !read_ok/,
    asm: `
	.section xdp
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 14
	r0 = 2
	if r4 > r3 goto out
	r5 = *(u16 *)(r2 + 12)
	r6 = *(u8 *)(r2 + 12)
	r5 &= 0xff
	if r5 == r6 goto out  # <-
	r0 = r7
out:
	exit
`,
  },
  {
    name: 'kprobe: di - di through two loads is never non-zero, before a NULL deref',
    expect: 'infeasible', reason: NULL_DEREF,
    asm: `
	.map slots, type=array, key=4, value=8, max_entries=8
	.section kprobe/do_sys_open
prog:
	r6 = *(u64 *)(r1 + 112)
	r7 = *(u64 *)(r1 + 112)
	r6 -= r7
	*(u32 *)(r10 - 4) = r6
	r2 = r10
	r2 += -4
	r1 = slots ll
	call bpf_map_lookup_elem
	if r6 == 0 goto out  # <-
	r0 = *(u64 *)(r0 + 0)
out:
	r0 = 0
	exit
`,
  },
  {
    name: 'kprobe: an array index masked to 0..7 of 8 entries is never NULL',
    expect: 'infeasible', reason: NULL_DEREF,
    asm: `
	.map slots, type=array, key=4, value=8, max_entries=8
	.section kprobe/do_sys_open
prog:
	r6 = *(u64 *)(r1 + 112)
	r6 &= 7
	*(u32 *)(r10 - 4) = r6
	r2 = r10
	r2 += -4
	r1 = slots ll
	call bpf_map_lookup_elem
	r0 = *(u64 *)(r0 + 0)  # <-
	r0 = 0
	exit
`,
  },
];

export interface LoadedCase {
  object: BpfObject;
  ref: ProgramRef;
  progType: string;
  attachType?: string;
}

/** A case assembled, with its program and type as `verify` and `run` pick them. */
export function loadCase(c: CexCase): LoadedCase {
  const { object, diagnostics } = assemble(c.asm);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`${c.name}: ${errors.map((d) => d.message).join('; ')}`);
  const ref = listPrograms(object)[0];
  const def = sectionProgType(ref.section);
  const progType = c.progType ?? def?.progType;
  if (!progType) throw new Error(`${c.name}: section ${ref.section} names no program type`);
  return { object, ref, progType, attachType: def?.expectedAttachType };
}

/** The 1-based line of the case's text marked `# <-`. */
export function markedLine(c: CexCase): number | undefined {
  const k = c.asm.split('\n').findIndex((l) => /#\s*<-/.test(l));
  return k < 0 ? undefined : k + 1;
}
