// hw/examples — small designs that show the DSL and serve as golden snapshots.

import { u } from '../hdl/index.ts';
import { counter } from './counter.ts';
import { smallFifo } from './fifo.ts';
import { trafficLight } from './traffic_light.ts';
import { uartTx } from './uart_tx.ts';
import { bufferedUart } from './buffered_uart.ts';

export { counter, smallFifo, trafficLight, uartTx, bufferedUart };

/** Every example top, by file name, with the parameters the snapshots use. */
export const exampleDesigns = () => ({
  counter: counter(8),
  uart_tx: uartTx(4),
  small_fifo: smallFifo(u(8), 16),
  traffic_light: trafficLight(20, 4, 10),
  buffered_uart: bufferedUart(4, 16),
});
