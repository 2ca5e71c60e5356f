// sim/verilator/model.cpp — one Verilated model behind the shared buffer (see model-api.h).
//
// Compiled per design with the Verilated sources and the generated glue.h (sim/verilator/glue.ts);
// the Node side (addon.cpp) is compiled once and linked in. JS owns the buffer; inputs are
// copied in before an evaluation and outputs out after one. step(n) runs n whole cycles in
// C++ in one call: that is what makes this engine fast, not the model alone.
//
// Cycle: clk=1 and evaluate (Verilator settles the logic on the new inputs first, then takes
// the edge, then settles again), then clk=0 without an evaluation (see glue.ts); with older
// or newer Verilators whose edge bookkeeping is not found, clk=0 and clk=1 each evaluate.

#include <cstdint>
#include <memory>

#include "verilated.h"
#include "model-api.h"

static inline void toWords(CData v, uint32_t* w) { w[0] = v; }
static inline void toWords(SData v, uint32_t* w) { w[0] = v; }
static inline void toWords(IData v, uint32_t* w) { w[0] = v; }
static inline void toWords(QData v, uint32_t* w) { w[0] = static_cast<uint32_t>(v); w[1] = static_cast<uint32_t>(v >> 32); }
template <std::size_t N>
static inline void toWords(const VlWide<N>& v, uint32_t* w) { for (std::size_t i = 0; i < N; ++i) w[i] = v[i]; }
static inline void fromWords(CData& v, const uint32_t* w) { v = static_cast<CData>(w[0]); }
static inline void fromWords(SData& v, const uint32_t* w) { v = static_cast<SData>(w[0]); }
static inline void fromWords(IData& v, const uint32_t* w) { v = w[0]; }
static inline void fromWords(QData& v, const uint32_t* w) { v = static_cast<QData>(w[0]) | (static_cast<QData>(w[1]) << 32); }
template <std::size_t N>
static inline void fromWords(VlWide<N>& v, const uint32_t* w) { for (std::size_t i = 0; i < N; ++i) v[i] = w[i]; }

#include "glue.h"

namespace homa_model {

struct Instance {
  std::unique_ptr<VerilatedContext> context;
  std::unique_ptr<Model> model;
  Root* root = nullptr;
  uint32_t* words = nullptr;
};

Instance* create(uint32_t* words) {
  auto m = std::make_unique<Instance>();
  m->words = words;
  m->context = std::make_unique<VerilatedContext>();
  m->context->fatalOnError(false);
  m->model = std::make_unique<Model>(m->context.get(), "TOP");
  m->root = m->model->rootp;
  initRegs(m->root);
  setClk(m->root, 0);
  // The first evaluation runs the initial blocks and records clk as low.
  pushInputs(m->root, words);
  m->model->eval();
  return m.release();
}

// Verilator's runtime finds "the" context through a per-thread pointer (model construction
// sets it; a scope's destructor and $display read it), so with several models in one thread
// it names whichever was built last, possibly one already destroyed. Every entry point that
// can reach the runtime points it at this instance's own context first.
static inline void enter(Instance* m) { Verilated::threadContextp(m->context.get()); }

void destroy(Instance* m, bool runFinal) {
  enter(m);
  if (runFinal) m->model->final();
  m->model.reset();
  m->context.reset();
  delete m;
}

void settle(Instance* m) {
  enter(m);
  pushInputs(m->root, m->words);
  setClk(m->root, 0);
  m->model->eval();
  pullOutputs(m->root, m->words);
}

void step(Instance* m, int64_t n) {
  Root* const root = m->root;
  Model* const model = m->model.get();
  enter(m);
  pushInputs(root, m->words);
  for (int64_t i = 0; i < n; ++i) {
    if (kFastClock) {
      // clk is low and already seen low by the model (see clkFallNoEval): one evaluation
      // settles the inputs, takes the edge and settles again.
      setClk(root, 1);
      model->eval();
      clkFallNoEval(root);
    } else {
      setClk(root, 0);
      model->eval();
      setClk(root, 1);
      model->eval();
    }
  }
  pullOutputs(root, m->words);
}

void pullSignal(Instance* m, int i) { ::pullSignal(m->root, i, m->words); }
int slots() { return kSlots; }
int memories() { return kMemories; }
uint32_t memDepth(int memory) { return ::memDepth(memory); }
void memAccess(Instance* m, int memory, uint32_t address, bool write) { ::memAccess(m->root, memory, address, m->words + kScratch, write); }

}  // namespace homa_model
