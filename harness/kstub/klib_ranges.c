/* lib/linear_ranges.c for its KUnit suite, written on the host from its
 * documented behaviour. */
#include "harness/kstub/klib_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- lib/linear_ranges.c ------------------------------------------------------ */

#define EINVAL 22

/* struct linear_range { unsigned int min, min_sel, max_sel, step; } */
struct lrange { uint32_t min, min_sel, max_sel, step; };

static int lr_read(struct mb_machine *m, uint64_t at, struct lrange *r)
{
	uint8_t b[16];
	if (mb_guest_read(m, at, b, 16) != 0)
		return -1;
	r->min = (uint32_t)mb_load(b, 4, be_of(m));
	r->min_sel = (uint32_t)mb_load(b + 4, 4, be_of(m));
	r->max_sel = (uint32_t)mb_load(b + 8, 4, be_of(m));
	r->step = (uint32_t)mb_load(b + 12, 4, be_of(m));
	return 0;
}

static uint32_t lr_max_value(const struct lrange *r)
{
	return r->min + (r->max_sel - r->min_sel) * r->step;
}

static int u32_write(struct mb_machine *m, uint64_t at, uint32_t v)
{
	return int_write(m, at, (int64_t)v);
}

static int bool_write(struct mb_machine *m, uint64_t at, bool v)
{
	uint8_t b = v;
	return mb_guest_write(m, at, &b, 1);
}

/* linear_range_values_in_range_array(r, ranges): selectors over all ranges;
 * 0 as soon as one range is empty (a NULL range counts none). */
static void hc_linear_range_values_in_range_array(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "ww", a);
	uint32_t total = 0;
	for (int32_t i = 0; i < (int32_t)(uint32_t)a[1]; i++) {
		struct lrange r;
		if (lr_read(m, a[0] + 16u * (uint32_t)i, &r))
			return;
		uint32_t n = r.max_sel - r.min_sel + 1;
		if (!n) {
			total = 0;
			break;
		}
		total += n;
	}
	mb_hc_ret(m, total);
}

/* linear_range_get_value_array(r, ranges, selector, *val): the value of the
 * first range holding the selector, else -EINVAL. */
static void hc_linear_range_get_value_array(struct mb_machine *m)
{
	uint64_t a[4];
	mb_hc_args(m, "wwww", a);
	uint32_t sel = (uint32_t)a[2];
	for (int32_t i = 0; i < (int32_t)(uint32_t)a[1]; i++) {
		struct lrange r;
		if (lr_read(m, a[0] + 16u * (uint32_t)i, &r))
			return;
		if (sel < r.min_sel || sel > r.max_sel)
			continue;
		if (u32_write(m, a[3], r.min + (sel - r.min_sel) * r.step) == 0)
			mb_hc_ret(m, 0);
		return;
	}
	mb_hc_ret(m, (uint64_t)-EINVAL);
}

/* The lowest selector of one range whose value is >= val (low) or the
 * selector rounding val up (high): 0 with *found, 0 without (val beyond the
 * range's far end, the nearest selector given), or -EINVAL. */
static int lr_selector(const struct lrange *r, uint32_t val, bool high, uint32_t *sel, bool *found)
{
	*found = false;
	if (high ? lr_max_value(r) < val : r->min > val)
		return -EINVAL;
	if (high ? r->min > val : lr_max_value(r) < val) {
		*sel = high ? r->min_sel : r->max_sel;
		return 0;
	}
	*found = true;
	if (r->step == 0)
		*sel = high ? r->max_sel : r->min_sel;
	else
		*sel = r->min_sel + (val - r->min + (high ? r->step - 1 : 0)) / r->step;
	return 0;
}

/* linear_range_get_selector_low_array(r, ranges, val, *selector, *found):
 * ranges in order until one holds val; 0 if any range gave a selector. */
static void hc_linear_range_get_selector_low_array(struct mb_machine *m)
{
	uint64_t a[5];
	mb_hc_args(m, "wwwww", a);
	int ret = -EINVAL;
	bool found = false, wrote = false;
	uint32_t sel = 0;
	for (int32_t i = 0; i < (int32_t)(uint32_t)a[1] && !found; i++) {
		struct lrange r;
		if (lr_read(m, a[0] + 16u * (uint32_t)i, &r))
			return;
		uint32_t s1;
		if (lr_selector(&r, (uint32_t)a[2], false, &s1, &found) == 0) {
			ret = 0;
			sel = s1;
			wrote = true;
		}
	}
	if ((wrote && u32_write(m, a[3], sel)) || bool_write(m, a[4], found))
		return;
	mb_hc_ret(m, (uint64_t)(int64_t)ret);
}

/* linear_range_get_selector_high(r, val, *selector, *found) */
static void hc_linear_range_get_selector_high(struct mb_machine *m)
{
	uint64_t a[4];
	mb_hc_args(m, "wwww", a);
	struct lrange r;
	if (lr_read(m, a[0], &r))
		return;
	uint32_t sel;
	bool found;
	int ret = lr_selector(&r, (uint32_t)a[1], true, &sel, &found);
	if ((ret == 0 && u32_write(m, a[2], sel)) || bool_write(m, a[3], found))
		return;
	mb_hc_ret(m, (uint64_t)(int64_t)ret);
}

const struct mb_hostcall mb_hostcalls_klib_ranges[] = {
	{ "linear_range_values_in_range_array", hc_linear_range_values_in_range_array },
	{ "linear_range_get_value_array", hc_linear_range_get_value_array },
	{ "linear_range_get_selector_low_array", hc_linear_range_get_selector_low_array },
	{ "linear_range_get_selector_high", hc_linear_range_get_selector_high },
	{ NULL, NULL },
};
