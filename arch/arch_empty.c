/* Keeps modbed_arch non-empty while an arch part has no file yet. */
typedef int mb_arch_empty_unit;
