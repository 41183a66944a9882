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
# struct_ops programs include a vmlinux.h of the reference BTF (not kept).
gunzip -c "$root/assets/vmlinux.btf.gz" > "$tmp/vmlinux.btf"
bpftool btf dump file "$tmp/vmlinux.btf" format c > "$tmp/vmlinux.h"
: > "$fx/kernel.jsonl"
# From the fixture folder: the line_info file names are src/NAME.bpf.c, and clang finds the
# C lines it writes beside them (their text) under that relative name.
cd "$fx"
for src in src/*.bpf.c; do
	name=$(basename "$src" .bpf.c)
	clang -O2 -g -target bpf -mcpu=v3 -I/usr/include/x86_64-linux-gnu -I"$tmp" \
		-fdebug-prefix-map="$fx"/= -fdebug-prefix-map="$tmp"/= -c "$src" -o "build/$name.bpf.o"
	"$tmp/kernel-verdicts" "build/$name.bpf.o" | sed "s|^{|{\"object\":\"build/$name.bpf.o\",|" >> "$fx/kernel.jsonl"
done
wc -l "$fx/kernel.jsonl"
