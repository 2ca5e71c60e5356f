/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * homa_nic_ioctl.h - the interface of the homa_nic kernel driver to user space.
 *
 * The device's own contract (registers, descriptors, completions) is in
 * homa_nic_abi.h, generated from hw/homa/abi.ts. This header only describes
 * what the driver adds around it: one char device per NIC (/dev/homa_nicN),
 * ioctls to create queue pairs and bpage regions, and the mmap offsets under
 * which they appear. A queue pair's memory comes either from the driver
 * (HOMA_NIC_IOC_QP_CREATE, HOMA_NIC_IOC_REGION) or from DMA arenas the file
 * allocated and laid out itself (HOMA_NIC_IOC_ARENA, HOMA_NIC_IOC_QP_ATTACH).
 * Everything a file creates belongs to that open file: it cannot be seen
 * through any other open file, and it is torn down on close.
 *
 * Send descriptors carry the device address of their message: send_dma
 * (from HOMA_NIC_IOC_QP_CREATE) plus an offset into the send area the
 * process has mapped. The device must check it: without an IOMMU the driver
 * cannot stop a device that reads any address it is given.
 *
 * Rings: head and tail registers count entries without wrapping at the ring
 * size (slot = index & (entries - 1)); a completion is valid when its phase
 * equals ((cq_head >> cq_log_size) & 1) ^ 1, i.e. the engine writes phase 1
 * on the first pass over the ring, 0 on the second, and so on.
 */
#ifndef _UAPI_HOMA_NIC_IOCTL_H
#define _UAPI_HOMA_NIC_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define HOMA_NIC_IOC_MAGIC		0xb7

/* Limits the driver enforces. */
#define HOMA_NIC_MIN_LOG_SIZE		2
#define HOMA_NIC_MAX_LOG_SIZE		12
#define HOMA_NIC_MAX_REGION_BPAGES	64
#define HOMA_NIC_MAX_SEND_BYTES		(4u << 20)
#define HOMA_NIC_MAX_ARENA_BYTES	(4u << 20)
#define HOMA_NIC_MAX_ARENAS		64

/* homa_nic_info.flags */
#define HOMA_NIC_INFO_IRQ		0x1	/* completions raise interrupts */

struct homa_nic_info {
	__u32 abi_version;	/* identity.abi_version */
	__u32 num_queue_pairs;	/* usable by this driver */
	__u32 features;		/* identity.features */
	__u32 flags;		/* HOMA_NIC_INFO_* */
	__u32 max_region_bpages;
	__u32 reserved[3];
};

/* homa_nic_qp_create.flags */
#define HOMA_NIC_QP_SERVER		0x1	/* accept incoming requests */

struct homa_nic_qp_create {
	__u32 port;		/* in: 1..65535, or 0 to let the driver pick */
	__u32 flags;		/* in: HOMA_NIC_QP_* */
	__u32 sq_log_size;	/* in: log2 of send-queue entries */
	__u32 cq_log_size;	/* in: log2 of completion-queue entries */
	__u32 bret_log_size;	/* in: log2 of bpage-return entries */
	__u32 send_bytes;	/* in: size of the send area (0..4 MiB) */
	__u32 qp;		/* out: queue pair number */
	__u32 bound_port;	/* out: the port bound */
	__u64 send_dma;		/* out: device address of the send area */
};

struct homa_nic_region {
	__u32 qp;		/* in: a queue pair of this file */
	__u32 num_bpages;	/* in: 1..HOMA_NIC_MAX_REGION_BPAGES */
};

/*
 * A DMA arena: device-reachable memory the file owns, for a host library
 * that lays out its own rings, region and send buffers (HOMA_NIC_IOC_QP_ATTACH).
 */
struct homa_nic_arena {
	__u32 bytes;		/* in: 1..HOMA_NIC_MAX_ARENA_BYTES */
	__u32 index;		/* out: for HOMA_NIC_MAP_OFFSET(HOMA_NIC_MAP_ARENA, index) */
	__u64 dma;		/* out: device address of its first byte */
};

/*
 * A queue pair on rings and a region in the file's arenas: the driver checks
 * every range lies inside one of them, programs the page, sets ENABLE and
 * waits until the engine reports it ACTIVE (EADDRINUSE if it refuses the port).
 */
struct homa_nic_qp_attach {
	__u32 port;		/* in: 1..65535, or 0 to let the driver pick */
	__u32 flags;		/* in: HOMA_NIC_QP_* */
	__u32 sq_log_size;	/* in */
	__u32 cq_log_size;	/* in */
	__u32 bret_log_size;	/* in */
	__u32 region_bpages;	/* in: 1..HOMA_NIC_MAX_REGION_BPAGES */
	__u64 sq_addr;		/* in: device addresses inside the file's arenas */
	__u64 cq_addr;
	__u64 bret_addr;
	__u64 region_addr;
	__u32 qp;		/* out */
	__u32 bound_port;	/* out */
};

struct homa_nic_counters {
	__u32 count;		/* in: capacity of values; out: number filled */
	__u32 reserved;
	__u64 values[64];	/* in HOMA_NIC_CNT_* order */
};

#define HOMA_NIC_IOC_INFO	_IOR(HOMA_NIC_IOC_MAGIC, 0, struct homa_nic_info)
#define HOMA_NIC_IOC_QP_CREATE	_IOWR(HOMA_NIC_IOC_MAGIC, 1, struct homa_nic_qp_create)
#define HOMA_NIC_IOC_QP_DESTROY	_IOW(HOMA_NIC_IOC_MAGIC, 2, __u32)
#define HOMA_NIC_IOC_REGION	_IOW(HOMA_NIC_IOC_MAGIC, 3, struct homa_nic_region)
#define HOMA_NIC_IOC_COUNTERS	_IOWR(HOMA_NIC_IOC_MAGIC, 4, struct homa_nic_counters)
#define HOMA_NIC_IOC_ARENA	_IOWR(HOMA_NIC_IOC_MAGIC, 5, struct homa_nic_arena)
#define HOMA_NIC_IOC_QP_ATTACH	_IOWR(HOMA_NIC_IOC_MAGIC, 6, struct homa_nic_qp_attach)

/*
 * mmap offsets: what (HOMA_NIC_MAP_*) of which queue pair. Each object is
 * mapped whole, from its start: the register page (one page), the three
 * rings (entries * entry size, rounded up to pages), the bpage region
 * (num_bpages * HOMA_NIC_BPAGE_SIZE) and the send area (send_bytes rounded
 * up to pages).
 */
#define HOMA_NIC_MAP_REGS		1
#define HOMA_NIC_MAP_SQ			2
#define HOMA_NIC_MAP_CQ			3
#define HOMA_NIC_MAP_BRET		4
#define HOMA_NIC_MAP_REGION		5
#define HOMA_NIC_MAP_SEND		6
#define HOMA_NIC_MAP_ARENA		7	/* the "qp" field is the arena index */
#define HOMA_NIC_MAP_OFFSET(what, qp) \
	(((__u64)(what) << 40) | ((__u64)(qp) << 32))

#endif /* _UAPI_HOMA_NIC_IOCTL_H */
