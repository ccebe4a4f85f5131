// SPDX-License-Identifier: Apache-2.0
/*
 * skiff-vsock: a tiny AF_VSOCK tool for the L2 test guest (busybox has
 * none), linked statically so it runs from the test initramfs.
 *   skiff-vsock listen PORT        accept one connection, echo everything
 *                                  back until EOF, print its byte count
 *   skiff-vsock connect CID PORT   send stdin, then half-close; copy what
 *                                  comes back to stdout until EOF
 * Prints "VSOCK-LISTENING PORT" on stdout once it listens.
 */
#include <errno.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[65536];

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int do_listen(unsigned port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port };
	int s = socket(AF_VSOCK, SOCK_STREAM, 0), c;
	unsigned long long total = 0;
	ssize_t n;

	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0) {
		perror("skiff-vsock: listen");
		return 1;
	}
	printf("VSOCK-LISTENING %u\n", port);
	fflush(stdout);
	c = accept(s, NULL, NULL);
	if (c < 0) {
		perror("skiff-vsock: accept");
		return 1;
	}
	while ((n = read(c, buf, sizeof(buf))) > 0) {
		if (write_all(c, buf, (size_t)n) < 0) {
			perror("skiff-vsock: echo");
			return 1;
		}
		total += (unsigned long long)n;
	}
	if (n < 0) {
		perror("skiff-vsock: read");
		return 1;
	}
	printf("VSOCK-ECHOED %llu\n", total);
	close(c);
	return 0;
}

static int do_connect(unsigned cid, unsigned port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port };
	int s = socket(AF_VSOCK, SOCK_STREAM, 0);
	ssize_t n;

	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("skiff-vsock: connect");
		return 1;
	}
	/* Send everything first: the peer echoes, and its socket buffers hold what we have not read yet. */
	if (fork() == 0) {
		while ((n = read(0, buf, sizeof(buf))) > 0)
			if (write_all(s, buf, (size_t)n) < 0)
				_exit(1);
		shutdown(s, SHUT_WR);
		_exit(n < 0);
	}
	while ((n = read(s, buf, sizeof(buf))) > 0)
		if (write_all(1, buf, (size_t)n) < 0)
			return 1;
	return n < 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "listen"))
		return do_listen((unsigned)strtoul(argv[2], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "connect"))
		return do_connect((unsigned)strtoul(argv[2], NULL, 0), (unsigned)strtoul(argv[3], NULL, 0));
	fprintf(stderr, "usage: skiff-vsock listen PORT | connect CID PORT\n");
	return 2;
}
