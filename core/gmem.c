// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core.h"

#define GMEM_4G (1ULL << 32)

static int gmem_add_region(struct gmem *gm, gpa_t gpa, uint64_t size, uint64_t fd_offset)
{
	struct gmem_region *r;

	if (gm->nr_regions == GMEM_MAX_REGIONS)
		return -ENOSPC;
	r = &gm->regions[gm->nr_regions++];
	r->gpa = gpa;
	r->size = size;
	r->fd_offset = fd_offset;
	r->host = gm->host + fd_offset;
	return 0;
}

/* The memfd and its mapping; regions are the caller's. */
static int gmem_alloc(struct gmem *gm, uint64_t ram_size)
{
	int r;

	*gm = (struct gmem){ .memfd = -1 };
	gm->memfd = memfd_create("skiff-guest-ram", MFD_CLOEXEC);
	if (gm->memfd < 0)
		return -errno;
	if (ftruncate(gm->memfd, (off_t)ram_size) < 0) {
		r = -errno;
		close(gm->memfd);
		return r;
	}
	gm->host = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, gm->memfd, 0);
	if (gm->host == MAP_FAILED) {
		r = -errno;
		close(gm->memfd);
		return r;
	}
	/* Guest RAM is not worth a core dump and must not leak into a forked child. */
	(void)madvise(gm->host, ram_size, MADV_DONTDUMP);
	(void)madvise(gm->host, ram_size, MADV_DONTFORK);
	gm->size = ram_size;
	return 0;
}

int gmem_create(struct gmem *ret, uint64_t ram_size, gpa_t hole_start)
{
	struct gmem gm;
	uint64_t low;
	int r;

	if (ram_size == 0 || hole_start == 0 || hole_start > GMEM_4G || (ram_size & 0xfff))
		return -EINVAL;
	r = gmem_alloc(&gm, ram_size);
	if (r)
		return r;
	low = ram_size < hole_start ? ram_size : hole_start;
	r = gmem_add_region(&gm, 0, low, 0);
	if (!r && ram_size > low)
		r = gmem_add_region(&gm, GMEM_4G, ram_size - low, low);
	if (r) {
		munmap(gm.host, ram_size);
		close(gm.memfd);
		return r;
	}
	*ret = gm;
	return 0;
}

int gmem_create_at(struct gmem *ret, uint64_t ram_size, gpa_t base)
{
	struct gmem gm;
	int r;

	if (ram_size == 0 || (ram_size & 0xfff) || (base & 0xfff) || base + ram_size < base)
		return -EINVAL;
	r = gmem_alloc(&gm, ram_size);
	if (r)
		return r;
	r = gmem_add_region(&gm, base, ram_size, 0);
	if (r) {
		munmap(gm.host, ram_size);
		close(gm.memfd);
		return r;
	}
	*ret = gm;
	return 0;
}

void gmem_destroy(struct gmem *gm)
{
	if (gm->host && gm->host != MAP_FAILED)
		munmap(gm->host, gm->size);
	if (gm->memfd >= 0)
		close(gm->memfd);
	memset(gm, 0, sizeof(*gm));
	gm->memfd = -1;
}

void *gmem_slice(const struct gmem *gm, gpa_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < gm->nr_regions; i++) {
		const struct gmem_region *r = &gm->regions[i];

		/* Written so that neither side can overflow: offset < size first. */
		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		if (len > r->size - (gpa - r->gpa))
			return NULL;
		return r->host + (gpa - r->gpa);
	}
	return NULL;
}

int gmem_read(const struct gmem *gm, gpa_t gpa, void *buf, size_t len)
{
	const void *src = gmem_slice(gm, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(buf, src, len);
	return 0;
}

int gmem_write(const struct gmem *gm, gpa_t gpa, const void *buf, size_t len)
{
	void *dst = gmem_slice(gm, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, buf, len);
	return 0;
}

gpa_t gmem_end(const struct gmem *gm)
{
	const struct gmem_region *last = &gm->regions[gm->nr_regions - 1];

	return last->gpa + last->size;
}
