// SPDX-License-Identifier: GPL-2.0
/*
 * DMA arenas: device-reachable memory an open file owns and maps, for host
 * libraries that lay out their own rings, bpage region and send buffers. The
 * driver hands the engine only addresses inside the file's own arenas
 * (HOMA_NIC_IOC_QP_ATTACH). Arenas live as long as the file, or until the
 * device is removed, so a mapping never outlives its memory. Callers hold
 * nic->lock, except the page-fault handler, which holds dead_sem.
 */
#include <linux/mm.h>

#include "homa_nic.h"

int homa_nic_arena_alloc(struct homa_nic_file *f, struct homa_nic_arena *args)
{
	struct homa_nic_dma *buf;
	int err;

	if (!args->bytes || args->bytes > HOMA_NIC_MAX_ARENA_BYTES)
		return -EINVAL;
	if (f->num_arenas == HOMA_NIC_MAX_ARENAS)
		return -ENOSPC;
	buf = &f->arenas[f->num_arenas];
	err = homa_nic_dma_alloc(f->nic, buf, args->bytes);
	if (err)
		return err;
	args->index = f->num_arenas++;
	args->dma = buf->dma;
	return 0;
}

void homa_nic_arenas_free(struct homa_nic_file *f)
{
	u32 i;

	for (i = 0; i < f->num_arenas; i++)
		homa_nic_dma_free(f->nic, &f->arenas[i]);
}

/* Where the kernel sees [addr, addr + len) if one arena of @f holds it all. */
void *homa_nic_arena_cpu(struct homa_nic_file *f, u64 addr, u64 len)
{
	struct homa_nic_dma *buf;
	u32 i;

	for (i = 0; i < f->num_arenas; i++) {
		buf = &f->arenas[i];
		if (buf->cpu && addr >= buf->dma && len <= buf->size &&
		    addr - buf->dma <= buf->size - len)
			return buf->cpu + (addr - buf->dma);
	}
	return NULL;
}

static vm_fault_t homa_nic_arena_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct homa_nic_file *f = vma->vm_private_data;
	u64 off = ((u64)vmf->pgoff << PAGE_SHIFT) & 0xffffffffull;
	u32 index = (vma->vm_pgoff >> (32 - PAGE_SHIFT)) & 0xff;
	struct homa_nic *nic = f->nic;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	struct homa_nic_dma *buf;

	down_read(&nic->dead_sem);
	buf = &f->arenas[index];
	if (!nic->dead && buf->cpu && off < buf->size)
		ret = vmf_insert_pfn(vma, vmf->address,
				     page_to_pfn(virt_to_page(buf->cpu + off)));
	up_read(&nic->dead_sem);
	return ret;
}

static const struct vm_operations_struct homa_nic_arena_vm_ops = {
	.fault = homa_nic_arena_fault,
};

int homa_nic_arena_mmap(struct homa_nic_file *f, u32 index, struct vm_area_struct *vma)
{
	if (index >= f->num_arenas)
		return -ENOENT;
	if (vma->vm_end - vma->vm_start > f->arenas[index].size)
		return -EINVAL;
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP |
			 VM_DONTCOPY;
	vma->vm_private_data = f;
	vma->vm_ops = &homa_nic_arena_vm_ops;
	return 0;
}
