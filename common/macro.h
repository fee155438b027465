#pragma once

/* Cleanup attributes and ownership helpers, after systemd/systemd:src/fundamental/cleanup-fundamental.h
 * and src/basic/fd-util.h. Header-only, so the static tether-init can use it. */

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Takes the value out of a variable and leaves the "empty" value behind, so that a cleanup attribute on
 * the variable does not free what now belongs to someone else. */
#define TAKE_GENERIC(var, type, nullvalue)    \
        ({                                    \
                type *_pvar_ = &(var);        \
                type _var_ = *_pvar_;         \
                type _nullvalue_ = nullvalue; \
                *_pvar_ = _nullvalue_;        \
                _var_;                        \
        })
#define TAKE_PTR_TYPE(ptr, type) TAKE_GENERIC(ptr, type, NULL)
#define TAKE_PTR(ptr) TAKE_PTR_TYPE(ptr, typeof(ptr))
#define TAKE_FD(fd) TAKE_GENERIC(fd, int, -EBADF)

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Closes fd if valid, keeps errno intact, and returns -EBADF so that "fd = safe_close(fd);" works. */
static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved_errno = errno;
                (void) close(fd);
                errno = saved_errno;
        }
        return -EBADF;
}

static inline void closep(int *fd) {
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
        static inline void func##p(type *p) {   \
                if (*p)                         \
                        func(*p);               \
        }

/* Retries a system call interrupted by a signal. Our signals are blocked and read from a signalfd, but a
 * stop/continue (SIGSTOP, then SIGCONT from an ancestor namespace) still interrupts some calls. */
#define RETRY_ON_EINTR(expr)                       \
        ({                                         \
                typeof(expr) _r_;                  \
                do                                 \
                        _r_ = (expr);              \
                while (_r_ < 0 && errno == EINTR); \
                _r_;                               \
        })
