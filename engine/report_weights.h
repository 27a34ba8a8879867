/* engine/report_weights.h — configured variant weights of one experiment
 * from a rule program (`--rules PATH`), for the sample-ratio check. */
#ifndef ENGINE_REPORT_WEIGHTS_H
#define ENGINE_REPORT_WEIGHTS_H

#include "engine/report_data.h"

/* 0 and the variants in configuration order (free with rd_weights_free);
 * 1 when no experiment has that name; -1 on a read or YAML error. err
 * names the file (and line:column) in both failure cases. */
int rw_program_weights(const char *path, const char *name, rd_weights *w, char *err, size_t errsz);

#endif
