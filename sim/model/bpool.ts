// sim/model/bpool.ts — the bpage pool lives in hw/homa/bpages.ts (one reference for model and engine).
export { BpagePool, BPAGE_SHIFT, BPAGE_SIZE } from '../../hw/homa/bpages.ts';
