#!/bin/sh
# Builds ubpf's interpreter (libubpf) and bench/ubpf/run-loop.c into bench/ubpf/out/,
# for bench/isa.ts to time it beside kmodel's interpreter. ubpf's own code is not
# part of kmodel: give its source tree (github.com/iovisor/ubpf) as $1 or UBPF_SRC,
# or let the script clone it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/out"
src=${1:-${UBPF_SRC:-$out/src}}
if [ ! -f "$src/vm/ubpf_vm.c" ]; then
  git clone --depth 1 https://github.com/iovisor/ubpf "$src"
fi
mkdir -p "$out/build"
# Only the vm library: the top-level project wants submodules (conformance, verifier).
touch "$out/build/ubpf_config.h"
cc=${CC:-cc}
objs=""
for f in ubpf_vm ubpf_instruction_valid ubpf_jit ubpf_jit_support ubpf_jit_x86_64 ubpf_jit_arm64 ubpf_safe ubpf_loader; do
  "$cc" -O2 -DNDEBUG -c "$src/vm/$f.c" -I "$src/vm" -I "$src/vm/inc" -I "$out/build" -o "$out/build/$f.o"
  objs="$objs $out/build/$f.o"
done
"$cc" -O2 -o "$out/run-loop" "$here/run-loop.c" -I "$src/vm/inc" -I "$out/build" $objs -lm
echo "$out/run-loop"
