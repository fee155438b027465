/* The device filter's program generation (cgroups/cgroup-bpf-devices.c): exact instruction sequences for
 * an allow and a deny rule, and the programs run by a small interpreter of the instructions they use
 * against device requests: the last matching rule decides, as on cgroup v1. */

#include <stdlib.h>

#include "cgroup-internal.h"
#include "tap.h"

#define CHAR BPF_DEVCG_DEV_CHAR
#define BLOCK BPF_DEVCG_DEV_BLOCK
#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define M BPF_DEVCG_ACC_MKNOD

/* Runs p against a request of struct bpf_cgroup_dev_ctx; the return value (1 allow, 0 deny), -1 on an
 * instruction it does not know or a jump out of the program. */
static int run(const struct bpf_insn *p, size_t n, int type, int access, uint32_t major, uint32_t minor) {
        struct bpf_cgroup_dev_ctx ctx = {
                .access_type = (uint32_t) (access << 16 | type), .major = major, .minor = minor};
        uint64_t reg[11] = {};

        for (size_t pc = 0; pc < n; pc++) {
                const struct bpf_insn *i = &p[pc];
                uint64_t src = BPF_SRC(i->code) == BPF_X ? reg[i->src_reg] : (uint64_t) (int64_t) i->imm;
                bool jump;

                switch (i->code) {
                case BPF_LDX | BPF_W | BPF_MEM:
                        if (i->src_reg != BPF_REG_1 || i->off < 0 || i->off > 8)
                                return -1;
                        reg[i->dst_reg] = *(const uint32_t *) ((const char *) &ctx + i->off);
                        continue;
                case BPF_ALU | BPF_AND | BPF_K:
                        reg[i->dst_reg] = (uint32_t) (reg[i->dst_reg] & (uint32_t) i->imm);
                        continue;
                case BPF_ALU | BPF_RSH | BPF_K:
                        reg[i->dst_reg] = (uint32_t) reg[i->dst_reg] >> i->imm;
                        continue;
                case BPF_ALU | BPF_MOV | BPF_X:
                        reg[i->dst_reg] = (uint32_t) reg[i->src_reg];
                        continue;
                case BPF_ALU64 | BPF_MOV | BPF_K:
                        reg[i->dst_reg] = (uint64_t) (int64_t) i->imm;
                        continue;
                case BPF_JMP | BPF_EXIT:
                        return (int) reg[BPF_REG_0];
                case BPF_JMP | BPF_JNE | BPF_K:
                case BPF_JMP | BPF_JNE | BPF_X:
                        jump = reg[i->dst_reg] != src;
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                        jump = reg[i->dst_reg] == src;
                        break;
                default:
                        return -1;
                }
                if (jump) {
                        if (i->off < 0 || pc + 1 + (size_t) i->off >= n)
                                return -1;
                        pc += (size_t) i->off;
                }
        }
        return -1;
}

typedef struct Program {
        struct bpf_insn *p;
        size_t n;
} Program;

static Program build(const CgroupDeviceRule *rules, size_t n) {
        Program prog = {};
        size_t bad = 99;
        int r = cg_devices_bpf_build(rules, n, &prog.p, &prog.n, &bad);

        if (!tap_ok(r == 0, "build %zu rules", n))
                printf("#   %d\n", r);
        return prog;
}

static const struct bpf_insn prologue[] = {
        {.code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 2, .src_reg = 1, .off = 0},
        {.code = BPF_ALU | BPF_AND | BPF_K, .dst_reg = 2, .imm = 0xFFFF},
        {.code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 3, .src_reg = 1, .off = 0},
        {.code = BPF_ALU | BPF_RSH | BPF_K, .dst_reg = 3, .imm = 16},
        {.code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 4, .src_reg = 1, .off = 4},
        {.code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 5, .src_reg = 1, .off = 8},
};

static void expect_insns(const char *name, Program prog, const struct bpf_insn *want, size_t n) {
        bool same = prog.n == n;

        for (size_t i = 0; same && i < n; i++)
                if (memcmp(&prog.p[i], &want[i], sizeof(want[i])) != 0) {
                        printf("#   instruction %zu: code %#x dst %d src %d off %d imm %d\n",
                               i,
                               prog.p[i].code,
                               prog.p[i].dst_reg,
                               prog.p[i].src_reg,
                               prog.p[i].off,
                               prog.p[i].imm);
                        same = false;
                }
        tap_ok(same, "%s: %zu instructions as expected (got %zu)", name, n, prog.n);
}

/* "c 1:3 rw" allowed: type, access (all asked granted), major, minor, then allow; else deny. */
static void test_allow_sequence(void) {
        CgroupDeviceRule rule = {true, 'c', 1, 3, "rw"};
        Program prog = build(&rule, 1);
        struct bpf_insn want[16];
        size_t n = 0;

        memcpy(want, prologue, sizeof(prologue));
        n = 6;
        want[n++] =
                (struct bpf_insn){.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 2, .off = 7, .imm = CHAR};
        want[n++] = (struct bpf_insn){.code = BPF_ALU | BPF_MOV | BPF_X, .dst_reg = 1, .src_reg = 3};
        want[n++] = (struct bpf_insn){.code = BPF_ALU | BPF_AND | BPF_K, .dst_reg = 1, .imm = R | W};
        want[n++] =
                (struct bpf_insn){.code = BPF_JMP | BPF_JNE | BPF_X, .dst_reg = 1, .src_reg = 3, .off = 4};
        want[n++] = (struct bpf_insn){.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 4, .off = 3, .imm = 1};
        want[n++] = (struct bpf_insn){.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 5, .off = 2, .imm = 3};
        want[n++] = (struct bpf_insn){.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1};
        want[n++] = (struct bpf_insn){.code = BPF_JMP | BPF_EXIT};
        want[n++] = (struct bpf_insn){.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0};
        want[n++] = (struct bpf_insn){.code = BPF_JMP | BPF_EXIT};
        expect_insns("allow c 1:3 rw", prog, want, n);
        free(prog.p);
}

/* "b *:* m" denied: no major or minor check; access matched by "any" (JEQ 0 skips). */
static void test_deny_sequence(void) {
        CgroupDeviceRule rule = {false, 'b', -1, -1, "m"};
        Program prog = build(&rule, 1);
        struct bpf_insn want[16];
        size_t n = 0;

        memcpy(want, prologue, sizeof(prologue));
        n = 6;
        want[n++] =
                (struct bpf_insn){.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 2, .off = 5, .imm = BLOCK};
        want[n++] = (struct bpf_insn){.code = BPF_ALU | BPF_MOV | BPF_X, .dst_reg = 1, .src_reg = 3};
        want[n++] = (struct bpf_insn){.code = BPF_ALU | BPF_AND | BPF_K, .dst_reg = 1, .imm = M};
        want[n++] = (struct bpf_insn){.code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 1, .off = 2, .imm = 0};
        want[n++] = (struct bpf_insn){.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0};
        want[n++] = (struct bpf_insn){.code = BPF_JMP | BPF_EXIT};
        want[n++] = (struct bpf_insn){.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0};
        want[n++] = (struct bpf_insn){.code = BPF_JMP | BPF_EXIT};
        expect_insns("deny b *:* m", prog, want, n);
        free(prog.p);
}

/* "a *:* rwm" allowed last: one block, nothing after it (no default deny). */
static void test_allow_all_ends_the_program(void) {
        CgroupDeviceRule rules[] = {{false, 'c', 1, 3, "rwm"}, {true, 'a', -1, -1, "rwm"}};
        Program prog = build(rules, 2);

        TAP_EQ_INT(prog.n, 6 + 2);
        TAP_EQ_INT(run(prog.p, prog.n, CHAR, R, 1, 3), 1);
        free(prog.p);
        /* and first: the deny after it decides for c 1:3 */
        rules[0] = (CgroupDeviceRule){true, 'a', -1, -1, "rwm"};
        rules[1] = (CgroupDeviceRule){false, 'c', 1, 3, "rwm"};
        prog = build(rules, 2);
        TAP_EQ_INT(run(prog.p, prog.n, CHAR, R, 1, 3), 0);
        TAP_EQ_INT(run(prog.p, prog.n, CHAR, R, 1, 5), 1);
        TAP_EQ_INT(run(prog.p, prog.n, BLOCK, M, 7, 0), 1);
        free(prog.p);
}

/* A container's usual list: deny all, then the default devices (runc's AllowedDevices). */
static void test_deny_all_with_defaults(void) {
        CgroupDeviceRule rules[] = {
                {false, 'a', -1, -1, "rwm"},
                {true, 'c', -1, -1, "m"},
                {true, 'b', -1, -1, "m"},
                {true, 'c', 1, 3, "rwm"},
                {true, 'c', 1, 5, "rwm"},
                {true, 'c', 136, -1, "rwm"},
                {true, 'c', 1, 9, "rw"},
        };
        Program prog = build(rules, sizeof(rules) / sizeof(rules[0]));

        TAP_EQ_INT(run(prog.p, prog.n, BLOCK, R | W, 7, 0), 0); /* open /dev/loop0 */
        TAP_EQ_INT(run(prog.p, prog.n, BLOCK, M, 7, 0), 1); /* mknod is allowed by "b *:* m" */
        TAP_EQ_INT(run(prog.p, prog.n, CHAR, R | W, 1, 3), 1);
        TAP_EQ_INT(run(prog.p, prog.n, CHAR, W, 136, 4), 1);
        TAP_EQ_INT(run(prog.p, prog.n, CHAR, R, 1, 9), 1);
        TAP_EQ_INT(run(prog.p, prog.n, CHAR, R | M, 1, 9), 0); /* 1:9 has no m, and "c *:* m" no r */
        TAP_EQ_INT(run(prog.p, prog.n, CHAR, R, 10, 200), 0); /* /dev/net/tun */
        free(prog.p);
}

/* No rules: everything denied. A deny of "w" after an allow of "rwm" refuses rw, lets r through. */
static void test_partial_deny(void) {
        CgroupDeviceRule rules[] = {{true, 'c', 1, 3, "rwm"}, {false, 'c', 1, 3, "w"}};
        Program prog = build(rules, 0);

        TAP_EQ_INT(run(prog.p, prog.n, CHAR, R, 1, 3), 0);
        free(prog.p);
        prog = build(rules, 2);
        TAP_EQ_INT(run(prog.p, prog.n, CHAR, R | W, 1, 3), 0);
        TAP_EQ_INT(run(prog.p, prog.n, CHAR, W, 1, 3), 0);
        TAP_EQ_INT(run(prog.p, prog.n, CHAR, R, 1, 3), 1);
        TAP_EQ_INT(run(prog.p, prog.n, CHAR, R, 1, 4), 0);
        free(prog.p);
}

static void test_range(void) {
        CgroupDeviceRule rules[] = {{true, 'c', 1, 3, "r"}, {true, 'c', 1, INT64_C(1) << 32, "r"}};
        struct bpf_insn *p = NULL;
        size_t n = 0, bad = 99;

        TAP_EQ_INT(cg_devices_bpf_build(rules, 2, &p, &n, &bad), -ERANGE);
        TAP_EQ_INT(bad, 1);
        tap_ok(p == NULL, "nothing returned on failure");
}

int main(void) {
        test_allow_sequence();
        test_deny_sequence();
        test_allow_all_ends_the_program();
        test_deny_all_with_defaults();
        test_partial_deny();
        test_range();
        return tap_done();
}
