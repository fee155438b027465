#include <errno.h>
#include <unistd.h>

#include "macro.h"
#include "signals.h"

int signals_block_all(sigset_t *ret_child_mask) {
        static const int synchronous[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
        sigset_t all;
        int fd;

        sigfillset(&all);
        for (size_t i = 0; i < ELEMENTSOF(synchronous); i++)
                sigdelset(&all, synchronous[i]);
        sigdelset(&all, SIGTTIN);
        sigdelset(&all, SIGTTOU);

        if (sigprocmask(SIG_SETMASK, &all, ret_child_mask) < 0)
                return -errno;
        if (signal(SIGTTIN, SIG_IGN) == SIG_ERR || signal(SIGTTOU, SIG_IGN) == SIG_ERR)
                return -errno;

        fd = signalfd(-1, &all, SFD_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int signals_read(int fd, struct signalfd_siginfo *buf, size_t max) {
        ssize_t n = RETRY_ON_EINTR(read(fd, buf, max * sizeof(*buf)));

        if (n < 0)
                return -errno;
        return (int) (n / (ssize_t) sizeof(*buf));
}
