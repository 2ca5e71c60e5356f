// boards/icebreaker/board.ts — 1BitSquared iCEBreaker: Lattice iCE40 UP5K (SG48), a 12 MHz
// oscillator, an FTDI FT2232H whose second channel is the UART, Ethernet through an RMII PHY
// module (LAN8720-class, with its own 50 MHz oscillator) on PMOD 1A.

import { ENGINE_CONFIGS } from '../../hw/homa/engine/config.ts';
import type { Ice40Board } from '../flows/board.ts';

export const icebreaker: Ice40Board = {
  flow: 'ice40',
  name: 'icebreaker',
  title: 'iCEBreaker (iCE40 UP5K)',
  device: 'up5k',
  package: 'sg48',
  part: 'iCE40UP5K-SG48',
  luts: 5280,
  brams: 30,
  engine: ENGINE_CONFIGS.ice40,
  targetMhz: 50,
  clock: 'RMII REF_CLK 50 MHz from the PHY module (PMOD 1A pin 10, package pin 44)',
  baud: 3_125_000,
  ethernet: '100 Mb/s RMII PHY module on PMOD 1A',
  host: 'UART over the FT2232H channel B (3.125 Mbaud)',
  pcf: 'icebreaker.pcf',
  flash: ['iceprog'],
};
