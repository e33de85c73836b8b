#!/bin/bash
# t02-package.sh — make deb: the Debian package holds what the README says,
# lintian finds no error in it, and it works wherever it is unpacked (the
# tool and the library find each other relative to where they are).
. "$(dirname "$0")/lib.sh"

skip_all() {
    echo "1..0 # SKIP $1"
    rm -rf "$T"
    exit 0
}
command -v dpkg-buildpackage > /dev/null || skip_all "dpkg-buildpackage not installed (make deps)"
command -v dh > /dev/null || skip_all "debhelper not installed (make deps)"

version=$(sed -n 's/^VERSION = //p' "$top/Makefile")
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2> /dev/null || cc -print-multiarch)
deb=$T/dist/monocache_${version}_$arch.deb
if ! make -s -C "$top" deb DIST="$T/dist" > "$T/deb.out" 2>&1 || [ ! -f "$deb" ]; then
    fail "make deb writes dist/monocache_${version}_$arch.deb" "$(tail -20 "$T/deb.out")"
    finish
    exit 1
fi
pass "make deb writes dist/monocache_${version}_$arch.deb"

files=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
lib=/usr/lib/$multiarch
for want in /usr/bin/monocache /usr/bin/monocache-s3 "$lib/libmonocache.so.$version" \
    "$lib/libmonocache.so.0" "$lib/libmonocache.so" /usr/include/monocache.h \
    "$lib/pkgconfig/monocache.pc" /usr/share/man/man1/monocache.1.gz \
    /usr/share/man/man1/monocache-s3.1.gz /usr/share/doc/monocache/README.md.gz \
    /usr/share/doc/monocache/copyright /usr/share/bash-completion/completions/monocache \
    /usr/share/zsh/vendor-completions/_monocache; do
    ok "the package holds $want" grep -qxF "$want" <(printf '%s\n' "$files")
done
is "... the Apache-2.0 license in its copyright file" \
    "$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/share/doc/monocache/copyright |
        grep -c '^License: Apache-2.0')" 2
like "... its dependencies found by dpkg-shlibdeps" "$(dpkg-deb -f "$deb" Depends)" "libcurl.*libhiredis"

if command -v lintian > /dev/null; then
    lintian "$deb" > "$T/lintian.out" 2>&1
    is "lintian: no errors" "$(grep -c '^E:' "$T/lintian.out")" 0
    grep -E '^[EW]:' "$T/lintian.out" | sed 's/^/# /'
else
    echo "ok $((tap_count += 1)) # SKIP lintian not installed (make deps)"
fi

# Unpacked anywhere, it works as it is.
dpkg-deb -x "$deb" "$T/x"
out=$("$T/x/usr/bin/monocache" run -- sh -c 'echo "$LD_PRELOAD|$MONOCACHE_PATH"' 2>&1)
is "unpacked: run preloads the library beside it, by its soname" "${out%%|*}" \
    "$T/x$lib/libmonocache.so.0"
like "... and the program has a cache" "${out#*|}" "^$ROOT/cache/[0-9a-f-]{36}\$"
out=$(LD_PRELOAD="$T/x$lib/libmonocache.so" sh -c 'echo "$MONOCACHE_PATH"' 2>&1)
like "unpacked: LD_PRELOAD=.../libmonocache.so finds its monocache in ../../bin" "$out" \
    "^$ROOT/cache/[0-9a-f-]{36}\$"
ok "... the library looks in /usr/bin last, as installed" grep -qx /usr/bin \
    <(strings -a "$T/x$lib/libmonocache.so.$version")
like "... monocache.pc names /usr" "$(grep '^prefix=' "$T/x$lib/pkgconfig/monocache.pc")" '^prefix=/usr$'
ok "... the man page reads" sh -c "man -l '$T/x/usr/share/man/man1/monocache.1.gz' | grep -q 'monocache run'"
eventually 10 no_caches

finish
