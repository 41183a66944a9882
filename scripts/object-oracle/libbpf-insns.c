// Prints the instructions libbpf (the system's libbpf-dev) would hand to
// BPF_PROG_LOAD for each program of an object, without a kernel: the bpf()
// syscall is answered here (maps and BTF get /dev/zero fds, loads succeed),
// CO-RE and kfuncs resolve against the BTF file given as argv[2]. Map references are
// printed as the corpus normalises them (BPF_PSEUDO_MAP_IDX[_VALUE] + index of
// first reference). One JSON line per program: name, insns (hex, host order), maps.
// Only for generating expectations (scripts/object-oracle/build.sh); tests never run it.
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long fake_bpf(int cmd, union bpf_attr *attr)
{
	switch (cmd) {
	case BPF_MAP_CREATE:
	case BPF_PROG_LOAD:
	case BPF_BTF_LOAD:
	case BPF_LINK_CREATE:
	case BPF_RAW_TRACEPOINT_OPEN:
		return open("/dev/zero", O_RDWR);
	case BPF_BTF_GET_NEXT_ID:
	case BPF_MAP_GET_NEXT_ID:
	case BPF_PROG_GET_NEXT_ID:
		/* no kernel modules */
		errno = ENOENT;
		return -1;
	default:
		return 0;
	}
}

long syscall(long nr, ...)
{
	va_list ap;
	long a[6];
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == __NR_bpf)
		return fake_bpf((int)a[0], (union bpf_attr *)a[1]);
	errno = ENOSYS;
	return -1;
}

static const char *reference_btf;

/* Kfuncs resolve against the running kernel's BTF: make that the reference one. */
FILE *fopen(const char *path, const char *mode)
{
	static FILE *(*real)(const char *, const char *);
	if (!real)
		real = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
	if (reference_btf && strcmp(path, "/sys/kernel/btf/vmlinux") == 0)
		path = reference_btf;
	return real(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	return fopen(path, mode);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s OBJ.o VMLINUX.btf\n", argv[0]);
		return 2;
	}
	reference_btf = argv[2];
	libbpf_set_print(quiet);
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = argv[2]);
	struct bpf_object *obj = bpf_object__open_file(argv[1], &opts);
	if (!obj) {
		fprintf(stderr, "open failed\n");
		return 1;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "load failed\n");
		return 1;
	}
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		const struct bpf_insn *in = bpf_program__insns(prog);
		size_t n = bpf_program__insn_cnt(prog);
		struct bpf_insn insns[n];
		memcpy(insns, in, n * sizeof(*in));
		const char *names[64];
		int fds[64], nmaps = 0;
		for (size_t i = 0; i < n; i++) {
			if (insns[i].code != (BPF_LD | BPF_IMM | BPF_DW))
				continue;
			if (insns[i].src_reg == BPF_PSEUDO_MAP_FD || insns[i].src_reg == BPF_PSEUDO_MAP_VALUE) {
				int fd = insns[i].imm, k;
				for (k = 0; k < nmaps && fds[k] != fd; k++)
					;
				if (k == nmaps) {
					struct bpf_map *m;
					fds[nmaps] = fd;
					names[nmaps] = "?";
					bpf_object__for_each_map(m, obj)
						if (bpf_map__fd(m) == fd)
							names[nmaps] = bpf_map__name(m);
					nmaps++;
				}
				insns[i].src_reg = insns[i].src_reg == BPF_PSEUDO_MAP_FD ? 5 : 6;
				insns[i].imm = k;
			}
			i++;
		}
		printf("{\"name\":\"%s\",\"insns\":\"", bpf_program__name(prog));
		for (size_t i = 0; i < n * sizeof(*insns); i++)
			printf("%02x", ((unsigned char *)insns)[i]);
		printf("\",\"maps\":[");
		for (int k = 0; k < nmaps; k++)
			printf("%s\"%s\"", k ? "," : "", names[k]);
		printf("]}\n");
	}
	bpf_object__close(obj);
	return 0;
}
