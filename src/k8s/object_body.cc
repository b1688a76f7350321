#include "k8s/object_body.h"

#include <algorithm>
#include <cctype>

#include "k8s/object_body_internal.h"

namespace kubegate::k8s {
namespace {

using body::BodyResult;

// Create and update bodies: kube-apiserver parses Content-Type with mime.ParseMediaType (case
// folded, parameters dropped) and takes JSON when it is missing (negotiation.NegotiateInputSerializer).
std::string inputMediaType(std::string_view contentType) {
  const std::string_view type = contentType.substr(0, contentType.find(';'));
  std::size_t begin = 0, end = type.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(type[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(type[end - 1]))) --end;
  std::string media(type.substr(begin, end - begin));
  std::transform(media.begin(), media.end(), media.begin(), [](unsigned char c) { return std::tolower(c); });
  return media.empty() ? std::string("application/json") : media;
}

// Patch bodies: the patch handler cuts Content-Type at the first ';' (when it is not the first
// byte) and compares the rest exactly (apiserver handlers/patch.go), so no folding here.
std::string_view patchMediaType(std::string_view contentType) {
  const std::size_t semicolon = contentType.find(';');
  return semicolon != std::string_view::npos && semicolon > 0 ? contentType.substr(0, semicolon) : contentType;
}

BodyResult<boost::json::value> requireObject(BodyResult<boost::json::value> parsed) {
  if (parsed && !parsed->is_object()) return body::bodyError("request body is not an object");
  return parsed;
}

DecodedObject fromResult(BodyResult<boost::json::value> parsed) {
  DecodedObject decoded;
  if (parsed) {
    decoded.object = std::move(*parsed);
  } else {
    decoded.error = std::move(parsed.error().message);
  }
  return decoded;
}

DecodedObject decodePatch(std::string_view contentType, std::string_view bytes) {
  const std::string_view media = patchMediaType(contentType);
  if (media == "application/merge-patch+json" || media == "application/strategic-merge-patch+json") {
    return fromResult(requireObject(body::parseJson(bytes)));
  }
  if (media == "application/apply-patch+yaml") return fromResult(requireObject(body::parseYaml(bytes)));
  if (media == "application/json-patch+json") {
    auto operations = body::parseJson(bytes);
    if (!operations) return fromResult(std::move(operations));
    return fromResult(body::synthesizeJsonPatchObject(*operations));
  }
  return fromResult(body::bodyError("patch content type is not one kubegate decodes"));
}

DecodedObject decodeObject(std::string_view contentType, std::string_view bytes, const RequestInfo& info) {
  const std::string media = inputMediaType(contentType);
  if (media == "application/json") return fromResult(requireObject(body::parseJson(bytes)));
  if (media == "application/yaml") return fromResult(requireObject(body::parseYaml(bytes)));
  if (media == "application/vnd.kubernetes.protobuf") {
    auto decoded = body::decodeProtobuf(bytes, info);
    if (!decoded) return fromResult(decoded.error());
    DecodedObject result;
    result.object = std::move(decoded->object);
    result.metadataOnly = decoded->metadataOnly;
    return result;
  }
  return fromResult(body::bodyError("content type is not one kubegate decodes"));
}

}  // namespace

bool carriesObject(const RequestInfo& info) {
  if (!info.isResourceRequest) return false;
  if (info.verb != "create" && info.verb != "update" && info.verb != "patch") return false;
  const std::string_view sub = info.subresource;
  return sub != "exec" && sub != "attach" && sub != "portforward" && sub != "proxy";
}

DecodedObject decodeRequestObject(std::string_view contentType, std::string_view bytes, const RequestInfo& info) {
  if (!carriesObject(info) || bytes.empty()) return {};
  try {
    if (info.verb == "patch") return decodePatch(contentType, bytes);
    return decodeObject(contentType, bytes, info);
  } catch (const std::exception&) {
    // Allocation failure is the only way here; the body is refused rather than half-read.
    return fromResult(body::bodyError("request body could not be decoded"));
  }
}

}  // namespace kubegate::k8s
