// boards/arty-a7/board.ts — Digilent Arty A7-100T: Xilinx Artix-7 XC7A100T-1CSG324C, a 100 MHz
// oscillator, an on-board 10/100 Ethernet PHY (TI DP83848J, MII), and an FTDI USB-UART.

import { ENGINE_CONFIGS } from '../../hw/homa/engine/config.ts';
import type { XilinxBoard } from '../flows/board.ts';

export const artyA7: XilinxBoard = {
  flow: 'xilinx',
  name: 'arty-a7',
  title: 'Arty A7-100T (Artix-7)',
  part: 'xc7a100tcsg324-1',
  family: 'xc7',
  luts: 63400,
  brams: 135,
  engine: ENGINE_CONFIGS.arty,
  targetMhz: 100,
  clock: '100 MHz oscillator (E3)',
  ethernet: 'on-board DP83848J MII PHY, 100 Mb/s, through Xilinx AXI Ethernet Lite (axi_ethernetlite)',
  host: 'USB-UART (FTDI), the UART bridge',
  vendorIp: ['axi_ethernetlite'],
  xdc: 'arty-a7.xdc',
  flash: ['openFPGALoader', '-b', 'arty_a7_100t'],
};
