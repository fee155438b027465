#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "signals.h"

int signals_block_all(sigset_t *ret_child_mask) {
        static const int synchronous[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
        sigset_t all;
        int fd;

        /* Every signal, not sigfillset()'s: that leaves out those the libc reserves for its threads (glibc
         * 32 and 33, musl 32 to 34), and a signal neither blocked nor handled kills us when we are not
         * PID 1 and is dropped, not forwarded, when we are: "kill -s RTMIN" (34) did both to the musl
         * build. We have no threads to need them; the kernel leaves out SIGKILL and SIGSTOP itself. */
        memset(&all, 0xff, sizeof(all));
        for (size_t i = 0; i < ELEMENTSOF(synchronous); i++)
                sigdelset(&all, synchronous[i]);
        sigdelset(&all, SIGTTIN);
        sigdelset(&all, SIGTTOU);

        /* The system call itself: glibc's sigprocmask() would quietly unblock 32 and 33 again. */
        sigemptyset(ret_child_mask);
        if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, ret_child_mask, _NSIG / 8) < 0)
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
