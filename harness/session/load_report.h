/* What a load produced, for people and for programs: the per-module summary
 * of `modbed load` (text and JSON) and the --dump directory. */
#ifndef MODBED_HARNESS_LOAD_REPORT_H
#define MODBED_HARNESS_LOAD_REPORT_H

#include "harness/util/diag.h"
#include "harness/util/json.h"
#include "harness/load/loader.h"

#include <stdio.h>

void mb_report_module_text(FILE *f, const struct mb_loaded_module *mod);
/* One module as a JSON object (inside an array). */
void mb_report_module_json(struct mb_json *j, const struct mb_loaded_module *mod);

/* --dump DIR in two steps, so the bytes can be taken right after each
 * module's relocation (before its init runs and init memory is freed):
 * mb_dump_module() writes DIR/<module>/<section>.bin for every placed
 * section; mb_dump_layout_json() writes DIR/layout.json from the module
 * records. mb_dump_layout() does both for every loaded module. */
int mb_dump_module(const struct mb_loader *l, const struct mb_loaded_module *mod, const char *dir,
		   struct mb_err *err);
int mb_dump_layout_json(const struct mb_loader *l, const char *dir, struct mb_err *err);
int mb_dump_layout(const struct mb_loader *l, const char *dir, struct mb_err *err);

#endif
