/* The network interface counters of a container's network namespace, for its stats: /proc/PID/net/dev of
 * its first process, which shows that process's namespace from the host without setns(), as cadvisor
 * reads them (google/cadvisor:container/libcontainer/handler.go networkStatsFromProc). runc fills its
 * network_interfaces from the host ends of the veth pairs it made itself
 * (opencontainers/runc:libcontainer/container_linux.go Stats, network_linux.go getNetworkInterfaceStats),
 * so an OCI container, whose network someone else sets up, gets none there; here the counters are the
 * container side's own, received is received. lo is left out: runc never lists it and cadvisor ignores
 * it, traffic within the container being none of its network traffic. */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup-internal.h"
#include "pidfd-util.h"

/* The 16 numbers after an interface's colon, up to end of the line. */
static int parse_counters(const char *p, const char *end, uint64_t v[static 16]) {
        for (size_t i = 0; i < 16; i++) {
                char *e;

                p += strspn(p, " ");
                if (p >= end || *p < '0' || *p > '9')
                        return -EBADMSG;
                errno = 0;
                v[i] = strtoull(p, &e, 10);
                if (errno != 0 || e > end)
                        return -EBADMSG;
                p = e;
        }
        return 0;
}

/* "  eth0: RX bytes packets errs drop fifo frame compressed multicast TX bytes packets errs drop fifo colls
 * carrier compressed" (net/core/net-procfs.c dev_seq_printf_stats), after two lines of headers. An
 * interface's name has no ':' and no blank (dev_valid_name()). */
int cg_stats_net_dev(const char *text, CgroupStats *st) {
        st->n_net = 0;
        for (const char *line = text; line && *line;
             line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                const char *end = strchrnul(line, '\n'), *colon = memchr(line, ':', (size_t) (end - line));
                const char *name = line + strspn(line, " ");
                uint64_t v[16];
                size_t n;
                int r;

                if (!colon)
                        continue; /* a header */
                n = (size_t) (colon - name);
                if (colon < name || n == 0 || n >= sizeof(st->net[0].name))
                        return -EBADMSG;
                r = parse_counters(colon + 1, end, v);
                if (r < 0)
                        return r;
                if ((n == 2 && strncmp(name, "lo", 2) == 0) || st->n_net == CGROUP_STATS_NET_MAX)
                        continue;
                memcpy(st->net[st->n_net].name, name, n);
                st->net[st->n_net].name[n] = '\0';
                st->net[st->n_net].rx_bytes = v[0];
                st->net[st->n_net].rx_packets = v[1];
                st->net[st->n_net].rx_errors = v[2];
                st->net[st->n_net].rx_dropped = v[3];
                st->net[st->n_net].tx_bytes = v[8];
                st->net[st->n_net].tx_packets = v[9];
                st->net[st->n_net].tx_errors = v[10];
                st->net[st->n_net].tx_dropped = v[11];
                st->n_net++;
        }
        return 0;
}

int cgroup_get_net_stats(pid_t pid, int pidfd, CgroupStats *st) {
        _cleanup_close_ int proc = -EBADF;
        _cleanup_free_ char *text = NULL;
        struct stat theirs, ours;
        char path[32];
        int r;

        if (pid <= 0 || pidfd < 0)
                return -EINVAL;
        snprintf(path, sizeof(path), "/proc/%d", (int) pid);
        proc = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        /* The directory was opened while the process lived, so it is that process's and no other's: a
         * pid is not reused while its process (a zombie too) holds it. From here on the directory fd
         * refers to it alone, whatever becomes of the number. */
        r = pidfd_kill(pidfd, pid, 0);
        if (r < 0)
                return r == -EPERM ? r : -ESRCH;
        if (fstatat(proc, "ns/net", &theirs, 0) < 0 || stat("/proc/self/ns/net", &ours) < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        if (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino) {
                st->n_net =
                        0; /* the caller's namespace, the host's counters: none of them the container's */
                return 0;
        }
        r = cg_read_at(proc, "net/dev", &text);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r; /* exited since: no namespace left to show */
        return cg_stats_net_dev(text, st);
}
