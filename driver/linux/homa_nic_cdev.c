// SPDX-License-Identifier: GPL-2.0
/*
 * The char device: open, ioctl, mmap, poll, release.
 *
 * Every queue pair belongs to the open file that created it; ioctls and
 * mmaps name queue pairs by number and fail for any the file does not own.
 * Pages are inserted at fault time under dead_sem, so removing the device
 * can take them all back out of user space (unmap_mapping_range) and later
 * accesses get SIGBUS instead of memory that has been given back.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "homa_nic.h"

#define HOMA_NIC_POLL_NS	(100 * NSEC_PER_USEC)
#define HOMA_NIC_MAP_SHIFT	40
#define HOMA_NIC_MAP_QP_SHIFT	32
#define HOMA_NIC_MAP_OBJ_MASK	0xffffffffull

static void homa_nic_release_ref(struct kref *ref)
{
	struct homa_nic *nic = container_of(ref, struct homa_nic, ref);

	put_device(nic->dev);
	kfree(nic);
}

void homa_nic_get(struct homa_nic *nic)
{
	kref_get(&nic->ref);
}

void homa_nic_put(struct homa_nic *nic)
{
	kref_put(&nic->ref, homa_nic_release_ref);
}

static int homa_nic_open(struct inode *inode, struct file *filp)
{
	struct homa_nic *nic = homa_nic_by_minor(iminor(inode));
	struct homa_nic_file *f;

	if (!nic)
		return -ENODEV;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f) {
		homa_nic_put(nic);
		return -ENOMEM;
	}
	f->nic = nic;
	f->filp = filp;
	INIT_LIST_HEAD(&f->qps);
	mutex_lock(&nic->lock);
	if (nic->dead) {
		mutex_unlock(&nic->lock);
		kfree(f);
		homa_nic_put(nic);
		return -ENODEV;
	}
	list_add_tail(&f->nic_link, &nic->files);
	mutex_unlock(&nic->lock);
	filp->private_data = f;
	return stream_open(inode, filp);
}

static int homa_nic_release(struct inode *inode, struct file *filp)
{
	struct homa_nic_file *f = filp->private_data;
	struct homa_nic *nic = f->nic;
	struct homa_nic_qp *qp, *tmp;

	/* No vma is left: each one holds a reference to this file. */
	mutex_lock(&nic->lock);
	list_for_each_entry_safe(qp, tmp, &f->qps, file_link)
		homa_nic_qp_destroy(qp);
	homa_nic_arenas_free(f);
	list_del(&f->nic_link);
	mutex_unlock(&nic->lock);
	kfree(f);
	homa_nic_put(nic);
	return 0;
}

/* Queue pair @index if this file owns it. */
static struct homa_nic_qp *homa_nic_file_qp(struct homa_nic_file *f, u32 index)
{
	struct homa_nic_qp *qp;

	if (index >= HOMA_NIC_MAX_QPS || !f->nic->qps[index])
		return ERR_PTR(-ENOENT);
	qp = f->nic->qps[index];
	return qp->owner == f ? qp : ERR_PTR(-EPERM);
}

static void homa_nic_counters(struct homa_nic *nic, struct homa_nic_counters *c)
{
	u32 i, n;

	n = min3(c->count, (u32)HOMA_NIC_NUM_COUNTERS, (u32)ARRAY_SIZE(c->values));
	for (i = 0; i < n; i++)
		c->values[i] = homa_nic_read_counter(nic, HOMA_NIC_CNT_PACKETS_SENT_DATA +
							     8 * i);
	c->count = n;
}

/* One ioctl on arguments already copied in; the results are copied out by the caller. */
static long homa_nic_ioctl_locked(struct homa_nic_file *f, unsigned int cmd, void *arg)
{
	struct homa_nic *nic = f->nic;
	struct homa_nic_qp_flags *qflags = arg;
	struct homa_nic_info *info = arg;
	struct homa_nic_qp *qp;

	switch (cmd) {
	case HOMA_NIC_IOC_INFO:
		info->abi_version = ioread32(nic->bar + nic->identity +
					     HOMA_NIC_ID_ABI_VERSION);
		info->num_queue_pairs = nic->num_qps;
		info->features = nic->features;
		info->flags = nic->num_vectors ? HOMA_NIC_INFO_IRQ : 0;
		info->min_region_bpages = nic->min_region_bpages;
		info->max_region_bpages = nic->max_region_bpages;
		return 0;
	case HOMA_NIC_IOC_QP_CREATE:
		qp = homa_nic_qp_create(f, arg);
		return IS_ERR(qp) ? PTR_ERR(qp) : 0;
	case HOMA_NIC_IOC_QP_DESTROY:
		qp = homa_nic_file_qp(f, *(u32 *)arg);
		return IS_ERR(qp) ? PTR_ERR(qp) : homa_nic_qp_destroy(qp);
	case HOMA_NIC_IOC_QP_FLAGS:
		qp = homa_nic_file_qp(f, qflags->qp);
		if (IS_ERR(qp))
			return PTR_ERR(qp);
		return homa_nic_qp_set_flags(qp, qflags->flags);
	case HOMA_NIC_IOC_COUNTERS:
		homa_nic_counters(nic, arg);
		return 0;
	case HOMA_NIC_IOC_ARENA:
		return homa_nic_arena_alloc(f, arg);
	case HOMA_NIC_IOC_QP_ATTACH:
		qp = homa_nic_qp_attach(f, arg);
		return IS_ERR(qp) ? PTR_ERR(qp) : 0;
	default:
		return -ENOTTY;
	}
}

/*
 * Arguments are copied in before nic->lock is taken and out after it is
 * dropped: a user copy can fault and take mmap_lock, which mmap() holds
 * while it waits for nic->lock.
 */
static long homa_nic_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct homa_nic_file *f = filp->private_data;
	void __user *uarg = (void __user *)arg;
	struct homa_nic *nic = f->nic;
	size_t size = _IOC_SIZE(cmd);
	struct homa_nic_qp *qp;
	void *buf;
	long err;

	switch (cmd) {
	case HOMA_NIC_IOC_INFO:
	case HOMA_NIC_IOC_QP_CREATE:
	case HOMA_NIC_IOC_QP_DESTROY:
	case HOMA_NIC_IOC_QP_FLAGS:
	case HOMA_NIC_IOC_COUNTERS:
	case HOMA_NIC_IOC_ARENA:
	case HOMA_NIC_IOC_QP_ATTACH:
		break;
	default:
		return -ENOTTY;
	}
	buf = kzalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if ((_IOC_DIR(cmd) & _IOC_WRITE) && copy_from_user(buf, uarg, size)) {
		err = -EFAULT;
		goto out;
	}
	mutex_lock(&nic->lock);
	err = nic->dead ? -ENODEV : homa_nic_ioctl_locked(f, cmd, buf);
	mutex_unlock(&nic->lock);
	if (err || !(_IOC_DIR(cmd) & _IOC_READ) || !copy_to_user(uarg, buf, size))
		goto out;
	err = -EFAULT;
	if (cmd == HOMA_NIC_IOC_QP_CREATE || cmd == HOMA_NIC_IOC_QP_ATTACH) {
		/* The caller cannot learn its number: take the queue pair back. */
		mutex_lock(&nic->lock);
		qp = homa_nic_file_qp(f, cmd == HOMA_NIC_IOC_QP_CREATE ?
				      ((struct homa_nic_qp_create *)buf)->qp :
				      ((struct homa_nic_qp_attach *)buf)->qp);
		if (!IS_ERR(qp) && !nic->dead)
			homa_nic_qp_destroy(qp);
		mutex_unlock(&nic->lock);
	}
out:
	kfree(buf);
	return err;
}

/* The DMA buffer a mapping of kind @what shows, or NULL for the user page. */
static struct homa_nic_dma *homa_nic_map_buf(struct homa_nic_qp *qp, u32 what)
{
	switch (what) {
	case HOMA_NIC_MAP_SQ:
		return &qp->sq;
	case HOMA_NIC_MAP_CQ:
		return &qp->cq;
	case HOMA_NIC_MAP_BRET:
		return &qp->bret;
	case HOMA_NIC_MAP_REGION:
		return &qp->region;
	case HOMA_NIC_MAP_SEND:
		return &qp->send;
	default:
		return NULL;
	}
}

static void homa_nic_vm_open(struct vm_area_struct *vma)
{
	struct homa_nic_qp *qp = vma->vm_private_data;

	atomic_inc(&qp->mappings);
}

static void homa_nic_vm_close(struct vm_area_struct *vma)
{
	struct homa_nic_qp *qp = vma->vm_private_data;

	atomic_dec(&qp->mappings);
}

static vm_fault_t homa_nic_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct homa_nic_qp *qp = vma->vm_private_data;
	struct homa_nic *nic = qp->nic;
	u64 pos = (u64)vmf->pgoff << PAGE_SHIFT;
	u32 what = pos >> HOMA_NIC_MAP_SHIFT;
	u64 off = pos & HOMA_NIC_MAP_OBJ_MASK;
	struct homa_nic_dma *buf;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	unsigned long pfn;

	down_read(&nic->dead_sem);
	if (nic->dead)
		goto out;
	buf = homa_nic_map_buf(qp, what);
	if (!buf) {
		/* The user page only: the control page is never mapped. */
		if (off >= PAGE_SIZE)
			goto out;
		pfn = qp->user_phys >> PAGE_SHIFT;
	} else {
		if (!buf->cpu || off >= buf->size)
			goto out;
		/* dma_alloc_coherent memory is in the linear map on x86. */
		pfn = page_to_pfn(virt_to_page(buf->cpu + off));
	}
	ret = vmf_insert_pfn(vma, vmf->address, pfn);
out:
	up_read(&nic->dead_sem);
	return ret;
}

static const struct vm_operations_struct homa_nic_vm_ops = {
	.open = homa_nic_vm_open,
	.close = homa_nic_vm_close,
	.fault = homa_nic_fault,
};

static int homa_nic_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct homa_nic_file *f = filp->private_data;
	struct homa_nic *nic = f->nic;
	u64 pos = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u32 what = pos >> HOMA_NIC_MAP_SHIFT;
	u32 index = (pos >> HOMA_NIC_MAP_QP_SHIFT) & 0xff;
	size_t size = vma->vm_end - vma->vm_start, limit;
	struct homa_nic_dma *buf;
	struct homa_nic_qp *qp;
	int err = 0;

	if (!(vma->vm_flags & VM_SHARED) || (pos & HOMA_NIC_MAP_OBJ_MASK) ||
	    what < HOMA_NIC_MAP_USER || what > HOMA_NIC_MAP_ARENA)
		return -EINVAL;
	mutex_lock(&nic->lock);
	if (nic->dead) {
		err = -ENODEV;
		goto out;
	}
	if (what == HOMA_NIC_MAP_ARENA) {
		err = homa_nic_arena_mmap(f, index, vma);
		goto out;
	}
	qp = homa_nic_file_qp(f, index);
	if (IS_ERR(qp)) {
		err = PTR_ERR(qp);
		goto out;
	}
	buf = homa_nic_map_buf(qp, what);
	limit = buf ? buf->size : PAGE_SIZE;
	if (!limit) {
		err = -ENOENT;
		goto out;
	}
	if (size > limit) {
		err = -EINVAL;
		goto out;
	}
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP |
			 VM_DONTCOPY;
	if (!buf)
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_private_data = qp;
	vma->vm_ops = &homa_nic_vm_ops;
	atomic_inc(&qp->mappings);
out:
	mutex_unlock(&nic->lock);
	return err;
}

static __poll_t homa_nic_poll(struct file *filp, poll_table *wait)
{
	struct homa_nic_file *f = filp->private_data;
	struct homa_nic *nic = f->nic;
	struct homa_nic_qp *qp;
	__poll_t mask = 0;

	poll_wait(filp, &nic->wq, wait);
	mutex_lock(&nic->lock);
	if (nic->dead) {
		mask = EPOLLERR | EPOLLHUP;
		goto out;
	}
	list_for_each_entry(qp, &f->qps, file_link) {
		if (homa_nic_qp_has_completion(qp)) {
			mask = EPOLLIN | EPOLLRDNORM;
			break;
		}
	}
	/* Without interrupts a timer stands in for them while someone waits. */
	if (!mask && !nic->num_vectors && !hrtimer_active(&nic->poll_timer))
		hrtimer_start(&nic->poll_timer, ns_to_ktime(HOMA_NIC_POLL_NS),
			      HRTIMER_MODE_REL);
out:
	mutex_unlock(&nic->lock);
	return mask;
}

const struct file_operations homa_nic_fops = {
	.owner = THIS_MODULE,
	.open = homa_nic_open,
	.release = homa_nic_release,
	.unlocked_ioctl = homa_nic_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = homa_nic_mmap,
	.poll = homa_nic_poll,
	.llseek = no_llseek,
};
