// boards/hx8k/board.ts — Lattice iCE40-HX8K breakout board: iCE40 HX8K (CT256), a 12 MHz
// oscillator, an FTDI FT2232H whose second channel is the UART, Ethernet through an RMII PHY
// module (LAN8720-class, with its own 50 MHz oscillator) on header J2.

import { ENGINE_CONFIGS } from '../../hw/homa/engine/config.ts';
import type { Ice40Board } from '../flows/board.ts';

export const hx8k: Ice40Board = {
  flow: 'ice40',
  name: 'hx8k',
  title: 'iCE40-HX8K breakout',
  device: 'hx8k',
  package: 'ct256',
  part: 'iCE40HX8K-CT256',
  luts: 7680,
  brams: 32,
  engine: ENGINE_CONFIGS.ice40,
  targetMhz: 50,
  clock: 'RMII REF_CLK 50 MHz from the PHY module (header J2, ball R1, to a global buffer through the fabric)',
  baud: 3_125_000,
  ethernet: '100 Mb/s RMII PHY module on header J2',
  host: 'UART over the FT2232H channel B (3.125 Mbaud)',
  pcf: 'hx8k.pcf',
  flash: ['iceprog', '-S'],
};
