/* The container's stdout and stderr: pipes whose write ends the runtime's create hands to the container,
 * whose read ends the loop drains into the log as they fill. The shim reads whatever comes, at once, and
 * never waits on the log: a full or broken disk costs entries (log-file.c counts them), never the
 * container's progress. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log-journal.h"
#include "macro.h"
#include "shim.h"

/* conmon's STDIO_BUF_SIZE: a longer line goes out as P entries of this size. On the stack, which is
 * touched anyway: what stays resident per shim is what the issue counts. */
#define READ_CHUNK 8192
/* Room for bursts while the loop is busy elsewhere; /proc/sys/fs/pipe-max-size caps it (1 MiB default). */
#define PIPE_SIZE (1024 * 1024)

/* While create runs only the runtime writes to stderr: its last line is the error to report. */
static void keep_create_error(Shim *s, const char *data, size_t n) {
        const char *end = data + n, *start;

        while (end > data && (end[-1] == '\n' || end[-1] == '\r'))
                end--;
        if (end == data)
                return;
        start = memrchr(data, '\n', (size_t) (end - data));
        start = start ? start + 1 : data;
        snprintf(s->create_error, sizeof(s->create_error), "%.*s", (int) (end - start), start);
}

/* LogDropped changes with every entry dropped; a client hears of it when dropping starts and when it
 * ends, not once per entry (a full disk would flood the bus). */
static void log_written(Shim *s, int r) {
        if ((r < 0) == s->log_dropping)
                return;
        s->log_dropping = r < 0;
        shim_changed(s);
}

/* Reads what stream i holds now; false once it is at its end (every writer gone). */
static bool read_stream(Shim *s, LogStream i) {
        char buf[READ_CHUNK];

        for (;;) {
                ssize_t n = read(s->stdio[i], buf, sizeof(buf));
                struct timespec now;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno == EAGAIN;
                if (n == 0)
                        return false;
                if (i == LOG_STREAM_STDERR && s->state == SHIM_STATE_CREATING)
                        keep_create_error(s, buf, (size_t) n);
                if (s->log) {
                        (void) clock_gettime(CLOCK_REALTIME, &now);
                        log_written(s, log_file_write(s->log, i, &now, buf, (size_t) n));
                } else if (s->journal)
                        log_written(s, log_journal_write(s->journal, i, buf, (size_t) n));
        }
}

static void stream_close(Shim *s, LogStream i) {
        ev_io_stop(s->loop, &s->stdio_io[i]);
        s->stdio[i] = safe_close(s->stdio[i]);
}

static void on_stdio(struct ev_loop *loop, ev_io *w, int revents) {
        Shim *s = w->data;
        LogStream i = w == &s->stdio_io[LOG_STREAM_STDOUT] ? LOG_STREAM_STDOUT : LOG_STREAM_STDERR;

        if (!read_stream(s, i))
                stream_close(s, i);
}

int shim_io_open(Shim *s, int ret_write_ends[2]) {
        int p[2][2] = {{-EBADF, -EBADF}, {-EBADF, -EBADF}};

        for (size_t i = 0; i < 2; i++)
                if (pipe2(p[i], O_CLOEXEC) < 0) {
                        int r = -errno;

                        safe_close(p[0][0]);
                        safe_close(p[0][1]);
                        return r;
                }
        for (LogStream i = 0; i < _LOG_STREAM_MAX; i++) {
                (void) fcntl(p[i][0], F_SETFL, O_NONBLOCK);
                (void) fcntl(p[i][0], F_SETPIPE_SZ, PIPE_SIZE); /* best effort */
                s->stdio[i] = p[i][0];
                ret_write_ends[i] = p[i][1];
                ev_io_init(&s->stdio_io[i], on_stdio, s->stdio[i], EV_READ);
                s->stdio_io[i].data = s;
                ev_io_start(s->loop, &s->stdio_io[i]);
        }
        return 0;
}

void shim_io_drain(Shim *s) {
        for (LogStream i = 0; i < _LOG_STREAM_MAX; i++)
                if (s->stdio[i] >= 0 && !read_stream(s, i))
                        stream_close(s, i);
}

void shim_io_close(Shim *s) {
        for (LogStream i = 0; i < _LOG_STREAM_MAX; i++)
                if (s->stdio[i] >= 0)
                        stream_close(s, i);
}
