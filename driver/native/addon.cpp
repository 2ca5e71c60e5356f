// driver/native/addon.cpp — /dev/homa_nicN from Node: open, the driver's ioctls, mmap of a
// queue pair's user page (its doorbells), rings, bpage region and send region as
// ArrayBuffers, and a wait for completions that sleeps in poll(2) on a libuv worker thread,
// never on the event loop.
// The contract is driver/linux/uapi/homa_nic_ioctl.h; errors are thrown as Error objects
// whose `code` is the errno name (EPERM, ENODEV, ...).

#include <napi.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "homa_nic_abi.h"
#include "homa_nic_ioctl.h"

namespace {

const char *errnoName(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case ENODEV: return "ENODEV";
    case ENOMEM: return "ENOMEM";
    case ENOSPC: return "ENOSPC";
    case EFAULT: return "EFAULT";
    case ENOTTY: return "ENOTTY";
    case EADDRINUSE: return "EADDRINUSE";
    case EACCES: return "EACCES";
    case EINTR: return "EINTR";
    default: return "EIO";
  }
}

[[noreturn]] void throwErrno(Napi::Env env, const std::string &what, int e) {
  Napi::Error err = Napi::Error::New(env, what + ": " + std::strerror(e));
  err.Set("code", Napi::String::New(env, errnoName(e)));
  err.Set("errno", Napi::Number::New(env, e));
  throw err;
}

int fdArg(const Napi::CallbackInfo &info, size_t i = 0) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "expected a file descriptor");
  return info[i].As<Napi::Number>().Int32Value();
}

uint32_t u32Arg(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string("expected a number: ") + name);
  return info[i].As<Napi::Number>().Uint32Value();
}

uint32_t optU32(const Napi::Object &o, const char *key, uint32_t def) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : def;
}

Napi::Value Open(const Napi::CallbackInfo &info) {
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "expected a device path");
  std::string path = info[0].As<Napi::String>();
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throwErrno(info.Env(), "open " + path, errno);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value Close(const Napi::CallbackInfo &info) {
  if (close(fdArg(info)) < 0) throwErrno(info.Env(), "close", errno);
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  struct homa_nic_info ni = {};
  if (ioctl(fdArg(info), HOMA_NIC_IOC_INFO, &ni) < 0) throwErrno(env, "HOMA_NIC_IOC_INFO", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("abiVersion", ni.abi_version);
  o.Set("numQueuePairs", ni.num_queue_pairs);
  o.Set("features", ni.features);
  o.Set("interrupts", (ni.flags & HOMA_NIC_INFO_IRQ) != 0);
  o.Set("minRegionBpages", ni.min_region_bpages);
  o.Set("maxRegionBpages", ni.max_region_bpages);
  return o;
}

Napi::Value CreateQueuePair(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = fdArg(info);
  Napi::Object opt = info.Length() > 1 && info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  struct homa_nic_qp_create c = {};
  c.port = optU32(opt, "port", 0);
  c.flags = opt.Get("server").ToBoolean() ? HOMA_NIC_QP_SERVER : 0;
  c.sq_log_size = optU32(opt, "sqLogSize", 6);
  c.cq_log_size = optU32(opt, "cqLogSize", 6);
  c.bret_log_size = optU32(opt, "bretLogSize", 8);
  c.region_bpages = optU32(opt, "regionBpages", HOMA_NIC_MIN_REGION_BPAGES);
  c.send_bytes = optU32(opt, "sendBytes", 1u << 20);
  if (ioctl(fd, HOMA_NIC_IOC_QP_CREATE, &c) < 0) throwErrno(env, "HOMA_NIC_IOC_QP_CREATE", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("qp", c.qp);
  o.Set("port", c.bound_port);
  o.Set("sqLogSize", c.sq_log_size);
  o.Set("cqLogSize", c.cq_log_size);
  o.Set("bretLogSize", c.bret_log_size);
  o.Set("regionBpages", c.region_bpages);
  o.Set("sendBytes", c.send_bytes);
  return o;
}

uint64_t bigintField(const Napi::Object &o, const char *key) {
  Napi::Value v = o.Get(key);
  if (!v.IsBigInt()) throw Napi::TypeError::New(o.Env(), std::string("expected a bigint: ") + key);
  bool lossless = true;
  return v.As<Napi::BigInt>().Uint64Value(&lossless);
}

Napi::Value CreateArena(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  struct homa_nic_arena a = {};
  a.bytes = u32Arg(info, 1, "bytes");
  if (ioctl(fdArg(info), HOMA_NIC_IOC_ARENA, &a) < 0) throwErrno(env, "HOMA_NIC_IOC_ARENA", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", a.index);
  o.Set("dma", Napi::BigInt::New(env, static_cast<uint64_t>(a.dma)));
  return o;
}

Napi::Value AttachQueuePair(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = fdArg(info);
  if (info.Length() < 2 || !info[1].IsObject()) throw Napi::TypeError::New(env, "expected queue-pair options");
  Napi::Object opt = info[1].As<Napi::Object>();
  struct homa_nic_qp_attach a = {};
  a.port = optU32(opt, "port", 0);
  a.flags = opt.Get("server").ToBoolean() ? HOMA_NIC_QP_SERVER : 0;
  a.sq_log_size = optU32(opt, "sqLogSize", 0);
  a.cq_log_size = optU32(opt, "cqLogSize", 0);
  a.bret_log_size = optU32(opt, "bretLogSize", 0);
  a.region_bpages = optU32(opt, "regionBpages", 0);
  a.sq_addr = bigintField(opt, "sqAddr");
  a.cq_addr = bigintField(opt, "cqAddr");
  a.bret_addr = bigintField(opt, "bretAddr");
  a.region_addr = bigintField(opt, "regionAddr");
  a.send_addr = bigintField(opt, "sendAddr");
  a.send_bytes = optU32(opt, "sendBytes", 0);
  if (ioctl(fd, HOMA_NIC_IOC_QP_ATTACH, &a) < 0) throwErrno(env, "HOMA_NIC_IOC_QP_ATTACH", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("qp", a.qp);
  o.Set("port", a.bound_port);
  return o;
}

Napi::Value DestroyQueuePair(const Napi::CallbackInfo &info) {
  uint32_t qp = u32Arg(info, 1, "qp");
  if (ioctl(fdArg(info), HOMA_NIC_IOC_QP_DESTROY, &qp) < 0) throwErrno(info.Env(), "HOMA_NIC_IOC_QP_DESTROY", errno);
  return info.Env().Undefined();
}

Napi::Value SetQueuePairFlags(const Napi::CallbackInfo &info) {
  struct homa_nic_qp_flags f = {};
  f.qp = u32Arg(info, 1, "qp");
  f.flags = info.Length() > 2 && info[2].ToBoolean() ? HOMA_NIC_QP_SERVER : 0;
  if (ioctl(fdArg(info), HOMA_NIC_IOC_QP_FLAGS, &f) < 0) throwErrno(info.Env(), "HOMA_NIC_IOC_QP_FLAGS", errno);
  return info.Env().Undefined();
}

Napi::Value Counters(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  struct homa_nic_counters c = {};
  c.count = sizeof(c.values) / sizeof(c.values[0]);
  if (ioctl(fdArg(info), HOMA_NIC_IOC_COUNTERS, &c) < 0) throwErrno(env, "HOMA_NIC_IOC_COUNTERS", errno);
  Napi::Array out = Napi::Array::New(env, c.count);
  for (uint32_t i = 0; i < c.count; i++) out.Set(i, Napi::BigInt::New(env, static_cast<uint64_t>(c.values[i])));
  return out;
}

// One mapping behind an external ArrayBuffer. unmap() releases it at once (the driver refuses
// to destroy a mapped queue pair); otherwise the ArrayBuffer's finalizer does.
struct Mapping {
  void *addr;
  size_t len;
  bool live;
};

void finalizeMapping(Napi::Env, void *, Mapping *m) {
  if (m->live) munmap(m->addr, m->len);
  delete m;
}

Napi::Value Map(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = fdArg(info);
  uint32_t kind = u32Arg(info, 1, "kind");
  uint32_t qp = u32Arg(info, 2, "qp");
  size_t len = u32Arg(info, 3, "bytes");
  void *p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(HOMA_NIC_MAP_OFFSET(kind, qp)));
  if (p == MAP_FAILED) throwErrno(env, "mmap", errno);
  auto *m = new Mapping{p, len, true};
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, p, len, finalizeMapping, m);
  ab.Set("__homaNicMapping", Napi::External<Mapping>::New(env, m));
  return ab;
}

Napi::Value Unmap(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) throw Napi::TypeError::New(env, "expected a mapped ArrayBuffer");
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  Napi::Value tag = ab.Get("__homaNicMapping");
  if (!tag.IsExternal()) throw Napi::TypeError::New(env, "not an ArrayBuffer from map()");
  Mapping *m = tag.As<Napi::External<Mapping>>().Data();
  if (m->live) {
    munmap(m->addr, m->len);
    m->live = false;
    ab.Detach();
  }
  return env.Undefined();
}

// poll(2) on a worker thread: resolves true when a completion is ready, false on timeout.
class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, int fd, int timeoutMs)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), fd_(fd), timeoutMs_(timeoutMs) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    struct pollfd p = {fd_, POLLIN, 0};
    int n;
    do n = poll(&p, 1, timeoutMs_); while (n < 0 && errno == EINTR);
    if (n < 0) err_ = errno;
    else if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) err_ = (p.revents & POLLNVAL) ? EBADF : ENODEV;
    else ready_ = n > 0;
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (!err_) {
      deferred_.Resolve(Napi::Boolean::New(env, ready_));
      return;
    }
    Napi::Error e = Napi::Error::New(env, std::string("poll: ") + std::strerror(err_));
    e.Set("code", Napi::String::New(env, errnoName(err_)));
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  int fd_, timeoutMs_;
  int err_ = 0;
  bool ready_ = false;
};

Napi::Value Wait(const Napi::CallbackInfo &info) {
  int fd = fdArg(info);
  int timeout = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : -1;
  auto *w = new WaitWorker(info.Env(), fd, timeout);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("open", Napi::Function::New(env, Open));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("createQueuePair", Napi::Function::New(env, CreateQueuePair));
  exports.Set("destroyQueuePair", Napi::Function::New(env, DestroyQueuePair));
  exports.Set("createArena", Napi::Function::New(env, CreateArena));
  exports.Set("attachQueuePair", Napi::Function::New(env, AttachQueuePair));
  exports.Set("setServer", Napi::Function::New(env, SetQueuePairFlags));
  exports.Set("counters", Napi::Function::New(env, Counters));
  exports.Set("map", Napi::Function::New(env, Map));
  exports.Set("unmap", Napi::Function::New(env, Unmap));
  exports.Set("wait", Napi::Function::New(env, Wait));
  Napi::Object kinds = Napi::Object::New(env);
  kinds.Set("USER", HOMA_NIC_MAP_USER);
  kinds.Set("SQ", HOMA_NIC_MAP_SQ);
  kinds.Set("CQ", HOMA_NIC_MAP_CQ);
  kinds.Set("BRET", HOMA_NIC_MAP_BRET);
  kinds.Set("REGION", HOMA_NIC_MAP_REGION);
  kinds.Set("SEND", HOMA_NIC_MAP_SEND);
  kinds.Set("ARENA", HOMA_NIC_MAP_ARENA);
  exports.Set("MAP", kinds);
  return exports;
}

}  // namespace

NODE_API_MODULE(homa_nic_native, Init)
