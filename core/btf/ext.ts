/**
 * The `.BTF.ext` reader: per code section, which BTF FUNC starts at which instruction
 * (func_info), which source line each instruction came from (line_info), and the CO-RE
 * relocations (core_relo).
 *
 * Layout (libbpf's src/libbpf_internal.h, struct btf_ext_header): a header with the
 * offsets and lengths of the subsections, counted from the end of the header. Each
 * subsection is a u32 record size followed by blocks of { sec_name_off, num_info,
 * num_info records }. Records may be longer than the fields read here (a newer compiler
 * may append fields); the record size says how far to step, as libbpf does.
 *
 * In an ELF object `insn_off` is a byte offset into the section (libbpf divides it by 8
 * before loading); `byteOff` keeps it in bytes. Strings (section, file and line text) are
 * offsets into the `.BTF` string section, so the caller passes that in. A line's column
 * sits in the low 10 bits of line_col and the line in the upper 22 (BPF_LINE_INFO_LINE_NUM,
 * BPF_LINE_INFO_LINE_COL in bpf.h); both are 1-based, 0 meaning unknown.
 *
 * Never throws: a bad header or a subsection running out of bounds yields a diagnostic
 * (code 'btf') and the records read so far.
 */

import { Diagnostic, error } from '../diag';
import { fits, viewOf } from './bytes';
import { btfString } from './parse';
import { BTF_MAGIC } from './types';

export interface FuncInfo {
  byteOff: number;
  typeId: number;
}

export interface LineInfo {
  byteOff: number;
  file: string;
  /** 1-based; 0 when unknown. */
  line: number;
  /** 1-based; 0 when unknown. */
  col: number;
  /** The text of the source line, as clang recorded it. */
  lineText: string;
}

export interface CoreRelo {
  byteOff: number;
  typeId: number;
  /** The access string, e.g. "0:1:2". */
  access: string;
  /** enum bpf_core_relo_kind. */
  kind: number;
}

export interface ExtSection<R> {
  section: string;
  records: R[];
}

export interface BtfExt {
  funcInfo: ExtSection<FuncInfo>[];
  lineInfo: ExtSection<LineInfo>[];
  coreRelo: ExtSection<CoreRelo>[];
  diagnostics: Diagnostic[];
}

/** The smallest header: up to line_info_len (libbpf accepts headers without core_relo). */
const MIN_HDR_LEN = 24;
const CORE_HDR_LEN = 32;

export function parseBtfExt(bytes: Uint8Array, strings: Uint8Array): BtfExt {
  const res: BtfExt = { funcInfo: [], lineInfo: [], coreRelo: [], diagnostics: [] };
  const fail = (message: string) => res.diagnostics.push(error('btf', message));
  if (bytes.byteLength < MIN_HDR_LEN) {
    fail(`.BTF.ext is ${bytes.byteLength} bytes long, shorter than its ${MIN_HDR_LEN}-byte header`);
    return res;
  }
  const view = viewOf(bytes);
  const magic = view.getUint16(0, true);
  if (magic !== BTF_MAGIC) {
    fail(`.BTF.ext magic is 0x${magic.toString(16)}, expected 0xeb9f`);
    return res;
  }
  const hdrLen = view.getUint32(4, true);
  if (hdrLen < MIN_HDR_LEN || hdrLen > bytes.byteLength) {
    fail(`.BTF.ext header length ${hdrLen} is outside ${MIN_HDR_LEN}..${bytes.byteLength}`);
    return res;
  }
  const str = (off: number, what: string): string => {
    const s = btfString(strings, off);
    if (s === undefined) fail(`.BTF.ext: ${what} offset ${off} is outside the BTF string section`);
    return s ?? '';
  };
  const sub = (hdrAt: number, name: string, minRec: number, read: (at: number) => void, onSec: (sec: string) => void) => {
    const off = view.getUint32(hdrAt, true);
    const len = view.getUint32(hdrAt + 4, true);
    if (len === 0) return;
    const start = hdrLen + off;
    if (!fits(bytes.byteLength, start, len)) {
      fail(`.BTF.ext ${name} (offset ${off}, ${len} bytes) runs past the end of the section`);
      return;
    }
    readSubsection(view, start, start + len, name, minRec, fail, (secOff) => onSec(str(secOff, `${name} section name`)), read);
  };

  sub(8, 'func_info', 8, (at) => {
    res.funcInfo[res.funcInfo.length - 1].records.push({ byteOff: view.getUint32(at, true), typeId: view.getUint32(at + 4, true) });
  }, (section) => res.funcInfo.push({ section, records: [] }));

  sub(16, 'line_info', 16, (at) => {
    const lineCol = view.getUint32(at + 12, true);
    res.lineInfo[res.lineInfo.length - 1].records.push({
      byteOff: view.getUint32(at, true),
      file: str(view.getUint32(at + 4, true), 'line_info file name'),
      lineText: str(view.getUint32(at + 8, true), 'line_info line'),
      line: lineCol >>> 10,
      col: lineCol & 0x3ff,
    });
  }, (section) => res.lineInfo.push({ section, records: [] }));

  if (hdrLen >= CORE_HDR_LEN) {
    sub(24, 'core_relo', 16, (at) => {
      res.coreRelo[res.coreRelo.length - 1].records.push({
        byteOff: view.getUint32(at, true),
        typeId: view.getUint32(at + 4, true),
        access: str(view.getUint32(at + 8, true), 'core_relo access string'),
        kind: view.getUint32(at + 12, true),
      });
    }, (section) => res.coreRelo.push({ section, records: [] }));
  }
  return res;
}

/** Walks one subsection: record size, then { sec_name_off, num_info, records } blocks. */
function readSubsection(
  view: DataView, start: number, end: number, name: string, minRec: number, fail: (m: string) => void,
  onSec: (secNameOff: number) => void, onRecord: (at: number) => void,
): void {
  if (end - start < 4) {
    fail(`.BTF.ext ${name} is too short to hold its record size`);
    return;
  }
  const recSize = view.getUint32(start, true);
  // libbpf (btf_ext_parse_info) wants at least the fields it knows and a multiple of 4.
  if (recSize < minRec || recSize % 4 !== 0) {
    fail(`.BTF.ext ${name} record size ${recSize} is invalid (at least ${minRec}, a multiple of 4)`);
    return;
  }
  let at = start + 4;
  while (at < end) {
    if (end - at < 8) {
      fail(`.BTF.ext ${name} ends inside a section header`);
      return;
    }
    const secNameOff = view.getUint32(at, true);
    const n = view.getUint32(at + 4, true);
    at += 8;
    if (n === 0) {
      fail(`.BTF.ext ${name} has a section with no records`);
      return;
    }
    if (n * recSize > end - at) {
      fail(`.BTF.ext ${name}: ${n} records of ${recSize} bytes run past the end of the subsection`);
      return;
    }
    onSec(secNameOff);
    for (let i = 0; i < n; i++, at += recSize) onRecord(at);
  }
}
