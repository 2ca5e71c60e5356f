// sim/verilator/addon.cpp — the Node side of every design's addon: a VerilatedSim class over
// the model interface of model-api.h. It does not depend on the design, so it is compiled
// once per toolchain (build.ts) and linked with each design's model (model.cpp).

#include <napi.h>

#include <cstdint>

#include "model-api.h"

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
    model_ = homa_model::create(static_cast<uint32_t*>(ab.Data()));
  }

  // Collected without dispose(): freed, without running final blocks.
  ~Sim() override { Free(false); }

 private:
  bool Live(Napi::Env env) {
    if (model_) return true;
    Napi::Error::New(env, "the simulator was disposed").ThrowAsJavaScriptException();
    return false;
  }

  void Free(bool runFinal) {
    if (model_) homa_model::destroy(model_, runFinal);
    model_ = nullptr;
  }

  /** Inputs in, clk low, evaluate, outputs out. */
  Napi::Value Settle(const Napi::CallbackInfo& info) {
    if (Live(info.Env())) homa_model::settle(model_);
    return info.Env().Undefined();
  }

  /** n whole cycles with the inputs in the buffer. */
  Napi::Value Step(const Napi::CallbackInfo& info) {
    if (Live(info.Env())) homa_model::step(model_, info[0].As<Napi::Number>().Int64Value());
    return info.Env().Undefined();
  }

  Napi::Value PullSignal(const Napi::CallbackInfo& info) {
    if (Live(info.Env())) homa_model::pullSignal(model_, info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  }

  Napi::Value PullAll(const Napi::CallbackInfo& info) {
    if (Live(info.Env())) for (int i = 0, n = homa_model::slots(); i < n; ++i) homa_model::pullSignal(model_, i);
    return info.Env().Undefined();
  }

  Napi::Value MemAccess(const Napi::CallbackInfo& info, bool write) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    const int m = info[0].As<Napi::Number>().Int32Value();
    const int64_t a = info[1].As<Napi::Number>().Int64Value();
    if (m < 0 || m >= homa_model::memories() || a < 0 || a >= static_cast<int64_t>(homa_model::memDepth(m))) {
      Napi::RangeError::New(env, "memory or address out of range").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    homa_model::memAccess(model_, m, static_cast<uint32_t>(a), write);
    return env.Undefined();
  }
  Napi::Value ReadMem(const Napi::CallbackInfo& info) { return MemAccess(info, false); }
  Napi::Value WriteMem(const Napi::CallbackInfo& info) { return MemAccess(info, true); }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    Free(true);
    if (!buffer_.IsEmpty()) buffer_.Reset();
    return info.Env().Undefined();
  }

  Napi::Reference<Napi::ArrayBuffer> buffer_;
  homa_model::Instance* model_ = nullptr;
};

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("VerilatedSim", Sim::Define(env));
  return exports;
}

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
