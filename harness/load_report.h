/* What a load produced, for people and for programs: the per-module summary
 * of `modbed load` (text and JSON) and the --dump directory. */
#ifndef MODBED_HARNESS_LOAD_REPORT_H
#define MODBED_HARNESS_LOAD_REPORT_H

#include "harness/diag.h"
#include "harness/json.h"
#include "harness/loader.h"

#include <stdio.h>

void mb_report_module_text(FILE *f, const struct mb_loaded_module *mod);
/* One module as a JSON object (inside an array). */
void mb_report_module_json(struct mb_json *j, const struct mb_loaded_module *mod);

/* Writes DIR/layout.json and DIR/<module>/<section>.bin for every placed
 * section of every loaded module (the bytes as placed and relocated). */
int mb_dump_layout(const struct mb_loader *l, const char *dir, struct mb_err *err);

#endif
