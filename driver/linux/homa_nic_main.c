// SPDX-License-Identifier: GPL-2.0
/*
 * PCI side of the homa_nic driver: probe, register-block
 * discovery, interrupts, char device registration and removal.
 *
 * The engine's registers are a list of blocks walked from offset 0 of the
 * register BAR (homa_nic_abi.h). On our card that is BAR 0; for tests the
 * driver also binds QEMU's ivshmem device (bind_ivshmem=1), whose BAR 2 is
 * a file a host process serves as the NIC.
 */
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/module.h>

#include "homa_nic.h"

#define HOMA_NIC_VENDOR_ID	0x10ee	/* FPGA PCIe core default vendor */
#define HOMA_NIC_DEVICE_ID	0x484d	/* 'HM' */
#define IVSHMEM_VENDOR_ID	0x1af4
#define IVSHMEM_DEVICE_ID	0x1110
#define HOMA_NIC_MAX_VECTORS	16

static bool bind_ivshmem;
module_param(bind_ivshmem, bool, 0444);
MODULE_PARM_DESC(bind_ivshmem, "Drive QEMU ivshmem devices as NICs served by a host process (tests)");

static dev_t homa_nic_devt;
static struct cdev homa_nic_cdev;
static struct class *homa_nic_class;
static DEFINE_IDA(homa_nic_minors);
static DEFINE_MUTEX(homa_nic_devs_lock);
static struct homa_nic *homa_nic_devs[HOMA_NIC_MAX_DEVICES];
atomic_t homa_nic_live_buffers = ATOMIC_INIT(0);

/* The NIC behind a minor number, with a reference, or NULL once removed. */
struct homa_nic *homa_nic_by_minor(unsigned int minor)
{
	struct homa_nic *nic = NULL;

	mutex_lock(&homa_nic_devs_lock);
	if (minor < HOMA_NIC_MAX_DEVICES && homa_nic_devs[minor]) {
		nic = homa_nic_devs[minor];
		homa_nic_get(nic);
	}
	mutex_unlock(&homa_nic_devs_lock);
	return nic;
}

u64 homa_nic_read_counter(struct homa_nic *nic, u32 offset)
{
	void __iomem *p = nic->bar + nic->counters + offset;
	u32 hi, lo, again;

	/* The low word may carry into the high one between reads. */
	do {
		hi = ioread32(p + 4);
		lo = ioread32(p);
		again = ioread32(p + 4);
	} while (hi != again);
	return ((u64)hi << 32) | lo;
}

static int homa_nic_discover(struct homa_nic *nic)
{
	struct device *dev = nic->dev;
	u32 off = 0, type, next, version, i;

	for (i = 0; i < 64; i++) {
		if (off > nic->bar_len - HOMA_NIC_RB_HEADER_SIZE)
			break;
		type = ioread32(nic->bar + off + HOMA_NIC_RB_TYPE);
		next = ioread32(nic->bar + off + HOMA_NIC_RB_NEXT);
		switch (type) {
		case HOMA_NIC_RB_TYPE_IDENTITY:
			nic->identity = off;
			break;
		case HOMA_NIC_RB_TYPE_CONFIG:
			nic->config = off;
			break;
		case HOMA_NIC_RB_TYPE_COUNTERS:
			nic->counters = off;
			break;
		case HOMA_NIC_RB_TYPE_QUEUE_PAIRS:
			nic->qp_block = off;
			break;
		default:
			dev_err(dev, "unknown register block type %#x at %#x (is the device served?)\n",
				type, off);
			return -ENODEV;
		}
		if (!next || next <= off)
			break;
		off = next;
	}
	if (!nic->identity && ioread32(nic->bar) != HOMA_NIC_RB_TYPE_IDENTITY) {
		dev_err(dev, "no identity block at offset 0\n");
		return -ENODEV;
	}
	if (!nic->counters || !nic->qp_block) {
		dev_err(dev, "counter or queue-pair block missing\n");
		return -ENODEV;
	}
	version = ioread32(nic->bar + nic->identity + HOMA_NIC_ID_ABI_VERSION);
	if (version >> 16 != HOMA_NIC_ABI_VERSION_MAJOR) {
		dev_err(dev, "ABI %u.%u, driver speaks %u.x\n", version >> 16,
			version & 0xffff, HOMA_NIC_ABI_VERSION_MAJOR);
		return -ENODEV;
	}
	nic->features = ioread32(nic->bar + nic->identity + HOMA_NIC_ID_FEATURES);
	nic->min_region_bpages = ioread32(nic->bar + nic->identity +
					  HOMA_NIC_ID_MIN_REGION_BPAGES);
	nic->max_region_bpages = min_t(u32, HOMA_NIC_MAX_REGION_BPAGES,
				       ioread32(nic->bar + nic->identity +
						HOMA_NIC_ID_MAX_REGION_BPAGES));
	nic->num_qps = ioread32(nic->bar + nic->qp_block + HOMA_NIC_QPB_NUM_QUEUE_PAIRS);
	nic->ctrl_base = ioread32(nic->bar + nic->qp_block + HOMA_NIC_QPB_CTRL_BASE);
	nic->user_base = ioread32(nic->bar + nic->qp_block + HOMA_NIC_QPB_USER_BASE);
	nic->qp_stride = ioread32(nic->bar + nic->qp_block + HOMA_NIC_QPB_STRIDE);
	/* User pages are mapped one by one: each must be a page of its own. */
	if (nic->qp_stride < PAGE_SIZE || nic->qp_stride % PAGE_SIZE ||
	    nic->ctrl_base % PAGE_SIZE || nic->user_base % PAGE_SIZE) {
		dev_err(dev, "queue-pair pages not page aligned (control %#x user %#x stride %#x)\n",
			nic->ctrl_base, nic->user_base, nic->qp_stride);
		return -ENODEV;
	}
	if (!nic->min_region_bpages || nic->min_region_bpages > nic->max_region_bpages) {
		dev_err(dev, "regions of %u..%u bpages: none this driver can allocate (at most %u)\n",
			nic->min_region_bpages, nic->max_region_bpages,
			HOMA_NIC_MAX_REGION_BPAGES);
		return -ENODEV;
	}
	nic->num_qps = min_t(u32, nic->num_qps, HOMA_NIC_MAX_QPS);
	while (nic->num_qps &&
	       max(nic->ctrl_base, nic->user_base) +
	       (u64)nic->num_qps * nic->qp_stride > nic->bar_len)
		nic->num_qps--;
	if (!nic->num_qps) {
		dev_err(dev, "no queue pair fits in the BAR\n");
		return -ENODEV;
	}
	return 0;
}

static irqreturn_t homa_nic_irq(int irq, void *data)
{
	struct homa_nic *nic = data;

	wake_up_interruptible_all(&nic->wq);
	return IRQ_HANDLED;
}

static enum hrtimer_restart homa_nic_poll_tick(struct hrtimer *t)
{
	struct homa_nic *nic = container_of(t, struct homa_nic, poll_timer);

	wake_up_interruptible_all(&nic->wq);
	return HRTIMER_NORESTART;
}

static void homa_nic_setup_irq(struct homa_nic *nic)
{
	struct pci_dev *pdev = nic->pdev;
	int n, i, err;

	n = pci_alloc_irq_vectors(pdev, 1, HOMA_NIC_MAX_VECTORS, PCI_IRQ_MSIX);
	if (n < 0) {
		dev_info(nic->dev, "no MSI-X: completions are polled\n");
		return;
	}
	for (i = 0; i < n; i++) {
		err = request_irq(pci_irq_vector(pdev, i), homa_nic_irq, 0,
				  HOMA_NIC_DRV_NAME, nic);
		if (err) {
			while (--i >= 0)
				free_irq(pci_irq_vector(pdev, i), nic);
			pci_free_irq_vectors(pdev);
			dev_info(nic->dev, "MSI-X request failed (%d): completions are polled\n",
				 err);
			return;
		}
	}
	nic->num_vectors = n;
}

static void homa_nic_free_irq(struct homa_nic *nic)
{
	int i;

	for (i = 0; i < nic->num_vectors; i++)
		free_irq(pci_irq_vector(nic->pdev, i), nic);
	if (nic->num_vectors)
		pci_free_irq_vectors(nic->pdev);
	nic->num_vectors = 0;
}

static int homa_nic_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int bar = id->driver_data;
	struct homa_nic *nic;
	int err;

	if (pdev->vendor == IVSHMEM_VENDOR_ID && !bind_ivshmem)
		return -ENODEV;

	nic = kzalloc(sizeof(*nic), GFP_KERNEL);
	if (!nic)
		return -ENOMEM;
	kref_init(&nic->ref);
	nic->pdev = pdev;
	nic->dev = get_device(&pdev->dev);
	mutex_init(&nic->lock);
	init_rwsem(&nic->dead_sem);
	init_waitqueue_head(&nic->wq);
	INIT_LIST_HEAD(&nic->files);
	hrtimer_init(&nic->poll_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	nic->poll_timer.function = homa_nic_poll_tick;

	err = pci_enable_device(pdev);
	if (err)
		goto err_put;
	err = pci_request_regions(pdev, HOMA_NIC_DRV_NAME);
	if (err)
		goto err_disable;
	/* Without bus mastering the device can neither DMA nor raise MSI-X. */
	pci_set_master(pdev);
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (err)
		goto err_release;

	nic->bar_phys = pci_resource_start(pdev, bar);
	nic->bar_len = pci_resource_len(pdev, bar);
	nic->bar = pci_iomap(pdev, bar, 0);
	if (!nic->bar) {
		err = -ENOMEM;
		goto err_release;
	}
	err = homa_nic_discover(nic);
	if (err)
		goto err_unmap;
	homa_nic_setup_irq(nic);

	err = ida_alloc_max(&homa_nic_minors, HOMA_NIC_MAX_DEVICES - 1, GFP_KERNEL);
	if (err < 0)
		goto err_irq;
	nic->minor = err;
	pci_set_drvdata(pdev, nic);
	mutex_lock(&homa_nic_devs_lock);
	homa_nic_devs[nic->minor] = nic;
	mutex_unlock(&homa_nic_devs_lock);
	nic->chrdev = device_create(homa_nic_class, &pdev->dev,
				    homa_nic_devt + nic->minor, nic,
				    "homa_nic%d", nic->minor);
	if (IS_ERR(nic->chrdev)) {
		err = PTR_ERR(nic->chrdev);
		mutex_lock(&homa_nic_devs_lock);
		homa_nic_devs[nic->minor] = NULL;
		mutex_unlock(&homa_nic_devs_lock);
		goto err_minor;
	}
	dev_info(nic->dev, "homa_nic%d: ABI %#x, %u queue pairs, %s\n",
		 nic->minor,
		 ioread32(nic->bar + nic->identity + HOMA_NIC_ID_ABI_VERSION),
		 nic->num_qps, nic->num_vectors ? "MSI-X" : "polled");
	return 0;

err_minor:
	ida_free(&homa_nic_minors, nic->minor);
err_irq:
	homa_nic_free_irq(nic);
err_unmap:
	pci_iounmap(pdev, nic->bar);
err_release:
	pci_clear_master(pdev);
	pci_release_regions(pdev);
err_disable:
	pci_disable_device(pdev);
err_put:
	homa_nic_put(nic);
	return err;
}

static void homa_nic_remove(struct pci_dev *pdev)
{
	struct homa_nic *nic = pci_get_drvdata(pdev);
	struct homa_nic_file *f;
	struct homa_nic_qp *qp;

	/* No new opens, mmaps, faults or ioctls from here on. */
	mutex_lock(&homa_nic_devs_lock);
	homa_nic_devs[nic->minor] = NULL;
	mutex_unlock(&homa_nic_devs_lock);
	device_destroy(homa_nic_class, homa_nic_devt + nic->minor);
	down_write(&nic->dead_sem);
	nic->dead = true;
	up_write(&nic->dead_sem);

	/*
	 * Files may still be open: stop their queue pairs in the device,
	 * take every page of this device out of user address spaces, then
	 * give the DMA memory back. Later accesses to a mapping get SIGBUS.
	 */
	mutex_lock(&nic->lock);
	list_for_each_entry(f, &nic->files, nic_link) {
		list_for_each_entry(qp, &f->qps, file_link)
			homa_nic_qp_quiesce(qp);
		unmap_mapping_range(f->filp->f_mapping, 0, 0, 1);
	}
	list_for_each_entry(f, &nic->files, nic_link) {
		list_for_each_entry(qp, &f->qps, file_link)
			homa_nic_qp_free(qp);
		homa_nic_arenas_free(f);
	}
	mutex_unlock(&nic->lock);
	wake_up_interruptible_all(&nic->wq);

	hrtimer_cancel(&nic->poll_timer);
	homa_nic_free_irq(nic);
	pci_iounmap(pdev, nic->bar);
	pci_clear_master(pdev);
	pci_release_regions(pdev);
	pci_disable_device(pdev);
	ida_free(&homa_nic_minors, nic->minor);
	homa_nic_put(nic);
}

static const struct pci_device_id homa_nic_ids[] = {
	{ PCI_DEVICE(HOMA_NIC_VENDOR_ID, HOMA_NIC_DEVICE_ID), .driver_data = 0 },
	{ PCI_DEVICE(IVSHMEM_VENDOR_ID, IVSHMEM_DEVICE_ID), .driver_data = 2 },
	{ }
};
MODULE_DEVICE_TABLE(pci, homa_nic_ids);

static struct pci_driver homa_nic_driver = {
	.name = HOMA_NIC_DRV_NAME,
	.id_table = homa_nic_ids,
	.probe = homa_nic_probe,
	.remove = homa_nic_remove,
};

static int __init homa_nic_init(void)
{
	int err;

	err = alloc_chrdev_region(&homa_nic_devt, 0, HOMA_NIC_MAX_DEVICES,
				  HOMA_NIC_DRV_NAME);
	if (err)
		return err;
	cdev_init(&homa_nic_cdev, &homa_nic_fops);
	homa_nic_cdev.owner = THIS_MODULE;
	err = cdev_add(&homa_nic_cdev, homa_nic_devt, HOMA_NIC_MAX_DEVICES);
	if (err)
		goto err_region;
	homa_nic_class = class_create(THIS_MODULE, HOMA_NIC_DRV_NAME);
	if (IS_ERR(homa_nic_class)) {
		err = PTR_ERR(homa_nic_class);
		goto err_cdev;
	}
	err = pci_register_driver(&homa_nic_driver);
	if (err)
		goto err_class;
	return 0;

err_class:
	class_destroy(homa_nic_class);
err_cdev:
	cdev_del(&homa_nic_cdev);
err_region:
	unregister_chrdev_region(homa_nic_devt, HOMA_NIC_MAX_DEVICES);
	return err;
}

static void __exit homa_nic_exit(void)
{
	int live;

	pci_unregister_driver(&homa_nic_driver);
	class_destroy(homa_nic_class);
	cdev_del(&homa_nic_cdev);
	unregister_chrdev_region(homa_nic_devt, HOMA_NIC_MAX_DEVICES);
	ida_destroy(&homa_nic_minors);
	live = atomic_read(&homa_nic_live_buffers);
	if (live)
		pr_err("homa_nic: leak: %d DMA buffers still allocated at unload\n",
		       live);
}

module_init(homa_nic_init);
module_exit(homa_nic_exit);

MODULE_DESCRIPTION("Homa NIC: queue pairs, bpage regions and completions for user space");
MODULE_AUTHOR("homa-nic project");
MODULE_LICENSE("GPL");
