/* The container's network, what little of it is the runtime's: lo, up. runc configures a "loopback"
 * network for every private network namespace (opencontainers/runc:libcontainer/specconv/spec_linux.go,
 * libcontainer/network_linux.go), crun does the same (containers/crun:src/libcrun/linux.c
 * libcrun_configure_network); `docker run --network none` and anything that talks to itself over
 * 127.0.0.1 rely on it. One RTM_NEWLINK over rtnetlink, which needs no AF_INET socket. */

#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "network.h"

typedef struct LinkUpRequest {
        struct nlmsghdr header;
        struct ifinfomsg info;
        struct rtattr name_attr;
        char name[IFNAMSIZ];
} LinkUpRequest;

typedef struct LinkUpReply {
        struct nlmsghdr header;
        struct nlmsgerr error;
} LinkUpReply;

static int link_set_up(const char *name) {
        struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
        _cleanup_close_ int fd = -EBADF;
        LinkUpRequest req = {
                .header.nlmsg_len = sizeof(req),
                .header.nlmsg_type = RTM_NEWLINK,
                .header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
                .header.nlmsg_seq = 1,
                .info.ifi_family = AF_UNSPEC,
                .info.ifi_flags = IFF_UP,
                .info.ifi_change = IFF_UP,
                .name_attr.rta_type = IFLA_IFNAME,
                .name_attr.rta_len = RTA_LENGTH(IFNAMSIZ),
        };
        LinkUpReply reply = {};
        ssize_t n;

        /* By name (ifi_index 0): lo is index 1 in a new namespace, but the name says what we mean. */
        strncpy(req.name, name, sizeof(req.name) - 1);
        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
                return -errno;
        if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return -errno;
        n = RETRY_ON_EINTR(recv(fd, &reply, sizeof(reply), 0));
        if (n < 0)
                return -errno;
        if ((size_t) n < sizeof(reply) || reply.header.nlmsg_type != NLMSG_ERROR)
                return -EPROTO;
        return reply.error.error; /* 0: the acknowledgement; else -errno */
}

int network_setup_loopback(const OciConfig *c) {
        const OciNamespace *ns = oci_config_get_namespace(c, OCI_NAMESPACE_NETWORK);

        if (!ns || ns->path)
                return 0;
        return link_set_up("lo");
}
