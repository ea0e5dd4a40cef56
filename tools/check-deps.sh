#!/bin/sh
# Checks that the build dependencies are present; on Debian, as root,
# installs the missing ones.  Fails the build when jansson's reference count
# is not thread-safe: results are shared between threads.
#
# The test suite needs two tools besides: mandoc, which lints the man pages
# and renders their EXAMPLES for the doc tests, and g++, which checks that
# the header compiles as C++.  They are installed the same way; where they
# cannot be, the build goes on with a warning, and the tests that need them
# fail saying so.
set -eu

need=""
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
if command -v pkg-config >/dev/null 2>&1; then
    pkg-config --exists sqlite3 || need="$need libsqlite3-dev"
    pkg-config --exists jansson || need="$need libjansson-dev"
else
    need="$need libsqlite3-dev libjansson-dev"
fi
for_tests=""
command -v mandoc >/dev/null 2>&1 || for_tests="$for_tests mandoc"
command -v g++ >/dev/null 2>&1 || for_tests="$for_tests g++"

if [ -n "$need$for_tests" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "deps: installing$need$for_tests"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need $for_tests >/dev/null
    elif [ -n "$need" ]; then
        echo "deps: missing$need$for_tests; install them (Debian: apt-get install$need$for_tests)" >&2
        exit 1
    else
        echo "deps: warning: missing$for_tests, which the tests need (Debian: apt-get install$for_tests)" >&2
    fi
fi

cc=${CC:-cc}
printf '#include <jansson.h>\n#if !JANSSON_THREAD_SAFE_REFCOUNT\n#error jansson refcount is not thread-safe\n#endif\nint main(void){return 0;}\n' |
    $cc $(pkg-config --cflags jansson) -x c -fsyntax-only - ||
    { echo "deps: jansson's reference count is not thread-safe; libnanasqlite needs jansson >= 2.11 built with atomic builtins" >&2; exit 1; }
echo "deps: sqlite3 $(pkg-config --modversion sqlite3), jansson $(pkg-config --modversion jansson)"
