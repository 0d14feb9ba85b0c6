/**
 * lpm_trie: longest-prefix match (kernel/bpf/lpm_trie.c).
 *
 * A key is `struct bpf_lpm_trie_key_u8`: a u32 prefix length in host order, then
 * key_size - 4 data bytes read most significant bit first (data[0] bit 7 is bit 0), so an
 * IPv4 /24 is `18000000 c0a80100`. Two keys name the same element when their prefix
 * lengths are equal and their first prefixlen bits are; the bits after the prefix do not
 * count, but the element keeps the data bytes of the update that last wrote it, and
 * getNextKey and dumps give those back, as the kernel's trie nodes do.
 *
 * We hold the elements in a table keyed by (prefix length, masked bits), not in a trie:
 * - lookup tries the prefix lengths present, longest first, up to the key's own length;
 *   that is the element trie_lookup_elem()'s walk ends on (the last non-intermediate node
 *   whose prefix covers the key);
 * - getNextKey and dumps follow the kernel's postorder (trie_get_next_key()): within a
 *   subtree, children whose next bit is 0, then those with 1, then the node itself; more
 *   specific prefixes therefore come before the ones that cover them. That order depends
 *   only on the prefixes, not on how the trie was built, so sorting gives it.
 *
 * Differences: an update of a present prefix copies the value into the element's storage
 * (the kernel swaps in a new node), so a view stays valid; intermediate nodes do not exist
 * here, and neither does their memory cost.
 *
 * Pure TypeScript: no I/O.
 */

import { Flags, MapBase, MapEntry, MapInit, readU32, toHex, u32Bytes } from './base';
import { BPF_EXIST, BPF_NOEXIST, EEXIST, EINVAL, ENOENT, ENOSPC, EPERM, F_WRONLY, u64 } from './uapi';

interface Node {
  prefixlen: number;
  /** The data bytes of the key that last wrote this element. */
  data: Uint8Array;
  value: Uint8Array;
}

export class LpmTrieMap extends MapBase {
  readonly dataSize: number;
  readonly maxPrefixlen: number;
  private readonly nodes = new Map<string, Node>();
  /** How many elements have each prefix length, to try only the lengths present. */
  private readonly lenCount = new Map<number, number>();
  private sorted: Node[] | undefined;

  constructor(init: MapInit) {
    super(init);
    this.dataSize = init.def.keySize - 4;
    this.maxPrefixlen = this.dataSize * 8;
  }

  /** trie_lookup_elem(): the longest stored prefix covering the key, NULL for none or a prefix length past the maximum. */
  override lookup(key: Uint8Array, _cpu: number): Uint8Array | undefined {
    this.checkKey(key);
    return this.longestMatch(key)?.value;
  }

  /**
   * trie_update_elem(): flags above BPF_EXIST or a prefix length past the maximum EINVAL;
   * a present prefix with BPF_NOEXIST EEXIST; an absent one with BPF_EXIST ENOENT, and
   * ENOSPC when max_entries are present (trie_check_add_elem()).
   */
  override update(key: Uint8Array, value: Uint8Array, flags: Flags, _cpu: number): number {
    this.checkKey(key);
    this.checkValue(value);
    const f = u64(flags);
    if (f > BPF_EXIST) return EINVAL;
    const prefixlen = readU32(key);
    if (prefixlen > this.maxPrefixlen) return EINVAL;
    const data = key.slice(4);
    const id = this.id(prefixlen, data);
    const node = this.nodes.get(id);
    if (node) {
      if (f === BPF_NOEXIST) return EEXIST;
      node.value.set(value);
      node.data = data;
    } else {
      if (f === BPF_EXIST) return ENOENT;
      if (this.nodes.size >= this.maxEntries) return ENOSPC;
      this.nodes.set(id, { prefixlen, data, value: value.slice() });
      this.lenCount.set(prefixlen, (this.lenCount.get(prefixlen) ?? 0) + 1);
      this.sorted = undefined;
    }
    this.changed('update', key);
    return 0;
  }

  /** trie_delete_elem(): EINVAL past the maximum prefix length, ENOENT unless that exact prefix is present. */
  override delete(key: Uint8Array): number {
    this.checkKey(key);
    const prefixlen = readU32(key);
    if (prefixlen > this.maxPrefixlen) return EINVAL;
    const id = this.id(prefixlen, key.subarray(4));
    if (!this.nodes.delete(id)) return ENOENT;
    const n = (this.lenCount.get(prefixlen) ?? 1) - 1;
    if (n) this.lenCount.set(prefixlen, n);
    else this.lenCount.delete(prefixlen);
    this.sorted = undefined;
    this.changed('delete', key);
    return 0;
  }

  /**
   * trie_get_next_key(): ENOENT for an empty trie; the first element in postorder for no
   * key, a prefix length past the maximum, or a prefix not present; else the element after
   * it, ENOENT after the last.
   */
  protected override nextKey(key: Uint8Array | undefined): Uint8Array | number {
    const order = this.postorder();
    if (order.length === 0) return ENOENT;
    let at = -1;
    if (key && readU32(key) <= this.maxPrefixlen) {
      const found = this.nodes.get(this.id(readU32(key), key.subarray(4)));
      if (found) at = order.indexOf(found);
    }
    const next = order[at + 1];
    return next ? this.keyOf(next) : ENOENT;
  }

  /** Every element in the kernel's get_next_key order (postorder). */
  override entries(): MapEntry[] {
    return this.postorder().map((n) => ({ key: this.keyOf(n), value: n.value.slice() }));
  }

  protected override peekValue(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    return this.longestMatch(key)?.value;
  }

  private longestMatch(key: Uint8Array): Node | undefined {
    const prefixlen = readU32(key);
    if (prefixlen > this.maxPrefixlen) return undefined;
    const lens = [...this.lenCount.keys()].filter((l) => l <= prefixlen).sort((a, b) => b - a);
    for (const len of lens) {
      const node = this.nodes.get(this.id(len, key.subarray(4)));
      if (node) return node;
    }
    return undefined;
  }

  /** The element's identity: its prefix length and its data with the bits after the prefix cleared. */
  private id(prefixlen: number, data: Uint8Array): string {
    const masked = data.slice(0, this.dataSize);
    const full = prefixlen >> 3;
    if (full < masked.length) {
      masked[full] &= (0xff00 >> (prefixlen & 7)) & 0xff;
      masked.fill(0, full + 1);
    }
    return `${prefixlen}/${toHex(masked)}`;
  }

  private keyOf(n: Node): Uint8Array {
    const key = new Uint8Array(4 + this.dataSize);
    key.set(u32Bytes(n.prefixlen));
    key.set(n.data, 4);
    return key;
  }

  private postorder(): Node[] {
    this.sorted ??= [...this.nodes.values()].sort(postorderCompare);
    return this.sorted;
  }
}

/**
 * Postorder of the binary trie the kernel builds, from the prefixes alone. Let m be the
 * number of leading bits the two prefixes share, at most the shorter length. If m reaches
 * the shorter length, one prefix covers the other: the longer (a descendant) comes first.
 * Otherwise they part at bit m: the one with a 0 there lies in child[0] and comes first.
 * Example: 192.168.0.0/24, 192.168.1.0/24, 192.168.128.0/24, 192.168.0.0/16.
 */
function postorderCompare(a: Node, b: Node): number {
  const shorter = Math.min(a.prefixlen, b.prefixlen);
  const m = sharedBits(a.data, b.data, shorter);
  if (m >= shorter) return b.prefixlen - a.prefixlen;
  return bitAt(a.data, m) - bitAt(b.data, m);
}

function sharedBits(a: Uint8Array, b: Uint8Array, limit: number): number {
  let n = 0;
  for (let i = 0; n < limit; i++) {
    const diff = a[i] ^ b[i];
    if (diff) return Math.min(limit, n + Math.clz32(diff) - 24);
    n += 8;
  }
  return limit;
}

function bitAt(data: Uint8Array, idx: number): number {
  return (data[idx >> 3] >> (7 - (idx & 7))) & 1;
}
