/* The parsers of cgroup files: keyed values, memory.stat, cpu.stat, io.stat, blkio, the freezer's state,
 * and of /proc/PID/net/dev. Pure. */

#include "cgroup-internal.h"
#include "tap.h"

static void test_keyed(void) {
        static const char events[] = "low 0\nhigh 3\nmax 17\noom 2\noom_kill 1\noom_group_kill 0\n";
        uint64_t v = 0;

        TAP_EQ_INT(cg_keyed_u64(events, "oom_kill", &v), 0);
        TAP_EQ_INT(v, 1);
        TAP_EQ_INT(cg_keyed_u64(events, "oom", &v), 0); /* not oom_kill's prefix */
        TAP_EQ_INT(v, 2);
        TAP_EQ_INT(cg_keyed_u64(events, "max", &v), 0);
        TAP_EQ_INT(v, 17);
        TAP_EQ_INT(cg_keyed_u64(events, "absent", &v), -ENOENT);
        TAP_EQ_INT(cg_keyed_u64("oom_kill_disable 0\nunder_oom 0\noom_kill 4", "oom_kill", &v), 0);
        TAP_EQ_INT(v, 4);
        TAP_EQ_INT(cg_keyed_u64("x max\n", "x", &v), 0);
        TAP_OK(v == UINT64_MAX);
        TAP_EQ_INT(cg_keyed_u64("x -1\n", "x", &v), -EINVAL);
        TAP_EQ_INT(cg_keyed_u64("x 12abc\n", "x", &v), -EINVAL);
}

static void test_memory_stat(void) {
        CgroupStats st = {};

        cg_stats_memory_stat("cache 5\nrss 6\ntotal_cache 50\ntotal_rss 60\ntotal_shmem 7\ntotal_pgfault 8\n"
                             "total_pgmajfault 9\n",
                             true,
                             &st);
        TAP_EQ_INT(st.memory.anon, 60);
        TAP_EQ_INT(st.memory.file, 50);
        TAP_EQ_INT(st.memory.shmem, 7);
        TAP_EQ_INT(st.memory.pgfault, 8);
        TAP_EQ_INT(st.memory.pgmajfault, 9);
        st = (CgroupStats){};
        cg_stats_memory_stat(
                "anon 11\nfile 12\nkernel 13\nkernel_stack 99\nshmem 14\npgfault 15\npgmajfault 16\n",
                false,
                &st);
        TAP_EQ_INT(st.memory.anon, 11);
        TAP_EQ_INT(st.memory.file, 12);
        TAP_EQ_INT(st.memory.kernel, 13);
        TAP_EQ_INT(st.memory.shmem, 14);
        TAP_EQ_INT(st.memory.pgmajfault, 16);
}

static void test_cpu_stat(void) {
        CgroupStats st = {};

        cg_stats_cpu_stat("usage_usec 1000\nuser_usec 600\nsystem_usec 400\nnr_periods 10\nnr_throttled 3\n"
                          "throttled_usec 250\n",
                          &st);
        TAP_EQ_INT(st.cpu.usage_usec, 1000);
        TAP_EQ_INT(st.cpu.user_usec, 600);
        TAP_EQ_INT(st.cpu.system_usec, 400);
        TAP_EQ_INT(st.cpu.nr_periods, 10);
        TAP_EQ_INT(st.cpu.nr_throttled, 3);
        TAP_EQ_INT(st.cpu.throttled_usec, 250);
        st = (CgroupStats){};
        cg_stats_cpu_stat("nr_periods 4\nnr_throttled 2\nthrottled_time 5000000\n", &st); /* v1, ns */
        TAP_EQ_INT(st.cpu.nr_throttled, 2);
        TAP_EQ_INT(st.cpu.throttled_usec, 5000);
}

static void test_io(void) {
        CgroupStats st = {};

        cg_stats_io_stat("8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n"
                         "8:16 rbytes=1000 wbytes=2000 rios=10 wios=20 dbytes=0 dios=0\n",
                         &st);
        TAP_EQ_INT(st.io.read_bytes, 1100);
        TAP_EQ_INT(st.io.write_bytes, 2200);
        TAP_EQ_INT(st.io.read_ios, 11);
        TAP_EQ_INT(st.io.write_ios, 22);
        st = (CgroupStats){};
        cg_stats_blkio("8:0 Read 100\n8:0 Write 200\n8:0 Sync 300\n8:0 Total 300\n8:16 Read 5\nTotal 305\n",
                       true,
                       &st);
        TAP_EQ_INT(st.io.read_bytes, 105);
        TAP_EQ_INT(st.io.write_bytes, 200);
        cg_stats_blkio("8:0 Read 3\n8:0 Write 4\n", false, &st);
        TAP_EQ_INT(st.io.read_ios, 3);
        TAP_EQ_INT(st.io.write_ios, 4);
        /* Lines that only look like one count nothing. */
        st = (CgroupStats){};
        cg_stats_blkio("8:0 Readx 7\n8:0 Read 9x\n:0 Read 1\n8: Read 1\n8:0 Write\n8:0  Write 2\nRead 3\n",
                       true,
                       &st);
        TAP_EQ_INT(st.io.read_bytes, 0);
        TAP_EQ_INT(st.io.write_bytes, 0);
}

/* The effective freeze state, the same answer from either driver's file. */
static void test_frozen(void) {
        bool f = false;

        TAP_EQ_INT(cg_parse_frozen("freezer.state", "FROZEN\n", &f), 0);
        TAP_OK(f);
        TAP_EQ_INT(cg_parse_frozen("freezer.state", "THAWED\n", &f), 0);
        TAP_OK(!f);
        TAP_EQ_INT(cg_parse_frozen("freezer.state", "FREEZING\n", &f), 0); /* not yet */
        TAP_OK(!f);
        f = true;
        TAP_EQ_INT(cg_parse_frozen("freezer.state", "FROZENX\n", &f), -EBADMSG);
        TAP_EQ_INT(cg_parse_frozen("freezer.state", "", &f), -EBADMSG);
        TAP_OK(f); /* left alone on failure */
        TAP_EQ_INT(cg_parse_frozen("cgroup.events", "populated 1\nfrozen 1\n", &f), 0);
        TAP_OK(f);
        TAP_EQ_INT(cg_parse_frozen("cgroup.events", "populated 1\nfrozen 0\n", &f), 0);
        TAP_OK(!f);
        f = true;
        TAP_EQ_INT(cg_parse_frozen("cgroup.events", "populated 1\n", &f), 0); /* Linux < 5.2 */
        TAP_OK(!f);
        TAP_EQ_INT(cg_parse_frozen("cgroup.events", "populated 1\nfrozen 2\n", &f), -EBADMSG);
        TAP_EQ_INT(cg_parse_frozen("cgroup.freeze", "1\n", &f), -EINVAL); /* the request, not the state */
        TAP_EQ_INT(cgroup_freeze_file_read("freezer.state", &f), -EINVAL); /* no directory */
}

/* /proc/PID/net/dev as Linux 6.x writes it, lo left out; a name butting against its first number, as
 * older kernels' "%6s:%8llu" had it. */
static void test_net_dev(void) {
        static const char dev[] =
                "Inter-|   Receive                                                |  Transmit\n"
                " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
                "drop fifo colls carrier compressed\n"
                "    lo:     500       5    0    0    0     0          0         0      500       5    0    "
                "0    0     0       0          0\n"
                "  eth0: 1234567      89    1    2    3     4          5         6     5484       8    7    "
                "9    0     0       0          0\n"
                "verylongname0:12345678901 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
        CgroupStats st = {};
        char many[4096] = "";

        TAP_EQ_INT(cg_stats_net_dev(dev, &st), 0);
        TAP_EQ_INT(st.n_net, 2);
        TAP_EQ_STR(st.net[0].name, "eth0");
        TAP_EQ_INT(st.net[0].rx_bytes, 1234567);
        TAP_EQ_INT(st.net[0].rx_packets, 89);
        TAP_EQ_INT(st.net[0].rx_errors, 1);
        TAP_EQ_INT(st.net[0].rx_dropped, 2);
        TAP_EQ_INT(st.net[0].tx_bytes, 5484);
        TAP_EQ_INT(st.net[0].tx_packets, 8);
        TAP_EQ_INT(st.net[0].tx_errors, 7);
        TAP_EQ_INT(st.net[0].tx_dropped, 9);
        TAP_EQ_STR(st.net[1].name, "verylongname0");
        TAP_EQ_INT(st.net[1].rx_bytes, 12345678901);
        TAP_EQ_INT(st.net[1].tx_dropped, 12);
        TAP_EQ_INT(cg_stats_net_dev("  eth0: 1 2 3\n", &st), -EBADMSG);
        TAP_EQ_INT(cg_stats_net_dev("  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n", &st), -EBADMSG);
        TAP_EQ_INT(cg_stats_net_dev(": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", &st), -EBADMSG);
        TAP_EQ_INT(cg_stats_net_dev("  a23456789012345678: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", &st),
                   -EBADMSG);
        TAP_EQ_INT(cg_stats_net_dev("Inter-|\n face |\n", &st), 0);
        TAP_EQ_INT(st.n_net, 0);
        for (int i = 0; i < CGROUP_STATS_NET_MAX + 3; i++)
                snprintf(many + strlen(many),
                         sizeof(many) - strlen(many),
                         "  if%d: %d 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
                         i,
                         i);
        TAP_EQ_INT(cg_stats_net_dev(many, &st), 0);
        TAP_EQ_INT(st.n_net, CGROUP_STATS_NET_MAX); /* the rest left out */
        TAP_EQ_STR(st.net[CGROUP_STATS_NET_MAX - 1].name, "if31");
}

int main(void) {
        test_keyed();
        test_memory_stat();
        test_cpu_stat();
        test_io();
        test_frozen();
        test_net_dev();
        return tap_done();
}
