// SPDX-License-Identifier: MIT
/*
 * Queue-pair helpers shared by the guest programs (see qp.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "qp.h"

int failures;

void check(int ok, const char *name, const char *why, ...)
{
	va_list ap;

	if (ok) {
		printf("ok %s\n", name);
		return;
	}
	failures++;
	printf("FAIL %s: ", name);
	va_start(ap, why);
	vprintf(why, ap);
	va_end(ap);
	printf("\n");
}

/* A call that must succeed (return 0). */
void check_ok(long ret, const char *name)
{
	int err = errno;

	check(ret == 0, name, "%s", strerror(err));
}

/* A call that must fail with errno @want. */
void check_errno(long ret, int want, const char *name)
{
	int err = errno;

	check(ret == -1 && err == want, name, "%s, want %s",
	      ret == -1 ? strerror(err) : "succeeded", strerror(want));
}

uint32_t reg(struct qp *q, uint32_t off) { return q->user[off / 4]; }
void set_reg(struct qp *q, uint32_t off, uint32_t v) { q->user[off / 4] = v; }

void *map(int fd, uint32_t what, uint32_t qp, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)HOMA_NIC_MAP_OFFSET(what, qp));
	return p == MAP_FAILED ? NULL : p;
}

size_t page_up(size_t n) { return (n + 4095) & ~(size_t)4095; }

/* A queue pair with QP_BPAGES of region and a 2 MiB send region, all mapped. */
int qp_open(struct qp *q, const char *dev, uint32_t flags)
{
	memset(q, 0, sizeof(*q));
	q->fd = open(dev, O_RDWR);
	if (q->fd < 0)
		return -1;
	q->c.flags = flags;
	q->c.sq_log_size = 6;
	q->c.cq_log_size = 6;
	q->c.bret_log_size = 8;
	q->c.region_bpages = QP_BPAGES;
	q->c.send_bytes = 2 << 20;
	if (ioctl(q->fd, HOMA_NIC_IOC_QP_CREATE, &q->c))
		return -1;
	q->region = map(q->fd, HOMA_NIC_MAP_REGION, q->c.qp,
			(size_t)QP_BPAGES << HOMA_NIC_BPAGE_SHIFT);
	q->user = map(q->fd, HOMA_NIC_MAP_USER, q->c.qp, 4096);
	q->sq = map(q->fd, HOMA_NIC_MAP_SQ, q->c.qp,
		    page_up(HOMA_NIC_SEND_DESC_SIZE << q->c.sq_log_size));
	q->cq = map(q->fd, HOMA_NIC_MAP_CQ, q->c.qp,
		    page_up(HOMA_NIC_COMPLETION_SIZE << q->c.cq_log_size));
	q->bret = map(q->fd, HOMA_NIC_MAP_BRET, q->c.qp,
		      page_up(HOMA_NIC_BPAGE_RETURN_SIZE << q->c.bret_log_size));
	q->send = map(q->fd, HOMA_NIC_MAP_SEND, q->c.qp, q->c.send_bytes);
	if (!q->user || !q->sq || !q->cq || !q->bret || !q->send || !q->region)
		return -1;
	return 0;
}

double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* Spin until @off has any of @bits (or equals @want when bits is 0). */
int wait_reg(struct qp *q, uint32_t off, uint32_t bits, uint32_t want, double timeout_us)
{
	double end = now_us() + timeout_us;

	while (now_us() < end) {
		uint32_t v = reg(q, off);

		if (bits ? (v & bits) != 0 : v == want)
			return 0;
		usleep(100);
	}
	return -1;
}

/* Write a descriptor into the send ring without ringing the doorbell. */
void enqueue(struct qp *q, const struct homa_nic_send_desc *d)
{
	uint32_t mask = (1u << q->c.sq_log_size) - 1;

	q->sq[q->sq_tail++ & mask] = *d;
}

/* Ring the doorbell: the device may read every descriptor up to sq_tail. */
void ring(struct qp *q)
{
	__sync_synchronize();
	set_reg(q, HOMA_NIC_QPU_SQ_TAIL, q->sq_tail);
}

void post(struct qp *q, const struct homa_nic_send_desc *d)
{
	enqueue(q, d);
	ring(q);
}

/* Is the entry at counter @index valid (phase rule of homa_nic_abi.h)? */
static int entry_ready(struct qp *q, uint32_t index)
{
	uint32_t mask = (1u << q->c.cq_log_size) - 1;
	uint8_t want = ((index >> q->c.cq_log_size) & 1) ^ 1;

	return q->cq[index & mask].phase == want;
}

/* A completion at cq_head, and its continuation if it has more than 5 bpages. */
static int cqe_ready(struct qp *q)
{
	uint32_t mask = (1u << q->c.cq_log_size) - 1;

	if (!entry_ready(q, q->cq_head))
		return 0;
	__sync_synchronize();
	if (q->cq[q->cq_head & mask].num_bpages <= HOMA_NIC_COMPLETION_INLINE_BPAGES)
		return 1;
	return entry_ready(q, q->cq_head + 1);
}

/* Polling a ring: checks before backing off, and the back-off sleep. */
#define SPIN_CHECKS	200
#define SPIN_BACKOFF_US	20

/* Next completion: spin (use_poll 0) or sleep in poll(2) until one arrives. */
int next_cqe(struct qp *q, struct cqe *out, int use_poll, double timeout_us)
{
	uint32_t mask = (1u << q->c.cq_log_size) - 1, n, i;
	double end = now_us() + timeout_us;
	unsigned int spins = 0;
	const volatile struct homa_nic_completion_cont *cont;

	while (!cqe_ready(q)) {
		if (now_us() > end)
			return -1;
		if (use_poll) {
			struct pollfd p = { .fd = q->fd, .events = POLLIN };

			if (poll(&p, 1, 1000) < 0 || (p.revents & (POLLERR | POLLHUP)))
				return -1;
		} else if (++spins > SPIN_CHECKS) {
			/*
			 * Back off: a guest that never idles keeps its vCPU
			 * thread busy on the host, which the device server
			 * needs when the host is loaded.
			 */
			usleep(SPIN_BACKOFF_US);
		}
	}
	__sync_synchronize();
	memcpy(&out->c, (const void *)&q->cq[q->cq_head & mask], sizeof(out->c));
	n = out->c.num_bpages;
	if (n > HOMA_NIC_MAX_BPAGES)
		n = HOMA_NIC_MAX_BPAGES;
	for (i = 0; i < n && i < HOMA_NIC_COMPLETION_INLINE_BPAGES; i++)
		out->offsets[i] = out->c.bpage_offsets[i];
	q->cq_head++;
	if (out->c.num_bpages > HOMA_NIC_COMPLETION_INLINE_BPAGES) {
		cont = (const volatile void *)&q->cq[q->cq_head & mask];
		for (; i < n; i++)
			out->offsets[i] =
				cont->bpage_offsets[i - HOMA_NIC_COMPLETION_INLINE_BPAGES];
		q->cq_head++;
	}
	set_reg(q, HOMA_NIC_QPU_CQ_HEAD, q->cq_head);
	return 0;
}

void return_bpages(struct qp *q, const struct cqe *e)
{
	uint32_t mask = (1u << q->c.bret_log_size) - 1, i;

	for (i = 0; i < e->c.num_bpages && i < HOMA_NIC_MAX_BPAGES; i++)
		q->bret[q->bret_tail++ & mask].offset = e->offsets[i];
	__sync_synchronize();
	set_reg(q, HOMA_NIC_QPU_BRET_TAIL, q->bret_tail);
}

int parse_peer(const char *s, uint8_t addr[16])
{
	struct in_addr a4;

	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, &a4) == 1) {
		addr[10] = 0xff;
		addr[11] = 0xff;
		memcpy(addr + 12, &a4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, addr) == 1 ? 0 : -1;
}

/* Request byte i of an RPC with this cookie, and what the server sends back. */
static uint8_t req_byte(uint64_t cookie, uint32_t i)
{
	return (uint8_t)(i * 7 + cookie * 13 + (i >> 9));
}

static uint8_t resp_byte(uint64_t cookie, uint32_t i)
{
	return req_byte(cookie, i) ^ 0xa5;
}

void request_desc(struct qp *q, struct homa_nic_send_desc *d, const uint8_t peer[16],
		  uint16_t dport, uint32_t len, uint64_t cookie)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		q->send[i] = req_byte(cookie, i);
	memset(d, 0, sizeof(*d));
	d->opcode = HOMA_NIC_OP_REQUEST;
	d->dport = dport;
	d->length = len;
	d->cookie = cookie;
	d->send_offset = 0;	/* the bytes just written at the start of the send region */
	memcpy(d->peer_addr, peer, 16);
}

/* One RPC; returns 0 and fills *err with a reason on failure. */
int one_rpc(struct qp *q, const uint8_t peer[16], uint16_t dport, uint32_t len,
	    uint64_t cookie, int use_poll, const char **err)
{
	struct homa_nic_send_desc d;
	struct cqe e;
	uint32_t i, k, done = 0;

	request_desc(q, &d, peer, dport, len, cookie);
	post(q, &d);
	if (next_cqe(q, &e, use_poll, 60e6)) {
		*err = "no completion";
		return -1;
	}
	if (e.c.type != HOMA_NIC_CQE_RESPONSE || e.c.cookie != cookie || e.c.length != len ||
	    e.c.num_bpages > HOMA_NIC_MAX_BPAGES) {
		static char buf[128];

		snprintf(buf, sizeof(buf), "completion type %u cookie %llu length %u error %u",
			 e.c.type, (unsigned long long)e.c.cookie, e.c.length, e.c.error);
		*err = buf;
		return -1;
	}
	for (k = 0; k < e.c.num_bpages; k++) {
		uint32_t n = len - done < HOMA_NIC_BPAGE_SIZE ? len - done : HOMA_NIC_BPAGE_SIZE;
		const uint8_t *p = q->region + e.offsets[k];

		if (e.offsets[k] + n > QP_BPAGES * HOMA_NIC_BPAGE_SIZE) {
			*err = "bpage offset outside the region";
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (p[i] != resp_byte(cookie, done + i)) {
				*err = "response bytes differ";
				return -1;
			}
		}
		done += n;
	}
	return_bpages(q, &e);
	if (done != len) {
		*err = "bpages do not cover the message";
		return -1;
	}
	return 0;
}
