/**
 * The DWARF 5 numbers this reader uses (DWARF 5 standard, section 7): tags, attributes,
 * forms, location and range list entry kinds, base type encodings. Only what core/dwarf
 * reads is listed; an unknown tag or attribute is kept by number and ignored.
 */

export const DW_TAG = {
  array_type: 0x01, enumeration_type: 0x04, formal_parameter: 0x05, lexical_block: 0x0b, member: 0x0d,
  pointer_type: 0x0f, compile_unit: 0x11, structure_type: 0x13, subroutine_type: 0x15, typedef: 0x16,
  union_type: 0x17, inlined_subroutine: 0x1d, subrange_type: 0x21, base_type: 0x24, const_type: 0x26,
  enumerator: 0x28, subprogram: 0x2e, variable: 0x34, volatile_type: 0x35, restrict_type: 0x37,
  atomic_type: 0x47,
} as const;

export const DW_AT = {
  location: 0x02, name: 0x03, byte_size: 0x0b, low_pc: 0x11, high_pc: 0x12, language: 0x13,
  const_value: 0x1c, inline: 0x20, upper_bound: 0x2f, abstract_origin: 0x31, count: 0x37,
  data_member_location: 0x38, encoding: 0x3e, frame_base: 0x40, specification: 0x47, type: 0x49,
  ranges: 0x55, data_bit_offset: 0x6b, decl_line: 0x3b, bit_size: 0x0d, str_offsets_base: 0x72, addr_base: 0x73,
  rnglists_base: 0x74, loclists_base: 0x8c,
} as const;

export const DW_FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08,
  block: 0x09, block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f,
  ref_addr: 0x10, ref1: 0x11, ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16,
  sec_offset: 0x17, exprloc: 0x18, flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c,
  strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f, ref_sig8: 0x20, implicit_const: 0x21,
  loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24, strx1: 0x25, strx2: 0x26, strx3: 0x27,
  strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
} as const;

export const DW_LLE = {
  end_of_list: 0x00, base_addressx: 0x01, startx_endx: 0x02, startx_length: 0x03, offset_pair: 0x04,
  default_location: 0x05, base_address: 0x06, start_end: 0x07, start_length: 0x08,
} as const;

export const DW_RLE = {
  end_of_list: 0x00, base_addressx: 0x01, startx_endx: 0x02, startx_length: 0x03, offset_pair: 0x04,
  base_address: 0x05, start_end: 0x06, start_length: 0x07,
} as const;

export const DW_ATE = {
  boolean: 0x02, float: 0x04, signed: 0x05, signed_char: 0x06, unsigned: 0x07, unsigned_char: 0x08,
  UTF: 0x10,
} as const;

export const DW_UT_compile = 0x01;
