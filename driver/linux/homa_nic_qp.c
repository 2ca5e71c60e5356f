// SPDX-License-Identifier: GPL-2.0
/*
 * Queue pairs: DMA-coherent rings and bpage regions, and
 * the registers that hand them to the engine (homa_nic_abi.h, queue-pair
 * block). Callers hold nic->lock.
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

/* Where the engine finds a queue pair's rings and region. */
struct homa_nic_qp_rings {
	dma_addr_t sq, cq, bret, region;
	u32 sq_log_size, cq_log_size, bret_log_size, region_bpages;
};

static bool homa_nic_rings_ok(u32 flags, u32 port, u32 sq_log, u32 cq_log, u32 bret_log)
{
	return !(flags & ~HOMA_NIC_QP_SERVER) && port <= 0xffff &&
	       homa_nic_log_ok(sq_log) && homa_nic_log_ok(cq_log) &&
	       homa_nic_log_ok(bret_log);
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
	qp->regs_phys = nic->bar_phys + nic->qp_base + index * nic->qp_stride;
	qp->regs = nic->bar + nic->qp_base + index * nic->qp_stride;
	atomic_set(&qp->mappings, 0);
	return qp;
}

/* Program the queue pair's page, set ENABLE and make it the file's. */
static void homa_nic_qp_start(struct homa_nic_qp *qp,
			      const struct homa_nic_qp_rings *rings, u32 flags)
{
	struct homa_nic *nic = qp->nic;
	void __iomem *r = qp->regs;
	u32 ctrl;

	qp->cq_log_size = rings->cq_log_size;
	iowrite32(qp->port, r + HOMA_NIC_QP_PORT);
	homa_nic_write_base(r + HOMA_NIC_QP_SQ_BASE_LO, rings->sq);
	iowrite32(rings->sq_log_size, r + HOMA_NIC_QP_SQ_LOG_SIZE);
	iowrite32(0, r + HOMA_NIC_QP_SQ_TAIL);
	homa_nic_write_base(r + HOMA_NIC_QP_CQ_BASE_LO, rings->cq);
	iowrite32(rings->cq_log_size, r + HOMA_NIC_QP_CQ_LOG_SIZE);
	iowrite32(0, r + HOMA_NIC_QP_CQ_HEAD);
	homa_nic_write_base(r + HOMA_NIC_QP_BRET_BASE_LO, rings->bret);
	iowrite32(rings->bret_log_size, r + HOMA_NIC_QP_BRET_LOG_SIZE);
	iowrite32(0, r + HOMA_NIC_QP_BRET_TAIL);
	homa_nic_write_base(r + HOMA_NIC_QP_BPOOL_BASE_LO, rings->region);
	iowrite32(rings->region_bpages, r + HOMA_NIC_QP_BPOOL_NUM_BPAGES);
	ctrl = HOMA_NIC_QP_CTRL_ENABLE;
	if (flags & HOMA_NIC_QP_SERVER)
		ctrl |= HOMA_NIC_QP_CTRL_SERVER;
	if (nic->num_vectors)
		ctrl |= HOMA_NIC_QP_CTRL_IRQ_ENABLE;
	/* The rings must be in place before the engine sees ENABLE. */
	wmb();
	iowrite32(ctrl, r + HOMA_NIC_QP_CTRL);
	nic->qps[qp->index] = qp;
	list_add_tail(&qp->file_link, &qp->owner->qps);
}

struct homa_nic_qp *homa_nic_qp_create(struct homa_nic_file *f,
				       struct homa_nic_qp_create *args)
{
	struct homa_nic_qp_rings rings = {
		.sq_log_size = args->sq_log_size,
		.cq_log_size = args->cq_log_size,
		.bret_log_size = args->bret_log_size,
	};
	struct homa_nic *nic = f->nic;
	struct homa_nic_qp *qp;
	int err;

	if (!homa_nic_rings_ok(args->flags, args->port, args->sq_log_size,
			       args->cq_log_size, args->bret_log_size) ||
	    args->send_bytes > HOMA_NIC_MAX_SEND_BYTES)
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
	homa_nic_qp_start(qp, &rings, args->flags);
	args->qp = qp->index;
	args->bound_port = qp->port;
	args->send_dma = qp->send.dma;
	return qp;
}

/* Wait until the engine took the queue pair: ACTIVE, or refused its port. */
static int homa_nic_qp_wait_active(struct homa_nic_qp *qp)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(HOMA_NIC_QUIESCE_MS);
	u32 status;

	for (;;) {
		status = ioread32(qp->regs + HOMA_NIC_QP_STATUS);
		if (status & HOMA_NIC_QP_STATUS_PORT_IN_USE)
			return -EADDRINUSE;
		if (status & HOMA_NIC_QP_STATUS_ACTIVE)
			return 0;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(50, 200);
	}
}

struct homa_nic_qp *homa_nic_qp_attach(struct homa_nic_file *f,
				       struct homa_nic_qp_attach *args)
{
	struct homa_nic_qp_rings rings = {
		.sq = args->sq_addr, .cq = args->cq_addr,
		.bret = args->bret_addr, .region = args->region_addr,
		.sq_log_size = args->sq_log_size,
		.cq_log_size = args->cq_log_size,
		.bret_log_size = args->bret_log_size,
		.region_bpages = args->region_bpages,
	};
	struct homa_nic_qp *qp;
	void *cq_cpu;
	int err;

	if (!homa_nic_rings_ok(args->flags, args->port, args->sq_log_size,
			       args->cq_log_size, args->bret_log_size) ||
	    !args->region_bpages || args->region_bpages > HOMA_NIC_MAX_REGION_BPAGES)
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
				(u64)args->region_bpages << HOMA_NIC_BPAGE_SHIFT))
		return ERR_PTR(-EFAULT);
	qp = homa_nic_qp_alloc(f, &args->port);
	if (IS_ERR(qp))
		return qp;
	qp->cq_cpu = cq_cpu;
	homa_nic_qp_start(qp, &rings, args->flags);
	err = homa_nic_qp_wait_active(qp);
	if (err) {
		homa_nic_qp_destroy(qp);
		return ERR_PTR(err);
	}
	args->qp = qp->index;
	args->bound_port = qp->port;
	return qp;
}

/*
 * Stop the engine using this queue pair: clear ENABLE and wait until the
 * engine reports it inactive, after which it no longer touches the rings or
 * the region. Then clear the addresses so nothing stale is left behind.
 */
void homa_nic_qp_quiesce(struct homa_nic_qp *qp)
{
	void __iomem *r = qp->regs;
	unsigned long deadline;
	u32 status;

	if (!r)
		return;
	iowrite32(0, r + HOMA_NIC_QP_CTRL);
	deadline = jiffies + msecs_to_jiffies(HOMA_NIC_QUIESCE_MS);
	for (;;) {
		status = ioread32(r + HOMA_NIC_QP_STATUS);
		if (!(status & HOMA_NIC_QP_STATUS_ACTIVE) || status == ~0u)
			break;
		if (time_after(jiffies, deadline)) {
			dev_err(qp->nic->dev, "queue pair %u still active after disable\n",
				qp->index);
			break;
		}
		usleep_range(50, 200);
	}
	homa_nic_write_base(r + HOMA_NIC_QP_SQ_BASE_LO, 0);
	homa_nic_write_base(r + HOMA_NIC_QP_CQ_BASE_LO, 0);
	homa_nic_write_base(r + HOMA_NIC_QP_BRET_BASE_LO, 0);
	homa_nic_write_base(r + HOMA_NIC_QP_BPOOL_BASE_LO, 0);
	iowrite32(0, r + HOMA_NIC_QP_BPOOL_NUM_BPAGES);
	iowrite32(0, r + HOMA_NIC_QP_PORT);
	qp->regs = NULL;
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

int homa_nic_qp_region(struct homa_nic_qp *qp, u32 num_bpages)
{
	int err;

	if (!num_bpages || num_bpages > HOMA_NIC_MAX_REGION_BPAGES)
		return -EINVAL;
	if (qp->region.cpu)
		return -EBUSY;
	err = homa_nic_dma_alloc(qp->nic, &qp->region,
				 (size_t)num_bpages << HOMA_NIC_BPAGE_SHIFT);
	if (err)
		return err;
	homa_nic_write_base(qp->regs + HOMA_NIC_QP_BPOOL_BASE_LO, qp->region.dma);
	/* The count commits the registration: the base must be there first. */
	wmb();
	iowrite32(num_bpages, qp->regs + HOMA_NIC_QP_BPOOL_NUM_BPAGES);
	return 0;
}

/* Is there a completion at cq_head? (see phase in homa_nic_ioctl.h) */
bool homa_nic_qp_has_completion(struct homa_nic_qp *qp)
{
	struct homa_nic_completion *cqe;
	u32 head, mask = (1u << qp->cq_log_size) - 1;
	u8 want;

	if (!qp->regs || !qp->cq_cpu)
		return false;
	head = ioread32(qp->regs + HOMA_NIC_QP_CQ_HEAD);
	want = ((head >> qp->cq_log_size) & 1) ^ 1;
	cqe = (struct homa_nic_completion *)qp->cq_cpu + (head & mask);
	return READ_ONCE(cqe->phase) == want;
}
