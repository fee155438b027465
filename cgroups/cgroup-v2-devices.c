/* linux.resources.devices on cgroup v2: the program of cgroup-bpf-devices.c loaded and attached to the
 * group's directory fd with BPF_PROG_ATTACH (BPF_F_ALLOW_MULTI), replacing the program tether attached
 * before and only that one: programs are told apart by their name, so that systemd's (a delegated scope
 * keeps the one its DeviceAllow= made) stay. The new program goes in before the old one goes out, atomically
 * with BPF_F_REPLACE (Linux 5.6) where there is exactly one, so the group is never without a filter; for a
 * moment both may apply, and the kernel requires every program to allow. After
 * containers/crun:src/libcrun/ebpf.c (ebpf_attach_program, read_all_progs, remove_all_progs) and
 * opencontainers/runc:vendor/github.com/opencontainers/cgroups/devices/ebpf_linux.go. */

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-internal.h"

#define PROG_NAME "tether_devices"
#define QUERY_MAX 4096

static int sys_bpf(int cmd, union bpf_attr *attr) {
        long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));

        return r < 0 ? -errno : (int) r;
}

static int load(Cgroup *cg, const struct bpf_insn *insns, size_t n) {
        _cleanup_free_ char *log = NULL;
        union bpf_attr attr = {
                .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
                .insns = (uint64_t) (uintptr_t) insns,
                .insn_cnt = (uint32_t) n,
                .license = (uint64_t) (uintptr_t) "MIT",
        };
        int fd;

        strncpy(attr.prog_name, PROG_NAME, sizeof(attr.prog_name) - 1);
        fd = sys_bpf(BPF_PROG_LOAD, &attr);
        if (fd >= 0)
                return fd;
        /* The verifier rejects with EACCES or EINVAL: once more with its log, for the message. */
        if ((fd == -EACCES || fd == -EINVAL) && (log = calloc(1, 4096))) {
                attr.log_level = 1;
                attr.log_buf = (uint64_t) (uintptr_t) log;
                attr.log_size = 4096;
                fd = sys_bpf(BPF_PROG_LOAD, &attr);
                if (fd >= 0)
                        return fd;
        }
        /* before Linux 5.11 programs count against RLIMIT_MEMLOCK: EPERM where it is low */
        return cg_fail(cg,
                       fd,
                       "devices: BPF_PROG_LOAD of the device filter (%zu instructions)%s%.200s",
                       n,
                       log && log[0] ? ": verifier: " : "",
                       log ? log : "");
}

/* The fds of the programs named PROG_NAME attached to the group itself. */
static int ours(Cgroup *cg, int **ret_fds, size_t *ret_n) {
        _cleanup_free_ uint32_t *ids = NULL;
        _cleanup_free_ int *fds = NULL;
        union bpf_attr attr;
        size_t n = 0, size;
        int r = -ENOSPC;

        for (size = 64; size <= QUERY_MAX && r == -ENOSPC; size *= 2) {
                uint32_t *p = realloc(ids, size * sizeof(uint32_t));

                if (!p)
                        return -ENOMEM;
                ids = p;
                attr = (union bpf_attr){};
                attr.query.target_fd = (uint32_t) cg->unified.fd;
                attr.query.attach_type = BPF_CGROUP_DEVICE;
                attr.query.prog_cnt = (uint32_t) size;
                attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
                r = sys_bpf(BPF_PROG_QUERY, &attr);
        }
        if (r < 0)
                return cg_fail(cg, r, "devices: BPF_PROG_QUERY of %s", cg->unified.path);
        fds = calloc(attr.query.prog_cnt + 1, sizeof(int));
        if (!fds)
                return -ENOMEM;
        for (uint32_t i = 0; i < attr.query.prog_cnt; i++) {
                struct bpf_prog_info info = {};
                union bpf_attr a = {.prog_id = ids[i]};
                int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);

                if (fd == -ENOENT) /* detached meanwhile */
                        continue;
                if (fd < 0)
                        r = fd;
                else {
                        a = (union bpf_attr){};
                        a.info.bpf_fd = (uint32_t) fd;
                        a.info.info_len = sizeof(info);
                        a.info.info = (uint64_t) (uintptr_t) &info;
                        r = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
                }
                if (r < 0) {
                        safe_close(fd);
                        for (size_t j = 0; j < n; j++)
                                safe_close(fds[j]);
                        return cg_fail(
                                cg, r, "devices: program %u attached to %s", ids[i], cg->unified.path);
                }
                if (strcmp(info.name, PROG_NAME) == 0)
                        fds[n++] = fd;
                else
                        safe_close(fd);
        }
        *ret_fds = TAKE_PTR(fds);
        *ret_n = n;
        return 0;
}

static int attach(Cgroup *cg, int prog_fd, int replace_fd) {
        union bpf_attr attr = {
                .target_fd = (uint32_t) cg->unified.fd,
                .attach_bpf_fd = (uint32_t) prog_fd,
                .attach_type = BPF_CGROUP_DEVICE,
                .attach_flags = BPF_F_ALLOW_MULTI,
        };

        if (replace_fd >= 0) {
                attr.attach_flags |= BPF_F_REPLACE;
                attr.replace_bpf_fd = (uint32_t) replace_fd;
        }
        return sys_bpf(BPF_PROG_ATTACH, &attr);
}

static int replace(Cgroup *cg, int prog_fd, int *old, size_t n_old) {
        int r;

        r = n_old == 1 ? attach(cg, prog_fd, old[0]) : -EINVAL;
        if (r >= 0) {
                old[0] = safe_close(old[0]); /* replaced: nothing to detach */
                return 0;
        }
        /* EINVAL: no BPF_F_REPLACE (before 5.6), or not one program to replace */
        r = attach(cg, prog_fd, -EBADF);
        if (r < 0)
                return cg_fail(
                        cg, r, "devices: BPF_PROG_ATTACH of the device filter to %s", cg->unified.path);
        for (size_t i = 0; i < n_old; i++) {
                union bpf_attr attr = {
                        .target_fd = (uint32_t) cg->unified.fd,
                        .attach_bpf_fd = (uint32_t) old[i],
                        .attach_type = BPF_CGROUP_DEVICE,
                };

                if (old[i] < 0)
                        continue;
                r = sys_bpf(BPF_PROG_DETACH, &attr);
                if (r < 0 && r != -ENOENT)
                        return cg_fail(cg,
                                       r,
                                       "devices: BPF_PROG_DETACH of the previous device filter from %s",
                                       cg->unified.path);
        }
        return 0;
}

int cg_v2_devices(Cgroup *cg, const CgroupResources *res) {
        _cleanup_free_ struct bpf_insn *insns = NULL;
        _cleanup_free_ int *old = NULL;
        _cleanup_close_ int prog = -EBADF;
        size_t n = 0, n_old = 0, bad = 0;
        int r;

        if (!res->has_devices)
                return 0;
        r = cg_devices_bpf_build(res->devices, res->n_devices, &insns, &n, &bad);
        if (r == -ERANGE)
                return cg_fail(cg, r, "devices[%zu]: major or minor beyond 2^31", bad);
        if (r < 0)
                return r;
        prog = load(cg, insns, n);
        if (prog < 0)
                return prog;
        r = ours(cg, &old, &n_old);
        if (r < 0)
                return r;
        r = replace(cg, prog, old, n_old);
        for (size_t i = 0; i < n_old; i++)
                safe_close(old[i]);
        return r;
}
