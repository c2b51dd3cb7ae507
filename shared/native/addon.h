// Per-environment data of the addon (worker threads each load their own copy).
#pragma once
#include <napi.h>

namespace gic {

struct AddonData {
  Napi::FunctionReference element;
  static AddonData* Of(Napi::Env env) { return env.GetInstanceData<AddonData>(); }
};

}  // namespace gic
