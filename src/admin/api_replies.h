// Replies of the admin listener's JSON APIs (the record's and the reviewers'): one shape for data
// and one Kubernetes Status for errors, so one client reads the data path and both APIs alike.
#pragma once

#include <string>
#include <string_view>

#include "net/asio.h"

namespace kubegate::admin {

http::response<http::string_body> apiReply(http::status status, std::string body,
                                           std::string_view contentType = "application/json");
http::response<http::string_body> statusReply(http::status status, std::string_view reason, std::string_view message);

}  // namespace kubegate::admin
