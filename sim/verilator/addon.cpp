// sim/verilator/addon.cpp — the addon template: one Verilated model behind a shared buffer.
//
// Compiled once per design together with the Verilated sources and the generated glue.h
// (sim/verilator/glue.ts). JS owns the buffer; the addon keeps a reference to it and copies
// inputs in before an evaluation and outputs out after one. step(n) runs n whole cycles in
// C++ in one call: that is what makes this engine fast, not the model alone.
//
// Cycle: clk=1 and evaluate (Verilator settles the logic on the new inputs first, then takes
// the edge, then settles again), then clk=0 without an evaluation (see glue.ts); with older
// or newer Verilators whose edge bookkeeping is not found, clk=0 and clk=1 each evaluate.

#include <napi.h>

#include <cstdint>
#include <memory>

#include "verilated.h"

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

class Sim : public Napi::ObjectWrap<Sim> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "VerilatedSim", {
        InstanceMethod<&Sim::Settle>("settle"),
        InstanceMethod<&Sim::Step>("step"),
        InstanceMethod<&Sim::PullSignal>("pullSignal"),
        InstanceMethod<&Sim::PullAll>("pullAll"),
        InstanceMethod<&Sim::ReadMem>("readMem"),
        InstanceMethod<&Sim::WriteMem>("writeMem"),
        InstanceMethod<&Sim::Dispose>("dispose"),
    });
  }

  explicit Sim(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Sim>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArrayBuffer()) {
      Napi::TypeError::New(env, "VerilatedSim(buffer: ArrayBuffer)").ThrowAsJavaScriptException();
      return;
    }
    Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
    buffer_ = Napi::Persistent(ab);
    words_ = static_cast<uint32_t*>(ab.Data());
    context_ = std::make_unique<VerilatedContext>();
    context_->fatalOnError(false);
    model_ = std::make_unique<Model>(context_.get(), "TOP");
    root_ = model_->rootp;
    initRegs(root_);
    setClk(root_, 0);
    // The first evaluation runs the initial blocks and records clk as low.
    pushInputs(root_, words_);
    model_->eval();
  }

 private:
  bool Live(Napi::Env env) {
    if (model_) return true;
    Napi::Error::New(env, "the simulator was disposed").ThrowAsJavaScriptException();
    return false;
  }

  /** Inputs in, clk low, evaluate, outputs out. */
  Napi::Value Settle(const Napi::CallbackInfo& info) {
    if (!Live(info.Env())) return info.Env().Undefined();
    pushInputs(root_, words_);
    setClk(root_, 0);
    model_->eval();
    pullOutputs(root_, words_);
    return info.Env().Undefined();
  }

  /** n whole cycles with the inputs in the buffer. */
  Napi::Value Step(const Napi::CallbackInfo& info) {
    if (!Live(info.Env())) return info.Env().Undefined();
    const int64_t n = info[0].As<Napi::Number>().Int64Value();
    pushInputs(root_, words_);
    for (int64_t i = 0; i < n; ++i) {
      if (kFastClock) {
        // clk is low and already seen low by the model (see clkFallNoEval): one evaluation
        // settles the inputs, takes the edge and settles again.
        setClk(root_, 1);
        model_->eval();
        clkFallNoEval(root_);
      } else {
        setClk(root_, 0);
        model_->eval();
        setClk(root_, 1);
        model_->eval();
      }
    }
    pullOutputs(root_, words_);
    return info.Env().Undefined();
  }

  Napi::Value PullSignal(const Napi::CallbackInfo& info) {
    if (Live(info.Env())) pullSignal(root_, info[0].As<Napi::Number>().Int32Value(), words_);
    return info.Env().Undefined();
  }

  Napi::Value PullAll(const Napi::CallbackInfo& info) {
    if (Live(info.Env())) for (int i = 0; i < kSlots; ++i) pullSignal(root_, i, words_);
    return info.Env().Undefined();
  }

  Napi::Value MemAccess(const Napi::CallbackInfo& info, bool write) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    const int m = info[0].As<Napi::Number>().Int32Value();
    const int64_t a = info[1].As<Napi::Number>().Int64Value();
    if (m < 0 || m >= kMemories || a < 0 || a >= static_cast<int64_t>(memDepth(m))) {
      Napi::RangeError::New(env, "memory or address out of range").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    memAccess(root_, m, static_cast<uint32_t>(a), words_ + kScratch, write);
    return env.Undefined();
  }
  Napi::Value ReadMem(const Napi::CallbackInfo& info) { return MemAccess(info, false); }
  Napi::Value WriteMem(const Napi::CallbackInfo& info) { return MemAccess(info, true); }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (model_) model_->final();
    model_.reset();
    context_.reset();
    root_ = nullptr;
    if (!buffer_.IsEmpty()) buffer_.Reset();
    words_ = nullptr;
    return info.Env().Undefined();
  }

  Napi::Reference<Napi::ArrayBuffer> buffer_;
  uint32_t* words_ = nullptr;
  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Model> model_;
  Root* root_ = nullptr;
};

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("VerilatedSim", Sim::Define(env));
  return exports;
}

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
