#include "signal-name.h"
#include "tap.h"

int main(void) {
        TAP_EQ_INT(signal_from_string("TERM"), SIGTERM);
        TAP_EQ_INT(signal_from_string("SIGTERM"), SIGTERM);
        TAP_EQ_INT(signal_from_string("sigterm"), SIGTERM);
        TAP_EQ_INT(signal_from_string("kill"), SIGKILL);
        TAP_EQ_INT(signal_from_string("9"), SIGKILL);
        TAP_EQ_INT(signal_from_string("64"), 64);
        TAP_EQ_INT(signal_from_string("WINCH"), SIGWINCH);
        TAP_EQ_INT(signal_from_string("SIGRTMIN"), 34);
        TAP_EQ_INT(signal_from_string("RTMIN+3"), 37);
        TAP_EQ_INT(signal_from_string("SIGRTMAX-2"), 62);
        TAP_EQ_INT(signal_from_string("RTMAX"), 64);
        TAP_EQ_INT(signal_from_string("IOT"), SIGABRT);
        TAP_EQ_INT(signal_from_string("CLD"), SIGCHLD);

        /* Bad input: each is refused, none is mistaken for a signal. */
        TAP_EQ_INT(signal_from_string(NULL), -EINVAL);
        TAP_EQ_INT(signal_from_string(""), -EINVAL);
        TAP_EQ_INT(signal_from_string("0"), -EINVAL);
        TAP_EQ_INT(signal_from_string("65"), -EINVAL);
        TAP_EQ_INT(signal_from_string("99999999999999999999"), -EINVAL);
        TAP_EQ_INT(signal_from_string("-9"), -EINVAL);
        TAP_EQ_INT(signal_from_string("9x"), -EINVAL);
        TAP_EQ_INT(signal_from_string("SIG"), -EINVAL);
        TAP_EQ_INT(signal_from_string("TERMX"), -EINVAL);
        TAP_EQ_INT(signal_from_string("RTMIN+31"), -EINVAL);
        TAP_EQ_INT(signal_from_string("RTMIN-1"), -EINVAL);
        TAP_EQ_INT(signal_from_string("RTMAX+1"), -EINVAL);
        TAP_EQ_INT(signal_from_string("RTMIN+"), -EINVAL);
        TAP_EQ_INT(signal_from_string("SIG SEGV"), -EINVAL);

        TAP_EQ_STR(signal_to_string(SIGUSR1), "USR1");
        TAP_EQ_STR(signal_to_string(SIGSYS), "SYS");
        TAP_EQ_STR(signal_to_string(0), NULL);
        TAP_EQ_STR(signal_to_string(40), NULL);

        /* Every name the table knows parses back to its number, and 1..31 all have a name. */
        int mismatches = 0, named = 0;
        for (int sig = 1; sig < SIGNAL_RTMIN_KERNEL; sig++) {
                if (!signal_to_string(sig))
                        continue;
                named++;
                if (signal_from_string(signal_to_string(sig)) != sig)
                        mismatches++;
        }
        TAP_EQ_INT(mismatches, 0);
        TAP_EQ_INT(named, 31);
        return tap_done();
}
