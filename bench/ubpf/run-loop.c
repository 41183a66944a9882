// Times ubpf's interpreter on one program given as hex bytes of struct bpf_insn:
// prints "<runs> <seconds> <r0>" after running it repeatedly for about the given
// milliseconds. Linked against libubpf by build.sh; used by bench/isa.ts.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ubpf.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s HEX MS\n", argv[0]);
        return 2;
    }
    size_t len = strlen(argv[1]) / 2;
    uint8_t* code = malloc(len);
    for (size_t i = 0; i < len; i++) sscanf(argv[1] + 2 * i, "%2hhx", &code[i]);
    struct ubpf_vm* vm = ubpf_create();
    char* err = NULL;
    if (ubpf_load(vm, code, (uint32_t)len, &err) < 0) {
        fprintf(stderr, "ubpf_load: %s\n", err);
        return 1;
    }
    double budget = atof(argv[2]) / 1000, t0 = now(), t = t0;
    uint64_t r0 = 0;
    long runs = 0;
    ubpf_exec(vm, NULL, 0, &r0); // warm up
    while (t - t0 < budget) {
        if (ubpf_exec(vm, NULL, 0, &r0) < 0) return 1;
        runs++;
        t = now();
    }
    printf("%ld %.6f %llu\n", runs, t - t0, (unsigned long long)r0);
    return 0;
}
