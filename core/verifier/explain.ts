/**
 * Plain-language explanations of the verifier's messages: one table, a row per shape of
 * kernel message. A row's `pattern` is a RegExp over the whole message, capturing register
 * numbers, offsets, sizes and types; its `explain` says in a sentence or two what the
 * verifier objects to and why the kernel insists, and its `fix` suggests a change, often
 * with a code shape in our LLVM-syntax assembly.
 *
 * The messages stay the kernel's, word for word (Linux 6.18; test/data/verifier holds real
 * ones). The explanations and fixes are ours, written from the kernel's behaviour and not
 * from its comments or documentation. This module only looks messages up: the verifier
 * decides where a diagnostic's `explain` and `fix` come from.
 *
 * Conventions, checked by test/verifier/explain.test.ts: explanations and fixes are full
 * sentences ending with a period and name no internal kernel function; in a fix, the text
 * between backticks is assembly that assembles as it stands (`;` separates instructions;
 * the labels `loop` and `out` and the map `my_map` stand for the reader's own). A row whose
 * shape the corpus lacks carries an `example`, a message in the kernel's wording, which the
 * test matches against its pattern. The first matching row wins: specific rows come first.
 */

import { mapTypeById } from '../maps/table';

/** A fixed sentence, or one built from the pattern's captures. */
type Text = string | ((m: RegExpExecArray) => string | undefined);

export interface ExplainRow {
  /** Matches the whole message. */
  readonly pattern: RegExp;
  /** A message in the kernel's wording that this row is for, when the corpus has none. */
  readonly example?: string;
  readonly explain: Text;
  readonly fix?: Text;
}

export interface Explanation {
  explain: string;
  fix?: string;
}

/** The explanation of a kernel verifier message, or undefined when no row knows it. */
export function explainMessage(message: string): Explanation | undefined {
  const msg = message.trim();
  for (const row of EXPLAIN_ROWS) {
    const m = row.pattern.exec(msg);
    if (!m) continue;
    const explain = textOf(row.explain, m);
    if (!explain) continue;
    const fix = row.fix === undefined ? undefined : textOf(row.fix, m);
    return fix ? { explain, fix } : { explain };
  }
  return undefined;
}

// prettier-ignore
export const EXPLAIN_ROWS: readonly ExplainRow[] = [
  // ---- Registers --------------------------------------------------------------------------
  { pattern: /^R(\d+) !read_ok$/,
    explain: (m) => {
      const n = Number(m[1]);
      const why = 'The kernel never lets a program read a register nothing has written, since it could still hold leftover kernel data.';
      if (n === 0) return `R0 is read on a path where nothing has set it: R0 is the return value at exit, and only a move, a load or a call's return value sets it. ${why}`;
      if (n <= 5) return `R${n} is read on a path where nothing has written it: only R1 (the context) and R10 (the frame pointer) hold values at entry, and every call (helper or bpf-to-bpf) and every legacy packet load clobbers R1-R5. ${why}`;
      return `R${n} is read on a path where nothing has written it: only R1 and R10 hold values at entry, and a bpf-to-bpf callee starts with its arguments in R1-R5, without the caller's R6-R9. ${why}`;
    },
    fix: (m) => {
      const n = Number(m[1]);
      if (n === 0) return 'Set R0 on every path before it is read, e.g. `r0 = 0` just before `exit`; after a tail call (which returns when it fails) or a call to a subprogram that may leave it unset, set it again.';
      if (n <= 5) return `Write R${n} on every path before this instruction. A value that must outlive a call belongs in R6-R9, which calls preserve: \`r6 = r${n}\` before the call, \`r${n} = r6\` after it.`;
      return `Set R${n} on every path before this instruction (legacy packet loads want the context in R6: \`r6 = r1\` at entry); pass values to a subprogram in R1-R5.`;
    },
  },
  { pattern: /^R(\d+) is invalid$/,
    explain: (m) => `The instruction names register R${m[1]}, but eBPF has only R0-R10: the encoding's 4-bit register fields can hold larger numbers, and the kernel refuses them rather than guess.`,
    fix: 'Use a register from R0 to R9 (R10 is read-only); in .byte data, correct the register nibble of the instruction.' },
  { pattern: /^frame pointer is read only$/,
    explain: 'The instruction writes R10, the frame pointer. The verifier checks every stack access against R10, so R10 must always point at the top of the stack and no instruction may change it.',
    fix: 'Copy it and move the copy: `r1 = r10; r1 += -8`.' },

  // ---- Packet access ----------------------------------------------------------------------
  { pattern: /^R(\d+) offset is outside of the packet$/,
    explain: (m) => `The program reads or writes packet bytes through R${m[1]} (itself or through a helper) that no comparison with data_end has shown to exist. Packets vary in length, and the kernel lets a program touch only bytes it has proven to lie before the end of the packet.`,
    fix: (m) => {
      const n = Number(m[1]);
      const [end, tmp] = freeRegs(n);
      return `Before the access, compare its end (offset plus size) with data_end, here in r${end}: for 4 bytes at offset 14, \`r${tmp} = r${n}; r${tmp} += 18; if r${tmp} > r${end} goto out\`. Compare with data_end itself (or with data for data_meta), using a 64-bit comparison, after any variable offset is added, and again after helpers that change the packet.`;
    },
  },
  { // The detail line before that message; offsets count from the pointer's base (data plus any variable part).
    pattern: /^invalid access to packet, off=(-?\d+) size=(\d+), R(\d+)\(.*\br=(\d+)\)$/,
    example: 'invalid access to packet, off=14 size=4, R2(id=0,off=14,r=0)',
    explain: (m) => {
      const [off, end] = [Number(m[1]), Number(m[1]) + Number(m[2])];
      const why = 'The kernel lets a program touch only packet bytes it has proven to lie before data_end.';
      if (off < 0) return `The access through R${m[3]} starts ${bytes(-off)} before the packet position its pointer is based on, where no check against data_end can help. ${why}`;
      if (off > 0xffff) return `The access lies ${bytes(off)} into the packet, past the largest offset (65535) a check against data_end can prove. ${why}`;
      const proven = m[4] === '0' ? 'no comparison with data_end has proven any of them' : `comparisons with data_end have proven only the first ${m[4]}`;
      return `The access covers ${end - off === 1 ? `byte ${off}` : `bytes ${off} to ${end - 1}`} from the base of R${m[3]}'s packet pointer, but ${proven}. ${why}`;
    },
    fix: (m) => {
      const [off, end] = [Number(m[1]), Number(m[1]) + Number(m[2])];
      if (off < 0) return 'Read at offsets of 0 or more from data; metadata in front of data is reached through data_meta, checked against data.';
      if (off > 0xffff) return 'Keep packet offsets below 65536; data further into a large packet can be copied out with bpf_skb_load_bytes or bpf_xdp_load_bytes.';
      return `Check ${bytes(end)} from that base before the access (after adding any variable offset); with the base in r2 and data_end in r3: \`r4 = r2; r4 += ${end}; if r4 > r3 goto out\`.`;
    },
  },
  { pattern: /^cannot write into packet$/,
    explain: 'This program type may read the packet directly but not modify it (cgroup_skb and lwt_in are such types): at its hook the kernel does not expect the packet to change under it.',
    fix: 'Only read the packet here; to modify packets, use a program type that may (tc, xdp, lwt_xmit), or a helper this type offers.' },

  // ---- Memory access through a pointer ----------------------------------------------------
  { pattern: /^R(\d+) invalid mem access '(\w+_or_null)'$/,
    explain: (m) => `R${m[1]} is ${what(m[2])}: the helper or field it came from returns NULL when there is nothing to point to (a missing map element, a full ring buffer, no socket). On this path it has not been checked, and the kernel will not let a program load or store through a possible NULL pointer.`,
    fix: (m) => `Check it right after it is obtained and use it only where it is not NULL: \`if r${m[1]} == 0 goto out\`, then access it on the fall-through (copies made after the check count as checked too).` },
  { pattern: /^R(\d+) invalid mem access 'scalar'$/,
    explain: (m) => `R${m[1]} holds a plain number, not a pointer, as far as the verifier knows, so it cannot be loaded or stored through. Typical causes: a helper result that is a number, a value loaded from memory, a spilled pointer partly overwritten on the stack, the NULL branch of a lookup (where the register is 0), or a packet pointer kept across a helper that changes the packet.`,
    fix: (m) => `Access memory through a pointer the verifier tracks (the context, the stack, a checked packet pointer or a NULL-checked map value): after \`if r${m[1]} == 0 goto out\` the fall-through is the non-NULL case, and packet pointers must be loaded again from the context after helpers such as bpf_xdp_adjust_head.` },
  { pattern: /^R(\d+) invalid mem access 'pkt_end'$/,
    explain: (m) => `R${m[1]} is data_end, which marks the first byte after the packet; there is nothing to read there, so it may only be compared with packet pointers, never dereferenced.`,
    fix: (m) => `Read through data plus an offset that has been checked against data_end; with data in r2 and data_end in r${m[1] === '2' ? 3 : m[1]}: \`r4 = r2; r4 += 1; if r4 > r${m[1] === '2' ? 3 : m[1]} goto out; r0 = *(u8 *)(r2 + 0)\`.` },
  { pattern: /^R(\d+) invalid mem access '(\w+)'$/,
    example: "R1 invalid mem access 'func'",
    explain: (m) => `R${m[1]} holds ${what(m[2])}, and the kernel allows no loads or stores through a register of that kind at this place.`,
    fix: 'Load or store through a pointer to memory the program may access (the context, the stack, a checked packet pointer, a NULL-checked map value or ring buffer record).' },
  { pattern: /^R(\d+) min value is outside of the allowed memory range$/,
    explain: (m) => `Even at the smallest offset R${m[1]} can have, this access falls outside the object it points into (a map value, a ring buffer record or another memory region): it starts before the first byte or ends past the last. The kernel refuses any access that could touch the memory next to the object.`,
    fix: 'Keep the offset plus the access size within the object: in an 8-byte value, an 8-byte access must be at offset 0 and a 4-byte one at offset 0 to 4. Check the offset in the instruction, the constants added to the pointer and the map\'s value size.' },
  { pattern: /^R(\d+) max value is outside of the allowed memory range$/,
    explain: (m) => `The largest offset R${m[1]} may have, plus the size of the access, reaches past the end of the object it points into. The verifier checks every value the offset can take on this path, so one possible value too large is enough to refuse the access.`,
    fix: 'Tighten the bound on the index so that index plus access size stays within the object: for a 1-byte read in a 16-byte value with the index in r6, `if r6 > 15 goto out` before `r7 += r6` (or `r6 &= 15`, since 16 is a power of two).' },
  { pattern: /^R(\d+) min value is negative, either use unsigned index or do a if \(index >=0\) check\.$/,
    explain: (m) => `The variable offset added to R${m[1]} may be negative on this path: a sign-extending load, a subtraction, a negation or an arithmetic shift can make it so, and a signed comparison alone leaves it possible. A negative offset would reach memory before the start of the object.`,
    fix: 'Make the index non-negative before adding it to the pointer, e.g. for an index in r6, `r6 &= 15` or the unsigned `if r6 > 15 goto out` (a negative number is huge as an unsigned one, so an unsigned check excludes it too).' },
  { pattern: /^R(\d+) unbounded memory access, make sure to bounds check any such access$/,
    explain: (m) => `The variable offset added to R${m[1]} has no useful upper bound (it may reach 2^29 or more), so the verifier cannot tell whether the access stays inside the object. 32-bit arithmetic is a common cause: a 32-bit result that may be negative is zero-extended, and becomes a 64-bit offset up to 0xffffffff.`,
    fix: 'Bound the index with an unsigned check on the whole 64-bit register just before adding it, e.g. for an index in r6 `if r6 > 15 goto out` (a check on w6 bounds only its low 32 bits).' },
  { pattern: /^math between (\w+) pointer and register with unbounded min value is not allowed$/,
    explain: (m) => `The instruction adds to ${what(m[1])} a register whose lower bound the verifier does not know, so it may be negative as far as the verifier can tell. Division, modulo and shifts by a non-constant amount give results it does not bound, and a comparison with an unknown register teaches it nothing; without bounds it cannot prove that the pointer stays inside its object.`,
    fix: 'Bound the register with a mask or an unsigned comparison with a constant right before the addition, e.g. for an offset in r6 `r6 &= 15` or `if r6 > 15 goto out`.' },
  { pattern: /^math between (\w+) pointer and (-?\d+) is not allowed$/,
    explain: (m) => `The instruction adds the constant ${m[2]} to ${what(m[1])}. The verifier refuses offsets of 2^29 bytes or more (either way) outright: no object is that large, and it keeps its own offset arithmetic far from overflow.`,
    fix: 'Use an offset within the object; if the number is data rather than an offset, keep it in its own register instead of adding it to the pointer.' },
  { pattern: /^value (-?\d+) makes (\w+) pointer be out of bounds$/,
    explain: (m) => `The register added to ${what(m[2])} may be as large as ${m[1]}, and the verifier refuses any possible offset of 2^29 bytes or more, whatever checks come later.`,
    fix: 'Bound the offset before adding it to the pointer, e.g. for an offset in r6 `if r6 > 15 goto out` or `r6 &= 15`.' },
  { pattern: /^invalid access to map value, value_size=(\d+) off=(-?\d+) size=(\d+)$/,
    example: 'invalid access to map value, value_size=8 off=8 size=8',
    explain: (m) => `The program accesses ${bytes(Number(m[3]))} at offset ${m[2]} of a map value that is ${bytes(Number(m[1]))} long, which reaches outside it. The value is all the memory the lookup gave the program, and the kernel refuses any access beyond it.`,
    fix: (m) => {
      const last = Number(m[1]) - Number(m[3]);
      if (last < 0) return `Use a smaller access, or declare the map with a value of at least ${bytes(Number(m[3]))}.`;
      return `Accesses of ${bytes(Number(m[3]))} fit ${last === 0 ? 'only at offset 0' : `at offsets 0 to ${last}`}; use one of those, or declare the map with a larger value size.`;
    },
  },
  { pattern: /^(write into|read from) map forbidden, value_size=\d+ off=-?\d+ size=\d+$/,
    explain: (m) => m[1] === 'write into'
      ? 'The program writes a value of a map that programs may only read: it was created with BPF_F_RDONLY_PROG, as loaders do for constant data (.rodata).'
      : 'The program reads a value of a map that programs may only write: it was created with BPF_F_WRONLY_PROG.',
    fix: (m) => m[1] === 'write into'
      ? 'Keep data the program changes in a map that programs may write (without BPF_F_RDONLY_PROG: .data or .bss rather than .rodata).'
      : 'Create the map without BPF_F_WRONLY_PROG if the program needs to read it.' },
  { pattern: /^invalid access to map value pointer, value_size=(\d+) off=(-?\d+)$/,
    explain: (m) => Number(m[2]) >= Number(m[1])
      ? `A direct map value address (a 64-bit load of map_value(NAME)+off) points ${bytes(Number(m[2]))} into a value that is only ${bytes(Number(m[1]))} long.`
      : 'A direct map value address (a 64-bit load of map_value(NAME)+off) exists only for an array map with exactly one element, whose value the kernel can place at a fixed address; this map cannot give one.',
    fix: (m) => Number(m[2]) >= Number(m[1])
      ? `Use an offset below ${m[1]}, e.g. \`r1 = map_value(my_map)+0 ll\`.`
      : 'Declare the map with max_entries=1 (as .data, .rodata and .bss are), or find the element with bpf_map_lookup_elem instead.' },
  { pattern: /^no direct value access support for this map type$/,
    explain: 'A direct map value address (a 64-bit load of map_value(NAME)+off) works only with map types whose values sit at fixed addresses, chiefly single-element arrays; this map\'s type has no such address.',
    fix: 'Keep global data in an array map with max_entries=1, or reach this map\'s elements with bpf_map_lookup_elem.' },
  { pattern: /^only read from bpf_array is supported$/,
    explain: 'The program stores through a map pointer, the value a 64-bit load of a map name gives. That pointer refers to the kernel\'s own description of the map, which programs may partly read but never change.',
    fix: 'Change the map\'s contents with bpf_map_update_elem, or by writing through the value pointer that bpf_map_lookup_elem returns (after its NULL check).' },

  // ---- Context ----------------------------------------------------------------------------
  { pattern: /^invalid bpf_context access off=(-?\d+) size=(\d+)$/,
    explain: (m) => {
      const off = Number(m[1]);
      const size = Number(m[2]);
      const cause = off < 0 ? 'The context starts at offset 0, so a negative offset names no field.'
        : off % size !== 0 ? 'The access is not aligned to its size, so it cannot cover a field exactly.'
        : 'Either no field of this type\'s context lies there (past the end, or a field only other program or attach types see), the field cannot be accessed with that width, or the program stores into a field it may only read.';
      return `The program makes ${aN(size)} ${size}-byte access to the context at offset ${off}, which this program type does not allow. ${cause} The kernel rewrites every context access into an access to its own data structures, so it accepts only those it knows how to rewrite.`;
    },
    fix: 'Use a field this program type offers, at its exact offset and with its width (hovering a context load shows the field), e.g. skb->data in a tc program, `r2 = *(u32 *)(r1 + 76)`; pointer fields such as data and data_end are read whole. To change a field this type may only read, use a helper made for it, where one exists.' },
  { pattern: /^dereference of modified ctx ptr R(\d+) off=(-?\d+) disallowed$/,
    explain: (m) => `R${m[1]} is the context pointer moved by ${bytes(Number(m[2]))}. The kernel rewrites context accesses using the offset written in the load or store itself, and helpers expect the context exactly as the program received it, so the context register must stay unmoved.`,
    fix: (m) => `Leave R${m[1]} unchanged and put the offset in the instruction, e.g. \`r0 = *(u32 *)(r${m[1]} + ${m[2]})\` instead of adding ${m[2]} to the register; pass the original context to helpers.` },
  { pattern: /^variable ctx access var_off=(.+) disallowed$/,
    explain: (m) => `The context pointer has been moved by an amount the verifier does not know (var_off=${m[1]}). Context fields can be reached only at constant offsets, because the kernel rewrites each access into a load from its own structures when it loads the program.`,
    fix: 'Read each field with a constant offset in the instruction, e.g. `r2 = *(u32 *)(r1 + 4)`; to choose a field at run time, branch and use one load per field.' },

  // ---- Stack ------------------------------------------------------------------------------
  { pattern: /^invalid (read from|write to) stack R(\d+) off=(-?\d+) size=(\d+)$/,
    explain: (m) => {
      const off = Number(m[3]);
      const size = Number(m[4]);
      const where = off + size > 0 ? `it ends ${bytes(off + size)} above the frame pointer, where the stack has already ended`
        : off < -512 ? 'it starts below fp-512, the bottom of the 512-byte stack' : 'it does not fit within the stack';
      return `The program (or a helper, given a stack buffer and a size) would ${m[1] === 'read from' ? 'read' : 'write'} ${bytes(size)} at fp${signed(off)} through R${m[2]}, and ${where}. The stack is the 512 bytes just below R10, from fp-512 to fp-1, and the kernel allows no access outside it.`;
    },
    fix: (m) => `Keep the whole access between fp-512 and fp-1: an access of ${bytes(Number(m[4]))} needs an offset from -512 to -${m[4]}. For a helper's buffer, reserve room for the full size: \`r1 = r10; r1 += -${alignUp(Number(m[4]), 8)}\`.` },
  { pattern: /^invalid variable-offset (read from|write to) stack R(\d+) var_off=(\(.+\)) off=(-?\d+) size=(\d+)$/,
    explain: (m) => `R${m[2]} points into the stack at fp${signed(Number(m[4]))} plus a variable part (var_off=${m[3]}), and for some value of that part the ${m[5]}-byte access would leave the stack. Every address the access may use, from the smallest to the largest, must lie between fp-512 and fp-1.`,
    fix: 'Bound the variable part and start low enough that its largest value still fits: for an offset masked to 0-15 and a 1-byte access, `r0 &= 15; r1 = r10; r1 += -16; r1 += r0`.' },
  { pattern: /^invalid (?:indirect )?read from stack (?:R(\d+) )?(?:off (-?\d+)|var_off (\S+))\+(\d+) size (\d+)$/,
    example: 'invalid read from stack R2 off -8+0 size 8',
    explain: (m) => `A helper reads ${bytes(Number(m[5]))} of stack${m[1] ? ` through R${m[1]}` : ''}, and byte ${m[4]} of them has never been written on this path. Stack memory nobody wrote may hold leftover kernel data, so the kernel does not pass it on (privileged programs may read it).`,
    fix: 'Write every byte of the buffer before the call, e.g. `*(u64 *)(r10 - 8) = 0` for each 8-byte slot of it.' },
  { pattern: /^misaligned stack access off (\S+) size (\d+)$/,
    explain: (m) => `${cap(aN(Number(m[2])))} ${m[2]}-byte stack access at ${stackText(m[1])} is not aligned to its size. The verifier always requires stack accesses to be naturally aligned: it tracks the stack in aligned 8-byte slots, and some CPUs cannot do unaligned accesses.`,
    fix: (m) => {
      const off = sumOffsets(m[1]);
      const size = Number(m[2]);
      const ty = SIZE_TYPE[size];
      if (off === undefined || !ty) return `Use an offset that is a multiple of ${size}.`;
      const good = Math.floor(off / size) * size;
      return `Use an offset that is a multiple of ${size}, e.g. fp${signed(good)}: \`*(${ty} *)(r10 ${good < 0 ? '-' : '+'} ${Math.abs(good)}) = r1\`.`;
    },
  },
  { pattern: /^misaligned (\w+) access off (\S+) size (\d+)$/,
    explain: (m) => `${cap(aN(Number(m[3])))} ${m[3]}-byte access at ${offsetText(m[2])} in a ${m[1] === 'value' ? 'map value' : m[1]} is not aligned to its size. Atomic instructions always need natural alignment (an atomic update cannot be split), and with strict alignment every access does.`,
    fix: (m) => `Use an offset that is a multiple of ${m[3]}: arrange the value so that the field sits at such an offset.` },
  { pattern: /^invalid size of register fill$/,
    explain: 'The program loads part of a stack slot that holds a saved pointer (say 4 of its 8 bytes). A pointer can be restored only whole: a partial load would hand the program a piece of a kernel address.',
    fix: 'Load the whole slot: `r2 = *(u64 *)(r10 - 8)`.' },
  { pattern: /^R(\d+) subtraction from stack pointer prohibited$/,
    explain: (m) => `The instruction subtracts a register from R${m[1]}, a stack pointer. The verifier accepts variable offsets on the stack only when they are added, so subtracting even a bounded amount is refused.`,
    fix: 'Start at the lowest address and add the bounded offset instead: `r0 &= 15; r1 = r10; r1 += -16; r1 += r0`.' },

  // ---- Pointer arithmetic -----------------------------------------------------------------
  { pattern: /^R(\d+) pointer arithmetic on (\w+) prohibited(?:, null-check it first)?$/,
    explain: (m) => {
      const t = m[2];
      if (t.endsWith('_or_null')) return `R${m[1]} is ${what(t)}, and arithmetic on it would turn a NULL into a pointer that looks valid, which no later check could catch.`;
      if (t === 'pkt_end') return `R${m[1]} is data_end, the end-of-packet marker. It may only be compared with packet pointers; moving it would make those comparisons prove nothing.`;
      if (t === 'map_ptr') return `R${m[1]} is a map, the handle that a 64-bit load of a map name gives: it names the map for helpers and does not point into its data, so nothing may be added to it.`;
      return `R${m[1]} holds ${what(t)}, on which the kernel allows no pointer arithmetic.`;
    },
    fix: (m) => {
      const t = m[2];
      if (t.endsWith('_or_null')) return `Check it first, \`if r${m[1]} == 0 goto out\`, and do the arithmetic on the fall-through.`;
      if (t === 'pkt_end') return `Move a pointer derived from data instead and compare it with data_end unchanged, e.g. with data in r2: \`r4 = r2; r4 += 14; if r4 > r${m[1] === '2' ? 3 : m[1]} goto out\`.`;
      if (t === 'map_ptr') return 'Look the element up with bpf_map_lookup_elem and do the arithmetic on the value pointer it returns, after its NULL check.';
      return undefined;
    },
  },
  { pattern: /^R(\d+) (?:pointer arithmetic with (\S+) operator|bitwise operator (\S+) on pointer) prohibited$/,
    explain: (m) => `R${m[1]} holds a pointer, and the instruction applies ${m[2] ?? m[3]} to it. On pointers the kernel allows only adding and subtracting numbers, whose results it can follow; other operations would give addresses it cannot check, or expose bits of a kernel address.`,
    fix: 'Compute on the offset, a plain number, and add the result to the pointer, e.g. `r3 = r6; r3 &= 15; r3 *= 4; r1 += r3`.' },
  { pattern: /^R(\d+) (\d+)-bit pointer arithmetic prohibited$/,
    explain: (m) => `The instruction does ${m[2]}-bit arithmetic on R${m[1]}, a pointer. A 32-bit operation would cut off the upper half of a 64-bit address, so pointer arithmetic must use 64-bit instructions.`,
    fix: (m) => `Use the 64-bit form, e.g. \`r${m[1]} += -8\` rather than \`w${m[1]} += -8\`.` },
  { pattern: /^R(\d+) pointer \+= pointer prohibited$/,
    explain: (m) => `The instruction adds a pointer to R${m[1]}, another pointer. The sum of two addresses points nowhere meaningful.`,
    fix: 'Add an offset (a number) to one pointer; for the distance between two pointers into the same packet, subtract one from the other.' },
  { pattern: /^R(\d+) tried to subtract pointer from scalar$/,
    explain: (m) => `R${m[1]} holds a number and the instruction subtracts a pointer from it. The result would be an address the verifier cannot follow, or a disguised kernel address.`,
    fix: 'Subtract numbers from pointers, not pointers from numbers (`r1 = r10; r1 += -8`); the distance between two pointers into the same object is the later one minus the earlier one.' },

  // ---- Helper arguments -------------------------------------------------------------------
  { pattern: /^R(\d+) type=(\S+) expected=(.+)$/,
    explain: (m) => `Argument R${m[1]} of this call is ${what(m[2])}, but the helper's prototype asks for ${expectedText(m[3])}. The helper trusts what it is given, so the verifier checks every argument against the prototype; the wrong kind of pointer could let it read or write anywhere.`,
    fix: (m) => {
      const n = m[1];
      const exp = m[3];
      if (m[2].endsWith('_or_null')) return `Check it for NULL first, \`if r${n} == 0 goto out\`, and make the call on the fall-through.`;
      if (exp === 'ctx') return 'Pass the context the program received in R1: save it at entry (`r6 = r1`) and restore it before the call (`r1 = r6`).';
      if (exp === 'map_ptr') return `Load the map into R${n} right before the call: \`r${n} = my_map ll\`.`;
      if (exp === 'ringbuf_mem') return `Pass the record that bpf_ringbuf_reserve returned, after its NULL check and only once: a submitted or discarded record is gone. Keep it in R6-R9 across calls: \`r${n} = r6\`.`;
      if (exp === 'func') return 'Pass a subprogram as the callback (callbacks need BTF function information, which a program built from C with clang -g has).';
      if (exp.startsWith('map_value, ptr_')) return 'Pass a pointer to the struct bpf_spin_lock inside a map value: the lookup result, after its NULL check, plus the lock\'s offset.';
      if (exp === 'map_value') return 'Pass a pointer into a map value; a constant string such as a format belongs in a read-only map (.rodata) rather than on the stack.';
      if (exp.includes('fp')) return `Pass a pointer to memory, e.g. a stack buffer whose bytes have been written: \`r${n} = r10; r${n} += -8\`.`;
      return undefined;
    },
  },
  { pattern: /^(?:R(\d+) )?invalid zero-sized read(?:: (.+))?$/,
    explain: (m) => m[1]
      ? `R${m[1]}, the size of a memory argument of this call, is 0${m[2] ? ` (${m[2]})` : ''}, but this helper needs at least one byte to work on.`
      : 'A memory argument of this call has size zero. For bpf_map_lookup_elem and the other key-based helpers, the key size comes from the map, and maps without keys (queues, stacks, ring buffers, bloom filters) have key size 0.',
    fix: (m) => m[1]
      ? `Pass a size of at least 1, e.g. \`r${m[1]} = 8\` for an 8-byte buffer; if it is computed, rule out zero first: \`if r${m[1]} < 1 goto out\`.`
      : 'Use the helpers made for that map type: bpf_map_push_elem, bpf_map_pop_elem and bpf_map_peek_elem for queues and stacks, the bpf_ringbuf_ helpers for ring buffers.' },
  { pattern: /^R(\d+) (min value is negative, either use unsigned or 'var &= const'|unbounded memory access, use 'var &= const' or 'if \(var < const\)')$/,
    explain: (m) => m[2].startsWith('min')
      ? `R${m[1]}, the size argument of this call, may be negative as far as the verifier knows: it is unbounded, or bounded only by a signed comparison. A negative size would act as a huge one, far larger than the buffer.`
      : `R${m[1]}, the size argument of this call, has no useful upper bound, so the verifier cannot check that the memory it describes fits in the buffer the helper will use.`,
    fix: (m) => `Bound it before the call with an unsigned comparison or a mask, e.g. \`if r${m[1]} > 64 goto out\` (64 being the buffer's size) or \`r${m[1]} &= 63\`.` },
  { pattern: /^R(\d+) is not a known constant'?$/,
    explain: (m) => `R${m[1]} must be a constant the verifier knows exactly at this call (as bpf_ringbuf_reserve's size must be), because the kernel sizes and checks the memory the helper returns when it loads the program.`,
    fix: (m) => `Pass a constant, e.g. \`r${m[1]} = 64\`; for data of varying length, reserve the largest size and record the length inside, or use bpf_ringbuf_output, which takes a variable size.` },
  { pattern: /^R(\d+) must have zero offset when passed to release func or trusted arg to kfunc$/,
    explain: (m) => `R${m[1]} is passed to a function that releases an object (such as bpf_ringbuf_submit or bpf_ringbuf_discard), but it no longer points at the start of the object. The kernel releases an object by the pointer it handed out, so it must get exactly that pointer back.`,
    fix: 'Keep an unmodified copy of the pointer and release that one: `r6 = r0` right after the reserve, `r1 = r6` before the submit.' },
  { pattern: /^program of this type cannot use helper (\w+)#(\d+)$/,
    explain: (m) => `The helper ${m[1]} (#${m[2]}) is not available to this program type. Each program type gets only the helpers that make sense at its hook: packet-changing helpers where the packet may change, kprobe-only helpers for kprobes, and so on.`,
    fix: (m) => `Use a helper this program type offers (completion lists them), or change the program type (the section name) to one that has ${m[1]}.` },
  { pattern: /^cannot call GPL-restricted function from non-GPL compatible program$/,
    explain: 'The program calls a helper that the kernel offers only to GPL-compatible programs, and the program\'s license is not GPL-compatible.',
    fix: 'If the code may be GPL-licensed, declare a compatible license, `.license "GPL"` or `.license "Dual BSD/GPL"`; otherwise do without that helper.' },
  { pattern: /^cannot pass map_type (\d+) into func (\w+)#(\d+)$/,
    explain: (m) => `${m[2]} does not work with a map of type ${mapTypeById(Number(m[1]))?.name ?? `#${m[1]}`}. Each helper accepts only the map types it was built for: lookups refuse program arrays, push and pop need a queue or a stack, ring buffer helpers need a ringbuf.`,
    fix: (m) => `Give ${m[2]} a map of a type it accepts (declared with the right type= in .map), or use the helper meant for this map type.` },
  { pattern: /^expected prog array map for tail call$/,
    explain: 'bpf_tail_call takes its target from a map of type prog_array (in R2): the tail call jumps to the program stored at the index in R3, and only program arrays hold programs.',
    fix: 'Declare a map with type=prog_array and pass it, e.g. `r2 = my_map ll`, my_map being declared with type=prog_array.' },
  { pattern: /^helper call might sleep in a non-sleepable prog$/,
    explain: 'The helper may sleep (wait for a page fault, for instance), and this program runs where sleeping is not allowed, such as a kprobe or a tracepoint.',
    fix: 'Use a non-sleeping alternative (bpf_probe_read_user instead of bpf_copy_from_user), or attach as a sleepable program (a section ending in .s, such as uprobe.s or fentry.s).' },
  // 195896080 = 0xbad2310: libbpf's (and our) poison for an instruction CO-RE could not relocate.
  { pattern: /^invalid func unknown#195896080$/,
    example: 'invalid func unknown#195896080',
    explain: () => 'This call stands where CO-RE could not relocate an instruction: the field, type or enumerator it used does not exist in the target kernel\'s BTF, so the instruction was replaced by an invalid call (libbpf does the same).',
    fix: () => 'Guard the access with libbpf\'s bpf_core_field_exists, bpf_core_type_exists or bpf_core_enum_value_exists macros, or read the field through a struct named with a flavor suffix (task_struct___old) that matches this kernel.' },
  { pattern: /^invalid func unknown#(\d+)$/,
    explain: (m) => `The program calls helper number ${m[1]}, which this kernel does not have.`,
    fix: 'Call helpers by name, e.g. `call bpf_map_lookup_elem`, and check that the target kernel has the helper.' },
  { pattern: /^map '(.+)' has to have BTF in order to use bpf_spin_lock$/,
    explain: (m) => `bpf_spin_lock must know where the struct bpf_spin_lock lies in the values of map ${m[1]}, and only the map's BTF says so; this map was created without BTF.`,
    fix: 'Declare the map from C with a value type containing a struct bpf_spin_lock, so that it has BTF (maps declared with .map carry none).' },
  { pattern: /^missing btf func_info$/,
    explain: 'The program passes a function as a callback (to bpf_loop, bpf_for_each_map_elem or a timer) or loads a function\'s address, and the kernel checks such callbacks using BTF that describes each subprogram; this program has none.',
    fix: 'Build the program from C with BTF (clang -g), or replace the callback with a bounded loop.' },
  { pattern: /^kernel btf_id (\d+) is not a function$/,
    explain: (m) => `The kfunc call names BTF id ${m[1]}, which is not a function in the kernel's BTF. Calls to kernel functions are resolved and checked through BTF, so the id must name a kfunc.`,
    fix: 'Let the loader resolve kfuncs by name (ksym externs in C, which libbpf resolves) rather than writing BTF ids by hand.' },

  // ---- References -------------------------------------------------------------------------
  { pattern: /^(BPF_EXIT instruction in main prog|tail_call|BPF_LD_\[ABS\|IND\]) would lead to reference leak$/,
    explain: (m) => {
      const when = m[1] === 'tail_call' ? 'A tail call replaces the program' : m[1].startsWith('BPF_LD') ? 'A legacy packet load can end the program (when the packet is too short)' : 'The program exits';
      return `${when} while it still holds a reference taken on this path, such as a ring buffer record from bpf_ringbuf_reserve or a socket from a lookup. The kernel requires every object a program acquires to be released exactly once on every path; otherwise it could never be freed.`;
    },
    fix: 'Release it on every path first: a record with `r1 = r6; r2 = 0; call bpf_ringbuf_submit` (or bpf_ringbuf_discard), a socket with bpf_sk_release. Keep the pointer in R6-R9 so that it survives calls, and never overwrite its only copy.' },
  { pattern: /^Unreleased reference id=(\d+) alloc_insn=(\d+)$/,
    example: 'Unreleased reference id=2 alloc_insn=4',
    explain: (m) => `The reference acquired at instruction ${m[2]} (a ring buffer record, a socket...) is still held where the program ends on this path. Every acquired object must be released exactly once on every path, or it could never be freed.`,
    fix: (m) => `Release what instruction ${m[2]} acquired on every path before exit, e.g. \`r1 = r6; r2 = 0; call bpf_ringbuf_submit\` for a record kept in r6.` },
  { pattern: /^cannot return stack pointer to the caller$/,
    explain: 'The function returns in R0 a pointer into its own stack frame, which disappears when it returns; the caller would hold a pointer to memory that is no longer its own.',
    fix: 'Let the caller own the memory: pass a pointer to the caller\'s stack in R1-R5 and write through it in the callee, or return a plain value.' },

  // ---- Return value -----------------------------------------------------------------------
  { pattern: /^At program exit the register R(\d+) has (smin=(-?\d+) smax=(-?\d+)|unknown scalar value) should have been in \[(-?\d+), (-?\d+)\]$/,
    explain: (m) => {
      const now = !m[3] ? 'may be any number' : m[3] === m[4] ? `is ${m[3]}` : `may be anything from ${m[3]} to ${m[4]}`;
      return `This program type's return value is a verdict the kernel acts on, and must lie in [${m[5]}, ${m[6]}]; on this path R${m[1]} ${now}. A value outside the range has no meaning to the hook that runs the program.`;
    },
    fix: (m) => `Set R0 to a constant in the range on every path just before exit, e.g. \`r0 = ${m[6]}; exit\`; if it is computed, test it and jump to a constant: \`if r0 > ${m[6]} goto out\`.` },
  { pattern: /^At program exit the register R(\d+) is not a known value \((\w+)\)$/,
    explain: (m) => `At exit R${m[1]} holds ${what(m[2])}, but this program type's return value is a verdict that must be a known number in its allowed range. A pointer is neither, and returning it would also hand a kernel address to the hook.`,
    fix: (m) => `Set R${m[1]} to a constant verdict before exit, e.g. \`r0 = 1; exit\`.` },

  // ---- Arithmetic -------------------------------------------------------------------------
  { pattern: /^div by zero$/,
    explain: 'The instruction divides, or takes a remainder, by the constant 0. The kernel refuses a constant zero divisor outright since it is always a mistake; a register divisor that is zero at run time gives 0 for a division and leaves the dividend for a modulo.',
    fix: 'Divide by a non-zero constant; if the divisor comes from data, keep it in a register and test it: `if r2 == 0 goto out; r0 /= r2`.' },
  { pattern: /^invalid shift (-?\d+)$/,
    explain: (m) => `The instruction shifts by the constant ${m[1]}, outside 0-63 for a 64-bit shift or 0-31 for a 32-bit one. Such a shift has no single defined result (processors disagree on it), so the kernel refuses it.`,
    fix: 'Shift by an amount within the operand\'s width; to clear the register, set it instead: `r0 = 0`.' },

  // ---- Control flow and program size ------------------------------------------------------
  { pattern: /^unreachable insn (\d+)$/,
    explain: (m) => `No path from the program's first instruction reaches instruction ${m[1]}. The kernel refuses dead code: it would never be checked, and it usually means a jump goes to the wrong place.`,
    fix: 'Delete the unreachable instructions, or fix the jump that was meant to reach them.' },
  { pattern: /^jump out of range from insn (\d+) to (-?\d+)$/,
    explain: (m) => `The jump at instruction ${m[1]} lands at ${m[2]}, outside the program or outside the function (main program or subprogram) that contains it. A jump must stay within its function; only calls enter another one.`,
    fix: 'Jump to a label inside the same function, and call a subprogram (call NAME) rather than jumping into it.' },
  { pattern: /^jump into the middle of ldimm64 insn (\d+)$/,
    explain: (m) => `A jump lands on the second slot of the 64-bit load at instruction ${m[1]}. That load takes two slots, and the second one holds only the upper half of the constant, not an instruction.`,
    fix: 'Jump to the 64-bit load itself or past it; when counting slots by hand, count it as two.' },
  { pattern: /^last insn is not an exit or jmp$/,
    explain: 'The last instruction of the program or of a subprogram is neither exit nor an unconditional jump, so execution could run off its end, into nothing or into the next function.',
    fix: 'End every function with `r0 = 0; exit` (or whatever R0 it returns), or with a jump back into it.' },
  { pattern: /^call to invalid destination$/,
    explain: 'A bpf-to-bpf call targets an instruction outside the program.',
    fix: 'Call a subprogram by its label rather than by a hand-written offset.' },
  { pattern: /^the call stack of (\d+) frames is too deep(?: !)?$/,
    explain: (m) => `A chain of bpf-to-bpf calls goes deeper than the 8 frames the kernel allows, the main program included (it stopped counting at ${m[1]}). A function that calls itself always ends here: the kernel does not support recursion.`,
    fix: 'Flatten the call chain (merge small subprograms into their callers), and turn recursion into a bounded loop.' },
  { pattern: /^combined stack size of (\d+) calls is (\d+)\. Too large$/,
    explain: (m) => `The stack frames along a chain of ${m[1]} calls add up to ${m[2]} bytes. All of them live at once on the small kernel stack, so together they must fit in 512 bytes.`,
    fix: 'Use less stack in the functions of that chain: reuse slots, or move large buffers into a per-CPU array map.' },
  { // After "infinite loop detected at insn N" the kernel dumps two states; the old one comes last.
    pattern: /^(?:infinite loop detected at insn (\d+)|old state: .*)$/,
    example: 'infinite loop detected at insn 1',
    explain: (m) => `The verifier came back to ${m[1] ? `instruction ${m[1]}` : 'a loop (the log says which instruction just above this state)'} on the same path with exactly the state it had there before: nothing changes from one iteration to the next, so the loop can never end. The kernel accepts only loops it can see terminate.`,
    fix: 'Give the loop a counter that changes on every iteration and an exit that tests it: `r6 += 1; if r6 < 16 goto loop`.' },
  { pattern: /^BPF program is too large\. Processed (\d+) insn$/,
    explain: (m) => `The verifier walks every path through the program, counting each instruction once per path that reaches it, and stopped after ${m[1]}: the kernel caps this work at 1,000,000 so that loading a program takes bounded time.`,
    fix: 'Reduce the number of paths: fewer data-dependent branches in loops, smaller loop bounds, or bpf_loop for long loops. Values that differ between paths without mattering (counters, flags) stop the verifier from merging paths, so narrow or clear them.' },

  // ---- Legacy packet loads and tail calls -------------------------------------------------
  { pattern: /^BPF_LD_\[ABS\|IND\] instructions not allowed for this program type$/,
    explain: 'Legacy packet loads (LD_ABS and LD_IND, written like r0 = *(u8 *)skb[14]) exist only for program types whose context is a socket buffer: socket filters and tc classifiers and actions.',
    fix: 'Read the packet directly (data and data_end from the context, then a bounds check), or with a helper such as bpf_skb_load_bytes where the type has it.' },
  { pattern: /^at the time of BPF_LD_ABS\|IND R6 != pointer to skb$/,
    explain: 'A legacy packet load takes the socket buffer from R6 without naming it, and R6 does not hold the context here.',
    fix: 'Save the context in R6 at entry, `r6 = r1`, and leave R6 alone until the load.' },
  { pattern: /^(LD_ABS|tail_call) is not allowed in subprogs without BTF$/,
    explain: (m) => `${m[1] === 'LD_ABS' ? 'A legacy packet load' : 'A tail call'} sits inside a bpf-to-bpf subprogram of a program without BTF. It can leave the whole program from there (a failed legacy load ends it, a tail call replaces it), and the kernel accepts that only when BTF describes the program's functions.`,
    fix: 'Move it into the main program, or build the program from C with BTF (clang -g).' },

  // ---- Atomics ----------------------------------------------------------------------------
  { pattern: /^BPF_ATOMIC stores into R(\d+) (\w+) is not allowed$/,
    explain: (m) => `An atomic instruction writes through R${m[1]}, ${what(m[2])}. Atomics work on the stack and on map values only: context accesses are rewritten field by field, which an atomic cannot be, and the packet is not memory the program may update atomically.`,
    fix: 'Keep the counter in a map value (look it up, check it for NULL, then `lock *(u64 *)(r0 + 0) += r1`), or use a plain load, add and store where atomicity is not needed.' },
  { pattern: /^BPF_ATOMIC uses invalid atomic opcode ([0-9a-f]+)$/,
    explain: (m) => `The atomic instruction's operation 0x${m[1]} is none the kernel knows: it has add, or, and and xor (each with an optional fetch), xchg, cmpxchg, and the load-acquire and store-release forms.`,
    fix: 'Write the atomic in assembly, e.g. `lock *(u64 *)(r10 - 8) += r1`, and let the assembler encode it.' },
  { pattern: /^invalid atomic operand size$/,
    explain: 'Read-modify-write atomics exist only for 32-bit and 64-bit operands.',
    fix: 'Use a 32-bit or 64-bit operand, e.g. `lock *(u32 *)(r0 + 0) += w1`.' },

  // ---- Encoding ---------------------------------------------------------------------------
  { pattern: /^(BPF_[A-Z0-9_]+(?:\/[A-Z0-9]+)?|BPF_LD_\[ABS\|IND\]) uses reserved fields$/,
    explain: (m) => `This ${m[1]} instruction sets a field its opcode does not use (a source register in an immediate form, an offset or immediate where none is taken), or a value the opcode does not define (such as a byte swap of 24 bits). The kernel requires unused fields to be zero, so that they can be given a meaning later.`,
    fix: 'Write the instruction in assembly and let the assembler encode it; in .byte data, zero the fields the opcode does not use.' },
  { pattern: /^unknown opcode ([0-9a-f]+)$/,
    explain: (m) => `The opcode byte 0x${m[1]} names no eBPF instruction: its class (the low three bits) does not define that combination of operation, size or mode.`,
    fix: 'Check the encoding against the instruction set, or write the instruction in assembly and let the assembler encode it.' },
  { pattern: /^invalid bpf_ld_imm64 insn$/,
    explain: 'A 64-bit load takes two slots, and its second slot must be all zero apart from the immediate (the constant\'s upper half); here it is not, or the second slot is missing.',
    fix: 'Write the load in assembly, e.g. `r1 = 0x123456789 ll`, or zero the second slot\'s opcode, registers and offset.' },
  { pattern: /^unrecognized bpf_ld_imm64 insn$/,
    explain: 'This 64-bit load\'s source field names no kind of load the kernel knows: 0 is a plain constant, and 1 to 6 reference maps, map values, kernel symbols and functions.',
    fix: 'Use one of the defined forms, e.g. `r1 = my_map ll` for a map or `r1 = 0x123456789 ll` for a constant.' },
  { pattern: /^fd (-?\d+) is not pointing to valid bpf_map$/,
    explain: (m) => `A 64-bit load of a map reference carries the file descriptor ${m[1]}, which is not an open map: the loader did not resolve the reference to a map it created.`,
    fix: 'Refer to a map declared with .map (or defined in the object\'s maps section) by its name, e.g. `r1 = my_map ll`.' },
  { pattern: /^pseudo btf_id (\d+) in ldimm64 isn't KIND_VAR or KIND_FUNC$/,
    explain: (m) => `A 64-bit load of a kernel symbol names BTF id ${m[1]}, which is neither a variable nor a function in the kernel's BTF, so the kernel cannot resolve it to an address.`,
    fix: 'Let the loader resolve kernel symbols by name (ksym externs in C, which libbpf resolves) rather than writing BTF ids by hand.' },
  { pattern: /^invalid may_goto imm (-?\d+)$/,
    explain: (m) => `A may_goto instruction has the immediate ${m[1]}; it must be 0, since its jump offset lives in the offset field.`,
    fix: 'Write it in assembly, e.g. `may_goto +1`, and let the assembler encode it.' },
  { pattern: /^BPF_PROG_LOAD: (E[A-Z0-9]+)$/,
    explain: (m) => m[1] === 'EINVAL'
      ? 'The kernel refused the load request itself before the verifier ran, so there is no log. Typical causes: an attach type that does not go with the program type, an unknown program type, or bad flags.'
      : `The kernel refused to load the program with ${m[1]} and wrote no log, so the verifier gave no reason.`,
    fix: (m) => m[1] === 'EINVAL' ? 'Check that the section name (program type) and the attach type belong together, e.g. cgroup/connect4 for a cgroup_sock_addr program.' : undefined },
];

// ---- Helpers ----------------------------------------------------------------------------

const TYPE_WORDS: Record<string, string> = {
  scalar: 'a plain number', fp: 'a stack pointer', ctx: 'the context pointer', pkt: 'a packet pointer',
  pkt_meta: 'a packet metadata pointer', pkt_end: 'data_end, the end-of-packet marker', map_ptr: 'a map',
  map_value: 'a pointer into a map value', map_key: 'a pointer to a map key', mem: 'a pointer to memory',
  ringbuf_mem: 'a ring buffer record', buf: 'a buffer pointer', func: 'a callback function',
  sock: 'a socket', sock_common: 'a socket', tcp_sock: 'a TCP socket', ptr_: 'a kernel object pointer',
  trusted_ptr_: 'a trusted kernel object pointer',
};

const SIZE_TYPE: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };

/** The article for a number read aloud: an 8, an 11, an 18, a 4. */
function aN(n: number): string {
  return /^(8|11|18)(\d\d\d)*$/.test(String(n)) || /^8/.test(String(n)) ? 'an' : 'a';
}

/** `1 byte`, `8 bytes`. */
function bytes(n: number): string {
  return n === 1 || n === -1 ? `${n} byte` : `${n} bytes`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function textOf(t: Text, m: RegExpExecArray): string | undefined {
  return typeof t === 'string' ? t : t(m);
}

/** A register type of the kernel's log, in words: `fp` is a stack pointer, `_or_null` may be NULL. */
function what(type: string): string {
  if (type.endsWith('_or_null')) return `${what(type.slice(0, -'_or_null'.length))} that may be NULL`;
  return TYPE_WORDS[type] ?? `a ${type} pointer`;
}

/** The `expected=` list of an argument check, in words. */
function expectedText(list: string): string {
  const kinds = list.split(/,\s*/).filter((k) => k !== '');
  if (kinds.includes('fp') && kinds.includes('map_value')) return 'a pointer to memory it may access (the stack, the packet, a map value, a ring buffer record...)';
  if (kinds[0] === 'map_value' && kinds.includes('ptr_')) return 'a pointer into a map value (one that holds a struct bpf_spin_lock)';
  return kinds.map(what).join(' or ');
}

/** Two registers other than `n`, for data_end and a scratch copy in a packet check. */
function freeRegs(n: number): [number, number] {
  const free = [3, 4, 5, 2, 1].filter((r) => r !== n);
  return [free[0], free[1]];
}

/** The kernel's `var+reg+insn` offset triple (`0+0+-7`) as one number, when all are numbers. */
function sumOffsets(text: string): number | undefined {
  const parts = text.split('+');
  if (!parts.every((p) => /^-?\d+$/.test(p))) return undefined;
  return parts.reduce((a, p) => a + Number(p), 0);
}

function offsetText(text: string): string {
  const off = sumOffsets(text);
  return off === undefined ? `offset ${text}` : `offset ${off}`;
}

function stackText(text: string): string {
  const off = sumOffsets(text);
  return off === undefined ? `offset ${text} from the frame pointer` : `fp${signed(off)}`;
}

/** `-8` as `-8`, `8` as `+8`: offsets written after fp. */
function signed(n: number): string {
  return n < 0 ? `${n}` : `+${n}`;
}

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
