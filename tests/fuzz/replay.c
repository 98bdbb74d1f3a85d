/* Runs files (or every file of directories) once through a fuzz target,
 * without libFuzzer. Without arguments it replays the target's committed
 * corpus (seeds and the inputs of past findings): every build, plain and
 * sanitized, runs it as a test. */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static long run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		exit(2);
	}
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	size_t k;
	while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (!buf)
		abort();
	/* An exact-size copy, so that ASan sees any read past the input. */
	uint8_t *in = malloc(n ? n : 1);
	memcpy(in, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(in, n);
	free(in);
	return 1;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	long n = 0;
	LLVMFuzzerInitialize(&argc, &argv);
#ifdef FUZZ_CORPUS
	char *corpus[] = {argv[0], FUZZ_CORPUS, NULL};
	if (argc < 2) {
		argc = 2;
		argv = corpus;
	}
#endif
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: no %s\n", argv[i]);
			return 2;
		}
		if (!S_ISDIR(st.st_mode)) {
			n += run_file(argv[i]);
			continue;
		}
		struct dirent **names;
		int k = scandir(argv[i], &names, NULL, by_name);
		for (int j = 0; j < k; j++) {
			if (names[j]->d_name[0] != '.') {
				char path[4096];
				snprintf(path, sizeof path, "%s/%s", argv[i], names[j]->d_name);
				n += run_file(path);
			}
			free(names[j]);
		}
		free(names);
	}
	/* Reaching here means no input crashed or broke an invariant. */
	printf("replayed %ld inputs without a finding\n", n);
	printf("%d passed, 0 failed\n", n > 0);
	return n > 0 ? 0 : 1;
}
