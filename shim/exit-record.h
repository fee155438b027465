#pragma once

/* How a container ended, as the shim records it durably in STATE/ID/exit.json before it tells anyone
 * (../shared/STYLE.md section 3): the record outlives the shim, so a client that comes late, or finds the
 * shim dead, still learns the real status. Library code: no logging; -errno returns. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define EXIT_RECORD_FILE "exit.json"
#define EXIT_RECORD_BOOT_ID_MAX 37 /* a UUID and its NUL */

typedef enum ExitOomVictim {
        EXIT_OOM_VICTIM_NONE,
        EXIT_OOM_VICTIM_FIRST_PROCESS, /* the OOM killer ended the container's first process */
        EXIT_OOM_VICTIM_OTHER, /* it killed another process of the container; the first one exited after */
        _EXIT_OOM_VICTIM_MAX,
        _EXIT_OOM_VICTIM_INVALID = -EINVAL,
} ExitOomVictim;

typedef struct ExitRecord {
        const char *id;
        int exit_code; /* the code, or 128+N for signal N, as shells report it */
        int signal; /* 0 if it exited */
        bool core_dumped;
        bool oom_killed; /* memory.events' oom_kill grew while it ran */
        ExitOomVictim oom_victim;
        struct timespec started_at; /* CLOCK_REALTIME */
        struct timespec exited_at;
        char boot_id[EXIT_RECORD_BOOT_ID_MAX]; /* "" if unknown */
} ExitRecord;

/* Fills the status fields from waitid()'s si_code and si_status (CLD_EXITED, CLD_KILLED, CLD_DUMPED);
 * -EINVAL for any other code (a stop or continue is no exit). */
int exit_record_set_status(ExitRecord *r, int code, int status);

/* Which victim, from whether the OOM kill count grew and how the first process ended. */
ExitOomVictim exit_record_oom_victim(bool oom_kill_grew, int code, int status);

/* The machine's boot id (/proc/sys/kernel/random/boot_id) into buf. */
int exit_record_read_boot_id(char buf[EXIT_RECORD_BOOT_ID_MAX]);

/* "2026-12-05T22:48:13.123456789Z": RFC 3339 in UTC with nanoseconds; buf of at least 32 bytes. */
int exit_record_format_time(const struct timespec *ts, char *buf, size_t size);

/* The record as one JSON object and a newline, into buf (NUL-terminated); -ENOBUFS if it does not fit,
 * -EINVAL for a record that cannot be written (no id, a bad signal). Pure. */
int exit_record_format(const ExitRecord *r, char *buf, size_t size);

/* Writes EXIT_RECORD_FILE in dir_fd durably: a temp file written and fsync'd, renamed over, the directory
 * fsync'd, so that after a crash the file is either absent or whole. */
int exit_record_write(int dir_fd, const ExitRecord *r);
