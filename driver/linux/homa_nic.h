/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal state of the homa_nic driver.
 *
 * One struct homa_nic per PCI function, one struct homa_nic_file per open of
 * its char device, one struct homa_nic_qp per queue pair a file created. A
 * queue pair's user page and DMA memory are only ever mapped into the
 * process that holds the file that created it; its control page never is.
 */
#ifndef _HOMA_NIC_H
#define _HOMA_NIC_H

#include <linux/cdev.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/hrtimer.h>
#include <linux/wait.h>

#include "uapi/homa_nic_abi.h"
#include "uapi/homa_nic_ioctl.h"

#define HOMA_NIC_DRV_NAME	"homa_nic"
#define HOMA_NIC_MAX_DEVICES	8
#define HOMA_NIC_MAX_QPS	64

/* A DMA-coherent buffer shared with the device and mapped by user space. */
struct homa_nic_dma {
	void *cpu;
	dma_addr_t dma;
	size_t size;		/* page multiple */
};

struct homa_nic_qp {
	struct homa_nic *nic;
	struct homa_nic_file *owner;
	u32 index;
	u32 port;
	u32 flags;		/* HOMA_NIC_QP_* */
	u32 cq_log_size;
	void *cq_cpu;		/* the completion ring, where the kernel reads it */
	void __iomem *ctrl;	/* control page: the kernel's only (NULL once stopped) */
	void __iomem *user;	/* user page: doorbells, what the owner maps */
	phys_addr_t user_phys;
	struct homa_nic_dma sq, cq, bret, region, send;
	atomic_t mappings;	/* live vmas of this queue pair */
	struct list_head file_link;
};

struct homa_nic_file {
	struct homa_nic *nic;
	struct file *filp;
	struct list_head qps;	/* of struct homa_nic_qp, under nic->lock */
	struct list_head nic_link;
	/* DMA arenas, freed only when the file or the device goes away. */
	struct homa_nic_dma arenas[HOMA_NIC_MAX_ARENAS];
	u32 num_arenas;
};

struct homa_nic {
	struct kref ref;
	struct pci_dev *pdev;
	struct device *dev;	/* &pdev->dev, held until the last put */
	int minor;
	struct cdev cdev;
	struct device *chrdev;

	void __iomem *bar;	/* register blocks start here */
	phys_addr_t bar_phys;
	resource_size_t bar_len;
	u32 identity, config, counters, qp_block;	/* block offsets */
	u32 ctrl_base, user_base, qp_stride, num_qps;
	u32 features;
	u32 min_region_bpages, max_region_bpages;

	int num_vectors;	/* MSI-X vectors; 0 = poll with a timer */
	struct hrtimer poll_timer;
	wait_queue_head_t wq;

	/*
	 * lock serialises queue-pair state and the file list. dead_sem is
	 * held for reading by page faults and for writing when the device
	 * goes away, so no user mapping outlives the device.
	 */
	struct mutex lock;
	struct rw_semaphore dead_sem;
	bool dead;
	struct list_head files;
	struct homa_nic_qp *qps[HOMA_NIC_MAX_QPS];	/* by hardware index */
};

/* homa_nic_qp.c */
struct homa_nic_qp *homa_nic_qp_create(struct homa_nic_file *f,
				       struct homa_nic_qp_create *args);
struct homa_nic_qp *homa_nic_qp_attach(struct homa_nic_file *f,
				       struct homa_nic_qp_attach *args);
int homa_nic_qp_destroy(struct homa_nic_qp *qp);
void homa_nic_qp_free(struct homa_nic_qp *qp);
void homa_nic_qp_quiesce(struct homa_nic_qp *qp);
int homa_nic_qp_set_flags(struct homa_nic_qp *qp, u32 flags);
bool homa_nic_qp_has_completion(struct homa_nic_qp *qp);
int homa_nic_dma_alloc(struct homa_nic *nic, struct homa_nic_dma *buf, size_t size);
void homa_nic_dma_free(struct homa_nic *nic, struct homa_nic_dma *buf);
extern atomic_t homa_nic_live_buffers;

/* homa_nic_arena.c */
int homa_nic_arena_alloc(struct homa_nic_file *f, struct homa_nic_arena *args);
void homa_nic_arenas_free(struct homa_nic_file *f);
void *homa_nic_arena_cpu(struct homa_nic_file *f, u64 addr, u64 len);
int homa_nic_arena_mmap(struct homa_nic_file *f, u32 index, struct vm_area_struct *vma);

/* homa_nic_cdev.c */
extern const struct file_operations homa_nic_fops;
void homa_nic_get(struct homa_nic *nic);
void homa_nic_put(struct homa_nic *nic);

/* homa_nic_main.c */
u64 homa_nic_read_counter(struct homa_nic *nic, u32 offset);
struct homa_nic *homa_nic_by_minor(unsigned int minor);

#endif /* _HOMA_NIC_H */
