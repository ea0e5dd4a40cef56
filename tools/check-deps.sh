#!/bin/sh
# Checks that the build dependencies are present; on Debian, as root,
# installs the missing ones.  Fails the build when jansson's reference count
# is not thread-safe: results are shared between threads.
set -eu

need=""
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
if command -v pkg-config >/dev/null 2>&1; then
    pkg-config --exists sqlite3 || need="$need libsqlite3-dev"
    pkg-config --exists jansson || need="$need libjansson-dev"
else
    need="$need libsqlite3-dev libjansson-dev"
fi

if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "deps: installing$need"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
    else
        echo "deps: missing$need; install them (Debian: apt-get install$need)" >&2
        exit 1
    fi
fi

cc=${CC:-cc}
printf '#include <jansson.h>\n#if !JANSSON_THREAD_SAFE_REFCOUNT\n#error jansson refcount is not thread-safe\n#endif\nint main(void){return 0;}\n' |
    $cc $(pkg-config --cflags jansson) -x c -fsyntax-only - ||
    { echo "deps: jansson's reference count is not thread-safe; libnanasqlite needs jansson >= 2.11 built with atomic builtins" >&2; exit 1; }
echo "deps: sqlite3 $(pkg-config --modversion sqlite3), jansson $(pkg-config --modversion jansson)"
