/* watch.h — `monocache __watch`, the watcher of one cache on this host (see
 * watch.c). Started by the preloaded library and by monocache run, never by
 * users. */
#ifndef MC_WATCH_H
#define MC_WATCH_H

int watch_main(int argc, char **argv);

#endif
