/* empty.c — an empty preloadable library: the floor any LD_PRELOAD costs,
 * the baseline of make bench. */
int monocache_bench_empty_preload;
