#ifndef LMB_CCRYPTO_SHIM_H
#define LMB_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/sha.h>
#endif
