/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * homa_nic_ioctl.h - the interface of the homa_nic kernel driver to user space.
 *
 * The device's own contract (registers, descriptors, completions, ring
 * conventions) is in homa_nic_abi.h, generated from hw/homa/abi.ts. This
 * header only describes what the driver adds around it: one char device per
 * NIC (/dev/homa_nicN), ioctls to create queue pairs, and the mmap offsets
 * under which their memory appears. A queue pair's memory comes either from
 * the driver (HOMA_NIC_IOC_QP_CREATE) or from DMA arenas the file allocated
 * and laid out itself (HOMA_NIC_IOC_ARENA, HOMA_NIC_IOC_QP_ATTACH).
 * Everything a file creates belongs to that open file: it cannot be seen
 * through any other open file, and it is torn down on close.
 *
 * Each queue pair has two register pages. Its control page (ring bases and
 * sizes, bpage region, send region, port, ctrl) is the kernel's: no mmap
 * offset names it, so a process can never point the device at memory. A
 * process maps only the queue pair's user page (HOMA_NIC_MAP_USER): the
 * doorbells sq_tail, cq_head and bret_tail, and read-only copies of the
 * engine's side. Send descriptors name their bytes as send_offset + length
 * inside the queue pair's send region (mapped with HOMA_NIC_MAP_SEND); the
 * device refuses any range outside it (an ERROR completion with EINVAL,
 * status BAD_DESCRIPTOR) and reads nothing.
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
	__u32 min_region_bpages;	/* smallest bpage region the engine takes */
	__u32 max_region_bpages;	/* largest the engine and the driver take */
	__u32 reserved[2];
};

/* homa_nic_qp_create.flags, homa_nic_qp_flags.flags */
#define HOMA_NIC_QP_SERVER		0x1	/* accept incoming requests */

/*
 * A queue pair on memory the driver allocates: rings, a bpage region and a
 * send region, all DMA-coherent. The driver programs the control page, sets
 * ENABLE and waits until the engine reports the queue pair ACTIVE
 * (EADDRINUSE if it refuses the port, EINVAL if it refuses the rest).
 */
struct homa_nic_qp_create {
	__u32 port;		/* in: 1..65535, or 0 to let the driver pick */
	__u32 flags;		/* in: HOMA_NIC_QP_* */
	__u32 sq_log_size;	/* in: log2 of send-queue entries */
	__u32 cq_log_size;	/* in: log2 of completion-queue entries */
	__u32 bret_log_size;	/* in: log2 of bpage-return entries */
	__u32 region_bpages;	/* in: min..max_region_bpages of homa_nic_info */
	__u32 send_bytes;	/* in: send region size (0..4 MiB); out: in whole pages */
	__u32 qp;		/* out: queue pair number */
	__u32 bound_port;	/* out: the port bound */
	__u32 reserved;
};

/*
 * A DMA arena: device-reachable memory the file owns, for a host library
 * that lays out its own rings, region and send region (HOMA_NIC_IOC_QP_ATTACH).
 */
struct homa_nic_arena {
	__u32 bytes;		/* in: 1..HOMA_NIC_MAX_ARENA_BYTES */
	__u32 index;		/* out: for HOMA_NIC_MAP_OFFSET(HOMA_NIC_MAP_ARENA, index) */
	__u64 dma;		/* out: device address of its first byte */
};

/*
 * A queue pair on rings, a bpage region and a send region in the file's
 * arenas: the driver checks every range lies inside one of them (EFAULT),
 * programs the control page, sets ENABLE and waits as QP_CREATE does.
 */
struct homa_nic_qp_attach {
	__u32 port;		/* in: 1..65535, or 0 to let the driver pick */
	__u32 flags;		/* in: HOMA_NIC_QP_* */
	__u32 sq_log_size;	/* in */
	__u32 cq_log_size;	/* in */
	__u32 bret_log_size;	/* in */
	__u32 region_bpages;	/* in: as for QP_CREATE */
	__u64 sq_addr;		/* in: device addresses inside the file's arenas */
	__u64 cq_addr;
	__u64 bret_addr;
	__u64 region_addr;
	__u64 send_addr;
	__u32 send_bytes;	/* in: 0..4 MiB */
	__u32 qp;		/* out */
	__u32 bound_port;	/* out */
	__u32 reserved;
};

/* SO_HOMA_SERVER after the fact: the control page's ctrl, which only the kernel writes. */
struct homa_nic_qp_flags {
	__u32 qp;		/* in: a queue pair of this file */
	__u32 flags;		/* in: HOMA_NIC_QP_* */
};

struct homa_nic_counters {
	__u32 count;		/* in: capacity of values; out: number filled */
	__u32 reserved;
	__u64 values[128];	/* in HOMA_NIC_CNT_* order */
};

#define HOMA_NIC_IOC_INFO	_IOR(HOMA_NIC_IOC_MAGIC, 0, struct homa_nic_info)
#define HOMA_NIC_IOC_QP_CREATE	_IOWR(HOMA_NIC_IOC_MAGIC, 1, struct homa_nic_qp_create)
#define HOMA_NIC_IOC_QP_DESTROY	_IOW(HOMA_NIC_IOC_MAGIC, 2, __u32)
#define HOMA_NIC_IOC_COUNTERS	_IOWR(HOMA_NIC_IOC_MAGIC, 4, struct homa_nic_counters)
#define HOMA_NIC_IOC_ARENA	_IOWR(HOMA_NIC_IOC_MAGIC, 5, struct homa_nic_arena)
#define HOMA_NIC_IOC_QP_ATTACH	_IOWR(HOMA_NIC_IOC_MAGIC, 6, struct homa_nic_qp_attach)
#define HOMA_NIC_IOC_QP_FLAGS	_IOW(HOMA_NIC_IOC_MAGIC, 7, struct homa_nic_qp_flags)

/*
 * mmap offsets: what (HOMA_NIC_MAP_*) of which queue pair. Each object is
 * mapped whole, from its start: the user page (one page), the three rings
 * (entries * entry size, rounded up to pages), the bpage region
 * (num_bpages * HOMA_NIC_BPAGE_SIZE) and the send region (send_bytes rounded
 * up to pages). There is deliberately no offset for a control page.
 */
#define HOMA_NIC_MAP_USER		1
#define HOMA_NIC_MAP_SQ			2
#define HOMA_NIC_MAP_CQ			3
#define HOMA_NIC_MAP_BRET		4
#define HOMA_NIC_MAP_REGION		5
#define HOMA_NIC_MAP_SEND		6
#define HOMA_NIC_MAP_ARENA		7	/* the "qp" field is the arena index */
#define HOMA_NIC_MAP_OFFSET(what, qp) \
	(((__u64)(what) << 40) | ((__u64)(qp) << 32))

#endif /* _UAPI_HOMA_NIC_IOCTL_H */
