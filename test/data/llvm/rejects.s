# Lines that llvm-mc-19 -triple bpf -mcpu=v4 rejects, one mistake per line.
# Each non-comment line is assembled on its own; our assembler must reject it
# too (with an error on that line). The comment after each line says why.
# Only clean rejections are here: lines that crash llvm-mc-19 and lines it
# wrongly accepts (r11, over-wide immediates) are listed in README.md.
r12 = 1                                 # no register r12: eBPF has r0..r10
w12 += 1                                # no register w12
rr1 = 1                                 # not a register name
*(u32 *)(r1 + 32768) = 1                # offset 32768 does not fit in a signed 16-bit field
r0 = *(u64 *)(r10 - 32769)              # offset -32769 does not fit in a signed 16-bit field
r1 = *(u64 *)(r1 + 0x10000)             # offset 0x10000 does not fit in a signed 16-bit field
if r1 == 0 goto +32768                  # jump offset 32768 does not fit in a signed 16-bit field
goto -32769                             # jump offset -32769 does not fit in a signed 16-bit field
r1 = 0x10000000000000000 ll             # constant does not fit in 64 bits
halt                                    # unknown mnemonic
r1 = be8 r1                             # no 8-bit byte swap (16, 32, 64 only)
r0 = *(u32)(r1 + 0)                     # pointer cast missing its '*'
r0 = *(u32 *)r1 + 4                     # memory operand without parentheses
r0 = *(u32 *)(r1 + 4                    # memory operand missing its ')'
r0 = *(u32 *)(4 + r1)                   # memory operand must be (reg + offset)
r0 = *(u32 *)(r1 + r2)                  # memory offset must be a constant, not a register
*(u8 *)(1 + 0) = r2                     # store base must be a register
*(u64 *)(r1 + 0) =                      # store missing its source operand
r0 +=                                   # ALU missing its source operand
if r1 > goto +1                         # comparison missing its right operand
if r1 > 1                               # conditional jump missing 'goto target'
if r1 >> 1 goto +1                      # '>>' is not a comparison operator
goto                                    # jump missing its target
call                                    # call missing its helper number or function
exit r0                                 # exit takes no operand
w1 = r2                                 # mixes a 32-bit destination with a 64-bit source
if r1 == w2 goto +1                     # compares a 64-bit and a 32-bit register
r1 = be16 r2                            # byte swap must name the same register on both sides
r1 = -r2                                # neg must name the same register on both sides
r1 = (s64)r2                            # no sign extension from 64 bits (s8, s16, s32 only)
w1 = (s32)w2                            # 32-bit sign extension is from s8 or s16 only
w1 = *(s8 *)(r2 + 0)                    # sign-extending loads write the 64-bit register
*(u64 *)(r1 + 0) = w2                   # 64-bit store of a 32-bit register
lock *(u16 *)(r1 + 0) += w2             # atomic operations are 32 or 64 bits only
lock *(u64 *)(r1 + 0) -= r2             # no atomic subtract (add, or, and, xor only)
lock *(u64 *)(r1 + 0) += 1              # atomic operand must be a register
r1 = cmpxchg_64(r2 + 0, r1, r3)         # cmpxchg compares and returns in r0 only
r0 = *(u64 *)skb[0]                     # no 8-byte legacy packet load
callx 1                                 # callx takes a register (use 'call 1' for a helper)
r1 = addr_space_cast(r2, 1)             # addr_space_cast needs two address spaces
r1 /= 0.5                               # no floating-point immediates
w1 = w2 ll                              # 'll' loads a 64-bit constant, not a register
