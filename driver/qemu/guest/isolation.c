// SPDX-License-Identifier: MIT
/*
 * hnic_misuse isolation: what a process holding a queue pair can reach.
 * Everything that names memory lives in the queue pair's control page, which
 * no mmap offset maps; the user page it maps takes only doorbells; and a
 * descriptor naming bytes outside its send region is refused by the device
 * without reading anything (homa_nic_abi.h, homa_nic_ioctl.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "qp.h"

/* Which mmap kinds of our own queue pair map anything: exactly its memory and user page. */
static void check_mappable(struct qp *q)
{
	uint32_t what, mapped = 0, want;
	off_t off;
	void *p;

	for (what = 0; what < 16; what++) {
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, q->fd,
			 (off_t)HOMA_NIC_MAP_OFFSET(what, q->c.qp));
		if (p == MAP_FAILED)
			continue;
		mapped |= 1u << what;
		munmap(p, 4096);
	}
	want = 1u << HOMA_NIC_MAP_USER | 1u << HOMA_NIC_MAP_SQ | 1u << HOMA_NIC_MAP_CQ |
	       1u << HOMA_NIC_MAP_BRET | 1u << HOMA_NIC_MAP_REGION | 1u << HOMA_NIC_MAP_SEND;
	check(mapped == want, "only the user page and own memory map", "kinds %#x, want %#x",
	      mapped, want);
	/* Past the user page (where a control page could be) nothing maps. */
	off = HOMA_NIC_MAP_OFFSET(HOMA_NIC_MAP_USER, q->c.qp);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, q->fd, off + 4096);
	check_errno(p == MAP_FAILED ? -1 : 0, EINVAL, "no page beyond the user page");
	/* The user page is not a control page: no port, no ring base in it. */
	check(reg(q, HOMA_NIC_QPC_PORT) != q->c.bound_port && reg(q, HOMA_NIC_QPC_SQ_BASE_LO) == 0,
	      "user page names no memory", "port word %#x, sq base word %#x",
	      reg(q, HOMA_NIC_QPC_PORT), reg(q, HOMA_NIC_QPC_SQ_BASE_LO));
}

/* Scribble over every user-page word but the doorbells: the engine's copies come back. */
static void check_user_writes(struct qp *q, const uint8_t peer[16], uint16_t port)
{
	const char *err = "";
	uint32_t w;
	int ok;

	for (w = 0; w < 4096 / 4; w++) {
		if (w * 4 == HOMA_NIC_QPU_SQ_TAIL || w * 4 == HOMA_NIC_QPU_CQ_HEAD ||
		    w * 4 == HOMA_NIC_QPU_BRET_TAIL)
			continue;
		q->user[w] = 0xdead0000u | w;
	}
	ok = one_rpc(q, peer, port, 1000, 41, 0, &err) == 0;
	check(ok, "rpc after user-page writes", "%s", err);
	/* The bpages just returned come back when the device takes the return ring. */
	wait_reg(q, HOMA_NIC_QPU_BPOOL_AVAIL_BYTES, 0, QP_BPAGES * HOMA_NIC_BPAGE_SIZE, 10e6);
	check(reg(q, HOMA_NIC_QPU_SQ_HEAD) == q->sq_tail &&
	      reg(q, HOMA_NIC_QPU_STATUS) == HOMA_NIC_QP_STATUS_ACTIVE &&
	      reg(q, HOMA_NIC_QPU_BPOOL_AVAIL_BYTES) == QP_BPAGES * HOMA_NIC_BPAGE_SIZE,
	      "user-page writes change nothing", "sq_head %u (tail %u) status %#x avail %u",
	      reg(q, HOMA_NIC_QPU_SQ_HEAD), q->sq_tail, reg(q, HOMA_NIC_QPU_STATUS),
	      reg(q, HOMA_NIC_QPU_BPOOL_AVAIL_BYTES));
}

static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static uint64_t counter(struct qp *q, uint32_t offset)
{
	struct homa_nic_counters cnt = { .count = 128 };

	return ioctl(q->fd, HOMA_NIC_IOC_COUNTERS, &cnt) ? ~0ull : cnt.values[COUNTER(offset)];
}

/* Descriptors whose bytes leave the send region: refused, nothing read, nothing sent. */
static void check_outside(struct qp *q, const uint8_t peer[16], uint16_t port)
{
	struct homa_nic_send_desc d[3];
	uint64_t started, bad, sums;
	const char *err = "";
	struct cqe e;
	int i, ok = 1;

	memset(q->send, 0x5a, q->c.send_bytes);
	sums = checksum(q->send, q->c.send_bytes) ^
	       checksum(q->region, (size_t)QP_BPAGES << HOMA_NIC_BPAGE_SHIFT);
	started = counter(q, HOMA_NIC_CNT_CLIENT_REQUESTS_STARTED);
	bad = counter(q, HOMA_NIC_CNT_BAD_DESCRIPTORS);
	for (i = 0; i < 3; i++) {
		request_desc(q, &d[i], peer, port, 100, 31 + i);
		memset(q->send, 0x5a, 100);	/* only the range matters */
	}
	d[0].send_offset = q->c.send_bytes - 10;		/* runs past the end */
	d[1].send_offset = 0xfffffff0;			/* wraps 32 bits */
	d[1].length = 0x20;
	d[2].opcode = HOMA_NIC_OP_REPLY;		/* a reply starting at the end */
	d[2].id = 3;
	d[2].cookie = 0;
	d[2].send_offset = q->c.send_bytes;
	for (i = 0; i < 3; i++)
		enqueue(q, &d[i]);
	ring(q);
	for (i = 0; i < 3 && ok; i++) {
		ok = next_cqe(q, &e, 0, 10e6) == 0 && e.c.type == HOMA_NIC_CQE_ERROR &&
		     e.c.error == EINVAL && e.c.cookie == (i < 2 ? 31u + i : 0) &&
		     e.c.id == d[i].id;
		check(ok, "outside the send region: EINVAL",
		      "descriptor %d: type %u error %u cookie %llu", i, e.c.type, e.c.error,
		      (unsigned long long)e.c.cookie);
	}
	check(reg(q, HOMA_NIC_QPU_STATUS) & HOMA_NIC_QP_STATUS_BAD_DESCRIPTOR,
	      "outside the send region: BAD_DESCRIPTOR", "status %#x", reg(q, HOMA_NIC_QPU_STATUS));
	check(counter(q, HOMA_NIC_CNT_BAD_DESCRIPTORS) == bad + 3 &&
	      counter(q, HOMA_NIC_CNT_CLIENT_REQUESTS_STARTED) == started,
	      "outside the send region: nothing sent",
	      "bad_descriptors +%llu, requests started +%llu",
	      (unsigned long long)(counter(q, HOMA_NIC_CNT_BAD_DESCRIPTORS) - bad),
	      (unsigned long long)(counter(q, HOMA_NIC_CNT_CLIENT_REQUESTS_STARTED) - started));
	check(sums == (checksum(q->send, q->c.send_bytes) ^
		       checksum(q->region, (size_t)QP_BPAGES << HOMA_NIC_BPAGE_SHIFT)),
	      "outside the send region: memory untouched", "send or bpage region changed");
	ok = one_rpc(q, peer, port, 1000000, 42, 0, &err) == 0;
	check(ok, "device works after refusals", "%s", err);
}

int cmd_isolation(const char *dev, const char *addr, uint16_t port)
{
	uint8_t peer[16];
	struct qp q;

	check_ok(qp_open(&q, dev, 0) || parse_peer(addr, peer), "isolation open");
	check_mappable(&q);
	check_user_writes(&q, peer, port);
	check_outside(&q, peer, port);
	close(q.fd);
	return 0;
}
