// boards/alveo-u250/board.ts — AMD/Xilinx Alveo U250: XCU250-FIGD2104-2L-E, 100G Ethernet on
// QSFP28 through the UltraScale+ integrated 100G MAC (CMAC, cmac_usplus), the host through
// PCIe Gen3 x16 and the DMA/Bridge Subsystem for PCI Express (XDMA).

import { ENGINE_CONFIGS } from '../../hw/homa/engine/config.ts';
import type { XilinxBoard } from '../flows/board.ts';

export const alveoU250: XilinxBoard = {
  flow: 'xilinx',
  name: 'alveo-u250',
  title: 'Alveo U250 (Virtex UltraScale+)',
  part: 'xcu250-figd2104-2L-e',
  family: 'xcup',
  luts: 1728000,
  brams: 2688,
  engine: ENGINE_CONFIGS.u250,
  targetMhz: 250,
  clock: '250 MHz from the XDMA user clock; CMAC at 322.266 MHz (QSFP28 reference 156.25 MHz)',
  ethernet: '100GbE QSFP28 0 through cmac_usplus (RS-FEC)',
  host: 'PCIe Gen3 x16 through xdma (AXI-Stream H2C/C2H, AXI-Lite BAR for the registers)',
  vendorIp: ['cmac_usplus', 'xdma'],
  xdc: 'alveo-u250.xdc',
  flash: ['vivado', '-mode', 'batch', '-source', 'program.tcl'],
};
