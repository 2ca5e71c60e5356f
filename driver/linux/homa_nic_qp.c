// SPDX-License-Identifier: GPL-2.0
/*
 * Queue pairs: DMA-coherent rings, bpage regions and send regions, and the
 * control page that hands them to the engine (homa_nic_abi.h). Only this
 * file writes control pages; user space gets the user page alone. Callers
 * hold nic->lock.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/slab.h>

#include "homa_nic.h"

#define HOMA_NIC_FIRST_AUTO_PORT	0x8000
#define HOMA_NIC_QUIESCE_MS		2000

int homa_nic_dma_alloc(struct homa_nic *nic, struct homa_nic_dma *buf, size_t size)
{
	buf->size = PAGE_ALIGN(size);
	buf->cpu = dma_alloc_coherent(nic->dev, buf->size, &buf->dma,
				      GFP_KERNEL);
	if (!buf->cpu) {
		buf->size = 0;
		return -ENOMEM;
	}
	atomic_inc(&homa_nic_live_buffers);
	return 0;
}

void homa_nic_dma_free(struct homa_nic *nic, struct homa_nic_dma *buf)
{
	if (!buf->cpu)
		return;
	dma_free_coherent(nic->dev, buf->size, buf->cpu, buf->dma);
	buf->cpu = NULL;
	buf->size = 0;
	atomic_dec(&homa_nic_live_buffers);
}

static void homa_nic_write_base(void __iomem *lo, dma_addr_t addr)
{
	iowrite32(lower_32_bits(addr), lo);
	iowrite32(upper_32_bits(addr), lo + 4);
}

static bool homa_nic_port_used(struct homa_nic *nic, u32 port)
{
	int i;

	for (i = 0; i < HOMA_NIC_MAX_QPS; i++)
		if (nic->qps[i] && nic->qps[i]->port == port)
			return true;
	return false;
}

static int homa_nic_pick_port(struct homa_nic *nic, u32 *port)
{
	u32 p;

	if (*port)
		return homa_nic_port_used(nic, *port) ? -EADDRINUSE : 0;
	for (p = HOMA_NIC_FIRST_AUTO_PORT; p <= 0xffff; p++) {
		if (!homa_nic_port_used(nic, p)) {
			*port = p;
			return 0;
		}
	}
	return -EADDRINUSE;
}

static bool homa_nic_log_ok(u32 log_size)
{
	return log_size >= HOMA_NIC_MIN_LOG_SIZE &&
	       log_size <= HOMA_NIC_MAX_LOG_SIZE;
}

/* Where the engine finds a queue pair's rings, region and send region. */
struct homa_nic_qp_rings {
	dma_addr_t sq, cq, bret, region, send;
	u32 sq_log_size, cq_log_size, bret_log_size, region_bpages, send_bytes;
};

static bool homa_nic_rings_ok(struct homa_nic *nic, u32 flags, u32 port,
			      const struct homa_nic_qp_rings *r)
{
	return !(flags & ~HOMA_NIC_QP_SERVER) && port <= 0xffff &&
	       homa_nic_log_ok(r->sq_log_size) && homa_nic_log_ok(r->cq_log_size) &&
	       homa_nic_log_ok(r->bret_log_size) &&
	       r->region_bpages >= nic->min_region_bpages &&
	       r->region_bpages <= nic->max_region_bpages &&
	       r->send_bytes <= HOMA_NIC_MAX_SEND_BYTES;
}

/* A queue pair on a free hardware index, its port bound (*port 0: picked). */
static struct homa_nic_qp *homa_nic_qp_alloc(struct homa_nic_file *f, u32 *port)
{
	struct homa_nic *nic = f->nic;
	struct homa_nic_qp *qp;
	u32 index;
	int err;

	for (index = 0; index < nic->num_qps; index++)
		if (!nic->qps[index])
			break;
	if (index == nic->num_qps)
		return ERR_PTR(-ENOSPC);
	err = homa_nic_pick_port(nic, port);
	if (err)
		return ERR_PTR(err);
	qp = kzalloc(sizeof(*qp), GFP_KERNEL);
	if (!qp)
		return ERR_PTR(-ENOMEM);
	qp->nic = nic;
	qp->owner = f;
	qp->index = index;
	qp->port = *port;
	qp->ctrl = nic->bar + nic->ctrl_base + index * nic->qp_stride;
	qp->user = nic->bar + nic->user_base + index * nic->qp_stride;
	qp->user_phys = nic->bar_phys + nic->user_base + index * nic->qp_stride;
	atomic_set(&qp->mappings, 0);
	return qp;
}

static u32 homa_nic_ctrl_bits(struct homa_nic_qp *qp)
{
	u32 ctrl = HOMA_NIC_QP_CTRL_ENABLE;

	if (qp->flags & HOMA_NIC_QP_SERVER)
		ctrl |= HOMA_NIC_QP_CTRL_SERVER;
	if (qp->nic->num_vectors)
		ctrl |= HOMA_NIC_QP_CTRL_IRQ_ENABLE;
	return ctrl;
}

/*
 * Program the queue pair's control page, set ENABLE and make it the file's.
 * The engine takes the page as it is at ENABLE and ignores later writes to
 * it (except ctrl), so everything goes in first.
 */
static void homa_nic_qp_start(struct homa_nic_qp *qp,
			      const struct homa_nic_qp_rings *rings, u32 flags)
{
	struct homa_nic *nic = qp->nic;
	void __iomem *c = qp->ctrl;

	qp->flags = flags;
	qp->cq_log_size = rings->cq_log_size;
	iowrite32(qp->port, c + HOMA_NIC_QPC_PORT);
	homa_nic_write_base(c + HOMA_NIC_QPC_SQ_BASE_LO, rings->sq);
	iowrite32(rings->sq_log_size, c + HOMA_NIC_QPC_SQ_LOG_SIZE);
	homa_nic_write_base(c + HOMA_NIC_QPC_CQ_BASE_LO, rings->cq);
	iowrite32(rings->cq_log_size, c + HOMA_NIC_QPC_CQ_LOG_SIZE);
	homa_nic_write_base(c + HOMA_NIC_QPC_BRET_BASE_LO, rings->bret);
	iowrite32(rings->bret_log_size, c + HOMA_NIC_QPC_BRET_LOG_SIZE);
	homa_nic_write_base(c + HOMA_NIC_QPC_BPOOL_BASE_LO, rings->region);
	iowrite32(rings->region_bpages, c + HOMA_NIC_QPC_BPOOL_NUM_BPAGES);
	homa_nic_write_base(c + HOMA_NIC_QPC_SEND_BASE_LO, rings->send);
	iowrite32(rings->send_bytes, c + HOMA_NIC_QPC_SEND_SIZE);
	/* The control page must be complete before the engine sees ENABLE. */
	wmb();
	iowrite32(homa_nic_ctrl_bits(qp), c + HOMA_NIC_QPC_CTRL);
	nic->qps[qp->index] = qp;
	list_add_tail(&qp->file_link, &qp->owner->qps);
}

/* Wait until the engine took the queue pair: ACTIVE, or refused it. */
static int homa_nic_qp_wait_active(struct homa_nic_qp *qp)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(HOMA_NIC_QUIESCE_MS);
	u32 status;

	for (;;) {
		status = ioread32(qp->ctrl + HOMA_NIC_QPC_STATUS);
		if (status & HOMA_NIC_QP_STATUS_PORT_IN_USE)
			return -EADDRINUSE;
		if (status & HOMA_NIC_QP_STATUS_BAD_CONFIG)
			return -EINVAL;
		if (status & HOMA_NIC_QP_STATUS_ACTIVE)
			return 0;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(50, 200);
	}
}

/* Start the queue pair; if the engine refuses it, take it down again. */
static struct homa_nic_qp *homa_nic_qp_go(struct homa_nic_qp *qp,
					  const struct homa_nic_qp_rings *rings, u32 flags)
{
	int err;

	homa_nic_qp_start(qp, rings, flags);
	err = homa_nic_qp_wait_active(qp);
	if (err) {
		homa_nic_qp_destroy(qp);
		return ERR_PTR(err);
	}
	return qp;
}

struct homa_nic_qp *homa_nic_qp_create(struct homa_nic_file *f,
				       struct homa_nic_qp_create *args)
{
	struct homa_nic_qp_rings rings = {
		.sq_log_size = args->sq_log_size,
		.cq_log_size = args->cq_log_size,
		.bret_log_size = args->bret_log_size,
		.region_bpages = args->region_bpages,
		.send_bytes = args->send_bytes,
	};
	struct homa_nic *nic = f->nic;
	struct homa_nic_qp *qp;
	int err;

	if (!homa_nic_rings_ok(nic, args->flags, args->port, &rings))
		return ERR_PTR(-EINVAL);
	qp = homa_nic_qp_alloc(f, &args->port);
	if (IS_ERR(qp))
		return qp;
	err = homa_nic_dma_alloc(nic, &qp->sq,
				 HOMA_NIC_SEND_DESC_SIZE << args->sq_log_size);
	if (!err)
		err = homa_nic_dma_alloc(nic, &qp->cq,
					 HOMA_NIC_COMPLETION_SIZE << args->cq_log_size);
	if (!err)
		err = homa_nic_dma_alloc(nic, &qp->bret,
					 HOMA_NIC_BPAGE_RETURN_SIZE << args->bret_log_size);
	if (!err)
		err = homa_nic_dma_alloc(nic, &qp->region,
					 (size_t)args->region_bpages << HOMA_NIC_BPAGE_SHIFT);
	if (!err && args->send_bytes)
		err = homa_nic_dma_alloc(nic, &qp->send, args->send_bytes);
	if (err) {
		homa_nic_qp_free(qp);
		kfree(qp);
		return ERR_PTR(err);
	}
	qp->cq_cpu = qp->cq.cpu;
	rings.sq = qp->sq.dma;
	rings.cq = qp->cq.dma;
	rings.bret = qp->bret.dma;
	rings.region = qp->region.dma;
	rings.send = qp->send.dma;
	/* The engine sees exactly the bytes a process can map. */
	rings.send_bytes = qp->send.size;
	qp = homa_nic_qp_go(qp, &rings, args->flags);
	if (IS_ERR(qp))
		return qp;
	args->qp = qp->index;
	args->bound_port = qp->port;
	args->send_bytes = qp->send.size;
	return qp;
}

struct homa_nic_qp *homa_nic_qp_attach(struct homa_nic_file *f,
				       struct homa_nic_qp_attach *args)
{
	struct homa_nic_qp_rings rings = {
		.sq = args->sq_addr, .cq = args->cq_addr,
		.bret = args->bret_addr, .region = args->region_addr,
		.send = args->send_addr,
		.sq_log_size = args->sq_log_size,
		.cq_log_size = args->cq_log_size,
		.bret_log_size = args->bret_log_size,
		.region_bpages = args->region_bpages,
		.send_bytes = args->send_bytes,
	};
	struct homa_nic_qp *qp;
	void *cq_cpu;

	if (!homa_nic_rings_ok(f->nic, args->flags, args->port, &rings))
		return ERR_PTR(-EINVAL);
	/* The engine may only ever reach memory this file owns. */
	cq_cpu = homa_nic_arena_cpu(f, args->cq_addr,
				    (u64)HOMA_NIC_COMPLETION_SIZE << args->cq_log_size);
	if (!cq_cpu ||
	    !homa_nic_arena_cpu(f, args->sq_addr,
				(u64)HOMA_NIC_SEND_DESC_SIZE << args->sq_log_size) ||
	    !homa_nic_arena_cpu(f, args->bret_addr,
				(u64)HOMA_NIC_BPAGE_RETURN_SIZE << args->bret_log_size) ||
	    !homa_nic_arena_cpu(f, args->region_addr,
				(u64)args->region_bpages << HOMA_NIC_BPAGE_SHIFT) ||
	    (args->send_bytes &&
	     !homa_nic_arena_cpu(f, args->send_addr, args->send_bytes)))
		return ERR_PTR(-EFAULT);
	qp = homa_nic_qp_alloc(f, &args->port);
	if (IS_ERR(qp))
		return qp;
	qp->cq_cpu = cq_cpu;
	qp = homa_nic_qp_go(qp, &rings, args->flags);
	if (IS_ERR(qp))
		return qp;
	args->qp = qp->index;
	args->bound_port = qp->port;
	return qp;
}

/* SO_HOMA_SERVER after the fact: ctrl is the one register the engine takes while enabled. */
int homa_nic_qp_set_flags(struct homa_nic_qp *qp, u32 flags)
{
	if (flags & ~HOMA_NIC_QP_SERVER)
		return -EINVAL;
	if (!qp->ctrl)
		return -ENODEV;
	qp->flags = flags;
	iowrite32(homa_nic_ctrl_bits(qp), qp->ctrl + HOMA_NIC_QPC_CTRL);
	return 0;
}

/*
 * Stop the engine using this queue pair: clear ENABLE (the port is unbound at
 * once) and wait until the engine reports it inactive, after which it no
 * longer touches the rings, the region or the send region. Then clear the
 * addresses so nothing stale is left behind.
 */
void homa_nic_qp_quiesce(struct homa_nic_qp *qp)
{
	void __iomem *c = qp->ctrl;
	unsigned long deadline;
	u32 status;

	if (!c)
		return;
	iowrite32(0, c + HOMA_NIC_QPC_CTRL);
	deadline = jiffies + msecs_to_jiffies(HOMA_NIC_QUIESCE_MS);
	for (;;) {
		status = ioread32(c + HOMA_NIC_QPC_STATUS);
		if (!(status & HOMA_NIC_QP_STATUS_ACTIVE) || status == ~0u)
			break;
		if (time_after(jiffies, deadline)) {
			dev_err(qp->nic->dev, "queue pair %u still active after disable\n",
				qp->index);
			break;
		}
		usleep_range(50, 200);
	}
	homa_nic_write_base(c + HOMA_NIC_QPC_SQ_BASE_LO, 0);
	homa_nic_write_base(c + HOMA_NIC_QPC_CQ_BASE_LO, 0);
	homa_nic_write_base(c + HOMA_NIC_QPC_BRET_BASE_LO, 0);
	homa_nic_write_base(c + HOMA_NIC_QPC_BPOOL_BASE_LO, 0);
	iowrite32(0, c + HOMA_NIC_QPC_BPOOL_NUM_BPAGES);
	homa_nic_write_base(c + HOMA_NIC_QPC_SEND_BASE_LO, 0);
	iowrite32(0, c + HOMA_NIC_QPC_SEND_SIZE);
	iowrite32(0, c + HOMA_NIC_QPC_PORT);
	qp->ctrl = NULL;
}

/* Give back the DMA memory of a quiesced (or never enabled) queue pair. */
void homa_nic_qp_free(struct homa_nic_qp *qp)
{
	qp->cq_cpu = NULL;
	homa_nic_dma_free(qp->nic, &qp->sq);
	homa_nic_dma_free(qp->nic, &qp->cq);
	homa_nic_dma_free(qp->nic, &qp->bret);
	homa_nic_dma_free(qp->nic, &qp->region);
	homa_nic_dma_free(qp->nic, &qp->send);
}

/* Destroy a queue pair its file no longer maps. */
int homa_nic_qp_destroy(struct homa_nic_qp *qp)
{
	struct homa_nic *nic = qp->nic;

	if (atomic_read(&qp->mappings))
		return -EBUSY;
	if (!nic->dead)
		homa_nic_qp_quiesce(qp);
	homa_nic_qp_free(qp);
	if (nic->qps[qp->index] == qp)
		nic->qps[qp->index] = NULL;
	list_del(&qp->file_link);
	kfree(qp);
	return 0;
}

/* Is there a completion at cq_head? (phase rule in homa_nic_abi.h) */
bool homa_nic_qp_has_completion(struct homa_nic_qp *qp)
{
	struct homa_nic_completion *cqe;
	u32 head, mask = (1u << qp->cq_log_size) - 1;
	u8 want;

	if (!qp->ctrl || !qp->cq_cpu)
		return false;
	/* cq_head is the owner's doorbell in the user page. */
	head = ioread32(qp->user + HOMA_NIC_QPU_CQ_HEAD);
	want = ((head >> qp->cq_log_size) & 1) ^ 1;
	cqe = (struct homa_nic_completion *)qp->cq_cpu + (head & mask);
	return READ_ONCE(cqe->phase) == want;
}
