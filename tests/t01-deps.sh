#!/bin/bash
# t01-deps.sh — scripts/install-deps (make deps): on this machine, where
# make deps has run, it asks apt for nothing; and its decisions, with
# apt-get, dpkg-query, node and npm replaced by stubs on PATH that keep a
# small package database (installed, known to the lists, conflicts).
. "$(dirname "$0")/lib.sh"

script=$top/scripts/install-deps

# --- this machine ------------------------------------------------------------
# Real dpkg-query, node and npm; an apt-get that records its call and fails,
# so that nothing on the machine changes.
mkdir -p "$T/refuse"
printf '#!/bin/sh\necho "$*" >> "%s/refuse/calls"\nexit 100\n' "$T" > "$T/refuse/apt-get"
chmod +x "$T/refuse/apt-get"
out=$(PATH=$T/refuse:$PATH sh "$script" 2>&1)
status=$?
is "this machine: make deps left nothing to install (exit 0)" "$status" 0
is "... it says so in one line" "$out" "install-deps: everything is installed"
is "... and asked apt nothing" "$(cat "$T/refuse/calls" 2> /dev/null)" ""

# --- stubs -------------------------------------------------------------------
# $S/db: installed (one package a line), known (what the lists hold),
# known-after-update (what fresh lists hold), conflicts ("pkg reason").
# $S/bin: the stubs, and node/npm when "installed". $S/calls: what ran.
build="build-essential pkg-config libhiredis-dev libcjson-dev libcurl4-openssl-dev libssl-dev
libexpat1-dev"
tests=$(sed -n '/^test_packages="/,/"$/p' "$script" | tr -d '"' | sed 's/^test_packages=//')

make_stubs() {
    S=$T/stub.$1
    rm -rf "$S"
    mkdir -p "$S/bin" "$S/db" "$S/lists" "$S/sys" "$S/deps"
    : > "$S/db/installed"
    : > "$S/db/conflicts"
    # shellcheck disable=SC2086
    printf '%s\n' $build $tests nodejs npm > "$S/db/known"
    for tool in sh env grep sed find head tail mktemp rm cat cp mv id dirname tr mkdir chmod touch wc sort; do
        ln -s "$(command -v "$tool")" "$S/sys/$tool"
    done
    cat > "$S/bin/dpkg-query" <<EOF
#!/bin/sh
for last; do :; done
if grep -qx "\$last" "$S/db/installed"; then echo "install ok installed"; exit 0; fi
echo "dpkg-query: no packages found matching \$last" >&2
exit 1
EOF
    cat > "$S/bin/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >> "$S/calls"
case " \$* " in *" -o DPkg::Lock::Timeout="[1-9]*) ;; *) echo "E: no lock timeout" >&2; exit 100;; esac
shift 2
case \$1 in
update)
    touch "$S/lists/deb_Packages"
    [ -f "$S/db/known-after-update" ] && cp "$S/db/known-after-update" "$S/db/known"
    exit 0;;
install) ;;
*) exit 100;;
esac
shift
simulate=0
pkgs=""
for a; do
    case \$a in -s) simulate=1;; -*) ;; *) pkgs="\$pkgs \$a";; esac
done
for p in \$pkgs; do
    if ! grep -qx "\$p" "$S/db/known"; then
        echo "E: Unable to locate package \$p"; exit 100
    fi
    reason=\$(sed -n "s/^\$p //p" "$S/db/conflicts")
    if [ -n "\$reason" ]; then
        echo "Some packages could not be installed."
        echo " \$reason"
        echo "E: Unable to correct problems, you have held broken packages."
        exit 100
    fi
done
[ \$simulate = 1 ] && exit 0
for p in \$pkgs; do
    echo "\$p" >> "$S/db/installed"
    case \$p in
    nodejs) printf '#!/bin/sh\necho v18.19.0\n' > "$S/bin/node"; chmod +x "$S/bin/node";;
    npm) make_npm=1;;
    esac
done
[ -n "\${make_npm:-}" ] && cp "$S/npm" "$S/bin/npm"
exit 0
EOF
    cat > "$S/npm" <<EOF
#!/bin/sh
echo "npm \$*" >> "$S/calls"
[ "\$1" = --version ] && { echo 9.2.0; exit 0; }
prefix=""
while [ \$# -gt 0 ]; do [ "\$1" = --prefix ] && prefix=\$2; shift; done
mkdir -p "\$prefix/node_modules/.bin"
printf '#!/bin/sh\n' > "\$prefix/node_modules/.bin/s3rver"
chmod +x "\$prefix/node_modules/.bin/s3rver"
EOF
    chmod +x "$S/bin/apt-get" "$S/bin/dpkg-query" "$S/npm"
}

# Marks packages installed in the stub database.
installed() {
    printf '%s\n' "$@" >> "$S/db/installed"
}

node_works() {
    printf '#!/bin/sh\necho v20.20.2\n' > "$S/bin/node"
    chmod +x "$S/bin/node"
    installed nodejs
}

npm_works() {
    cp "$S/npm" "$S/bin/npm"
}

lists_fresh() {
    touch "$S/lists/deb_Packages"
}

run_deps() {
    out=$(env -i PATH="$S/bin:$S/sys" HOME="$T" TMPDIR="$T" MC_APT_LISTS="$S/lists" \
        MC_DEPS_DIR="$S/deps" sh "$script" 2>&1)
    status=$?
}

apt_installs() {
    grep '^apt-get .* install -y -q' "$S/calls" 2> /dev/null | sed 's/.*--no-install-recommends //'
}

all_installed() {
    for p in "$@"; do
        grep -qx "$p" "$S/db/installed" || { echo "missing $p"; return 1; }
    done
}

# --- a fresh machine ---------------------------------------------------------
make_stubs fresh
run_deps
is "fresh machine, no node: exit 0" "$status" 0
like "... stale lists refreshed first" "$(head -1 "$S/calls")" "^apt-get -o DPkg::Lock::Timeout=[0-9]+ update"
is "... the build dependencies installed alone, first" "$(apt_installs | head -1)" "$(echo $build)"
# shellcheck disable=SC2086
ok "... then every test tool, nodejs and npm from Debian" all_installed $build $tests nodejs npm
ok "... s3rver installed with npm" test -x "$S/deps/node_modules/.bin/s3rver"
is "... every apt-get waits for the dpkg lock" "$(grep '^apt-get' "$S/calls" | grep -vc 'Lock::Timeout=600')" 0
asked() {
    grep -Ec '^(apt-get|npm install)' "$S/calls"
}
calls=$(asked)
run_deps
is "run again: exit 0" "$status" 0
is "... nothing asked of apt, nothing installed with npm" "$(asked)" "$calls"
is "... one line says so" "$out" "install-deps: everything is installed"

# --- NodeSource's nodejs, its own npm -----------------------------------------
make_stubs nodesource
lists_fresh
node_works
npm_works
echo "npm nodejs : Conflicts: npm" > "$S/db/conflicts"
run_deps
is "node and npm that work: exit 0" "$status" 0
refute "... Debian's npm never asked of apt" grep -Eq "^apt-get .* npm( |$)" "$S/calls"
ok "... fresh lists not refreshed" sh -c "! grep -q ' update' '$S/calls'"
# shellcheck disable=SC2086
ok "... everything else installed" all_installed $build $tests
is "... no warning" "$(printf '%s\n' "$out" | grep -c 'cannot install')" 0

# --- nodejs without npm, Debian's npm conflicting ------------------------------
make_stubs nonpm
lists_fresh
node_works
echo "npm nodejs : Conflicts: npm" > "$S/db/conflicts"
run_deps
is "node without npm, npm in conflict: exit 0 (a test tool)" "$status" 0
like "... one line names npm and apt's reason" "$out" "install-deps: cannot install npm: nodejs : Conflicts: npm"
# shellcheck disable=SC2086
ok "... the build dependencies and the other tools installed" all_installed $build $tests
like "... s3rver: no npm, said so" "$out" "cannot install s3rver: no working npm"
like "... the summary names what is missing" "$(printf '%s\n' "$out" | tail -1)" "not installed: npm s3rver"

# --- a package the lists do not know, before and after refreshing -------------
make_stubs unknown
lists_fresh
node_works
npm_works
grep -vx hyperfine "$S/db/known" > "$S/db/k" && mv "$S/db/k" "$S/db/known"
run_deps
is "a test tool apt does not know: exit 0" "$status" 0
like "... the lists refreshed once to look for it" "$(grep -c ' update' "$S/calls")" "^1$"
like "... then one line names it" "$out" "install-deps: cannot install hyperfine: E: Unable to locate package hyperfine"
is "... said once" "$(printf '%s\n' "$out" | grep -c 'cannot install hyperfine')" 1
ok "... the others installed" all_installed $build rclone valgrind

make_stubs late
lists_fresh
node_works
npm_works
cp "$S/db/known" "$S/db/known-after-update"
grep -vx libcjson-dev "$S/db/known" > "$S/db/k" && mv "$S/db/k" "$S/db/known"
run_deps
is "a build dependency only fresh lists know: exit 0" "$status" 0
ok "... installed after the refresh" all_installed libcjson-dev
is "... no warning" "$(printf '%s\n' "$out" | grep -c cannot)" 0

make_stubs nobuild
lists_fresh
node_works
npm_works
grep -vx libexpat1-dev "$S/db/known" > "$S/db/k" && mv "$S/db/k" "$S/db/known"
run_deps
is "a build dependency that cannot be installed: exit 1" "$status" 1
like "... named with apt's reason" "$out" "cannot install libexpat1-dev: E: Unable to locate package libexpat1-dev"
like "... and said that make cannot build" "$(printf '%s\n' "$out" | tail -1)" "build dependencies not installed: libexpat1-dev"
# shellcheck disable=SC2086
ok "... the rest installed all the same" all_installed libhiredis-dev redis-server

finish
