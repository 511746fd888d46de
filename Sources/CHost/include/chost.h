// Host services Swift's Glibc module does not expose (feature-test-gated declarations).
#ifndef CHOST_H
#define CHOST_H
// Opens a pseudo-terminal master (raw mode, non-blocking); writes the slave path into
// `path` (size `len`). Returns the master fd or -1.
int chost_open_pty(char *path, unsigned long len);
#endif
