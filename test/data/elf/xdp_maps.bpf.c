// An XDP program with BTF-defined maps (a hash map and an array_of_maps with its inner
// map), a .text subprogram called from the program, and global variables in .data, .bss
// and .rodata. test/elf/read.test.ts compiles it with clang-19 and compares what readElf
// finds with llvm-readelf-19; the `expect-map` lines below state what the maps are.
//
// expect-map: counts hash key=4 value=8 max_entries=1024 flags=1
// expect-map: inner_proto array key=4 value=4 max_entries=4 flags=0
// expect-map: outer array_of_maps key=4 value=4 max_entries=8 flags=0 inner=outer.inner
// expect-map: outer.inner array key=4 value=4 max_entries=4 flags=0
// expect-license: Dual BSD/GPL

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner_def {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
};

struct inner_def inner_proto SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct inner_def);
} outer SEC(".maps");

int packets_seen = 3;
__u64 bytes_seen;
const volatile __u32 drop_ifindex = 7;

static __attribute__((noinline)) int classify(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	bytes_seen += data_end - data;
	return ctx->ingress_ifindex == drop_ifindex ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
	__u32 key = ctx->ingress_ifindex;
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	if (bpf_map_lookup_elem(&outer, &key))
		packets_seen++;
	return classify(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
