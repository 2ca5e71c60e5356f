// SPDX-License-Identifier: MIT
/*
 * hnic_misuse - what the driver must refuse, in the guest.
 *
 *   hnic_misuse args DEV                bad arguments, mapping limits, foreign queue pairs
 *   hnic_misuse isolation DEV ADDR PORT no way to a control page, user-page writes and
 *                                       descriptors outside the send region change nothing
 *   hnic_misuse inflight DEV ADDR PORT  post 1 MB requests and exit at once
 *   hnic_misuse unbind DEV BDF          unbind the PCI device while this file is open
 *
 * Prints "ok <name>" or "FAIL <name>: why" per check, like hnic.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qp.h"

static sigjmp_buf fault_jmp;
static void on_fault(int sig) { siglongjmp(fault_jmp, sig); }

static int expect_errno(int ret, int want)
{
	return ret == -1 && errno == want;
}

/*
 * Create queue pairs on a fresh open file until the driver says ENOSPC;
 * return how many it gave (-1 on any other error), then close the file.
 */
static int exhaust(const char *dev)
{
	struct homa_nic_qp_create c = {
		.sq_log_size = 2, .cq_log_size = 2, .bret_log_size = 2,
		.region_bpages = HOMA_NIC_MIN_REGION_BPAGES, .send_bytes = 4096,
	};
	int fd = open(dev, O_RDWR), n = 0;

	if (fd < 0)
		return -1;
	for (;;) {
		c.port = 0;
		if (ioctl(fd, HOMA_NIC_IOC_QP_CREATE, &c)) {
			n = errno == ENOSPC ? n : -1;
			break;
		}
		n++;
	}
	close(fd);
	return n;
}

static void check_arenas(const char *dev)
{
	struct homa_nic_arena a = { .bytes = HOMA_NIC_MAX_ARENA_BYTES + 1 };
	struct homa_nic_qp_attach at = {
		.sq_log_size = 4, .cq_log_size = 4, .bret_log_size = 4,
		.region_bpages = HOMA_NIC_MIN_REGION_BPAGES, .send_bytes = 4096,
	};
	int fd = open(dev, O_RDWR);
	void *p;

	check_errno(ioctl(fd, HOMA_NIC_IOC_ARENA, &a), EINVAL, "arena too big");
	a.bytes = HOMA_NIC_MAX_ARENA_BYTES;
	check_ok(ioctl(fd, HOMA_NIC_IOC_ARENA, &a), "arena");
	p = map(fd, HOMA_NIC_MAP_ARENA, a.index, 2 * HOMA_NIC_MAX_ARENA_BYTES);
	check_errno(p ? 0 : -1, EINVAL, "mmap beyond arena");
	p = map(fd, HOMA_NIC_MAP_ARENA, a.index + 1, 4096);
	check_errno(p ? 0 : -1, ENOENT, "mmap missing arena");
	/* Rings and send region in the arena, the region past its end: refused. */
	at.sq_addr = a.dma;
	at.cq_addr = a.dma + 4096;
	at.bret_addr = a.dma + 8192;
	at.send_addr = a.dma + 12288;
	at.region_addr = a.dma + HOMA_NIC_MAX_ARENA_BYTES - 4096;
	check_errno(ioctl(fd, HOMA_NIC_IOC_QP_ATTACH, &at), EFAULT, "attach outside arenas");
	at.region_addr = a.dma + 65536;
	at.cq_addr = 0x1000;
	check_errno(ioctl(fd, HOMA_NIC_IOC_QP_ATTACH, &at), EFAULT, "attach foreign ring");
	at.cq_addr = a.dma + 4096;
	at.send_addr = 0x1000;
	check_errno(ioctl(fd, HOMA_NIC_IOC_QP_ATTACH, &at), EFAULT, "attach foreign send region");
	close(fd);
}

static int cmd_misuse(const char *dev)
{
	struct homa_nic_qp_create c = {
		.sq_log_size = 4, .cq_log_size = 4, .bret_log_size = 4, .region_bpages = QP_BPAGES,
	};
	struct homa_nic_qp_flags fl = { 0 };
	struct homa_nic_counters cnt = { .count = 128 };
	struct homa_nic_info info;
	struct qp q;
	uint32_t idx = 999, other;
	off_t off;
	void *p;
	int fd2, status, first, second;
	pid_t pid;

	check_ok(qp_open(&q, dev, 0), "misuse open");
	check_ok(ioctl(q.fd, HOMA_NIC_IOC_INFO, &info), "misuse info");
	c.sq_log_size = 1;
	check_errno(ioctl(q.fd, HOMA_NIC_IOC_QP_CREATE, &c), EINVAL, "bad log size");
	c.sq_log_size = 4;
	c.flags = 0x80;
	check_errno(ioctl(q.fd, HOMA_NIC_IOC_QP_CREATE, &c), EINVAL, "bad flags");
	c.flags = 0;
	c.port = q.c.bound_port;
	check_errno(ioctl(q.fd, HOMA_NIC_IOC_QP_CREATE, &c), EADDRINUSE, "port in use");
	c.port = 70000;
	check_errno(ioctl(q.fd, HOMA_NIC_IOC_QP_CREATE, &c), EINVAL, "port range");
	check_errno(ioctl(q.fd, HOMA_NIC_IOC_QP_CREATE, (void *)8), EFAULT, "bad pointer");
	check_errno(ioctl(q.fd, HOMA_NIC_IOC_QP_DESTROY, &idx), ENOENT, "destroy unknown");
	check_errno(ioctl(q.fd, _IO(HOMA_NIC_IOC_MAGIC, 99)), ENOTTY, "unknown ioctl");
	/* Every queue pair needs a region the engine takes (spec section 4), at ENABLE. */
	c.region_bpages = 0;
	check_errno(ioctl(q.fd, HOMA_NIC_IOC_QP_CREATE, &c), EINVAL, "region of 0");
	c.region_bpages = info.min_region_bpages - 1;
	check_errno(ioctl(q.fd, HOMA_NIC_IOC_QP_CREATE, &c), EINVAL, "region too small");
	c.region_bpages = info.max_region_bpages + 1;
	check_errno(ioctl(q.fd, HOMA_NIC_IOC_QP_CREATE, &c), EINVAL, "region too big");
	c.region_bpages = QP_BPAGES;
	c.send_bytes = HOMA_NIC_MAX_SEND_BYTES + 1;
	check_errno(ioctl(q.fd, HOMA_NIC_IOC_QP_CREATE, &c), EINVAL, "send region too big");
	c.send_bytes = 0;
	check(ioctl(q.fd, HOMA_NIC_IOC_COUNTERS, &cnt) == 0 && cnt.count == HOMA_NIC_NUM_COUNTERS,
	      "counters", "count %u", cnt.count);
	fl.qp = q.c.qp;
	fl.flags = 0x80;
	check_errno(ioctl(q.fd, HOMA_NIC_IOC_QP_FLAGS, &fl), EINVAL, "bad qp flags");
	fl.flags = HOMA_NIC_QP_SERVER;
	check_ok(ioctl(q.fd, HOMA_NIC_IOC_QP_FLAGS, &fl), "server flag");

	/* Mappings: only whole objects, shared, within their size. */
	p = map(q.fd, HOMA_NIC_MAP_USER, q.c.qp, 8192);
	check_errno(p ? 0 : -1, EINVAL, "mmap user page beyond page");
	p = map(q.fd, HOMA_NIC_MAP_REGION, q.c.qp, ((size_t)40 << HOMA_NIC_BPAGE_SHIFT) + 4096);
	check_errno(p ? 0 : -1, EINVAL, "mmap beyond region");
	off = HOMA_NIC_MAP_OFFSET(HOMA_NIC_MAP_REGION, q.c.qp);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, q.fd, off + 4096);
	check_errno(p == MAP_FAILED ? -1 : 0, EINVAL, "mmap inside object");
	off = HOMA_NIC_MAP_OFFSET(HOMA_NIC_MAP_USER, q.c.qp);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, q.fd, off);
	check_errno(p == MAP_FAILED ? -1 : 0, EINVAL, "mmap private");
	p = map(q.fd, 9, q.c.qp, 4096);
	check_errno(p ? 0 : -1, EINVAL, "mmap unknown kind");
	check_errno(ioctl(q.fd, HOMA_NIC_IOC_QP_DESTROY, &q.c.qp), EBUSY, "destroy while mapped");

	/* A queue pair without a send region has nothing to map there. */
	c.port = 0;
	check_ok(ioctl(q.fd, HOMA_NIC_IOC_QP_CREATE, &c), "second queue pair");
	other = c.qp;
	p = map(q.fd, HOMA_NIC_MAP_SEND, other, 4096);
	check_errno(p ? 0 : -1, ENOENT, "mmap missing send region");
	check_ok(ioctl(q.fd, HOMA_NIC_IOC_QP_DESTROY, &other), "destroy unmapped");

	/* Arenas: bounded, mapped whole, and the only memory a queue pair may use. */
	check_arenas(dev);

	/* Every queue pair in use: ENOSPC; closing the file gives them all back. */
	first = exhaust(dev);
	second = exhaust(dev);
	check(first > 0, "queue pairs exhausted", "got %d before ENOSPC", first);
	check(second == first, "queue pairs freed on close", "%d after close, %d before",
	      second, first);

	/* Another process with its own open file cannot reach our queue pair. */
	pid = fork();
	if (pid == 0) {
		int bad = 0;

		fd2 = open(dev, O_RDWR);
		if (fd2 < 0)
			_exit(10);
		if (map(fd2, HOMA_NIC_MAP_USER, q.c.qp, 4096) || errno != EPERM)
			bad |= 1;
		if (map(fd2, HOMA_NIC_MAP_REGION, q.c.qp, 4096) || errno != EPERM)
			bad |= 2;
		if (map(fd2, HOMA_NIC_MAP_SEND, q.c.qp, 4096) || errno != EPERM)
			bad |= 4;
		if (!expect_errno(ioctl(fd2, HOMA_NIC_IOC_QP_DESTROY, &q.c.qp), EPERM))
			bad |= 8;
		if (!expect_errno(ioctl(fd2, HOMA_NIC_IOC_QP_FLAGS, &fl), EPERM))
			bad |= 16;
		close(fd2);
		_exit(bad);
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "foreign queue pair",
	      "child status %#x", status);
	/* Mappings are not inherited across fork (VM_DONTCOPY). */
	pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, on_fault);
		if (sigsetjmp(fault_jmp, 1) == 0) {
			volatile uint32_t x = q.user[0];

			(void)x;
			_exit(0);
		}
		_exit(3);
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 3, "mapping not inherited",
	      "child status %#x", status);
	close(q.fd);
	return 0;
}

static int cmd_inflight(const char *dev, const char *addr, uint16_t port)
{
	struct homa_nic_send_desc d;
	uint8_t peer[16];
	struct qp q;
	int i;

	check_ok(qp_open(&q, dev, 0) || parse_peer(addr, peer), "inflight open");
	for (i = 0; i < 4; i++) {
		request_desc(&q, &d, peer, port, 1000000, 100 + i);
		post(&q, &d);
	}
	printf("ok inflight posted\n");
	return 0;	/* exit closes the file with the RPCs in flight */
}

static int cmd_unbind(const char *dev, const char *bdf)
{
	struct homa_nic_arena arena = { .bytes = 65536 };
	volatile uint8_t *arena_map;
	struct homa_nic_info info;
	struct pollfd pfd;
	volatile int got = 0;
	void *p;
	int ret;
	struct qp q;
	int fd;

	check_ok(qp_open(&q, dev, 0), "unbind open");
	/* An arena too, written once so its page is in place before the unbind. */
	check_ok(ioctl(q.fd, HOMA_NIC_IOC_ARENA, &arena), "unbind arena");
	arena_map = map(q.fd, HOMA_NIC_MAP_ARENA, arena.index, arena.bytes);
	if (arena_map)
		arena_map[0] = 1;
	fd = open("/sys/bus/pci/drivers/homa_nic/unbind", O_WRONLY);
	check_ok(fd < 0 || write(fd, bdf, strlen(bdf)) != (ssize_t)strlen(bdf), "unbind write");
	close(fd);
	check_errno(ioctl(q.fd, HOMA_NIC_IOC_INFO, &info), ENODEV, "ioctl after unbind");
	p = map(q.fd, HOMA_NIC_MAP_USER, q.c.qp, 4096);
	check_errno(p ? 0 : -1, ENODEV, "mmap after unbind");
	pfd.fd = q.fd;
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, 0);
	check(ret == 1 && (pfd.revents & POLLERR), "poll after unbind", "revents %#x", pfd.revents);
	signal(SIGBUS, on_fault);
	if (sigsetjmp(fault_jmp, 1) == 0) {
		volatile uint32_t x = q.user[0];

		(void)x;
	} else {
		got = 1;
	}
	check(got, "old mapping faults", "user page still readable");
	got = 0;
	if (sigsetjmp(fault_jmp, 1) == 0)
		q.region[0] = 1;
	else
		got = 1;
	check(got, "old region faults", "region still writable");
	got = 0;
	if (arena_map && sigsetjmp(fault_jmp, 1) == 0)
		arena_map[0] = 2;
	else if (arena_map)
		got = 1;
	check(got, "old arena faults", "arena still writable");
	check_ok(close(q.fd), "close after unbind");
	fd = open("/sys/bus/pci/drivers/homa_nic/bind", O_WRONLY);
	check_ok(fd < 0 || write(fd, bdf, strlen(bdf)) != (ssize_t)strlen(bdf), "rebind");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "args")) {
		cmd_misuse(argv[2]);
	} else if (argc >= 5 && !strcmp(argv[1], "isolation")) {
		cmd_isolation(argv[2], argv[3], atoi(argv[4]));
	} else if (argc >= 5 && !strcmp(argv[1], "inflight")) {
		cmd_inflight(argv[2], argv[3], atoi(argv[4]));
	} else if (argc >= 4 && !strcmp(argv[1], "unbind")) {
		cmd_unbind(argv[2], argv[3]);
	} else {
		fprintf(stderr, "usage: hnic_misuse args|isolation|inflight|unbind DEV ...\n");
		failures = 2;
	}
	return failures ? 1 : 0;
}
