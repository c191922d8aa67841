// The backends an API document names by itself: OpenAPI `servers` and Swagger 2.0's
// `host`/`basePath`/`schemes`. WSO2 Microgateway 3.x uses them as the production endpoints
// when no x-wso2-production-endpoints is given, so Postern does too (docs/configuration.md).
#include "config/address.h"
#include "config/internal.h"
#include "core/strings.h"

namespace postern::config::detail {

namespace {

bool absolute_http(std::string_view url) {
  return (url.size() >= 7 && iequals(url.substr(0, 7), "http://")) ||
         (url.size() >= 8 && iequals(url.substr(0, 8), "https://"));
}

// Replaces every {name} of a server URL by its variable's default. Reports an unknown or
// default-less variable and returns nullopt.
std::optional<std::string> substitute_variables(Diagnostics& d, const YAML::Node& url_node, const YAML::Node& vars) {
  std::string url = url_node.Scalar();
  std::string out;
  for (size_t i = 0; i < url.size();) {
    if (url[i] != '{') {
      out += url[i++];
      continue;
    }
    size_t close = url.find('}', i);
    if (close == std::string::npos) {
      d.error(url_node, "server URL '" + url + "' has an unclosed '{'");
      return std::nullopt;
    }
    std::string name = url.substr(i + 1, close - i - 1);
    YAML::Node var = vars.IsMap() ? vars[name] : YAML::Node();
    if (!var.IsDefined() || !var.IsMap()) {
      d.error(url_node, "server URL '" + url + "' uses the variable '{" + name +
                            "}', which its 'variables' do not define; add variables: {" + name +
                            ": {default: VALUE}}");
      return std::nullopt;
    }
    YAML::Node def = var["default"];
    if (!def.IsDefined() || !def.IsScalar()) {
      d.error(var, "server variable '" + name + "' needs a 'default' (Postern uses the default as the backend)");
      return std::nullopt;
    }
    out += def.Scalar();
    i = close + 1;
  }
  return out;
}

}  // namespace

bool add_endpoint_url(Diagnostics& d, const YAML::Node& at, const std::string& url,
                      const std::shared_ptr<EndpointGroup>& group, std::vector<NamedEndpoint>* named) {
  Endpoint ep;
  if (Status s = parse_endpoint_url(url, ep); !s) {
    d.error(at, s.message());
    return false;
  }
  if (!is_numeric_host(ep.host)) {
    // Resolved with every other name after the documents are read (endpoint_names.cc).
    ep.dynamic = true;
    if (named) named->push_back(NamedEndpoint{group, group->endpoints.size(), at.Mark(), d.file()});
  } else if (Status s = resolve(HostPort{ep.host, ep.port}, false, ep.addresses); !s) {
    d.error(at, "endpoint URL '" + ep.url + "': " + s.message());
    return false;
  }
  group->endpoints.push_back(std::move(ep));
  return true;
}

std::shared_ptr<const EndpointGroup> servers_as_endpoints(Diagnostics& d, const Entry& servers,
                                                          std::vector<NamedEndpoint>* named) {
  if (!servers.value.IsSequence() || servers.value.size() == 0) {
    d.error(servers.value.IsNull() ? servers.key : servers.value,
            "'servers' must be a non-empty list such as [{url: \"http://backend:8080/v1\"}]");
    return nullptr;
  }
  size_t before = d.count();
  auto group = std::make_shared<EndpointGroup>();  // several servers: round robin, as WSO2
  for (const auto& item : servers.value) {
    MapReader m(d, item, "a server", std::vector<std::string_view>{"url", "description", "variables"});
    if (!m.ok()) continue;
    const Entry* url = m.get("url");
    if (url == nullptr) {
      d.error(item, "a server needs a 'url', e.g. {url: \"http://backend:8080/v1\"}");
      continue;
    }
    if (!url->value.IsScalar()) {
      d.error(url->value.IsNull() ? url->key : url->value, "a server's 'url' must be a string");
      continue;
    }
    const Entry* vars = m.get("variables");
    auto resolved = substitute_variables(d, url->value, vars ? vars->value : YAML::Node());
    if (!resolved) continue;
    if (!absolute_http(*resolved)) {
      bool other_scheme = resolved->find("://") != std::string::npos && !resolved->starts_with("//");
      d.error(url->value, "server URL '" + *resolved + "' " +
                              (other_scheme ? "is not an http:// or https:// URL"
                                            : "is relative, and Postern needs the backend's absolute URL") +
                              "; write it as http://host[:port][/path] (or https://), or give the API "
                              "x-wso2-production-endpoints, which take precedence over 'servers'");
      continue;
    }
    add_endpoint_url(d, url->value, *resolved, group, named);
  }
  if (d.count() != before) return nullptr;
  return group;
}

std::optional<std::shared_ptr<const EndpointGroup>> swagger_endpoints(Diagnostics& d, const MapReader& root,
                                                                    std::vector<NamedEndpoint>* named) {
  const Entry* host = root.get("host");
  const Entry* base = root.get("basePath");
  const Entry* schemes = root.get("schemes");
  if (host == nullptr) {
    if (base == nullptr) return std::nullopt;
    d.error(base->key,
            "Swagger 'basePath' without 'host' is relative to wherever the document is served, and Postern needs "
            "the backend's absolute URL; add host: backend:8080 (and schemes: [http] or [https]), or give the API "
            "x-wso2-production-endpoints, which take precedence over 'host'");
    return nullptr;
  }
  auto h = read_string(d, *host, "host");
  if (!h) return nullptr;
  if (h->empty() || h->find_first_of("/?#") != std::string::npos) {
    d.error(host->value, "Swagger 'host' must be a host with an optional port, such as backend:8080; the path goes in "
                         "'basePath' and the scheme in 'schemes'");
    return nullptr;
  }
  std::string path;
  if (base != nullptr) {
    auto b = read_string(d, *base, "basePath");
    if (!b) return nullptr;
    if (!b->starts_with("/")) {
      d.error(base->value, "Swagger 'basePath' must start with '/', e.g. /v2");
      return nullptr;
    }
    path = *b;
  }
  // Swagger's default scheme is the one the document was fetched with; Postern assumes http.
  // When both are listed, https is used: the backend offers it, and it is the safer choice.
  std::string scheme = "http";
  if (schemes != nullptr) {
    bool http = false, https = false;
    if (schemes->value.IsSequence()) {
      for (const auto& sc : schemes->value) {
        std::string v = sc.IsScalar() ? sc.Scalar() : "";
        http = http || v == "http";
        https = https || v == "https";
      }
    }
    if (!http && !https) {
      d.error(schemes->value.IsNull() ? schemes->key : schemes->value,
              "Swagger 'schemes' must list http and/or https (Postern forwards over one of them), e.g. [https]");
      return nullptr;
    }
    scheme = https ? "https" : "http";
  }
  auto group = std::make_shared<EndpointGroup>();
  if (!add_endpoint_url(d, host->value, scheme + "://" + *h + path, group, named)) return nullptr;
  return group;
}

}  // namespace postern::config::detail
