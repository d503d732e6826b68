/* The command-line side of trace recordings (harness/debug/tracerec.h):
 * `modbed trace --record FILE ...` writes the session (with the display
 * options given, but --output) and the block stream of each call; `modbed
 * trace --show FILE` replays the recorded session with the recorded display
 * options, or those given to --show, and checks it against the recording. */
#ifndef MODBED_HARNESS_TRACE_RECORD_H
#define MODBED_HARNESS_TRACE_RECORD_H

#include "harness/util/cli.h"

struct mb_runtime;
struct mb_recorder;
struct mb_replaycheck;
struct mb_tracerec;

/* After the modules are loaded: creates cli->record with the session's
 * header. Returns an exit status (after printing). */
int mb_trace_record_open(struct mb_recorder **out, const struct mb_cli *cli, struct mb_runtime *rt);
/* After the replay's modules are loaded: they must be the recorded ones
 * at the recorded places. Returns an exit status (after printing). */
int mb_trace_replay_open(struct mb_replaycheck **out, const struct mb_tracerec *rec, struct mb_runtime *rt);
/* trace --show FILE [--jsonl] [--calls] [--filter] [--start] [--stop] [--output] [--json] */
int mb_trace_show(struct mb_cli *cli);

#endif
