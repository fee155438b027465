/* linux.resources.devices as a BPF_PROG_TYPE_CGROUP_DEVICE program, emitted instruction by instruction
 * without libbpf, as containers/crun:src/libcrun/ebpf.c (bpf_program_append_dev, taken from systemd) and
 * opencontainers/runc:vendor/github.com/opencontainers/cgroups/devices/devicefilter.go do. Pure.
 *
 * The same semantics as the v1 driver (cgroup-v1-devices.c): deny everything, then the rules in order, the
 * last matching rule deciding. The program checks them in reverse order and returns at the first match,
 * which is the same thing; a rule that matches everything ends it, as nothing before it can matter.
 * An allow rule matches a request whose every access it grants, as v1's exceptions do; a deny rule one
 * that asks for any access it names (crun matches both by "all", so that a deny of "w" lets "rw" through,
 * where v1 would refuse it; runc avoids that through its emulator). */

#include <stdlib.h>

#include "cgroup-internal.h"

/* struct bpf_insn builders, after crun's ebpf.c macros (the kernel's filter.h is not uapi). */
#define INSN(c, d, s, o, i) \
        ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_IMM(op, dst, imm, off) INSN(BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define JMP_REG(op, dst, src, off) INSN(BPF_JMP | (op) | BPF_X, dst, src, off, 0)
#define EXIT_INSN() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)
#define PROLOGUE_LEN 6
#define RULE_MAX_LEN 8 /* type, 3 for access, major, minor, r0, exit */

static int access_bits(const char *access) {
        int bits = 0;

        for (const char *a = access ? access : ""; *a; a++)
                bits |= *a == 'r'   ? BPF_DEVCG_ACC_READ
                        : *a == 'w' ? BPF_DEVCG_ACC_WRITE
                                    : BPF_DEVCG_ACC_MKNOD;
        return bits;
}

/* One rule's block; returns whether it matches every request (nothing after it is reachable). */
static bool emit_rule(const CgroupDeviceRule *d, struct bpf_insn *p, size_t *n) {
        int acc = access_bits(d->access);
        bool has_type = d->type != 'a', has_access = acc != ACC_ALL, has_major = d->major >= 0,
             has_minor = d->minor >= 0;
        /* from each jump, the instructions left in the block: a jump's offset skips to the next block */
        int left = has_type + 3 * has_access + has_major + has_minor + 1;

        /* struct bpf_cgroup_dev_ctx: R2 the type, R3 the access, R4 the major, R5 the minor (prologue) */
        if (has_type)
                p[(*n)++] = JMP_IMM(BPF_JNE,
                                    BPF_REG_2,
                                    d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
                                    left--);
        if (has_access) {
                p[(*n)++] = MOV32_REG(BPF_REG_1, BPF_REG_3);
                p[(*n)++] = ALU32_IMM(BPF_AND, BPF_REG_1, acc);
                /* allow: every access asked for is granted; deny: any access asked for is named */
                p[(*n)++] = d->allow ? JMP_REG(BPF_JNE, BPF_REG_1, BPF_REG_3, left - 2)
                                     : JMP_IMM(BPF_JEQ, BPF_REG_1, 0, left - 2);
                left -= 3;
        }
        if (has_major)
                p[(*n)++] = JMP_IMM(BPF_JNE, BPF_REG_4, (int32_t) d->major, left--);
        if (has_minor)
                p[(*n)++] = JMP_IMM(BPF_JNE, BPF_REG_5, (int32_t) d->minor, left--);
        p[(*n)++] = MOV64_IMM(BPF_REG_0, d->allow ? 1 : 0);
        p[(*n)++] = EXIT_INSN();
        return !has_type && !has_access && !has_major && !has_minor;
}

int cg_devices_bpf_build(const CgroupDeviceRule *rules,
                         size_t n_rules,
                         struct bpf_insn **ret,
                         size_t *ret_n,
                         size_t *reterr_index) {
        _cleanup_free_ struct bpf_insn *p = NULL;
        size_t n = 0;
        bool matched_all = false;

        for (size_t i = 0; i < n_rules; i++)
                /* the immediates are signed 32 bits; the kernel's numbers fit 12 and 20 bits */
                if (rules[i].major > INT32_MAX || rules[i].minor > INT32_MAX) {
                        if (reterr_index)
                                *reterr_index = i;
                        return -ERANGE;
                }
        p = calloc(PROLOGUE_LEN + RULE_MAX_LEN * n_rules + 2, sizeof(struct bpf_insn));
        if (!p)
                return -ENOMEM;
        /* access_type: the device type in the low 16 bits, the access in the high ones */
        p[n++] = LDX_W(BPF_REG_2, BPF_REG_1, 0);
        p[n++] = ALU32_IMM(BPF_AND, BPF_REG_2, 0xFFFF);
        p[n++] = LDX_W(BPF_REG_3, BPF_REG_1, 0);
        p[n++] = ALU32_IMM(BPF_RSH, BPF_REG_3, 16);
        p[n++] = LDX_W(BPF_REG_4, BPF_REG_1, 4);
        p[n++] = LDX_W(BPF_REG_5, BPF_REG_1, 8);
        for (size_t i = n_rules; i > 0 && !matched_all; i--)
                matched_all = emit_rule(&rules[i - 1], p, &n);
        if (!matched_all) { /* no rule matched: denied */
                p[n++] = MOV64_IMM(BPF_REG_0, 0);
                p[n++] = EXIT_INSN();
        }
        *ret = TAKE_PTR(p);
        *ret_n = n;
        return 0;
}
