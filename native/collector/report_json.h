/* report.json: everything the collector knows, every table complete, in
 * one JSON document (docs/report-json.md describes it). */
#ifndef MI_COLLECTOR_REPORT_JSON_H
#define MI_COLLECTOR_REPORT_JSON_H

#include <stdio.h>

#include "analysis.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the report.json schema ("format_version"). */
#define MI_REPORT_JSON_VERSION 1

/* Writes report.json for `model` to `out`, building the analysis of
   every inventory it holds (the final one, scope 0, is "inventory"; the
   others, by module, "module_inventories"). Returns 0, or -1 on an
   output error or when out of memory. */
int mi_report_json_write(FILE *out, const mi_model *model);

#ifdef __cplusplus
}
#endif

#endif
