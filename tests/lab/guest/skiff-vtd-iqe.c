// SPDX-License-Identifier: Apache-2.0
/*
 * skiff-vtd-iqe: puts garbage into a VT-d unit's invalidation queue, for
 * the L2 test guest (lab test viommu-iqe), linked statically.
 *   skiff-vtd-iqe REG_BASE     (hex, the unit's register page: sysfs
 *                               /sys/class/iommu/dmarN/intel-iommu/address)
 * Through /dev/mem on the register page (the kernel does not claim it
 * exclusively, so STRICT_DEVMEM allows it) it waits for the queue to be
 * idle (head == tail), then moves the tail one descriptor on, over a slot
 * the kernel has not written (its queue pages start zeroed, and a
 * descriptor of type 0 is reserved): the unit must stop with FSTS.IQE
 * and its head at that slot. Then it undoes it the architected way: the
 * tail back to the head, IQE cleared (write 1), so the kernel's next
 * submission runs normally. Prints SKIFF-FACT lines and exits 0 only if
 * the IQE came, the head pointed at the bad slot and IQE cleared.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define REG_GSTS 0x1c
#define REG_FSTS 0x34
#define REG_IQH  0x80
#define REG_IQT  0x88
#define REG_IQA  0x90
#define REG_IQER 0xb0
#define GSTS_QIES (1u << 26)
#define FSTS_IQE  (1u << 4)
#define IQA_DW    (1ull << 11)

static volatile uint8_t *regs;

static uint32_t r32(unsigned off) { return *(volatile uint32_t *)(regs + off); }
static uint64_t r64(unsigned off) { return *(volatile uint64_t *)(regs + off); }
static void w32(unsigned off, uint32_t v) { *(volatile uint32_t *)(regs + off) = v; }

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait up to ms for (FSTS & bit) == want. */
static int wait_fsts(uint32_t bit, uint32_t want, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		if ((r32(REG_FSTS) & bit) == want)
			return 1;
		sleep_ms(1);
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long base;
	uint32_t gsts, fsts, t, bad, size, head_at_error;
	uint64_t iqa;
	int fd, seen, head_ok, cleared;

	if (argc != 2 || sscanf(argv[1], "%llx", &base) != 1 || base % 4096) {
		fprintf(stderr, "usage: skiff-vtd-iqe REG_BASE_HEX\n");
		return 2;
	}
	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0) {
		printf("SKIFF-FACT iqe_error=open /dev/mem: %s\n", strerror(errno));
		return 1;
	}
	regs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)base);
	if (regs == MAP_FAILED) {
		printf("SKIFF-FACT iqe_error=mmap %#llx: %s\n", base, strerror(errno));
		return 1;
	}
	gsts = r32(REG_GSTS);
	iqa = r64(REG_IQA);
	fsts = r32(REG_FSTS);
	printf("SKIFF-FACT iqe_before=gsts %#x iqa %#llx iqh %#x iqt %#x fsts %#x\n", gsts,
	       (unsigned long long)iqa, r32(REG_IQH), r32(REG_IQT), fsts);
	if (!(gsts & GSTS_QIES) || (fsts & FSTS_IQE)) {
		printf("SKIFF-FACT iqe_error=queued invalidation is off, or IQE is already set\n");
		return 1;
	}
	size = 4096u << (iqa & 7);
	/* The kernel submits under its own lock; an idle queue (head == tail) is ours for a moment. */
	for (int i = 0; i < 2000 && r32(REG_IQH) != r32(REG_IQT); i++)
		sleep_ms(1);
	t = r32(REG_IQT);
	bad = (t + ((iqa & IQA_DW) ? 32u : 16u)) % size;
	w32(REG_IQT, bad);
	seen = wait_fsts(FSTS_IQE, FSTS_IQE, 3000);
	head_at_error = r32(REG_IQH);
	head_ok = head_at_error == t;
	printf("SKIFF-FACT iqe_after=fsts %#x iqh %#x iqt %#x iqer %#llx\n", r32(REG_FSTS), head_at_error,
	       r32(REG_IQT), (unsigned long long)r64(REG_IQER));
	/* Undo: nothing left to fetch (tail = head), then clear IQE (write 1 to clear). */
	w32(REG_IQT, t);
	w32(REG_FSTS, FSTS_IQE);
	cleared = wait_fsts(FSTS_IQE, 0, 1000);
	printf("SKIFF-FACT iqe_recovered=fsts %#x iqh %#x iqt %#x\n", r32(REG_FSTS), r32(REG_IQH), r32(REG_IQT));
	printf("SKIFF-FACT iqe_seen=%d\nSKIFF-FACT iqe_head_ok=%d\nSKIFF-FACT iqe_cleared=%d\n", seen, head_ok,
	       cleared);
	munmap((void *)regs, 4096);
	close(fd);
	return seen && head_ok && cleared ? 0 : 1;
}
