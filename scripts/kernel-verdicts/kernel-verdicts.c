/* Loads each program of a BPF object into the running kernel (libbpf, one
 * program at a time) and prints one JSON line per program and log level: the
 * errno, the verifier log and, when accepted, the xlated instructions (hex),
 * the JIT image (hex) with each function's address and length. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static char logbuf[16 << 20];

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int silent(enum libbpf_print_level l, const char *f, va_list a) { return 0; }

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	int n = 0, k, level;
	char names[64][64];

	if (argc < 2)
		return 2;
	libbpf_set_print(silent);
	obj = bpf_object__open(argv[1]);
	if (!obj)
		return 1;
	bpf_object__for_each_program(p, obj) snprintf(names[n++], 64, "%s", bpf_program__name(p));
	bpf_object__close(obj);
	for (k = 0; k < n; k++) {
		for (level = 1; level <= 2; level++) {
			int err, fd;
			obj = bpf_object__open(argv[1]);
			bpf_object__for_each_program(p, obj) {
				int me = !strcmp(bpf_program__name(p), names[k]);
				bpf_program__set_autoload(p, me);
				if (me) {
					logbuf[0] = 0;
					bpf_program__set_log_buf(p, logbuf, sizeof(logbuf));
					bpf_program__set_log_level(p, level);
				}
			}
			err = bpf_object__load(obj);
			printf("{\"program\":");
			json_str(names[k]);
			printf(",\"level\":%d,\"errno\":%d,\"log\":", level, err ? -err : 0);
			json_str(logbuf);
			p = bpf_object__find_program_by_name(obj, names[k]);
			fd = err ? -1 : bpf_program__fd(p);
			if (fd >= 0) {
				struct bpf_prog_info info = {};
				__u32 len = sizeof(info);
				bpf_obj_get_info_by_fd(fd, &info, &len);
				__u32 cnt = info.xlated_prog_len;
				unsigned char *buf = calloc(1, cnt);
				memset(&info, 0, sizeof(info));
				info.xlated_prog_len = cnt;
				info.xlated_prog_insns = (__u64)(unsigned long)buf;
				len = sizeof(info);
				bpf_obj_get_info_by_fd(fd, &info, &len);
				printf(",\"xlated\":\"");
				for (__u32 i = 0; i < cnt; i++)
					printf("%02x", buf[i]);
				printf("\"");
				free(buf);
				/* The JIT image and each function's address (bpf_func) and length. */
				memset(&info, 0, sizeof(info));
				len = sizeof(info);
				bpf_obj_get_info_by_fd(fd, &info, &len);
				__u32 jlen = info.jited_prog_len, nk = info.nr_jited_ksyms, nl = info.nr_jited_func_lens;
				unsigned char *img = calloc(1, jlen + 1);
				__u64 *ksyms = calloc(nk + 1, sizeof(__u64));
				__u32 *lens = calloc(nl + 1, sizeof(__u32));
				memset(&info, 0, sizeof(info));
				info.jited_prog_len = jlen;
				info.jited_prog_insns = (__u64)(unsigned long)img;
				info.nr_jited_ksyms = nk;
				info.jited_ksyms = (__u64)(unsigned long)ksyms;
				info.nr_jited_func_lens = nl;
				info.jited_func_lens = (__u64)(unsigned long)lens;
				len = sizeof(info);
				bpf_obj_get_info_by_fd(fd, &info, &len);
				printf(",\"jited\":\"");
				for (__u32 i = 0; i < jlen; i++)
					printf("%02x", img[i]);
				printf("\",\"jited_ksyms\":[");
				for (__u32 i = 0; i < nk; i++)
					printf("%s\"0x%llx\"", i ? "," : "", (unsigned long long)ksyms[i]);
				printf("],\"jited_func_lens\":[");
				for (__u32 i = 0; i < nl; i++)
					printf("%s%u", i ? "," : "", lens[i]);
				printf("]");
				free(img);
				free(ksyms);
				free(lens);
			}
			printf("}\n");
			bpf_object__close(obj);
		}
	}
	return 0;
}
