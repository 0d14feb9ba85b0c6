/** Link-layer sizes from include/uapi/linux/if_ether.h and if_vlan.h, shared by the VM, helpers and classic BPF. */
export const ETH_ALEN = 6;
export const ETH_HLEN = 14;
export const VLAN_HLEN = 4;
