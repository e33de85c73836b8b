/* glibc.h — included first into every file of the preloaded library (make
 * gives -include): binds the few libc functions whose newest version is
 * not glibc's first to that first version (the same functions for our
 * use), so that the library needs one symbol version, GLIBC_2.2.5, and
 * ld.so checks one version node, not six, in every process. x86_64 only:
 * elsewhere the defaults stand. */
#ifndef MC_GLIBC_H
#define MC_GLIBC_H

#if defined(__x86_64__) && defined(__linux__)
/* memcpy@GLIBC_2.2.5 is memmove: the same for every copy we make. */
__asm__(".symver memcpy,memcpy@GLIBC_2.2.5");
/* realpath@GLIBC_2.2.5 needs a buffer: install.c always gives one. */
__asm__(".symver realpath,realpath@GLIBC_2.2.5");
/* dlsym and dladdr moved from libdl to libc in 2.34, keeping their old
 * version there too. */
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dladdr,dladdr@GLIBC_2.2.5");
#endif

#endif
