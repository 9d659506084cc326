#include "server/job_queue.h"

#include <array>
#include <mutex>
#include <random>

#include <fmt/format.h>

namespace tonepoem {
namespace {

constexpr std::array<std::string_view, 5> kStateNames = {"queued", "running", "done", "failed",
                                                         "cancelled"};

}  // namespace

std::string_view job_state_name(JobState state) {
  return kStateNames[static_cast<std::size_t>(state)];
}

JobState parse_job_state(std::string_view name) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i)
    if (kStateNames[i] == name) return static_cast<JobState>(i);
  return JobState::failed;
}

bool is_final(JobState state) {
  return state == JobState::done || state == JobState::failed || state == JobState::cancelled;
}

bool valid_job_id(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string new_job_id() {
  static std::mutex mutex;
  static std::random_device device;
  std::lock_guard lock(mutex);
  std::string id;
  for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", device());
  return id;
}

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

JobRecord new_job_record(std::string_view kind, const nlohmann::json& options) {
  JobRecord record;
  record.id = new_job_id();
  record.kind = kind;
  record.options = options;
  record.stages = nlohmann::json::array();
  record.outputs = nlohmann::json::array();
  record.created_ms = unix_now_ms();
  return record;
}

nlohmann::json JobRecord::to_json() const {
  nlohmann::json j = {{"id", id},
                      {"kind", kind},
                      {"state", job_state_name(state)},
                      {"options", options},
                      {"stage", stage},
                      {"stage_progress", stage_progress},
                      {"stages", stages},
                      {"attempts", attempts},
                      {"created_ms", created_ms},
                      {"started_ms", started_ms},
                      {"finished_ms", finished_ms},
                      {"outputs", outputs}};
  if (state == JobState::failed) {
    j["error"] = error;
    j["exit_code"] = exit_code;
  }
  return j;
}

}  // namespace tonepoem
