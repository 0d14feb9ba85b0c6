/**
 * ringbuf: records of any size sent to user space (kernel/bpf/ringbuf.c).
 *
 * The space accounting is the kernel's, position for position: every record takes
 * round_up(size + 8, 8) bytes (an 8-byte header, BPF_RINGBUF_HDR_SZ), producer_pos grows
 * by that much at each reservation, and a reservation fails (NULL) when the new producer
 * position would run more than size - 1 bytes ahead of the consumer position, or of the
 * oldest record still being written (pending_pos, since Linux 6.10), as in
 * __bpf_ringbuf_reserve(). Records are committed (submit) or dropped (discard) in any order
 * and stay in the ring until consumed.
 *
 * The bytes are not one ring buffer: each record gets its own Uint8Array, and the view
 * `reserve` returns is that record's data, which the VM writes through. The kernel maps its
 * data pages twice so that a record is contiguous even where it wraps; a separate buffer
 * per record gives programs the same view without the mapping. Headers are not stored
 * (programs cannot reach them). A reserved record starts zeroed, where the kernel's holds
 * whatever the ring held before.
 *
 * Reading: nobody consumes unless `consume()` is called, so by default a run sees what
 * BPF_PROG_TEST_RUN sees with no reader attached: the ring fills up and reservations fail.
 * `consume()` is what a user-space reader (libbpf's ring_buffer__consume) does: it takes
 * committed records in ring order, skips discarded ones, stops at the first record still
 * being written, and frees their space. Independently of that, every committed record is
 * reported once through the map's event sink, in ring order, as soon as no earlier record
 * is still being written, which is the order a reader would see them in.
 *
 * Pure TypeScript: no I/O.
 */

import { Flags, MapBase, MapEntry, MapInit } from './base';
import {
  BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS, BPF_RB_RING_SIZE,
  BPF_RINGBUF_HDR_SZ, EAGAIN, EINVAL, ENOTSUPP, RINGBUF_MAX_RECORD_SZ, u64,
} from './uapi';

type RecordState = 'busy' | 'committed' | 'discarded';

interface RingRecord {
  /** Producer position of the header. */
  pos: number;
  /** Bytes taken in the ring: round_up(size + 8, 8). */
  len: number;
  data: Uint8Array;
  state: RecordState;
}

export class RingbufMap extends MapBase {
  /** The data area's size: max_entries, a power of 2. */
  readonly ringSize: number;
  private producerPos = 0;
  private consumerPos = 0;
  /** Records between consumerPos and producerPos, in position order. */
  private readonly records: RingRecord[] = [];
  private readonly byView = new Map<Uint8Array, RingRecord>();
  /** records[0..emitted) have been reported to the event sink (or were discarded). */
  private emitted = 0;

  constructor(init: MapInit) {
    super(init);
    this.ringSize = init.def.maxEntries;
  }

  /**
   * bpf_ringbuf_reserve(): NULL for flags other than 0, a size over RINGBUF_MAX_RECORD_SZ
   * or whose record exceeds the ring, and when the ring has no room (see the header).
   */
  override reserve(size: number, flags: Flags = 0): Uint8Array | undefined {
    if (u64(flags) !== 0n) return undefined;
    const rec = this.take(size);
    if (!rec) return undefined;
    this.changed('reserve');
    return rec.data;
  }

  /** bpf_ringbuf_submit(); EINVAL for a view that is not a record being written (the verifier rules that out). */
  override submit(view: Uint8Array, _flags: Flags = 0): number {
    return this.commit(view, 'committed');
  }

  /** bpf_ringbuf_discard(): the record's space stays taken until a reader passes it. */
  override discard(view: Uint8Array, _flags: Flags = 0): number {
    return this.commit(view, 'discarded');
  }

  /**
   * bpf_ringbuf_output(): flags other than BPF_RB_NO_WAKEUP / BPF_RB_FORCE_WAKEUP are
   * EINVAL, no room is EAGAIN; otherwise reserve, copy and submit in one step.
   */
  override output(data: Uint8Array, flags: Flags, _cpu = 0): number {
    if (u64(flags) & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return EINVAL;
    const rec = this.take(data.length);
    if (!rec) return EAGAIN;
    rec.data.set(data);
    rec.state = 'committed';
    this.byView.delete(rec.data);
    this.changed('output');
    this.emitReady();
    return 0;
  }

  /** bpf_ringbuf_query(): unread bytes, ring size, consumer or producer position; 0 for anything else. */
  override query(flag: Flags): bigint {
    switch (u64(flag)) {
      case BPF_RB_AVAIL_DATA: return BigInt(this.producerPos - this.consumerPos);
      case BPF_RB_RING_SIZE: return BigInt(this.ringSize);
      case BPF_RB_CONS_POS: return BigInt(this.consumerPos);
      case BPF_RB_PROD_POS: return BigInt(this.producerPos);
      default: return 0n;
    }
  }

  /** ringbuf_map_lookup_elem() and the other element operations: ENOTSUPP. */
  protected override sysRead(_key: Uint8Array): Uint8Array | number {
    return ENOTSUPP;
  }
  override update(_key: Uint8Array, _value: Uint8Array, _flags: Flags, _cpu: number): number {
    return ENOTSUPP;
  }
  override delete(_key: Uint8Array): number {
    return ENOTSUPP;
  }
  protected override nextKey(_key: Uint8Array | undefined): Uint8Array | number {
    return ENOTSUPP;
  }

  /** Committed records not yet consumed, in ring order (records still being written and discarded ones are left out). */
  override entries(): MapEntry[] {
    return this.records.filter((r) => r.state === 'committed').map((r) => ({ value: r.data.slice() }));
  }

  /**
   * A user-space reader's pass: the committed records from the consumer position up to
   * the first one still being written, in order; their space (and that of discarded
   * records among them) is freed.
   */
  consume(): Uint8Array[] {
    const out: Uint8Array[] = [];
    let n = 0;
    while (n < this.records.length && this.records[n].state !== 'busy') {
      const r = this.records[n];
      if (r.state === 'committed') out.push(r.data.slice());
      this.consumerPos = r.pos + r.len;
      n++;
    }
    if (n === 0) return out;
    this.records.splice(0, n);
    this.emitted = Math.max(0, this.emitted - n);
    this.changed('consume');
    return out;
  }

  /** Positions, for tests and the debugger. */
  get positions(): { producer: number; consumer: number; pending: number } {
    return { producer: this.producerPos, consumer: this.consumerPos, pending: this.pendingPos() };
  }

  /** __bpf_ringbuf_reserve(). */
  private take(size: number): RingRecord | undefined {
    if (!Number.isInteger(size) || size < 0 || size > RINGBUF_MAX_RECORD_SZ) return undefined;
    const len = Math.ceil((size + BPF_RINGBUF_HDR_SZ) / 8) * 8;
    if (len > this.ringSize) return undefined;
    const mask = this.ringSize - 1;
    const newProd = this.producerPos + len;
    if (newProd - this.consumerPos > mask || newProd - this.pendingPos() > mask) return undefined;
    const rec: RingRecord = { pos: this.producerPos, len, data: new Uint8Array(size), state: 'busy' };
    this.records.push(rec);
    this.byView.set(rec.data, rec);
    this.producerPos = newProd;
    return rec;
  }

  /** The oldest record still being written, or the producer position (the kernel's pending_pos). */
  private pendingPos(): number {
    return this.records.find((r) => r.state === 'busy')?.pos ?? this.producerPos;
  }

  /** bpf_ringbuf_commit(). */
  private commit(view: Uint8Array, state: RecordState): number {
    const rec = this.byView.get(view);
    if (!rec || rec.state !== 'busy') return EINVAL;
    rec.state = state;
    this.byView.delete(view);
    this.changed(state === 'committed' ? 'submit' : 'discard');
    this.emitReady();
    return 0;
  }

  /** Reports committed records that no earlier busy record holds back, in ring order. */
  private emitReady(): void {
    while (this.emitted < this.records.length && this.records[this.emitted].state !== 'busy') {
      const r = this.records[this.emitted++];
      if (r.state === 'committed') this.emit({ map: this.name, data: r.data.slice() });
    }
  }
}
