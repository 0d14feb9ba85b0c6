/**
 * Helper prototypes in the kernel's terms: what the verifier checks at `call N`, as
 * `struct bpf_func_proto` in Linux 6.18 tells check_helper_call() in kernel/bpf/verifier.c.
 *
 * A prototype is a return type and up to five argument types. The names mirror the kernel's
 * enums in include/linux/bpf.h in lower case, without their prefixes:
 * - `enum bpf_arg_type` (ARG_CONST_MAP_PTR -> 'const_map_ptr', ARG_PTR_TO_MEM -> 'ptr_to_mem';
 *   the three map arguments drop "ptr_to_": ARG_PTR_TO_MAP_KEY -> 'map_key');
 * - the type flags of `enum bpf_type_flag` that the kernel ORs into an argument type
 *   (PTR_MAYBE_NULL -> 'maybe_null', MEM_RDONLY -> 'rdonly', MEM_UNINIT -> 'uninit',
 *   MEM_WRITE -> 'write', MEM_ALIGNED -> 'aligned', OBJ_RELEASE -> 'release',
 *   DYNPTR_TYPE_LOCAL -> 'dynptr_local'...);
 * - `enum bpf_return_type` with its flags folded into one name (RET_PTR_TO_MAP_VALUE |
 *   PTR_MAYBE_NULL -> 'map_value_or_null').
 *
 * An argument is written as its base type alone when it has no flags ('anything'), or as
 * `{ type, flags }`. The kernel's composite names (ARG_PTR_TO_UNINIT_MEM,
 * ARG_PTR_TO_STACK_OR_NULL...) are exported below as constants with the same meaning, so a
 * row reads like the kernel's proto. `argSpec` turns either form into the object form.
 *
 * The kernel leaves unused trailing arguments at 0, ARG_DONTCARE: the verifier checks
 * nothing about them. A proto may list them explicitly ('dontcare') where the helper reads
 * a register the verifier does not check (trace_printk's optional r3-r5).
 *
 * Some helpers have several protos in the kernel, chosen by program type (the get_func_proto
 * of each type). The table keeps the one that applies to the program types the VM runs;
 * the row's comment names the others where they differ in shape.
 *
 * Pure data: no logic beyond normalising the two spellings.
 */

/** The base types of `enum bpf_arg_type`. */
export type ArgBase =
  | 'dontcare'
  | 'const_map_ptr'
  | 'map_key'
  | 'map_value'
  | 'ptr_to_mem'
  | 'ptr_to_arena'
  | 'const_size'
  | 'const_size_or_zero'
  | 'ptr_to_ctx'
  | 'anything'
  | 'ptr_to_spin_lock'
  | 'ptr_to_sock_common'
  | 'ptr_to_socket'
  | 'ptr_to_btf_id'
  | 'ptr_to_ringbuf_mem'
  | 'const_alloc_size_or_zero'
  | 'ptr_to_btf_id_sock_common'
  | 'ptr_to_percpu_btf_id'
  | 'ptr_to_func'
  | 'ptr_to_stack'
  | 'ptr_to_const_str'
  | 'ptr_to_timer'
  | 'kptr_xchg_dest'
  | 'ptr_to_dynptr'
  /** ARG_PTR_TO_FIXED_SIZE_MEM (MEM_FIXED_SIZE | ARG_PTR_TO_MEM): `size` gives the size. */
  | 'ptr_to_fixed_size_mem';

/** The type flags an argument may carry (enum bpf_type_flag). */
export type ArgFlag =
  | 'maybe_null' // PTR_MAYBE_NULL
  | 'rdonly' // MEM_RDONLY: the helper only reads the memory
  | 'uninit' // MEM_UNINIT: the memory need not be initialised
  | 'write' // MEM_WRITE: the helper writes the memory
  | 'aligned' // MEM_ALIGNED
  | 'release' // OBJ_RELEASE: the helper releases the reference the argument holds
  | 'dynptr_local' // DYNPTR_TYPE_LOCAL
  | 'dynptr_ringbuf'; // DYNPTR_TYPE_RINGBUF

export interface ArgSpec {
  readonly type: ArgBase;
  readonly flags?: readonly ArgFlag[];
  /** arg<N>_size of the proto, for 'ptr_to_fixed_size_mem'. */
  readonly size?: number;
  /** arg<N>_btf_id of the proto, by type name ('task_struct'), where the kernel gives one. */
  readonly btf?: string;
}

export type ArgType = ArgBase | ArgSpec;

/** `enum bpf_return_type`, each with the flags the kernel adds (PTR_MAYBE_NULL, MEM_RINGBUF...). */
export type RetType =
  | 'integer' // RET_INTEGER
  | 'void' // RET_VOID: R0 is not readable after the call
  | 'map_value' // RET_PTR_TO_MAP_VALUE
  | 'map_value_or_null' // RET_PTR_TO_MAP_VALUE_OR_NULL
  | 'socket_or_null' // RET_PTR_TO_SOCKET_OR_NULL
  | 'tcp_sock_or_null' // RET_PTR_TO_TCP_SOCK_OR_NULL
  | 'sock_common_or_null' // RET_PTR_TO_SOCK_COMMON_OR_NULL
  | 'ringbuf_mem_or_null' // RET_PTR_TO_RINGBUF_MEM_OR_NULL (= RET_PTR_TO_MEM | MEM_RINGBUF | PTR_MAYBE_NULL), acquires a reference
  | 'dynptr_mem_or_null' // RET_PTR_TO_DYNPTR_MEM_OR_NULL
  | 'mem_or_btf_id' // RET_PTR_TO_MEM_OR_BTF_ID
  | 'mem_or_btf_id_or_null'
  | 'btf_id' // RET_PTR_TO_BTF_ID
  | 'btf_id_or_null'
  | 'btf_id_trusted'; // RET_PTR_TO_BTF_ID_TRUSTED

export interface HelperProto {
  readonly ret: RetType;
  /** Argument types of r1, r2, ... in order; absent trailing arguments are ARG_DONTCARE. */
  readonly args: readonly ArgType[];
  /** ret_btf_id, by type name, for the BTF return types. */
  readonly retBtf?: string;
  /** .pkt_access: the helper may be given packet pointers (for map keys and values, csum_diff). */
  readonly pktAccess?: boolean;
  /** .might_sleep: only sleepable programs may call it. */
  readonly mightSleep?: boolean;
  /** .allow_fastcall: the verifier may keep caller-saved registers around the call. */
  readonly allowFastcall?: boolean;
}

// The kernel's composite argument names, as constants (include/linux/bpf.h, enum bpf_arg_type).

/** ARG_PTR_TO_UNINIT_MEM = ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE: the helper fills it (or zeroes it on error). */
export const PTR_TO_UNINIT_MEM: ArgSpec = { type: 'ptr_to_mem', flags: ['uninit', 'write'] };
/** ARG_PTR_TO_MEM | MEM_RDONLY: memory the helper reads. */
export const PTR_TO_MEM_RDONLY: ArgSpec = { type: 'ptr_to_mem', flags: ['rdonly'] };
/** ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY. */
export const PTR_TO_MEM_OR_NULL_RDONLY: ArgSpec = { type: 'ptr_to_mem', flags: ['maybe_null', 'rdonly'] };
/** ARG_PTR_TO_MEM_OR_NULL | MEM_WRITE. */
export const PTR_TO_MEM_OR_NULL_WRITE: ArgSpec = { type: 'ptr_to_mem', flags: ['maybe_null', 'write'] };
/** ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE (once ARG_PTR_TO_UNINIT_MAP_VALUE): pop and peek write it. */
export const UNINIT_MAP_VALUE: ArgSpec = { type: 'map_value', flags: ['uninit', 'write'] };
/** ARG_PTR_TO_STACK_OR_NULL = ARG_PTR_TO_STACK | PTR_MAYBE_NULL: a callback's context. */
export const PTR_TO_STACK_OR_NULL: ArgSpec = { type: 'ptr_to_stack', flags: ['maybe_null'] };
/**
 * ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED with arg_size 8: what
 * ARG_PTR_TO_LONG became in Linux 6.12 (strtol's result, get_func_arg's value).
 */
export const PTR_TO_LONG: ArgSpec = { type: 'ptr_to_fixed_size_mem', flags: ['uninit', 'write', 'aligned'], size: 8 };
/** ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE: a record from ringbuf_reserve, given back. */
export const RINGBUF_MEM_RELEASE: ArgSpec = { type: 'ptr_to_ringbuf_mem', flags: ['release'] };

/** The object form of an argument type. */
export function argSpec(a: ArgType): ArgSpec {
  return typeof a === 'string' ? { type: a } : a;
}

/** Whether an argument type carries a flag. */
export function argHas(a: ArgType, flag: ArgFlag): boolean {
  return typeof a !== 'string' && (a.flags?.includes(flag) ?? false);
}

/**
 * How many registers the verifier checks: the position of the last argument that is not
 * 'dontcare' (the kernel stops at the first ARG_DONTCARE, and protos list none in between).
 */
export function checkedArgCount(p: HelperProto): number {
  let n = 0;
  p.args.forEach((a, k) => { if (argSpec(a).type !== 'dontcare') n = k + 1; });
  return n;
}
