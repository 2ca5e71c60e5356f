// sim/verilator/model-api.h — what the addon (addon.cpp, compiled once per toolchain) calls in
// a design's model (model.cpp with the design's generated glue.h, compiled per design).

#pragma once

#include <cstdint>

namespace homa_model {

struct Instance;

/** A model on the shared buffer `words`: registers at their reset values, clk low, first evaluation done. */
Instance* create(uint32_t* words);
/** Frees the model, after running its final blocks if `runFinal`. */
void destroy(Instance* m, bool runFinal);
/** Inputs in, clk low, evaluate, outputs out. */
void settle(Instance* m);
/** n whole cycles with the inputs in the buffer. */
void step(Instance* m, int64_t n);
/** Copies signal slot `i` to the buffer. */
void pullSignal(Instance* m, int i);
int slots();
int memories();
uint32_t memDepth(int memory);
/** Copies word `address` of `memory` to (write=false) or from (write=true) the buffer's scratch words; the caller checks bounds. */
void memAccess(Instance* m, int memory, uint32_t address, bool write);

}  // namespace homa_model
