#ifndef LMB_BUILD_INFO_H
#define LMB_BUILD_INFO_H

/// The git commit this binary was built from, as Package.swift found it: 12 hex digits, "-dirty" when the
/// working tree had changes, or "unknown" when it was not built from a git checkout.
const char *lmb_build_commit(void);

#endif
