/* Force-included into every Check suite (tests/CMakeLists.txt), after
 * <check.h>. Check records the file and line of every assertion that passes
 * (_mark_point: one write(2) to its message file, in fork and nofork mode
 * alike, ~1.5 us each), only so that a test that later crashes can name the
 * last assertion it passed. The randomized suites check a few hundred
 * thousand conditions in loops: test_reloc_random made 630,000-820,000 such
 * writes per arch, most of its time. A failing assertion is reported as
 * before (file, line, expression, values, through _ck_assert_failed); a
 * crash is reported at the test's start instead, and under ASan/UBSan with
 * a stack. */
#ifndef MODBED_TESTS_CHECK_QUIET_H
#define MODBED_TESTS_CHECK_QUIET_H
#include <check.h>
#undef mark_point
#define mark_point() ((void)0)
#define _mark_point(file, line) ((void)0)
#endif
