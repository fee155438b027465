/* HOME and LISTEN_* for the container's process (process-env.h). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json-util.h"
#include "pidfd-util.h"
#include "process-env.h"
#include "rootfs.h"

#define PASSWD_LINE_MAX 4096
#define PASSWD_SIZE_MAX (16 * 1024 * 1024)

static bool is_var(const char *entry, const char *name) {
        size_t n = strlen(name);

        return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

int process_env_new(char **env, unsigned listen_fds, ProcessEnv **ret) {
        _cleanup_(process_env_freep) ProcessEnv *e = calloc(1, sizeof(ProcessEnv));
        const char *last_home = NULL;
        size_t n = 0, k = 0;

        if (!e)
                return -ENOMEM;
        for (char **v = env; v && *v; v++, n++)
                if (is_var(*v, "HOME"))
                        last_home = *v;
        e->env = calloc(n + 4, sizeof(char *));
        if (!e->env)
                return -ENOMEM;
        /* runc keeps the last of duplicate variables and treats an empty HOME as none; glibc's getenv()
         * would find the first, so the others go. */
        for (char **v = env; v && *v; v++) {
                if (is_var(*v, "HOME") && (*v != last_home || last_home[5] == '\0'))
                        continue;
                if (listen_fds > 0 && (is_var(*v, "LISTEN_FDS") || is_var(*v, "LISTEN_PID")))
                        continue;
                e->env[k++] = *v;
        }
        if (!last_home || last_home[5] == '\0') {
                e->home = malloc(PROCESS_ENV_HOME_MAX);
                if (!e->home)
                        return -ENOMEM;
                strcpy(e->home, "HOME=/");
                e->env[k++] = e->home;
        }
        if (listen_fds > 0) {
                e->listen_fds = listen_fds;
                snprintf(e->listen_fds_var, sizeof(e->listen_fds_var), "LISTEN_FDS=%u", listen_fds);
                strcpy(e->listen_pid_var, "LISTEN_PID=1");
                e->env[k++] = e->listen_fds_var;
                e->env[k++] = e->listen_pid_var;
        }
        *ret = TAKE_PTR(e);
        return 0;
}

ProcessEnv *process_env_free(ProcessEnv *e) {
        if (!e)
                return NULL;
        free(e->env);
        free(e->home);
        free(e);
        return NULL;
}

/* One line, NUL-terminated and writable: 0 and field number `field` if it is uid's, else -ENOENT. Parsed
 * as moby/sys/user does (the library runc uses): fields by ':', the uid in the third. */
static int passwd_line_field(char *line, uid_t uid, unsigned field_no, char *buf, size_t len) {
        char *field[7] = {line};
        size_t n = 1, value_len;
        unsigned long long v = 0;

        for (char *p = line; *p && n < ELEMENTSOF(field); p++)
                if (*p == ':') {
                        *p = '\0';
                        field[n++] = p + 1;
                }
        if (n < 6 || field[2][0] == '\0')
                return -ENOENT;
        for (const char *p = field[2]; *p; p++) {
                if (*p < '0' || *p > '9' || v > UINT32_MAX)
                        return -ENOENT;
                v = v * 10 + (unsigned) (*p - '0');
        }
        if (v != uid)
                return -ENOENT;
        value_len = strlen(field[field_no]);
        if (value_len >= len)
                return -ENAMETOOLONG;
        memcpy(buf, field[field_no], value_len + 1);
        return 0;
}

/* No stdio, no allocation: the container's first process calls this between clone and exec. */
int passwd_find_field(int fd, uid_t uid, PasswdField field, char *buf, size_t len) {
        char line[PASSWD_LINE_MAX];
        size_t fill = 0, total = 0;
        bool skipping = false; /* in a line longer than the buffer */
        int r;

        for (;;) {
                ssize_t n = RETRY_ON_EINTR(read(fd, line + fill, sizeof(line) - 1 - fill));
                char *nl;

                if (n < 0)
                        return -errno;
                if (n == 0) { /* a last line without a newline */
                        line[fill] = '\0';
                        return fill > 0 && !skipping ? passwd_line_field(line, uid, field, buf, len)
                                                     : -ENOENT;
                }
                total += (size_t) n;
                if (total > PASSWD_SIZE_MAX)
                        return -EFBIG;
                fill += (size_t) n;
                while ((nl = memchr(line, '\n', fill))) {
                        *nl = '\0';
                        if (!skipping) {
                                r = passwd_line_field(line, uid, field, buf, len);
                                if (r != -ENOENT)
                                        return r;
                        }
                        skipping = false;
                        fill -= (size_t) (nl + 1 - line);
                        memmove(line, nl + 1, fill);
                }
                if (fill == sizeof(line) - 1) {
                        skipping = true;
                        fill = 0;
                }
        }
}

/* HOME of uid from root_fd's /etc/passwd, resolved in that root: an image's symlink cannot make us read a
 * host file. Only a regular file is read (O_NONBLOCK: a fifo there does not block us). runc, too, falls
 * back to "/" on any error. */
static void fill_home(ProcessEnv *e, int root_fd, uid_t uid) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = rootfs_open_file_in_root(root_fd, "/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
            passwd_find_field(fd, uid, PASSWD_HOME, e->home + 5, PROCESS_ENV_HOME_MAX - 5) < 0)
                strcpy(e->home, "HOME=/");
}

/* "LISTEN_PID=" and the decimal pid, without stdio. */
static void format_pid(char *buf, size_t len, pid_t pid) {
        char digits[16];
        size_t n = 0, prefix = strlen("LISTEN_PID=");

        do
                digits[n++] = (char) ('0' + pid % 10);
        while ((pid /= 10) > 0 && n < sizeof(digits));
        if (prefix + n >= len)
                return;
        memcpy(buf, "LISTEN_PID=", prefix);
        for (size_t i = 0; i < n; i++)
                buf[prefix + i] = digits[n - 1 - i];
        buf[prefix + n] = '\0';
}

void process_env_finish(ProcessEnv *e, uid_t uid) {
        if (e->listen_fds > 0)
                format_pid(e->listen_pid_var, sizeof(e->listen_pid_var), getpid());
        if (e->home) {
                _cleanup_close_ int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

                if (root_fd >= 0)
                        fill_home(e, root_fd, uid);
        }
}

int process_env_set_home_at(OciProcess *p, int root_fd) {
        _cleanup_(process_env_freep) ProcessEnv *e = NULL;
        _cleanup_(strv_freep) char **env = NULL;
        size_t n = 0;
        int r;

        r = process_env_new(p->env, 0, &e);
        if (r < 0)
                return r;
        if (e->home)
                fill_home(e, root_fd, p->user.uid);
        while (e->env[n])
                n++;
        env = calloc(n + 1, sizeof(char *));
        if (!env)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (!(env[i] = strdup(e->env[i])))
                        return -ENOMEM;
        strv_free(p->env);
        p->env = TAKE_PTR(env);
        return 0;
}

int process_env_set_home_of(OciProcess *p, pid_t pid, int pidfd) {
        _cleanup_close_ int root_fd = -EBADF;
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/root", (int) pid);
        root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return -errno;
        /* Still the container's process, not a new one with its pid? */
        if (pidfd_kill(pidfd, pid, 0) < 0)
                return -ESRCH;
        return process_env_set_home_at(p, root_fd);
}
