#!/bin/sh
# Instructions per operation of the library side, counted by callgrind:
# two runs of different length, so set-up and tear-down cancel out.
# Usage: instr.sh path/to/bench
set -eu
bench=$1
command -v valgrind >/dev/null 2>&1 || { echo "instr: valgrind not found" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count() { # workload n -> total instructions
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1.$2" "$bench" --instr "$1" "$2" \
        >/dev/null 2>"$tmp/log" || { cat "$tmp/log" >&2; exit 1; }
    grep -m1 '^summary:' "$tmp/cg.$1.$2" | awk '{print $2}'
}
mkdir -p bench/results
: > bench/results/instr.jsonl
per_op() { # workload n1 n2
    a=$(count "$1" "$2"); b=$(count "$1" "$3")
    echo $(( (b - a) / ($3 - $2) ))
}
for spec in "get_hot 20000 60000" "set_seq 500 1500" "get_cold 2000 6000"; do
    set -- $spec
    lib=$(per_op "$1" "$2" "$3")
    twin=$(per_op "twin:$1" "$2" "$3")
    printf '%-10s library %8d   twin %8d   instructions/op\n' "$1" "$lib" "$twin"
    printf '{"workload":"%s","lib_instructions_per_op":%d,"twin_instructions_per_op":%d}\n' \
        "$1" "$lib" "$twin" >> bench/results/instr.jsonl
done
