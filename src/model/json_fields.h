// Reading count and index fields of the model's JSON: a whole number in range, or a clear
// error naming the field. nlohmann's own conversion of 1e72 or -3 to an unsigned type is
// undefined behaviour (found by fuzz/model_json_fuzz), so no reader converts those itself.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace tonepoem::model_json {

// `o[key]` as a whole number in [lo, hi]; `fallback` when the key is absent. `where` names the
// file kind in the error ("document JSON").
template <class T>
T whole_number(const nlohmann::json& o, const char* key, T fallback, const std::string& where) {
  if (!o.is_object() || !o.contains(key)) return fallback;
  const nlohmann::json& v = o[key];
  constexpr double lo = static_cast<double>(std::numeric_limits<T>::lowest());
  constexpr double hi = static_cast<double>(std::numeric_limits<T>::max());
  bool ok = false;
  if (v.is_number_unsigned())
    ok = static_cast<double>(v.get<std::uint64_t>()) <= hi;
  else if (v.is_number_integer())
    ok = static_cast<double>(v.get<std::int64_t>()) >= lo &&
         static_cast<double>(v.get<std::int64_t>()) <= hi;
  if (ok)
    return v.is_number_unsigned() ? static_cast<T>(v.get<std::uint64_t>())
                                  : static_cast<T>(v.get<std::int64_t>());
  fail_input(where,
             std::string("field \"") + key + "\" must be a whole number" +
                 (lo >= 0 ? " >= 0" : "") + ", not " + v.dump(),
             "write it as tonepoem writes it, e.g. \"" + std::string(key) + "\": 0");
}

// `o[key]` as a list of whole numbers >= 0 (absent: empty).
inline std::vector<std::size_t> index_list(const nlohmann::json& o, const char* key,
                                           const std::string& where) {
  std::vector<std::size_t> out;
  if (!o.is_object() || !o.contains(key)) return out;
  const nlohmann::json& v = o[key];
  if (!v.is_array())
    fail_input(where, std::string("field \"") + key + "\" must be a list of whole numbers",
               "write it as tonepoem writes it, e.g. \"" + std::string(key) + "\": [0, 2]");
  for (const nlohmann::json& x : v)
    out.push_back(whole_number<std::size_t>(nlohmann::json{{key, x}}, key, 0, where));
  return out;
}

}  // namespace tonepoem::model_json
