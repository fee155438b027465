#pragma once

/* The shim's file log driver: the container's stdout and stderr in the CRI format that kubelet and
 * podman read ("TIMESTAMP STREAM P|F TEXT\n", kubernetes/cri-api logging format), with size rotation that
 * keeps N files and splits no entry. A write that fails (a full or broken disk) drops the entry, counts
 * it, and a line says so once writing works again: the container is never held up by its log. Library
 * code: no logging; -errno returns; no allocation per write. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef enum LogStream {
        LOG_STREAM_STDOUT,
        LOG_STREAM_STDERR,
        _LOG_STREAM_MAX,
        _LOG_STREAM_INVALID = -EINVAL,
} LogStream;

typedef struct LogFile LogFile;

/* Opens (appends to) path, made 0640 if missing. max_size 0: no rotation; else at most max_files files
 * (path, path.1, ... path.N-1), each at most max_size bytes unless one entry alone is larger. */
int log_file_open(const char *path, uint64_t max_size, unsigned max_files, LogFile **ret);
LogFile *log_file_free(LogFile *f);

/* Writes what the container wrote, n bytes read from one stream at now: each complete line as an "F"
 * entry, the rest (no newline yet) as a "P" entry, as conmon does (containers/conmon:src/ctr_logging.c),
 * so nothing waits in memory. Returns 0, or the errno of a write that failed (the entries are dropped and
 * counted; the file stays whole). */
int log_file_write(LogFile *f, LogStream stream, const struct timespec *now, const char *data, size_t n);

/* Entries and bytes of the container's output dropped so far. */
uint64_t log_file_dropped_entries(const LogFile *f);
uint64_t log_file_dropped_bytes(const LogFile *f);
