/**
 * Linux errno names and messages, for the results of bpf(2).
 *
 * The numbers are Linux's (include/uapi/asm-generic/errno-base.h and errno.h, which x86-64,
 * arm64 and riscv64 share), plus the kernel-internal codes above 511 that bpf(2) lets
 * through to user space: ENOTSUPP (524) is what BPF_PROG_TEST_RUN answers for a program
 * type it cannot run. Only the codes bpf(2) and its helpers can return are listed; any
 * other number prints as `E<number>`.
 *
 * Pure data: no I/O.
 */

export interface ErrnoSpec {
  readonly errno: number;
  readonly name: string;
  /** strerror()'s text for the code (the kernel-internal ones get the kernel's comment). */
  readonly message: string;
}

// prettier-ignore
export const ERRNOS = [
  { errno: 1, name: 'EPERM', message: 'Operation not permitted' },
  { errno: 2, name: 'ENOENT', message: 'No such file or directory' },
  { errno: 3, name: 'ESRCH', message: 'No such process' },
  { errno: 4, name: 'EINTR', message: 'Interrupted system call' },
  { errno: 5, name: 'EIO', message: 'Input/output error' },
  { errno: 6, name: 'ENXIO', message: 'No such device or address' },
  { errno: 7, name: 'E2BIG', message: 'Argument list too long' },
  { errno: 8, name: 'ENOEXEC', message: 'Exec format error' },
  { errno: 9, name: 'EBADF', message: 'Bad file descriptor' },
  { errno: 11, name: 'EAGAIN', message: 'Resource temporarily unavailable' },
  { errno: 12, name: 'ENOMEM', message: 'Cannot allocate memory' },
  { errno: 13, name: 'EACCES', message: 'Permission denied' },
  { errno: 14, name: 'EFAULT', message: 'Bad address' },
  { errno: 16, name: 'EBUSY', message: 'Device or resource busy' },
  { errno: 17, name: 'EEXIST', message: 'File exists' },
  { errno: 18, name: 'EXDEV', message: 'Invalid cross-device link' },
  { errno: 19, name: 'ENODEV', message: 'No such device' },
  { errno: 20, name: 'ENOTDIR', message: 'Not a directory' },
  { errno: 22, name: 'EINVAL', message: 'Invalid argument' },
  { errno: 23, name: 'ENFILE', message: 'Too many open files in system' },
  { errno: 24, name: 'EMFILE', message: 'Too many open files' },
  { errno: 27, name: 'EFBIG', message: 'File too large' },
  { errno: 28, name: 'ENOSPC', message: 'No space left on device' },
  { errno: 34, name: 'ERANGE', message: 'Numerical result out of range' },
  { errno: 35, name: 'EDEADLK', message: 'Resource deadlock avoided' },
  { errno: 36, name: 'ENAMETOOLONG', message: 'File name too long' },
  { errno: 38, name: 'ENOSYS', message: 'Function not implemented' },
  { errno: 40, name: 'ELOOP', message: 'Too many levels of symbolic links' },
  { errno: 61, name: 'ENODATA', message: 'No data available' },
  { errno: 62, name: 'ETIME', message: 'Timer expired' },
  { errno: 75, name: 'EOVERFLOW', message: 'Value too large for defined data type' },
  { errno: 77, name: 'EBADFD', message: 'File descriptor in bad state' },
  { errno: 84, name: 'EILSEQ', message: 'Invalid or incomplete multibyte or wide character' },
  { errno: 90, name: 'EMSGSIZE', message: 'Message too long' },
  { errno: 95, name: 'EOPNOTSUPP', message: 'Operation not supported' },
  { errno: 97, name: 'EAFNOSUPPORT', message: 'Address family not supported by protocol' },
  { errno: 105, name: 'ENOBUFS', message: 'No buffer space available' },
  { errno: 110, name: 'ETIMEDOUT', message: 'Connection timed out' },
  { errno: 114, name: 'EALREADY', message: 'Operation already in progress' },
  { errno: 117, name: 'EUCLEAN', message: 'Structure needs cleaning' },
  { errno: 122, name: 'EDQUOT', message: 'Disk quota exceeded' },
  { errno: 512, name: 'ERESTARTSYS', message: 'Interrupted, to be restarted' },
  { errno: 524, name: 'ENOTSUPP', message: 'Operation is not supported' },
  { errno: 525, name: 'ETOOSMALL', message: 'Buffer or request is too small' },
] as const satisfies readonly ErrnoSpec[];

export type ErrnoName = (typeof ERRNOS)[number]['name'];

const byNumber = new Map<number, ErrnoSpec>(ERRNOS.map((e) => [e.errno, e]));
const byName = new Map<string, ErrnoSpec>(ERRNOS.map((e) => [e.name, e]));

/** The symbolic name of an errno (`EACCES`), or `E<n>` for a code not listed. */
export function errnoName(errno: number): string {
  return byNumber.get(errno)?.name ?? `E${errno}`;
}

/** strerror()'s text for an errno, or `Unknown error <n>` as glibc says. */
export function errnoMessage(errno: number): string {
  return byNumber.get(errno)?.message ?? `Unknown error ${errno}`;
}

/** The number of a listed errno name. */
export function errnoByName(name: ErrnoName): number {
  return (byName.get(name) as ErrnoSpec).errno;
}
