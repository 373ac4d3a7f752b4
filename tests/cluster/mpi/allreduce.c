/*
 * A real collective across the cluster's nodes, checked element by
 * element: MPI_Allreduce (sum) of a buffer of doubles on every rank, for
 * tests/cluster/t_66_mpi.sh and bench/bench_mpi.sh.
 *
 *   allreduce [MEGABYTES [ITERATIONS]]     (default 16 MB, 1 iteration)
 *
 * Element i of rank r holds (r + 1) * (i % 1021): small integers, exact in
 * a double, so the sum over N ranks must be N(N+1)/2 * (i % 1021) exactly.
 * Every rank checks every element of every iteration. Rank 0 prints one
 * line:
 *   allreduce ok: ranks=4 nodes=4 bytes=16777216 iterations=5 seconds=1.234 MB/s=68.0
 * (MB/s: the buffer's megabytes reduced per second, per iteration, after
 * one untimed warm-up). A mismatch prints the first wrong element and
 * exits 1 through MPI_Abort.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fill(double *buf, size_t n, int rank)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (double)(rank + 1) * (double)(i % 1021);
}

static int check(const double *buf, size_t n, int size, int rank)
{
	double factor = (double)size * (double)(size + 1) / 2.0;
	for (size_t i = 0; i < n; i++) {
		double want = factor * (double)(i % 1021);
		if (buf[i] != want) {
			fprintf(stderr, "allreduce FAILED on rank %d: element %zu is %.17g, expected %.17g\n",
				rank, i, buf[i], want);
			return 0;
		}
	}
	return 1;
}

int main(int argc, char **argv)
{
	int rank, size, namelen;
	char name[MPI_MAX_PROCESSOR_NAME];
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	MPI_Get_processor_name(name, &namelen);

	long mb = argc > 1 ? strtol(argv[1], NULL, 10) : 16;
	long iters = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
	if (mb < 1 || mb > 1024 || iters < 1 || iters > 10000) {
		if (rank == 0)
			fprintf(stderr, "usage: allreduce [MEGABYTES 1-1024 [ITERATIONS 1-10000]]\n");
		MPI_Finalize();
		return 2;
	}
	size_t bytes = (size_t)mb << 20, n = bytes / sizeof(double);
	double *in = malloc(bytes), *out = malloc(bytes);
	if (!in || !out) {
		fprintf(stderr, "allreduce: rank %d: out of memory\n", rank);
		MPI_Abort(MPI_COMM_WORLD, 1);
	}

	/* Distinct nodes among the ranks: each rank's name, gathered. */
	char *names = rank == 0 ? calloc((size_t)size, MPI_MAX_PROCESSOR_NAME) : NULL;
	MPI_Gather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, names, MPI_MAX_PROCESSOR_NAME,
		   MPI_CHAR, 0, MPI_COMM_WORLD);
	int nodes = 0;
	if (rank == 0) {
		for (int i = 0; i < size; i++) {
			int seen = 0;
			for (int j = 0; j < i && !seen; j++)
				seen = !strcmp(names + (size_t)i * MPI_MAX_PROCESSOR_NAME,
					       names + (size_t)j * MPI_MAX_PROCESSOR_NAME);
			nodes += !seen;
		}
	}

	/* Warm-up (connections are made lazily), checked too. */
	fill(in, n, rank);
	memset(out, 0, bytes);
	MPI_Allreduce(in, out, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
	int ok = check(out, n, size, rank);

	double t0 = MPI_Wtime();
	for (long it = 0; it < iters && ok; it++) {
		memset(out, 0, bytes);
		MPI_Allreduce(in, out, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
		ok = check(out, n, size, rank);
	}
	double secs = MPI_Wtime() - t0;

	int all_ok = 0;
	MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
	if (!all_ok) {
		if (rank == 0)
			fprintf(stderr, "allreduce FAILED: a rank saw a wrong element (see above)\n");
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
	if (rank == 0)
		printf("allreduce ok: ranks=%d nodes=%d bytes=%zu iterations=%ld seconds=%.3f MB/s=%.1f\n",
		       size, nodes, bytes, iters, secs,
		       secs > 0 ? (double)mb * (double)iters / secs : 0.0);
	free(in);
	free(out);
	free(names);
	MPI_Finalize();
	return 0;
}
