// SPDX-License-Identifier: Apache-2.0
/* What both architectures' VM construction shares: stop requests, mapping the boot images. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm-internal.h"

void vm_request_stop(void *opaque, enum vm_stop_reason reason)
{
	struct vm *vm = opaque;
	uint64_t one = 1;

	pthread_mutex_lock(&vm->stop_lock);
	if (!atomic_load(&vm->stopping)) {
		/* After a pvpanic report, the reboot or halt that follows is the panic's. */
		if (vm->panic_reported && reason != VM_STOP_SIGNAL && reason != VM_STOP_ERROR)
			reason = VM_STOP_PANIC;
		vm->stop_reason = reason;
		atomic_store(&vm->stopping, true);
	}
	pthread_mutex_unlock(&vm->stop_lock);
	if (write(vm->stop_efd, &one, sizeof(one)) < 0)
		log_debug("vm: stop eventfd: %s", strerror(errno));
}

/* Map a whole file read-only; empty files are an error the caller names. */
int vm_map_file(const char *path, struct mapped_file *ret)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		int r = S_ISDIR(st.st_mode) ? -EISDIR : st.st_size == 0 ? -ENODATA : -errno;

		close(fd);
		return r;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	ret->data = p;
	ret->len = (size_t)st.st_size;
	return 0;
}

void vm_unmap_file(struct mapped_file *f)
{
	if (f->data)
		munmap((void *)f->data, f->len);
	f->data = NULL;
}
