#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H

#include <zlib.h>

// deflateInit2 and inflateInit2 are macros that Swift cannot call: these wrappers pass the version and
// stream size the macros would. windowBits 15 + 16 selects the gzip header and trailer.
static inline int czlib_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, (int)sizeof(z_stream));
}

// windowBits 15 + 32: inflate detects a zlib or gzip header itself.
static inline int czlib_inflate_init_auto(z_streamp stream) {
    return inflateInit2_(stream, 15 + 32, ZLIB_VERSION, (int)sizeof(z_stream));
}

#endif
