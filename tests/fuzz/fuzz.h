/* fuzz: what every fuzz target shares. A target defines the two libFuzzer
 * entry points; built with -fsanitize=fuzzer it is a libFuzzer binary,
 * linked with replay.c it runs given inputs once (every build replays the
 * committed corpus that way). */
#ifndef MCPAUTH_FUZZ_H
#define MCPAUTH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant that does not hold is a finding, like a crash. The line
 * goes to stdout: tests/fuzz/run.sh closes stderr (-close_fd_mask=2) to
 * quiet the programs' own log lines, and the report must survive that. */
#define FUZZ_CHECK(cond, what)                                                                               \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			printf("fuzz invariant failed: %s (%s:%d)\n", (what), __FILE__, __LINE__);           \
			fflush(stdout);                                                                      \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

/* FIXTURES from the environment, or the source tree's tests/fixtures. */
static inline void fuzz_fixtures(void)
{
#ifdef FUZZ_FIXTURES
	setenv("FIXTURES", FUZZ_FIXTURES, 0);
#endif
}

#endif
