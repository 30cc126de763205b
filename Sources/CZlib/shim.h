#ifndef LMB_CZLIB_SHIM_H
#define LMB_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 and deflateInit2 are macros, which Swift cannot call: one function each.
   Shared by lmb's document download (gunzip) and the sandbox's Amazon emulator (gzip). */

/* 15 + 32: the largest window, and a gzip or zlib header detected automatically. */
static inline int lmb_inflate_init_auto(z_streamp stream) {
    return inflateInit2(stream, 15 + 32);
}

/* 15 + 16: the largest window, with a gzip header and trailer (what S3 serves for GZIP documents). */
static inline int lmb_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
