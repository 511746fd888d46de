// Options and error reporting shared by both oracles.
#include "oracle_internal.h"

unsigned oracle_opts_ = 0;
static const char *last_error = "no error";

int oracle_fail_(int code, const char *msg) {
    last_error = msg;
    return code;
}

const char *oracle_last_error(void) { return last_error; }
void oracle_set_options(unsigned opts) { oracle_opts_ = opts; }
unsigned oracle_get_options(void) { return oracle_opts_; }
