/* SPDX-License-Identifier: MIT */
/*
 * A queue pair of /dev/homa_nicN from user space, using only the uapi headers:
 * create, map (its user page, rings, bpage region and send region), post send
 * descriptors naming bytes in the send region, read completions (with their
 * continuation entries), return bpages; and the "ok NAME" / "FAIL NAME: why"
 * reporting the guest checks print.
 */
#ifndef HNIC_QP_H
#define HNIC_QP_H

#include <stddef.h>
#include <stdint.h>

#include "homa_nic_abi.h"
#include "homa_nic_ioctl.h"

struct qp {
	int fd;
	struct homa_nic_qp_create c;
	volatile uint32_t *user;	/* the user page: doorbells and the engine's side */
	struct homa_nic_send_desc *sq;
	volatile struct homa_nic_completion *cq;
	struct homa_nic_bpage_return *bret;
	uint8_t *region, *send;
	uint32_t sq_tail, cq_head, bret_tail;
};

/* A completion with all its bpage offsets (a CONTINUATION entry's merged in). */
struct cqe {
	struct homa_nic_completion c;
	uint32_t offsets[HOMA_NIC_MAX_BPAGES];
};

/* Index in homa_nic_counters.values of the counter at this block offset. */
#define COUNTER(offset) (((offset) - HOMA_NIC_CNT_PACKETS_SENT_DATA) / 8)

/* Bpages of the region the checks create (the engine takes 33 or more). */
#define QP_BPAGES	40

/* Checks that failed so far. */
extern int failures;

void check(int ok, const char *name, const char *why, ...);
void check_ok(long ret, const char *name);
void check_errno(long ret, int want, const char *name);

uint32_t reg(struct qp *q, uint32_t off);
void set_reg(struct qp *q, uint32_t off, uint32_t v);
void *map(int fd, uint32_t what, uint32_t qp, size_t size);
size_t page_up(size_t n);
int qp_open(struct qp *q, const char *dev, uint32_t flags);
double now_us(void);
int wait_reg(struct qp *q, uint32_t off, uint32_t bits, uint32_t want, double timeout_us);
void enqueue(struct qp *q, const struct homa_nic_send_desc *d);
void ring(struct qp *q);
void post(struct qp *q, const struct homa_nic_send_desc *d);
int next_cqe(struct qp *q, struct cqe *out, int use_poll, double timeout_us);
void return_bpages(struct qp *q, const struct cqe *e);
int parse_peer(const char *s, uint8_t addr[16]);
void request_desc(struct qp *q, struct homa_nic_send_desc *d, const uint8_t peer[16],
		  uint16_t dport, uint32_t len, uint64_t cookie);
int one_rpc(struct qp *q, const uint8_t peer[16], uint16_t dport, uint32_t len,
	    uint64_t cookie, int use_poll, const char **err);
/* isolation.c */
int cmd_isolation(const char *dev, const char *addr, uint16_t port);

#endif /* HNIC_QP_H */
