#!/bin/bash
# t17-install.sh — installed anywhere (PREFIX, DESTDIR, a multiarch
# libdir), the tool and the library find each other, run preloads the
# library by its soname, and pkg-config builds a program that gets a cache.
. "$(dirname "$0")/lib.sh"
: "${MC_MAKE_FLAGS:=}"

# Installed anywhere, the tool and the library find each other.
# Installs from a copy of the build (objects, library, tools), so that the
# directories compiled into the copy never touch the build the other test
# files are running; the copy rebuilds only what carries them.
eval "$MC_MAKE_FLAGS"
case ${O:-build} in /*) build_dir=${O:-build} ;; *) build_dir=$top/${O:-build} ;; esac
case ${OUT:-.} in /*) out_dir=${OUT:-.} ;; *) out_dir=$top/${OUT:-.} ;; esac
mkdir -p "$T/obj" "$T/out"
cp -a "$build_dir/." "$T/obj/"
cp -a "$out_dir"/libmonocache.so* "$out_dir/monocache" "$out_dir/monocache-s3" "$T/out/"
install_to() {
    make -C "$top" O="$T/obj" OUT="$T/out" SANITIZE="${MC_SANITIZE:-}" \
        SHIM_SANITIZE="${MC_SHIM_SANITIZE:-}" install "$@" > "$T/install.out" 2>&1
}
compiled() {
    grep -c ' -c -o ' "$T/install.out"
}
lib_so=libmonocache.so.0
if install_to PREFIX="$T/p"; then
    is "PREFIX install: the two objects that carry the directories rebuilt, no other" \
        "$(compiled)" 2
    ok "... the library looks for the tool in the new bin" grep -qx "$T/p/bin" \
        <(strings -a "$T/p/lib/$lib_so")
    ok "... the tool for the library in the new lib" grep -q "$T/p/lib" "$T/p/bin/monocache"
    install_to PREFIX="$T/p"
    is "... the same PREFIX again: nothing compiled" "$(compiled)" 0
    is "... the soname" "$(readelf -d "$T/p/lib/libmonocache.so" | sed -n 's/.*soname: \[\(.*\)\]/\1/p')" \
        "$lib_so"
    is "... libmonocache.so and the soname link to the versioned file" \
        "$(readlink "$T/p/lib/libmonocache.so") $(readlink "$T/p/lib/$lib_so")" \
        "$lib_so $(readlink "$T/out/$lib_so")"
    out=$("$T/p/bin/monocache" run -- sh -c 'echo "$LD_PRELOAD|$MONOCACHE_PATH"' 2>&1)
    is "PREFIX install: run preloads the library installed beside it, by its soname" "${out%%|*}" \
        "$T/p/lib/$lib_so"
    like "... and the program has a cache" "${out#*|}" "^$ROOT/cache/[0-9a-f-]{36}\$"
    out=$(LD_PRELOAD="$T/p/lib/libmonocache.so" sh -c 'echo "$MONOCACHE_PATH"' 2>&1)
    like "PREFIX install: the preloaded library finds its monocache in ../bin" "$out" "^$ROOT/cache/"
    is "... preload-path says where" "$("$T/p/bin/monocache" preload-path)" "$T/p/lib/$lib_so"
    cat > "$T/api.c" <<'C'
#include <monocache.h>
#include <stdio.h>
int main(void) { printf("%s\n", monocache_path() ? "has a cache" : "none"); return 0; }
C
    flags=$(PKG_CONFIG_PATH="$T/p/lib/pkgconfig" pkg-config --cflags --libs monocache)
    # shellcheck disable=SC2086
    if cc -o "$T/api" "$T/api.c" $flags -Wl,-rpath,"$T/p/lib" 2> "$T/cc.err"; then
        is "pkg-config monocache: a program built with it gets a cache" "$("$T/api")" "has a cache"
    else
        fail "pkg-config monocache: a program built with it gets a cache" "$(cat "$T/cc.err")"
    fi
else
    fail "make install PREFIX=..." "$(cat "$T/install.out")"
fi
multiarch=$(cc -print-multiarch 2>/dev/null)
multiarch=${multiarch:-x86_64-linux-gnu}
if install_to PREFIX="$T/m" LIBDIR="$T/m/lib/$multiarch"; then
    out=$("$T/m/bin/monocache" run -- sh -c 'echo "$LD_PRELOAD"')
    is "multiarch libdir: run finds lib/$multiarch" "$out" "$T/m/lib/$multiarch/$lib_so"
    out=$(LD_PRELOAD="$T/m/lib/$multiarch/libmonocache.so" sh -c 'echo "$MONOCACHE_PATH"')
    like "... and the library finds ../../bin" "$out" "^$ROOT/cache/"
else
    fail "make install with a multiarch LIBDIR" "$(cat "$T/install.out")"
fi
if install_to DESTDIR="$T/stage" PREFIX=/usr; then
    ok "DESTDIR: everything staged under it" test -x "$T/stage/usr/bin/monocache" -a \
        -f "$T/stage/usr/lib/libmonocache.so" -a -f "$T/stage/usr/include/monocache.h" -a \
        -f "$T/stage/usr/share/man/man1/monocache.1" -a -f "$T/stage/usr/lib/pkgconfig/monocache.pc"
    like "... monocache.pc names the final prefix, not the stage" \
        "$(grep '^prefix=' "$T/stage/usr/lib/pkgconfig/monocache.pc")" '^prefix=/usr$'
    out=$("$T/stage/usr/bin/monocache" run -- sh -c 'echo "$LD_PRELOAD"')
    is "... and the staged copy works where it is" "$out" "$T/stage/usr/lib/$lib_so"
else
    fail "make install DESTDIR=..." "$(cat "$T/install.out")"
fi
eventually 10 no_caches

finish
