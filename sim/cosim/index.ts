// sim/cosim — co-simulation: an RTL engine as a simulated host NIC (README.md).

export { RtlNic, type RtlNicOptions, type RtlNicBuild, type RtlNicCounters } from './rtl-nic.ts';
export { HostMemory, FIRST_BUS_ADDRESS, type HostBuffer } from './host-memory.ts';
export { DmaWatchdog, DmaWatchdogError, type DmaKind, type DmaRange, type QueuePairState } from './dma-watchdog.ts';
export { DmaPort, type DmaLatency } from './dma-port.ts';
export { MacPort, WIRE_OVERHEAD_BYTES, MIN_FRAME_BYTES } from './mac-port.ts';
export { RegPort } from './reg-port.ts';
export { BeatCodec } from './beats.ts';
export { PortProtocolError } from './protocol-error.ts';
export { engineNic, engineTop, engineSimulator, prepareEngine, type RtlSimEngine } from './engine-nic.ts';
