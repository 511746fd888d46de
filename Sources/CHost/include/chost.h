// Host services Swift's Glibc module does not expose (feature-test-gated declarations).
#ifndef CHOST_H
#define CHOST_H
// Opens a pseudo-terminal master (raw mode, non-blocking); writes the slave path into
// `path` (size `len`). Returns the master fd or -1.
int chost_open_pty(char *path, unsigned long len);
#endif
#ifndef CHOST_SIGNALS
#define CHOST_SIGNALS
// SIGINT/SIGTERM/SIGHUP set a flag instead of killing the process, so the machine can
// stop between time slices and flush guest output (as QEMU does). Returns the flag's
// address; the value is the signal number, 0 when none arrived.
volatile int *chost_install_stop_signals(void);
#endif
