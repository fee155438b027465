/* journald's native protocol (systemd/systemd:docs/JOURNAL_NATIVE_PROTOCOL.md): one datagram per entry,
 * each field "NAME=value\n", or "NAME\n", a little-endian 64-bit length, the value and "\n" when the
 * value may hold a newline (MESSAGE does: it is the container's bytes). Entries are at most one read of
 * the container's pipe (io.c), far below the datagram limit, so no memfd is needed. */

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "log-journal.h"
#include "macro.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

struct LogJournal {
        int fd;
        struct sockaddr_un address;
        socklen_t address_len;
        char fields[512]; /* the fields every entry of this container has */
        size_t fields_len;
        uint64_t dropped;
};

int log_journal_open(const char *socket_path, const char *id, LogJournal **ret) {
        _cleanup_free_ LogJournal *j = calloc(1, sizeof(LogJournal));
        int n;

        if (!j)
                return -ENOMEM;
        socket_path = socket_path ?: JOURNAL_SOCKET;
        if (strlen(socket_path) >= sizeof(j->address.sun_path))
                return -ENAMETOOLONG;
        j->address.sun_family = AF_UNIX;
        strcpy(j->address.sun_path, socket_path);
        j->address_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(socket_path) + 1);
        /* docker's journald driver's fields (moby/moby:daemon/logger/journald/journald.go) */
        n = snprintf(
                j->fields,
                sizeof(j->fields),
                "CONTAINER_ID=%.12s\nCONTAINER_ID_FULL=%s\nCONTAINER_NAME=%s\nCONTAINER_TAG=%s\nSYSLOG_IDENTIFIER=%s\n",
                id,
                id,
                id,
                id,
                id);
        if (n < 0 || (size_t) n >= sizeof(j->fields))
                return -ENAMETOOLONG;
        j->fields_len = (size_t) n;
        j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (j->fd < 0)
                return -errno;
        *ret = TAKE_PTR(j);
        return 0;
}

LogJournal *log_journal_free(LogJournal *j) {
        if (!j)
                return NULL;
        safe_close(j->fd);
        free(j);
        return NULL;
}

uint64_t log_journal_dropped_entries(const LogJournal *j) {
        return j->dropped;
}

static int send_entry(LogJournal *j, LogStream stream, const char *text, size_t n, bool partial) {
        static const char message[] = "MESSAGE\n", nl[] = "\n";
        const char *priority = stream == LOG_STREAM_STDERR ? "PRIORITY=3\n" : "PRIORITY=6\n";
        const char *part = partial ? "CONTAINER_PARTIAL_MESSAGE=true\n" : "";
        uint64_t len = htole64((uint64_t) n);
        struct iovec iov[] = {
                {.iov_base = j->fields, .iov_len = j->fields_len},
                {.iov_base = (void *) priority, .iov_len = strlen(priority)},
                {.iov_base = (void *) part, .iov_len = strlen(part)},
                {.iov_base = (void *) message, .iov_len = sizeof(message) - 1},
                {.iov_base = &len, .iov_len = sizeof(len)},
                {.iov_base = (void *) text, .iov_len = n},
                {.iov_base = (void *) nl, .iov_len = 1},
        };
        struct msghdr mh = {
                .msg_name = &j->address,
                .msg_namelen = j->address_len,
                .msg_iov = iov,
                .msg_iovlen = ELEMENTSOF(iov),
        };

        if (RETRY_ON_EINTR(sendmsg(j->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT)) >= 0)
                return 0;
        j->dropped++; /* journald away or behind (EAGAIN): never wait for it */
        return -errno;
}

int log_journal_write(LogJournal *j, LogStream stream, const char *data, size_t n) {
        int r, ret = 0;

        while (n > 0) {
                const char *nl = memchr(data, '\n', n);
                size_t len = nl ? (size_t) (nl - data) : n;

                r = send_entry(j, stream, data, len, !nl);
                if (r < 0 && ret == 0)
                        ret = r;
                if (!nl)
                        break;
                data = nl + 1;
                n -= len + 1;
        }
        return ret;
}
