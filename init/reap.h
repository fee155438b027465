#pragma once

#include <stdbool.h>
#include <sys/types.h>

typedef struct Reaper {
        pid_t main_pid;
        bool main_exited;
        int main_status; /* raw wait status of main_pid, valid once main_exited */
        bool warn_on_reap; /* -w: warn about each orphan */
        unsigned long reaped_orphans;
} Reaper;

/* Reaps every child that has exited, recording the main child's status. Returns 0 while children are
 * left, -ECHILD once none is. */
int reap_exited(Reaper *r);

/* Sends sig to every process left behind. As PID 1 that is the whole PID namespace (kill(-1) spares only
 * us); otherwise it is our descendants, found through /proc/PID/task/TID/children, children before their
 * parents, each signalled by pidfd after checking it is still its parent's child, so that a pid reused by a
 * stranger is never hit. A process forked meanwhile can escape one call: call it again.
 * Returns how many processes were signalled (1 stands for "some" after kill(-1)), or -errno. */
int leftovers_signal(bool whole_namespace, int sig);

/* Whether anything is left: any child of ours (a descendant is reparented to us when its parent dies),
 * or, as PID 1, any process in the namespace (one that entered with setns() is not our descendant). */
bool leftovers_any(bool whole_namespace, bool have_children);
