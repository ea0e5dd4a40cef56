#!/bin/sh
# man/check.sh -- lints every page and builds and runs every EXAMPLES block.
#
#   make && sh man/check.sh [-v] [lint | examples | all] [page.3 ...]
#
# A page passes when `mandoc -Tlint -Wwarning` prints nothing.  Each
# `.Bd -literal` block of an EXAMPLES section is taken from mandoc's own
# rendering (so escapes are checked as a reader sees them), compiled with
# -Wall -Wextra -Werror against include/ and lib/ (and libevent or libuv for
# a block that includes their adapter), and, when it has a main(),
# run: it must exit 0 within 60 seconds.  A block without main() is a
# fragment: it must compile as the body of a function.  The examples make
# their files in /tmp/nanasqlite-XXXXXX (mkdtemp); the directories a run
# creates are removed.  -v prints what each program wrote.
#
# The doc tests of `make test` (test/docs-*.c) run this script.
set -eu
cd "$(dirname "$0")/.."

verbose=0
if [ "${1:-}" = -v ]; then
    verbose=1
    shift
fi
mode=${1:-all}
case $mode in
lint | examples | all) [ $# -gt 0 ] && shift ;;
*.3) mode=all ;;
*)
    echo "usage: sh man/check.sh [-v] [lint | examples | all] [page.3 ...]" >&2
    exit 2
    ;;
esac
if [ $# -gt 0 ]; then
    pages="$*"
else
    pages=$(ls man/man3/*.3)
fi

if ! command -v mandoc >/dev/null 2>&1; then
    echo "man/check.sh: mandoc is not installed (make deps installs it on Debian;" \
        "or: apt-get install mandoc)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
blocks=0
programs=0

for page in $pages; do
    name=$(basename "$page" .3)
    if [ "$mode" != examples ]; then
        lint=$(mandoc -Tlint -Wwarning "$page" 2>&1) || true
        if [ -n "$lint" ]; then
            printf '%s\n' "$lint"
            failed=$((failed + 1))
        fi
    fi
    [ "$mode" = lint ] && continue
    awk -v dir="$tmp" -v name="$name" '
        /^\.Sh / { in_examples = ($2 == "EXAMPLES"); next }
        in_examples && /^\.Bd -literal/ {
            n++; file = sprintf("%s/%s-%d.block", dir, name, n); in_block = 1; next
        }
        in_block && /^\.Ed/ { in_block = 0; close(file); next }
        in_block { print > file }
    ' "$page"
done

if [ "$mode" = lint ]; then
    echo "$(echo "$pages" | wc -w) pages linted, $failed failures"
    [ "$failed" -eq 0 ]
    exit
fi

deps=$(pkg-config --cflags --libs jansson sqlite3)
for block in "$tmp"/*.block; do
    [ -e "$block" ] || continue
    blocks=$((blocks + 1))
    c=${block%.block}.c
    # Rendered as a reader sees it; overstrike (bold, underline) removed.
    {
        printf '.Dd November 24, 2026\n.Dt X 3\n.Os\n.Sh NAME\n.Nm x\n.Nd x\n'
        printf '.Sh DESCRIPTION\n.Bd -literal\n@@BEGIN@@\n'
        cat "$block"
        printf '@@END@@\n.Ed\n'
    } | mandoc -Tascii | sed 's/.\x08//g' |
        awk '/^ *@@BEGIN@@$/ { p = 1; next } /^ *@@END@@$/ { p = 0 } p' |
        sed 's/^     //' >"$c"
    label=$(basename "$c" .c)
    if ! grep -q 'main(' "$c"; then
        # A fragment: it must at least compile inside a function.
        { printf '#include <nanasqlite.h>\nvoid fragment(void);\nvoid fragment(void)\n{\n'
          cat "$c"; printf '}\n'; } >"$c.frag.c"
        mv "$c.frag.c" "$c"
    fi
    # A program for an event-loop adapter links its loop library too.
    loop=""
    for lib in libevent libuv; do
        if grep -q "nanasqlite/adapters/$lib.h" "$c"; then
            if ! flags=$(pkg-config --cflags --libs $lib 2>/dev/null); then
                echo "$label: needs $lib, which is not installed (make deps installs it on" \
                    "Debian; or: apt-get install $([ $lib = libuv ] && echo libuv1-dev || echo libevent-dev))"
                failed=$((failed + 1))
                continue 2
            fi
            loop="$loop $flags"
        fi
    done
    # shellcheck disable=SC2086
    if ! cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude "$c" -o "${c%.c}" \
        -Llib -lnanasqlite -Wl,-rpath,"$PWD/lib" $deps $loop -lpthread 2>"$tmp/cc.err"; then
        echo "$label: does not compile:"
        cat "$tmp/cc.err"
        failed=$((failed + 1))
        continue
    fi
    if grep -q 'main(' "$c"; then
        programs=$((programs + 1))
        ls -d /tmp/nanasqlite-?????? 2>/dev/null | sort >"$tmp/before" || true
        rc=0
        timeout 60 "${c%.c}" >"$tmp/run.out" 2>&1 || rc=$?
        ls -d /tmp/nanasqlite-?????? 2>/dev/null | sort >"$tmp/after" || true
        comm -13 "$tmp/before" "$tmp/after" | while read -r dir; do rm -rf "$dir"; done
        if [ "$rc" -ne 0 ]; then
            echo "$label: exits with status $rc:"
            cat "$tmp/run.out"
            failed=$((failed + 1))
            continue
        fi
        if [ "$verbose" = 1 ]; then
            echo "$label: ok, it printed:"
            sed 's/^/    /' "$tmp/run.out"
            continue
        fi
    fi
    echo "$label: ok"
done

echo "$blocks examples checked ($programs programs run), $failed failures"
[ "$failed" -eq 0 ]
