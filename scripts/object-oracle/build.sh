#!/bin/sh
# Rebuilds the loader's own fixtures and libbpf's answer for them; tests never run this.
#   test/fixtures/objects/own/build/*.bpf.o, *.bpfeb.o  clang -O2 -g -mcpu=v3, both byte orders
#   test/fixtures/objects/libbpf-insns.jsonl            what libbpf (libbpf-dev 1.1) hands BPF_PROG_LOAD
#                                                       for every little-endian fixture object
# Needs clang, libbpf-dev, libelf-dev, zlib (apt-get install -y clang llvm libbpf-dev).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fx=$root/test/fixtures/objects
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for src in "$fx"/own/src/*.bpf.c; do
	name=$(basename "$src" .bpf.c)
	for target in bpf bpfeb; do
		out=$fx/own/build/$name.$target.o
		[ "$target" = bpf ] && out=$fx/own/build/$name.bpf.o
		clang -O2 -g -target "$target" -mcpu=v3 -I/usr/include/x86_64-linux-gnu \
			-fdebug-prefix-map="$fx"/own/= -c "$src" -o "$out"
	done
done
# kmodel selftest's annotated fixture (not one of libbpf's answers: only its tags matter).
clang -O2 -g -target bpf -mcpu=v3 -fdebug-prefix-map="$fx"/selftest/= \
	-c "$fx/selftest/src/checks.bpf.c" -o "$fx/selftest/build/checks.bpf.o"
gcc -O1 -o "$tmp/libbpf-insns" "$here/libbpf-insns.c" -l:libbpf.a -lelf -lz -ldl
gunzip -c "$root/assets/vmlinux.btf.gz" > "$tmp/vmlinux.btf"
out=$fx/libbpf-insns.jsonl
: > "$out"
for obj in "$fx"/build/*.bpf.o "$fx"/own/build/*.bpf.o; do
	rel=${obj#"$fx"/}
	"$tmp/libbpf-insns" "$obj" "$tmp/vmlinux.btf" | sed "s|^{|{\"object\":\"$rel\",|" >> "$out"
done
wc -l "$out"
