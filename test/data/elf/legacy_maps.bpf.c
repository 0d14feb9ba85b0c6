// A socket filter with maps in the legacy `maps` section (struct bpf_map_def, which modern
// libbpf headers no longer provide, so it is declared here). libbpf 1.x refuses such
// objects; readElf still reads the definitions, as older loaders (iproute2) do.
//
// expect-map: legacy_hash hash key=4 value=16 max_entries=256 flags=0
// expect-map: legacy_array percpu_array key=4 value=8 max_entries=2 flags=0
// expect-license: GPL

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_hash = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 4,
	.value_size = 16,
	.max_entries = 256,
};

struct bpf_map_def SEC("maps") legacy_array = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 2,
};

SEC("socket")
int filter(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&legacy_array, &key);

	if (n)
		*n += skb->len;
	return bpf_map_lookup_elem(&legacy_hash, &key) ? 0 : -1;
}

char LICENSE[] SEC("license") = "GPL";
