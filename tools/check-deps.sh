#!/bin/sh
# The build's dependencies: checks them and, on Debian as root, installs the
# missing ones.
#
#   check-deps.sh --lib    what building the library needs: pkg-config,
#                          SQLite 3, jansson and OpenSSL's libcrypto; fails when one is missing and
#                          cannot be installed, or when jansson's reference
#                          count is not thread-safe (results are shared
#                          between threads).  Run before the first compile.
#   check-deps.sh --tests  what only the test suite needs: mandoc (lints the
#                          man pages, renders their EXAMPLES), g++ (the
#                          header as C++), libevent-dev and libuv1-dev (the
#                          event-loop adapters' tests, the example HTTP
#                          service), libdqlite-dev (the dqlite cluster
#                          tests' nodes), curl (drives that service) and
#                          python3-cryptography (the encryption interop
#                          test writes and reads NanaSQLite's format).
#                          Installed the same way; where they cannot be, a
#                          warning and exit 0: the library still builds, and
#                          the tests that need them fail saying so.  Run by
#                          make test / asan / tsan / valgrind.
#   check-deps.sh --all    both, failing when anything is missing (make deps).
#   check-deps.sh --http-service
#                          what `make http-service` needs: libevent-dev.
#   check-deps.sh --http-bench
#                          what `make http-bench` needs: libevent-dev and wrk.
#                          These two fail when something is missing.
#   check-deps.sh --fuzz   what `make fuzz` needs: clang able to link a
#                          libFuzzer target with ASan and UBSan (clang,
#                          libclang-rt-dev).  Fails when missing.
#
# Optional, never installed here: cmake (the CMake-package test runs only
# when it is present) and valgrind (make valgrind, make bench-instr).
set -eu

mode=${1:---all}
case $mode in
--lib | --tests | --all | --http-service | --http-bench | --fuzz) ;;
*) echo "usage: $0 --lib | --tests | --all | --http-service | --http-bench | --fuzz" >&2; exit 2 ;;
esac

# Debian packages missing for the library.
lib_missing() {
    if command -v pkg-config >/dev/null 2>&1; then
        pkg-config --exists sqlite3 || printf ' libsqlite3-dev'
        pkg-config --exists jansson || printf ' libjansson-dev'
        pkg-config --exists 'libcrypto >= 3.0' || printf ' libssl-dev'
    else
        printf ' pkg-config libsqlite3-dev libjansson-dev libssl-dev'
    fi
}
# ... and for the tests.
tests_missing() {
    command -v mandoc >/dev/null 2>&1 || printf ' mandoc'
    command -v g++ >/dev/null 2>&1 || printf ' g++'
    pkg-config --exists libevent 2>/dev/null || printf ' libevent-dev'
    pkg-config --exists libuv 2>/dev/null || printf ' libuv1-dev'
    pkg-config --exists dqlite 2>/dev/null || printf ' libdqlite-dev'
    command -v curl >/dev/null 2>&1 || printf ' curl'
    py_crypto || printf ' python3-cryptography'
}
# Is there a Python with the cryptography package (the encryption interop
# test's independent implementation of NanaSQLite's format)?  Looked for as
# the test looks: Debian's, which python3-cryptography serves, then the one
# on PATH.
py_crypto() {
    for py in /usr/bin/python3 python3; do
        "$py" -c 'import cryptography.hazmat.primitives.ciphers.aead' >/dev/null 2>&1 && return 0
    done
    return 1
}
# ... and for the example HTTP service and its benchmark.
http_missing() {
    pkg-config --exists libevent 2>/dev/null || printf ' libevent-dev'
    if [ "$mode" = --http-bench ]; then
        command -v wrk >/dev/null 2>&1 || printf ' wrk'
    fi
}

# ... and for make fuzz: clang that links a fuzzer (the runtime is a
# package of its own).
fuzz_missing() {
    if ! command -v clang >/dev/null 2>&1; then
        printf ' clang libclang-rt-dev'
        return
    fi
    probe=$(mktemp) || return
    printf '%s\n' 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);' \
        'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)' \
        '{ return (int)(d && n) * 0; }' |
        clang -fsanitize=fuzzer,address,undefined -x c - -o "$probe" >/dev/null 2>&1 ||
        printf ' libclang-rt-dev'
    rm -f "$probe"
}

# Installs packages "$@" when root on a machine with apt-get; 1 when it
# cannot or did not succeed.
apt_updated=""
install_packages() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
    echo "deps: installing $*"
    if [ -z "$apt_updated" ]; then
        # Lists that could not be refreshed may still be good enough.
        DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
            echo "deps: apt-get update failed; trying the install anyway" >&2
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || return 1
}

if [ "$mode" = --fuzz ]; then
    need=$(fuzz_missing)
    if [ -n "$need" ]; then
        # shellcheck disable=SC2086
        install_packages $need || true
        need=$(fuzz_missing)
        if [ -n "$need" ]; then
            echo "deps: missing$need, which make fuzz needs (Debian, as root:" \
                "apt-get install$need)" >&2
            exit 1
        fi
    fi
    echo "deps: $(clang --version | head -n 1), with libFuzzer"
    exit 0
fi

if [ "$mode" = --http-service ] || [ "$mode" = --http-bench ]; then
    need=$(http_missing)
    if [ -n "$need" ]; then
        # shellcheck disable=SC2086
        install_packages $need || true
        need=$(http_missing)
        if [ -n "$need" ]; then
            echo "deps: missing$need, which make ${mode#--} needs (Debian, as root:" \
                "apt-get install$need)" >&2
            exit 1
        fi
    fi
    exit 0
fi

if [ "$mode" != --tests ]; then
    need=$(lib_missing)
    if [ -n "$need" ]; then
        # shellcheck disable=SC2086
        install_packages $need || true
        need=$(lib_missing)
        if [ -n "$need" ]; then
            echo "deps: missing$need, which the library needs (Debian, as root: apt-get install$need;" \
                "or make deps)" >&2
            exit 1
        fi
    fi
    cc=${CC:-cc}
    printf '#include <jansson.h>\n#if !JANSSON_THREAD_SAFE_REFCOUNT\n#error jansson refcount is not thread-safe\n#endif\nint main(void){return 0;}\n' |
        $cc $(pkg-config --cflags jansson) -x c -fsyntax-only - ||
        { echo "deps: jansson's reference count is not thread-safe; libnanasqlite needs jansson >= 2.11 built with atomic builtins" >&2; exit 1; }
    echo "deps: sqlite3 $(pkg-config --modversion sqlite3), jansson $(pkg-config --modversion jansson)," \
        "libcrypto $(pkg-config --modversion libcrypto)"
fi

if [ "$mode" != --lib ]; then
    need=$(tests_missing)
    if [ -n "$need" ]; then
        # shellcheck disable=SC2086
        install_packages $need || true
        need=$(tests_missing)
    fi
    if [ -n "$need" ]; then
        if [ "$mode" = --all ]; then
            echo "deps: missing$need, which the tests need (Debian, as root: apt-get install$need)" >&2
            exit 1
        fi
        echo "deps: warning: missing$need, which some tests need (Debian, as root:" \
            "apt-get install$need, or make deps); the library builds without them" >&2
    fi
fi
