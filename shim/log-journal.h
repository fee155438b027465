#pragma once

/* The shim's journald log driver: each line of the container's output as a journal entry with docker's
 * and podman's fields (CONTAINER_ID, CONTAINER_ID_FULL, CONTAINER_NAME, CONTAINER_TAG, SYSLOG_IDENTIFIER,
 * PRIORITY 6 for stdout and 3 for stderr, CONTAINER_PARTIAL_MESSAGE=true for a line not ended yet). Sent
 * in journald's native protocol on a non-blocking socket of our own rather than by sd_journal_send(),
 * whose blocking socket would stall the shim, and the container behind it, whenever journald lags: an
 * entry journald cannot take now is dropped and counted, as the file driver does. */

#include <stddef.h>
#include <stdint.h>

#include "log-file.h"

typedef struct LogJournal LogJournal;

/* socket_path NULL: journald's, /run/systemd/journal/socket. id names the container. */
int log_journal_open(const char *socket_path, const char *id, LogJournal **ret);
LogJournal *log_journal_free(LogJournal *j);
/* As log_file_write(): complete lines, then the rest as a partial entry; 0 or the errno of a drop. */
int log_journal_write(LogJournal *j, LogStream stream, const char *data, size_t n);
uint64_t log_journal_dropped_entries(const LogJournal *j);
