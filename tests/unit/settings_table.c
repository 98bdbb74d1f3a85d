/* Prints the settings table (lib/config.c) for tests/unit/settings.sh, one
 * setting a line: name, type, default ("-" for unset or a build path),
 * min, max, tests-only (0 or 1), tab-separated. */
#include <stdio.h>

#include "config.h"

int main(void)
{
	static const char *const types[] = {
	    [SETTING_TEXT] = "text", [SETTING_INT] = "int", [SETTING_FLAG] = "flag"};
	size_t n;
	const struct setting *s = config_settings(&n);
	for (size_t i = 0; i < n; i++) {
		const char *def =
		    s[i].def_text && !(s[i].flags & SETTING_BUILD_DEFAULT) ? s[i].def_text : "-";
		if (s[i].type == SETTING_TEXT)
			printf("%s\ttext\t%s\t-\t-", s[i].name, def);
		else
			printf("%s\t%s\t%ld\t%ld\t%ld", s[i].name, types[s[i].type], s[i].def, s[i].min,
			       s[i].max);
		printf("\t%d\n", (s[i].flags & SETTING_TESTS_ONLY) != 0);
	}
	return 0;
}
