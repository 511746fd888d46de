// Internal helpers shared by the COracle sources (not part of the public API).
#ifndef COracle_oracle_internal_h
#define COracle_oracle_internal_h
#include "include/oracle.h"

extern unsigned oracle_opts_;
int oracle_fail_(int code, const char *msg);   // records msg, returns code
#endif
