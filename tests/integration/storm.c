/* A zombie storm for tests/integration: `storm N` starts N children that exit at once, never reaps them
 * and exits, so that all N are handed to the nearest reaper (tether-init) together. vfork(), because a
 * fork() of an interpreter per child makes thousands of them take many seconds. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        long n = argc == 2 ? strtol(argv[1], NULL, 10) : -1;

        if (n < 0) {
                fprintf(stderr, "usage: storm N\n");
                return 2;
        }
        for (long i = 0; i < n; i++) {
                pid_t pid = vfork();

                if (pid < 0) {
                        fprintf(stderr, "storm: vfork %ld of %ld: %s\n", i + 1, n, strerror(errno));
                        return 1;
                }
                if (pid == 0)
                        _exit(0);
        }
        return 0;
}
