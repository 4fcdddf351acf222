// trust.hpp — whether a process is a trusted writer of an asset.
// Promise: a process is trusted only when its executable path is listed in the policy, the
// executable's SHA-256 equals the listed digest, its user matches (when the policy names one), and
// every file it has mapped as code is root-owned and not writable by group or others (so
// LD_PRELOAD of a user's library into a trusted program removes the trust), and no thread of it is
// being traced (a traced process writes for its tracer: ptrace hijacking removes the trust).
// Anything unreadable means "not trusted".
#pragma once
#include "guard/executable_digests.hpp"
#include "guard/policy.hpp"
#include "guard/process_info.hpp"

#include <string>

namespace vg::guard {

struct TrustVerdict {
  bool trusted = false;
  const TrustedWriter *writer = nullptr; // the policy entry that matched
  std::string exe_sha256;                // digest of the running executable (when readable)
  std::string reason;                    // why not trusted (for events and doctor)
};

class TrustJudge {
public:
  TrustJudge(const Policy &policy, ExecutableDigests &digests)
      : policy_(policy), digests_(digests) {}
  TrustVerdict judge(const ProcessInfo &p);
  // Whether a trusted verdict covers `asset` (the writer's app is the asset's owner, or either is
  // empty).
  static bool covers(const TrustVerdict &v, const AssetRule &asset);

private:
  const Policy &policy_;
  ExecutableDigests &digests_;
};

// The first code mapping of `pid` that is not root-owned or is group/other-writable, or "".
std::string untrusted_code_mapping(pid_t pid);
// The tracer of any thread of `pid` (TracerPid), or 0.
pid_t traced_by(pid_t pid);

} // namespace vg::guard
