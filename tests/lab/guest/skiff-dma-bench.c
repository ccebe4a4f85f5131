// SPDX-License-Identifier: Apache-2.0
/*
 * skiff-dma-bench: runs the guest kernel's DMA map benchmark
 * (CONFIG_DMA_MAP_BENCHMARK: the dma_map_benchmark driver, bound to some
 * device, answers one ioctl on /sys/kernel/debug/dma_map_benchmark) and
 * prints its result as one line, for the L2 guest of bench/viommu-bench.
 * Static, like the other guest tools (the guest has busybox only).
 *
 *   skiff-dma-bench [-t THREADS] [-s SECONDS] [-g PAGES] [-d bidir|to|from] [-b DMA_BITS]
 *
 * Prints "DMABENCH threads=T seconds=S granule=G map_100ns=M map_stddev=..
 * unmap_100ns=U unmap_stddev=.. pairs_per_sec=P": the kernel's average
 * map and unmap latencies (in units of 100 ns, per page group of G pages)
 * and the map+unmap pairs per second they imply over all threads,
 * T * 10^7 / (M + U). Exit status 1 with a message on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/*
 * The kernel's uAPI (include/uapi/linux/map_benchmark.h), spelled out
 * here because the build host's headers may predate it. 136 bytes on
 * every kernel that has the granule field; map_mode (0: single mappings)
 * took one byte of the expansion, which older kernels ignore.
 */
struct dma_map_bench {
	uint64_t avg_map_100ns;
	uint64_t map_stddev;
	uint64_t avg_unmap_100ns;
	uint64_t unmap_stddev;
	uint32_t threads;
	uint32_t seconds;
	int32_t node;            /* -1: any */
	uint32_t dma_bits;
	uint32_t dma_dir;        /* 0 bidirectional, 1 to device, 2 from device */
	uint32_t dma_trans_ns;   /* pretend transfer time between map and unmap */
	uint32_t granule;        /* pages per mapping */
	uint8_t map_mode;
	uint8_t expansion[75];
};
_Static_assert(sizeof(struct dma_map_bench) == 136, "the kernel's struct map_benchmark is 136 bytes");
#define DMA_MAP_BENCHMARK_IOCTL _IOWR('d', 1, struct dma_map_bench)

#define DEBUGFS_FILE "/sys/kernel/debug/dma_map_benchmark"

static unsigned arg_uint(const char *s, const char *what, unsigned max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v == 0 || v > max) {
		fprintf(stderr, "skiff-dma-bench: %s must be 1..%u, got '%s'\n", what, max, s);
		exit(2);
	}
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	struct dma_map_bench b = { .threads = 1, .seconds = 10, .node = -1, .dma_bits = 32, .granule = 1 };
	uint64_t pair;
	int opt, fd;

	while ((opt = getopt(argc, argv, "t:s:g:d:b:")) != -1) {
		switch (opt) {
		case 't': b.threads = arg_uint(optarg, "threads", 1024); break;
		case 's': b.seconds = arg_uint(optarg, "seconds", 300); break;
		case 'g': b.granule = arg_uint(optarg, "granule", 1024); break;
		case 'b': b.dma_bits = arg_uint(optarg, "dma bits", 64); break;
		case 'd':
			if (!strcmp(optarg, "bidir"))
				b.dma_dir = 0;
			else if (!strcmp(optarg, "to"))
				b.dma_dir = 1;
			else if (!strcmp(optarg, "from"))
				b.dma_dir = 2;
			else {
				fprintf(stderr, "skiff-dma-bench: direction must be bidir, to or from\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: skiff-dma-bench [-t THREADS] [-s SECONDS] [-g PAGES] "
					"[-d bidir|to|from] [-b DMA_BITS]\n");
			return 2;
		}
	}
	fd = open(DEBUGFS_FILE, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "skiff-dma-bench: %s: %s (is debugfs mounted and a device bound to "
				"dma_map_benchmark?)\n", DEBUGFS_FILE, strerror(errno));
		return 1;
	}
	if (ioctl(fd, DMA_MAP_BENCHMARK_IOCTL, &b) < 0) {
		fprintf(stderr, "skiff-dma-bench: DMA_MAP_BENCHMARK: %s (the kernel log says why)\n", strerror(errno));
		return 1;
	}
	close(fd);
	pair = b.avg_map_100ns + b.avg_unmap_100ns;
	printf("DMABENCH threads=%u seconds=%u granule=%u map_100ns=%llu map_stddev=%llu unmap_100ns=%llu "
	       "unmap_stddev=%llu pairs_per_sec=%llu\n", b.threads, b.seconds, b.granule,
	       (unsigned long long)b.avg_map_100ns, (unsigned long long)b.map_stddev,
	       (unsigned long long)b.avg_unmap_100ns, (unsigned long long)b.unmap_stddev,
	       pair ? (unsigned long long)(b.threads * 10000000ULL / pair) : 0ULL);
	return 0;
}
