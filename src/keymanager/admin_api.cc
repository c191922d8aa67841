// The key manager's admin API (docs/keymanager.md "Admin API"): the CLI's management
// operations over HTTP, for a bearer token (km.yaml admin_token_env / admin_token_file).
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <simdjson.h>

#include <map>

#include "core/strings.h"
#include "keymanager/form.h"
#include "keymanager/key_manager.h"
#include "keymanager/management.h"

namespace postern::keymanager {

namespace {

KmResponse admin_error(int status, std::string_view message) {
  std::string body = "{\"error\":\"";
  append_json_escaped(body, message);
  return json_response(status, body + "\"}");
}

KmResponse from_result(const ManagementResult& r, int ok_status = 200) {
  if (r.ok) return json_response(ok_status, r.text);
  const bool missing = r.text.starts_with("no application") || r.text.starts_with("no client");
  const bool conflict = r.text.find("already exists") != std::string::npos;
  return admin_error(missing ? 404 : conflict ? 409 : 400, r.text);
}

bool same_secret(std::string_view a, std::string_view b) {
  unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

// The string members of a JSON object body; nullopt when it is not one, or a member named
// in `fields` is not a string.
std::optional<std::map<std::string, std::string>> fields_of(const std::string& body,
                                                            std::initializer_list<const char*> fields) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(body).get(obj)) return std::nullopt;
  std::map<std::string, std::string> out;
  for (const char* f : fields) {
    simdjson::dom::element v;
    if (obj[f].get(v)) continue;
    std::string_view s;
    if (v.get(s)) return std::nullopt;
    out[f] = std::string(s);
  }
  return out;
}

// Percent-decodes one path segment. Unlike a form (form_decode), a path keeps '+' as a plus
// (RFC 3986): DELETE /admin/applications/a+b is about "a+b", not "a b". nullopt for a bad
// %-escape.
std::optional<std::string> path_decode(std::string_view segment) {
  std::string plus_escaped;
  for (char c : segment) plus_escaped += c == '+' ? std::string_view("%2B") : std::string_view(&c, 1);
  return form_decode(plus_escaped);
}

// "/admin/applications/NAME/clients" -> {"applications", "NAME", "clients"} (percent-decoded).
std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> out;
  path.remove_prefix(std::string_view("/admin/").size());
  while (!path.empty()) {
    size_t slash = path.find('/');
    auto decoded = path_decode(path.substr(0, slash));
    out.push_back(decoded ? *decoded : std::string());
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return out;
}

}  // namespace

KmResponse KeyManager::admin(const KmRequest& req, int64_t now) {
  if (config_.admin_token.empty()) return admin_error(404, "the admin API is off (km.yaml admin_token_env)");
  std::string_view auth = req.header("authorization");
  if (!auth.starts_with("Bearer ") || !same_secret(auth.substr(7), config_.admin_token)) {
    KmResponse r = admin_error(401, "admin bearer token required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"postern-keymanager-admin\"");
    return r;
  }
  Management m(store_, catalog_);
  auto seg = segments(req.path);
  const std::string& method = req.method;
  auto body = [&](std::initializer_list<const char*> f) { return fields_of(req.body.empty() ? "{}" : req.body, f); };
  if (seg.size() == 1 && seg[0] == "applications") {
    if (method == "GET") return from_result(m.list_apps());
    auto f = body({"name", "tier", "owner"});
    if (method != "POST") return admin_error(405, "GET or POST");
    if (!f) return admin_error(400, "body must be a JSON object of strings: {name, tier, owner}");
    return from_result(m.create_app((*f)["name"], f->count("tier") ? (*f)["tier"] : "Unlimited",
                                    f->count("owner") ? (*f)["owner"] : "admin"),
                       201);
  }
  if (seg.size() == 2 && seg[0] == "applications" && method == "DELETE") return from_result(m.delete_app(seg[1]));
  if (seg.size() == 3 && seg[0] == "applications" && seg[2] == "clients" && method == "POST") {
    auto f = body({"keytype", "public_key_pem"});
    if (!f) return admin_error(400, "body must be a JSON object of strings: {keytype, public_key_pem}");
    return from_result(m.create_client(seg[1], f->count("keytype") ? (*f)["keytype"] : "PRODUCTION",
                                       (*f)["public_key_pem"]),
                       201);
  }
  if (seg.size() == 3 && seg[0] == "applications" && seg[2] == "subscriptions" && method == "POST") {
    auto f = body({"api", "tier"});
    if (!f) return admin_error(400, "body must be a JSON object of strings: {api, tier}");
    return from_result(m.subscribe(seg[1], (*f)["api"], f->count("tier") ? (*f)["tier"] : "Unlimited"), 201);
  }
  if (seg.size() == 3 && seg[0] == "clients" && seg[2] == "rotate-secret" && method == "POST")
    return from_result(m.rotate_secret(seg[1]));
  if (seg.size() == 1 && seg[0] == "users" && method == "POST") {
    auto f = body({"username", "password"});
    if (!f) return admin_error(400, "body must be a JSON object of strings: {username, password}");
    return from_result(m.add_user((*f)["username"], (*f)["password"]), 201);
  }
  if (seg.size() == 2 && seg[0] == "keys" && seg[1] == "rotate" && method == "POST")
    return from_result(m.rotate_keys(keys_, now));
  return admin_error(404,
                     "admin endpoints: GET|POST /admin/applications, DELETE /admin/applications/{name}, POST "
                     "/admin/applications/{name}/clients, POST /admin/applications/{name}/subscriptions, POST "
                     "/admin/clients/{id}/rotate-secret, POST /admin/users, POST /admin/keys/rotate");
}

}  // namespace postern::keymanager
