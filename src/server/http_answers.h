// JSON answers shared by the service's handlers: every body is JSON, every 4xx and 5xx answer
// has the form {"error": message, "problems": [{"field", "message"}]}.
#pragma once

#include <httplib.h>

#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace tonepoem {

inline void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(2) + "\n", "application/json");
}

inline void send_error(httplib::Response& res, int status, const std::string& message,
                       const OptionProblems& problems = {}) {
  nlohmann::json body = {{"error", message}};
  if (!problems.empty()) {
    body["problems"] = nlohmann::json::array();
    for (const OptionProblem& p : problems)
      body["problems"].push_back({{"field", p.field}, {"message", p.message}});
  }
  send_json(res, status, body);
}

}  // namespace tonepoem
