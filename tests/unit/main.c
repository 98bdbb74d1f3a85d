/* The main of every unit test program: runs the module's suite, or with
 * an argument only the test case of that name (as CK_RUN_CASE does), e.g.
 * tests/unit/test_token alg. */
#include "unit.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
	SRunner *sr = srunner_create(unit_suite());
	srunner_run(sr, NULL, argc > 1 ? argv[1] : NULL, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
