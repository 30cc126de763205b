// Swift's -D cannot carry a value, a C define can: Package.swift passes the commit here.
#include "build_info.h"

#ifndef LMB_BUILD_COMMIT
#define LMB_BUILD_COMMIT "unknown"
#endif

const char *lmb_build_commit(void) { return LMB_BUILD_COMMIT; }
