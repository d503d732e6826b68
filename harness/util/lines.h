/* Reading a small text file of the kernel's (a .config, a System.map) line
 * by line, with the errors people see for it. */
#ifndef MODBED_HARNESS_LINES_H
#define MODBED_HARNESS_LINES_H

/* Calls each(ctx, line) for every line of path (newline kept; lines longer
 * than 511 bytes come in pieces). Returns MB_EXIT_OK, or MB_EXIT_ERROR
 * after `modbed: PATH: cannot read the WHAT: ...` or `modbed: PATH: read
 * error`. */
int mb_read_lines(const char *path, const char *what, void (*each)(void *ctx, const char *line), void *ctx);

#endif
