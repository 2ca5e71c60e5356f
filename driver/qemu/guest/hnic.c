// SPDX-License-Identifier: MIT
/*
 * hnic - the guest's client of /dev/homa_nicN (uapi headers only).
 *
 *   hnic regs DEV                  register round trip with the device server
 *   hnic rpc DEV ADDR PORT [spin|wait]   RPCs of 100 B, 64 KiB, 1,000,000 B, and an
 *                                  abort; completions spun on or waited for in poll(2)
 *   hnic bench DEV ADDR PORT N     100 B round trips, polled and with poll(2)
 *
 * Each check prints "ok <name>" or "FAIL <name>: why"; the exit status is 0
 * only if every check passed. Misuse checks are in hnic_misuse.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "qp.h"

static int cmd_regs(const char *dev)
{
	struct homa_nic_send_desc bad = { .opcode = 0x7f, .cookie = 5 };
	struct homa_nic_info info;
	struct cqe e;
	struct qp q;
	int got;

	check_ok(qp_open(&q, dev, 0), "regs open");
	check(ioctl(q.fd, HOMA_NIC_IOC_INFO, &info) == 0 && info.abi_version >> 16 == 2 &&
	      info.min_region_bpages == HOMA_NIC_MIN_REGION_BPAGES,
	      "regs info", "abi %#x, regions of %u..%u bpages", info.abi_version,
	      info.min_region_bpages, info.max_region_bpages);
	/* Round trip 1: the host saw ENABLE (the driver waited for it) and answers with ACTIVE. */
	check(q.c.bound_port >= 0x8000 &&
	      (reg(&q, HOMA_NIC_QPU_STATUS) & HOMA_NIC_QP_STATUS_ACTIVE),
	      "regs active", "port %u status %#x", q.c.bound_port, reg(&q, HOMA_NIC_QPU_STATUS));
	check(reg(&q, HOMA_NIC_QPU_BPOOL_AVAIL_BYTES) == QP_BPAGES * HOMA_NIC_BPAGE_SIZE,
	      "regs user page", "bpool_avail_bytes %u", reg(&q, HOMA_NIC_QPU_BPOOL_AVAIL_BYTES));
	/* Round trip 2: a doorbell for a bad descriptor; the host refuses it and says so. */
	post(&q, &bad);
	got = next_cqe(&q, &e, 0, 10e6) == 0;
	check(got && e.c.type == HOMA_NIC_CQE_ERROR && e.c.error == EINVAL && e.c.cookie == 5 &&
	      reg(&q, HOMA_NIC_QPU_SQ_HEAD) == 1 &&
	      (reg(&q, HOMA_NIC_QPU_STATUS) & HOMA_NIC_QP_STATUS_BAD_DESCRIPTOR),
	      "regs doorbell", "completion %d type %u error %u, sq_head %u status %#x", got,
	      e.c.type, e.c.error, reg(&q, HOMA_NIC_QPU_SQ_HEAD), reg(&q, HOMA_NIC_QPU_STATUS));
	close(q.fd);
	return 0;
}

/* A request and, before the doorbell, an ABORT of every client RPC: one ERROR completion. */
static int abort_rpc(struct qp *q, const uint8_t peer[16], uint16_t dport, int use_poll,
		     const char **err)
{
	struct homa_nic_send_desc d, abort = { .opcode = HOMA_NIC_OP_ABORT, .error = ECANCELED };
	struct cqe e;
	static char why[128];

	request_desc(q, &d, peer, dport, 1000000, 77);
	enqueue(q, &d);
	enqueue(q, &abort);
	ring(q);
	if (next_cqe(q, &e, use_poll, 60e6)) {
		*err = "no completion";
		return -1;
	}
	if (e.c.type == HOMA_NIC_CQE_ERROR && e.c.error == ECANCELED && e.c.cookie == 77 &&
	    !e.c.num_bpages)
		return 0;
	snprintf(why, sizeof(why), "completion type %u error %u cookie %llu", e.c.type, e.c.error,
		 (unsigned long long)e.c.cookie);
	*err = why;
	return -1;
}

static int cmd_rpc(const char *dev, const char *addr, uint16_t port, int use_poll)
{
	static const uint32_t lens[] = { 100, 65536, 1000000 };
	const char *mode = use_poll ? "wait" : "spin";
	uint8_t peer[16];
	const char *err = "";
	char name[64];
	struct qp q;
	struct homa_nic_counters cnt;
	unsigned int i;
	__u64 started, done;
	int ok;

	check_ok(qp_open(&q, dev, 0) || parse_peer(addr, peer), "rpc open");
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "rpc %u B %s", lens[i], mode);
		ok = one_rpc(&q, peer, port, lens[i], 1 + i, use_poll, &err) == 0;
		check(ok, name, "%s", err);
	}
	snprintf(name, sizeof(name), "rpc abort %s", mode);
	ok = abort_rpc(&q, peer, port, use_poll, &err) == 0;
	check(ok, name, "%s", err);
	snprintf(name, sizeof(name), "rpc after abort %s", mode);
	ok = one_rpc(&q, peer, port, 100, 9, use_poll, &err) == 0;
	check(ok, name, "%s", err);
	cnt.count = 128;
	ok = ioctl(q.fd, HOMA_NIC_IOC_COUNTERS, &cnt) == 0;
	started = cnt.values[COUNTER(HOMA_NIC_CNT_CLIENT_REQUESTS_STARTED)];
	done = cnt.values[COUNTER(HOMA_NIC_CNT_CLIENT_RESPONSES_DONE)];
	snprintf(name, sizeof(name), "rpc counters %s", mode);
	check(ok && started >= 3 && done >= 3, name, "requests started %llu, responses done %llu",
	      (unsigned long long)started, (unsigned long long)done);
	close(q.fd);
	return 0;
}

static int cmd_bench(const char *dev, const char *addr, uint16_t port, int n)
{
	uint8_t peer[16];
	const char *err = "";
	double t0, us[2];
	struct qp q;
	int mode, i;

	if (qp_open(&q, dev, 0) || parse_peer(addr, peer))
		return 1;
	for (mode = 0; mode < 2; mode++) {
		for (i = 0; i < 20; i++)	/* warm up */
			if (one_rpc(&q, peer, port, 100, 1000 + i, mode, &err))
				goto fail;
		t0 = now_us();
		for (i = 0; i < n; i++)
			if (one_rpc(&q, peer, port, 100, 2000 + i, mode, &err))
				goto fail;
		us[mode] = (now_us() - t0) / n;
	}
	printf("bench %s: %.1f us polled, %.1f us poll(2)\n", dev, us[0], us[1]);
	return 0;
fail:
	printf("FAIL bench: %s\n", err);
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "regs")) {
		cmd_regs(argv[2]);
	} else if (argc >= 5 && !strcmp(argv[1], "rpc")) {
		cmd_rpc(argv[2], argv[3], atoi(argv[4]), argc > 5 && !strcmp(argv[5], "wait"));
	} else if (argc >= 6 && !strcmp(argv[1], "bench")) {
		failures = cmd_bench(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
	} else {
		fprintf(stderr, "usage: hnic regs|rpc|bench DEV ...\n");
		failures = 2;
	}
	return failures ? 1 : 0;
}
