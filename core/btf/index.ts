/**
 * core/btf: BTF, the BPF Type Format, read and written as plain data.
 *
 * Invariants: nothing here does I/O or throws on input (a bad blob yields diagnostics with
 * code 'btf' and whatever could be read); type ids index the `types` array directly, with
 * id 0 the implicit void; only little-endian blobs are read. The builder writes blobs the
 * kernel's BTF checks accept, for the few kinds an object writer needs.
 */

export * from './types';
export { Btf, parseBtf, btfString, referencedIds } from './parse';
export { resolveType, resolveTypeId, typeSize, typeName, findType } from './query';
export { BtfExt, FuncInfo, LineInfo, CoreRelo, ExtSection, parseBtfExt } from './ext';
export { BtfBuilder, IntOptions, MemberSpec, ParamSpec, SecinfoSpec, isIdentifier } from './build';
