#include "admin/api_replies.h"

#include <boost/json.hpp>

namespace kubegate::admin {

http::response<http::string_body> apiReply(http::status status, std::string body, std::string_view contentType) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::content_type, contentType);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

http::response<http::string_body> statusReply(http::status status, std::string_view reason, std::string_view message) {
  namespace json = boost::json;
  json::object s{{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object{}}, {"status", "Failure"},
                 {"message", message}, {"reason", reason}, {"code", static_cast<int>(status)}};
  return apiReply(status, json::serialize(s) + "\n");
}

}  // namespace kubegate::admin
