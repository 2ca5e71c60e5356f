// SPDX-License-Identifier: MIT
/*
 * ivshmem-server - serves one QEMU ivshmem-doorbell device so the host side
 * of a simulated NIC can raise the guest's MSI-X vectors.
 *
 *   ivshmem-server SOCKET SHMFILE VECTORS
 *
 * Debian ships no ivshmem server, and Node can neither create eventfds nor
 * pass them over a unix socket, so this helper does both: it speaks QEMU's
 * ivshmem socket protocol (docs/specs/ivshmem-spec.rst: int64 little-endian
 * messages, file descriptors by SCM_RIGHTS) to hand QEMU the shared memory
 * file and one eventfd per vector, and then, for each byte N read from
 * stdin, signals eventfd N, which QEMU turns into MSI-X vector N. It prints
 * "ready" once listening and exits when stdin closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_VECTORS 64
#define GUEST_ID 1

static int send_msg(int sock, int64_t value, int fd)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &value, .iov_len = sizeof(value) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (fd >= 0) {
		memset(control, 0, sizeof(control));
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, 0) == sizeof(value) ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int efd[MAX_VECTORS], listener, client, shm, vectors, i;
	unsigned char buf[256];

	if (argc != 4) {
		fprintf(stderr, "usage: ivshmem-server SOCKET SHMFILE VECTORS\n");
		return 2;
	}
	vectors = atoi(argv[3]);
	if (vectors < 1 || vectors > MAX_VECTORS) {
		fprintf(stderr, "ivshmem-server: VECTORS must be 1..%d\n", MAX_VECTORS);
		return 2;
	}
	shm = open(argv[2], O_RDWR);
	if (shm < 0) {
		perror(argv[2]);
		return 1;
	}
	for (i = 0; i < vectors; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC);
		if (efd[i] < 0) {
			perror("eventfd");
			return 1;
		}
	}
	listener = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(listener, 1)) {
		perror("ivshmem-server: listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);

	client = accept(listener, NULL, NULL);
	if (client < 0) {
		perror("accept");
		return 1;
	}
	/* Version 0, the guest's id, the memory; then the guest's own vectors. */
	if (send_msg(client, 0, -1) || send_msg(client, GUEST_ID, -1) ||
	    send_msg(client, -1, shm)) {
		perror("ivshmem-server: setup");
		return 1;
	}
	for (i = 0; i < vectors; i++) {
		if (send_msg(client, GUEST_ID, efd[i])) {
			perror("ivshmem-server: vectors");
			return 1;
		}
	}
	printf("connected\n");
	fflush(stdout);

	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			uint64_t one = 1;

			if (buf[i] >= vectors)
				continue;
			if (write(efd[buf[i]], &one, sizeof(one)) != sizeof(one))
				perror("ivshmem-server: eventfd");
		}
	}
	close(client);
	unlink(argv[1]);
	return 0;
}
