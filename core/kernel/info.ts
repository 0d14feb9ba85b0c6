/** BPF_OBJ_GET_INFO_BY_FD, shared by maps and programs: the kernel fills an info struct of `size` bytes. */

import { BPF_OBJ_GET_INFO_BY_FD, OBJ_INFO } from './attr';
import { KernelError, Native, Unavailable, kernelError, sysBpf, unavailable, withScratch } from './sys';

export function objInfo<T>(fd: number, size: number, read: (info: Native) => T): T | KernelError | Unavailable {
  const down = unavailable();
  if (down) return down;
  return withScratch((s) => {
    const info = s.alloc(size);
    const attr = s.alloc(OBJ_INFO.size);
    attr.u32(OBJ_INFO.fields.bpf_fd, fd);
    attr.u32(OBJ_INFO.fields.info_len, size);
    attr.u64(OBJ_INFO.fields.info, info.addr);
    const res = sysBpf(BPF_OBJ_GET_INFO_BY_FD, attr);
    if (res.ret !== 0) return kernelError('BPF_OBJ_GET_INFO_BY_FD', res.errno);
    return read(info);
  });
}
