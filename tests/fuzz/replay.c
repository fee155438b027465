/* Feeds every file of the directories (or files) given to LLVMFuzzerTestOneInput(), one TAP line each: a
 * crash, a sanitizer report or an abort() fails the test. */

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "macro.h"
#include "tap.h"

static int replay_file(int dir_fd, const char *name) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        size_t len = 0;

        fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return 0;
        buf = malloc(st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (len < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + len, st.st_size - len);

                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += n;
        }
        LLVMFuzzerTestOneInput(buf, len);
        return 1;
}

static void replay_dir(const char *path) {
        _cleanup_close_ int dir_fd = -EBADF;
        struct dirent **entries = NULL;
        int n;

        dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        n = dir_fd < 0 ? -1 : scandir(path, &entries, NULL, alphasort);
        if (!tap_ok(n >= 0, "read %s", path))
                return;
        for (int i = 0; i < n; i++) {
                int r;

                if (entries[i]->d_name[0] != '.') {
                        r = replay_file(dir_fd, entries[i]->d_name);
                        if (r != 0)
                                tap_ok(r > 0, "replayed %s/%s", path, entries[i]->d_name);
                }
                free(entries[i]);
        }
        free(entries);
}

int main(int argc, char **argv) {
        if (argc < 2) {
                printf("Bail out! no corpus directory given\n");
                return 1;
        }
        for (int i = 1; i < argc; i++)
                replay_dir(argv[i]);
        return tap_done();
}
