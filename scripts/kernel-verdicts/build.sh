#!/bin/sh
# Rebuilds test/fixtures/objects/verifier: the objects (clang -O2 -g -mcpu=v3) and what the
# running kernel's verifier answers for each program (kernel.jsonl: errno, log at levels 1
# and 2, xlated insns when accepted). Needs root on the reference kernel (Linux 6.18),
# clang and libbpf-dev; tests only read the committed answers.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fx=$root/test/fixtures/objects/verifier
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O1 -o "$tmp/kernel-verdicts" "$here/kernel-verdicts.c" -l:libbpf.a -lelf -lz
: > "$fx/kernel.jsonl"
for src in "$fx"/src/*.bpf.c; do
	name=$(basename "$src" .bpf.c)
	clang -O2 -g -target bpf -mcpu=v3 -I/usr/include/x86_64-linux-gnu \
		-fdebug-prefix-map="$fx"/= -c "$src" -o "$fx/build/$name.bpf.o"
	"$tmp/kernel-verdicts" "$fx/build/$name.bpf.o" | sed "s|^{|{\"object\":\"build/$name.bpf.o\",|" >> "$fx/kernel.jsonl"
done
wc -l "$fx/kernel.jsonl"
