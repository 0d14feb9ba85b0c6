// Walks the program-type, attach-type and section tables: their own invariants, libbpf's
// matching rules on real section names, then the kernel's enums (Debian's bpf.h, and the
// running kernel's BTF when there is one).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATTACH_TYPES, PROG_TYPES, SECTION_DEFS, attachTypeById, attachTypeByName, progTypeById, progTypeByName,
  sectionProgType,
} from '../../core/progtypes/table';
import { kernelRelease, parseEnum, readDebianHeader, readKernelBtf, tableNames } from '../helpers/uapiEnums';

const LAST_PROG_TYPE = 32;
const LAST_ATTACH_TYPE = 57;

test('program type ids are unique and run from 1 to netfilter without gaps', () => {
  assert.deepEqual(PROG_TYPES.map((p) => p.id), Array.from({ length: LAST_PROG_TYPE }, (_, i) => i + 1));
  assert.equal(progTypeById(LAST_PROG_TYPE)?.name, 'netfilter');
  const names = PROG_TYPES.map((p) => p.name);
  assert.equal(new Set(names).size, names.length, 'duplicate name');
  for (const name of names) assert.match(name, /^[a-z][a-z0-9_]*$/, name);
});

test('every program type has a context type and a one-line doc', () => {
  for (const p of PROG_TYPES) {
    assert.match(p.ctxType, /^(void|__u32|__u64|[a-z_][a-z0-9_]*)$/, `${p.name}: ctxType`);
    assert.ok(p.doc.length >= 10 && p.doc.length <= 140, `${p.name}: doc length ${p.doc.length}`);
    assert.ok(!/[\n\r]/.test(p.doc) && !p.doc.endsWith('.'), `${p.name}: doc`);
  }
  const ctx = (name: string) => progTypeByName(name)?.ctxType;
  assert.equal(ctx('socket_filter'), '__sk_buff');
  assert.equal(ctx('sched_cls'), '__sk_buff');
  assert.equal(ctx('xdp'), 'xdp_md');
  assert.equal(ctx('kprobe'), 'pt_regs');
  assert.equal(ctx('cgroup_sock_addr'), 'bpf_sock_addr');
  assert.equal(ctx('perf_event'), 'bpf_perf_event_data');
});

test('testRun says what BPF_PROG_TEST_RUN was seen to do on 6.18 (DESIGN.md, Testing)', () => {
  const kinds = new Map<string, string>(PROG_TYPES.map((p) => [p.name, p.testRun]));
  for (const name of ['socket_filter', 'sched_cls', 'sched_act', 'xdp', 'cgroup_skb', 'lwt_in', 'flow_dissector']) {
    assert.equal(kinds.get(name), 'packet', name);
  }
  for (const name of ['raw_tracepoint', 'syscall']) assert.equal(kinds.get(name), 'ctx', name);
  for (const name of ['kprobe', 'tracepoint', 'perf_event']) assert.equal(kinds.get(name), 'none', name);
  // Every packet type takes an __sk_buff or xdp_md context, or netfilter's.
  for (const p of PROG_TYPES.filter((q) => q.testRun === 'packet')) {
    assert.ok(['__sk_buff', 'xdp_md', 'bpf_nf_ctx'].includes(p.ctxType), `${p.name} runs with a packet but has ${p.ctxType}`);
  }
});

test('attach type ids are unique and run from 0 to the last of 6.18 without gaps', () => {
  assert.deepEqual(ATTACH_TYPES.map((a) => a.id), Array.from({ length: LAST_ATTACH_TYPE + 1 }, (_, i) => i));
  assert.equal(new Set(ATTACH_TYPES.map((a) => a.name)).size, ATTACH_TYPES.length, 'duplicate name');
  for (const a of ATTACH_TYPES) {
    assert.equal(attachTypeById(a.id), a);
    assert.equal(attachTypeByName(a.name), a);
    assert.equal(attachTypeByName(`BPF_${a.name.toUpperCase()}`), a);
  }
  assert.equal(attachTypeByName('cgroup_inet4_connect')?.id, 10);
  assert.equal(attachTypeByName('xdp')?.id, 37);
  assert.equal(attachTypeById(LAST_ATTACH_TYPE + 1), undefined);
});

test('section rows name real types, carry the attach type id, and are not shadowed', () => {
  const prefixes = SECTION_DEFS.map((d) => d.prefix);
  assert.equal(new Set(prefixes).size, prefixes.length, 'duplicate prefix');
  for (const def of SECTION_DEFS) {
    assert.ok(progTypeByName(def.progType), `${def.prefix}: unknown program type ${def.progType}`);
    if (def.expectedAttachType === undefined) {
      assert.equal(def.attachTypeId, undefined, def.prefix);
    } else {
      assert.equal(def.attachTypeId, attachTypeByName(def.expectedAttachType)?.id, def.prefix);
      assert.equal(typeof def.attachTypeId, 'number', def.prefix);
    }
    // An earlier row that also matches this row's own name would make it unreachable.
    assert.equal(sectionProgType(def.prefix)?.def, def, `${def.prefix} is shadowed by an earlier row`);
    if (def.matchPrefix) assert.equal(sectionProgType(`${def.prefix}/x`)?.def, def, `${def.prefix}/x`);
    if (def.sleepable) assert.ok(def.prefix.includes('.s') || def.prefix === 'syscall', def.prefix);
    if (def.xdpFrags) assert.ok(def.prefix.startsWith('xdp.frags'), def.prefix);
  }
  // Every program type can be reached from some section name.
  const sectioned = new Set(SECTION_DEFS.map((d) => d.progType));
  for (const p of PROG_TYPES) assert.ok(sectioned.has(p.name), `no section gives ${p.name}`);
});

// [section name, program type, expected attach type or undefined]
const SECTIONS: [string, string, string | undefined][] = [
  ['cgroup/connect4', 'cgroup_sock_addr', 'cgroup_inet4_connect'],
  ['cgroup/connect6', 'cgroup_sock_addr', 'cgroup_inet6_connect'],
  ['cgroup/sendmsg_unix', 'cgroup_sock_addr', 'cgroup_unix_sendmsg'],
  ['kprobe/do_unlinkat', 'kprobe', undefined],
  ['kretprobe/do_unlinkat', 'kprobe', undefined],
  ['kprobe', 'kprobe', undefined],
  ['uprobe//usr/bin/bash:readline', 'kprobe', undefined],
  ['kprobe.multi/tcp_*', 'kprobe', 'trace_kprobe_multi'],
  ['ksyscall/openat', 'kprobe', undefined],
  ['usdt/libc.so.6:libc:setjmp', 'kprobe', undefined],
  ['xdp', 'xdp', 'xdp'],
  ['xdp.frags', 'xdp', 'xdp'],
  ['xdp/devmap', 'xdp', 'xdp_devmap'],
  ['tc', 'sched_cls', undefined],
  ['classifier', 'sched_cls', undefined],
  ['action', 'sched_act', undefined],
  ['tc/ingress', 'sched_cls', 'tcx_ingress'],
  ['tcx/egress', 'sched_cls', 'tcx_egress'],
  ['socket', 'socket_filter', undefined],
  ['raw_tp/sys_enter', 'raw_tracepoint', undefined],
  ['raw_tracepoint/sched_switch', 'raw_tracepoint', undefined],
  ['raw_tp.w/bpf_test_finish', 'raw_tracepoint_writable', undefined],
  ['tracepoint/syscalls/sys_enter_openat', 'tracepoint', undefined],
  ['tp/sched/sched_process_exec', 'tracepoint', undefined],
  ['tp_btf/sched_switch', 'tracing', 'trace_raw_tp'],
  ['fentry/do_unlinkat', 'tracing', 'trace_fentry'],
  ['fexit/do_unlinkat', 'tracing', 'trace_fexit'],
  ['fmod_ret/security_file_open', 'tracing', 'modify_return'],
  ['fentry.s/__x64_sys_nanosleep', 'tracing', 'trace_fentry'],
  ['iter/task', 'tracing', 'trace_iter'],
  ['lsm/file_open', 'lsm', 'lsm_mac'],
  ['lsm_cgroup/socket_bind', 'lsm', 'lsm_cgroup'],
  ['freplace/handle_packet', 'ext', undefined],
  ['struct_ops/tcp_init', 'struct_ops', undefined],
  ['syscall', 'syscall', undefined],
  ['perf_event', 'perf_event', undefined],
  ['lwt_in', 'lwt_in', undefined],
  ['lwt_xmit', 'lwt_xmit', undefined],
  ['sockops', 'sock_ops', 'cgroup_sock_ops'],
  ['sk_skb/stream_parser', 'sk_skb', 'sk_skb_stream_parser'],
  ['sk_skb/verdict', 'sk_skb', 'sk_skb_verdict'],
  ['sk_skb', 'sk_skb', undefined],
  ['sk_msg', 'sk_msg', 'sk_msg_verdict'],
  ['sk_reuseport', 'sk_reuseport', 'sk_reuseport_select'],
  ['sk_reuseport/migrate', 'sk_reuseport', 'sk_reuseport_select_or_migrate'],
  ['flow_dissector', 'flow_dissector', 'flow_dissector'],
  ['cgroup_skb/ingress', 'cgroup_skb', 'cgroup_inet_ingress'],
  ['cgroup_skb/egress', 'cgroup_skb', 'cgroup_inet_egress'],
  ['cgroup/skb', 'cgroup_skb', undefined],
  ['cgroup/sock_create', 'cgroup_sock', 'cgroup_inet_sock_create'],
  ['cgroup/sock', 'cgroup_sock', 'cgroup_inet_sock_create'],
  ['cgroup/post_bind4', 'cgroup_sock', 'cgroup_inet4_post_bind'],
  ['cgroup/dev', 'cgroup_device', 'cgroup_device'],
  ['cgroup/sysctl', 'cgroup_sysctl', 'cgroup_sysctl'],
  ['cgroup/getsockopt', 'cgroup_sockopt', 'cgroup_getsockopt'],
  ['sk_lookup', 'sk_lookup', 'sk_lookup'],
  ['netfilter', 'netfilter', 'netfilter'],
];

test('sectionProgType types real section names as libbpf does', () => {
  for (const [name, progType, attach] of SECTIONS) {
    const m = sectionProgType(name);
    assert.ok(m, `${name} should be recognised`);
    assert.equal(m.progType, progType, name);
    assert.equal(m.expectedAttachType, attach, name);
    assert.equal(m.def.attachTypeId, attach === undefined ? undefined : attachTypeByName(attach)?.id, name);
    assert.equal(m.legacy, undefined, `${name} is a libbpf 1.x name`);
  }
  assert.equal(sectionProgType('fentry.s/foo')?.def.sleepable, true);
  assert.equal(sectionProgType('fentry/foo')?.def.sleepable, undefined);
  assert.equal(sectionProgType('xdp.frags')?.def.xdpFrags, true);
});

test('sectionProgType refuses what libbpf does not know', () => {
  for (const name of ['foo', '.text', 'maps', '.maps', 'license', '.rodata', 'kprobes/x', 'tc_ingress', 'tcx',
    'syscall/x', 'cgroup/connect', 'fentryx', 'raw', '']) {
    assert.equal(sectionProgType(name), undefined, name);
  }
});

test('names only libbpf 0.x accepted match as legacy', () => {
  const legacy: [string, string][] = [
    ['xdp_prog', 'xdp'], ['xdp/foo', 'xdp'], ['socket1', 'socket_filter'], ['classifier_ingress', 'sched_cls'],
    ['action/police', 'sched_act'], ['cgroup/connect4_v2', 'cgroup_sock_addr'], ['sockops_tune', 'sock_ops'],
  ];
  for (const [name, progType] of legacy) {
    const m = sectionProgType(name);
    assert.equal(m?.progType, progType, name);
    assert.equal(m?.legacy, true, `${name} should be flagged legacy`);
  }
  assert.equal(sectionProgType('cgroup/connect4_v2')?.expectedAttachType, 'cgroup_inet4_connect');
});

test('progTypeByName takes kernel names and libbpf section names, not raw', () => {
  const cases: [string, string][] = [
    ['sched_cls', 'sched_cls'], ['socket_filter', 'socket_filter'], ['xdp', 'xdp'], ['kprobe', 'kprobe'],
    ['tracepoint', 'tracepoint'], ['raw_tracepoint', 'raw_tracepoint'], ['cgroup_skb', 'cgroup_skb'],
    ['BPF_PROG_TYPE_SCHED_ACT', 'sched_act'], ['Perf_Event', 'perf_event'],
    ['tc', 'sched_cls'], ['classifier', 'sched_cls'], ['socket', 'socket_filter'], ['raw_tp', 'raw_tracepoint'],
    ['tp', 'tracepoint'], ['kprobe/do_unlinkat', 'kprobe'], ['cgroup/connect4', 'cgroup_sock_addr'],
    ['cgroup_skb/ingress', 'cgroup_skb'], ['sockops', 'sock_ops'], ['fentry', 'tracing'], ['freplace', 'ext'],
  ];
  for (const [name, progType] of cases) assert.equal(progTypeByName(name)?.name, progType, name);
  for (const p of PROG_TYPES) assert.equal(progTypeByName(p.name), p);
  for (const bad of ['raw', 'unspec', 'xdp_prog', 'socket1', 'sched', '', 'BPF_PROG_TYPE_']) {
    assert.equal(progTypeByName(bad), undefined, bad);
  }
});

test('every program and attach type of Debian\'s bpf.h is a row with the same id', (t) => {
  const header = readDebianHeader();
  if (!header) return t.skip('/usr/include/linux/bpf.h not found (Debian package linux-libc-dev)');
  const progs = tableNames(parseEnum(header, 'bpf_prog_type'), 'BPF_PROG_TYPE_');
  assert.ok(progs.size >= 30, `only ${progs.size} program types read from the header`);
  for (const [name, id] of progs) assert.equal(progTypeByName(name)?.id, id, `bpf.h has ${name} = ${id}`);
  const attaches = tableNames(parseEnum(header, 'bpf_attach_type'), 'BPF_');
  assert.ok(attaches.size >= 40, `only ${attaches.size} attach types read from the header`);
  for (const [name, id] of attaches) assert.equal(attachTypeByName(name)?.id, id, `bpf.h has ${name} = ${id}`);
});

test('the running kernel\'s program and attach types agree with the tables', (t) => {
  const btf = readKernelBtf();
  if ('skip' in btf) return t.skip(btf.skip);
  const progs = tableNames(parseEnum(btf.text, 'bpf_prog_type'), 'BPF_PROG_TYPE_');
  const attaches = tableNames(parseEnum(btf.text, 'bpf_attach_type'), 'BPF_');
  for (const [name, id] of progs) {
    const row = progTypeByName(name);
    if (row) assert.equal(row.id, id, `kernel has ${name} = ${id}`);
  }
  for (const [name, id] of attaches) {
    const row = attachTypeByName(name);
    if (row) assert.equal(row.id, id, `kernel has ${name} = ${id}`);
  }
  const release = kernelRelease() ?? '';
  if (!release.startsWith('6.18.')) {
    t.diagnostic(`kernel ${release} is not 6.18: only the entries both know were compared`);
    return;
  }
  assert.deepEqual([...progs.keys()].sort(), PROG_TYPES.map((p) => p.name).sort(), 'a 6.18 kernel has exactly our program types');
  assert.deepEqual([...attaches.keys()].sort(), ATTACH_TYPES.map((a) => a.name).sort(), 'a 6.18 kernel has exactly our attach types');
});
