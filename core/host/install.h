/* install.h — finding our own installed files relative to each other: the
 * library next to the tool (../lib, ../lib/<multiarch>), the tool next to
 * the library (../bin), monocache-s3 next to monocache, wherever the whole
 * was put (PREFIX, DESTDIR, a package unpacked anywhere). Libc only: the
 * preloaded library looks for the tool with it (slow path only). */
#ifndef MC_INSTALL_H
#define MC_INSTALL_H

/* Searches, from the real directory of the file `from`, each directory
 * `rels[i]` (appended: "", "/../lib"; NULL-ended) for each of `names`
 * (NULL-ended), then `fallback_dir` (may be NULL) for each name. The first
 * that passes access(mode) wins: its directory resolved, its name kept.
 * malloc'd, or NULL. */
char *mc_find_installed(const char *from, const char *const rels[], const char *const names[],
                        int mode, const char *fallback_dir);

#endif
