/* `--json` for every bench program: one JSON object per line and per cell
 * (what one table row of the text output holds), keys documented in the
 * README, instead of the text tables. Headers and notes go to the text
 * output only. */
#ifndef MODBED_BENCH_JSON_H
#define MODBED_BENCH_JSON_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool bench_json;

/* Reads `--json` (the only option): true when the arguments are valid. */
static inline bool bench_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") != 0) {
			fprintf(stderr, "usage: %s [--json]\n", argv[0]);
			return false;
		}
		bench_json = true;
	}
	return true;
}

/* Text output only (headers, notes, table rows). */
static inline void __attribute__((format(printf, 1, 2))) bench_text(const char *fmt, ...)
{
	if (bench_json)
		return;
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* One cell: bench_cell("bench_call", "s:arch", a, "f:mips", x, "u:insns", n, NULL).
 * Keys carry their type: s: string, f: number (double), u: unsigned integer. */
static inline void bench_cell(const char *bench, ...)
{
	if (!bench_json)
		return;
	printf("{\"bench\":\"%s\"", bench);
	va_list ap;
	va_start(ap, bench);
	for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *)) {
		printf(",\"%s\":", k + 2);
		if (k[0] == 's') {
			const char *v = va_arg(ap, const char *);
			putchar('"');
			for (; *v; v++)
				if (*v == '"' || *v == '\\')
					printf("\\%c", *v);
				else if ((unsigned char)*v < 0x20)
					printf("\\u%04x", *v);
				else
					putchar(*v);
			putchar('"');
		} else if (k[0] == 'f') {
			double v = va_arg(ap, double);
			if (v != v || v > 1e300 || v < -1e300)
				printf("null");
			else
				printf("%.6g", v);
		} else {
			printf("%" PRIu64, va_arg(ap, uint64_t));
		}
	}
	va_end(ap);
	printf("}\n");
	fflush(stdout);
}

#endif
