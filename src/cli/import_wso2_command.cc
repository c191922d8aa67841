#include "cli/import_wso2_command.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

#include "cli/validate_command.h"
#include "cli/wso2_conf.h"

namespace postern::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultGateway =
    "# Created by `postern import-wso2` (no micro-gw.conf: WSO2's default port); reference: "
    "docs/configuration.md\n"
    "listeners:\n  - {name: http, address: \"0.0.0.0:9090\"}\n"
    "admin: {address: \"127.0.0.1:9091\"}\nworkers: auto\napis: apis/\n";

std::optional<std::string> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write_all(const fs::path& p, const std::string& content, bool secret = false) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (secret) ::chmod(p.c_str(), 0600);
  return static_cast<bool>(out);
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec) && !e.path().filename().string().starts_with(".")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_api_document(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

// api_definitions/ (written by hand) and gen/api_definitions/ (imported from API Manager),
// copied byte for byte: Postern reads WSO2's documents unchanged.
size_t copy_apis(const fs::path& project, std::vector<MigrationNote>& notes,
                 std::map<std::string, std::string>& files) {
  size_t copied = 0;
  for (const char* folder : {"api_definitions", "gen/api_definitions"}) {
    for (const fs::path& f : files_in(project / folder)) {
      std::string rel = fs::relative(f, project).string();
      if (!is_api_document(f)) {
        notes.push_back({rel, "not an OpenAPI or Swagger document (*.yaml, *.yml, *.json); not copied"});
        continue;
      }
      std::string target = "apis/" + f.filename().string();
      if (files.count(target) != 0) {
        notes.push_back({rel, "another document is already apis/" + f.filename().string() +
                                  "; not copied (rename one of them and copy it into apis/)"});
        continue;
      }
      if (auto text = read_all(f)) {
        files[target] = *text;
        ++copied;
      } else {
        notes.push_back({rel, "cannot be read; not copied"});
      }
    }
  }
  return copied;
}

// What a WSO2 project holds that Postern has no place for.
void note_unsupported(const fs::path& project, std::vector<MigrationNote>& notes) {
  struct Folder {
    const char* name;
    const char* why;
  };
  const Folder folders[] = {
      {"grpc_definitions", "gRPC APIs are not supported: Postern proxies HTTP/1.1 APIs described by OpenAPI"},
      {"interceptors", "interceptors are Ballerina or Java code compiled into the WSO2 gateway, which Postern "
                       "cannot run; move their logic into the backend (documents that still reference one with "
                       "x-wso2-request-interceptor or x-wso2-response-interceptor are refused at load)"},
      {"extensions", "Ballerina extensions (extension filter, startup, token revocation) cannot run in Postern"},
      {"lib", "Java libraries for interceptors and extensions are not used by Postern"},
  };
  for (const Folder& f : folders) {
    for (const fs::path& p : files_in(project / f.name)) notes.push_back({fs::relative(p, project).string(), f.why});
  }
  const fs::path deployment = project / "conf" / "deployment-config.toml";
  std::error_code ec;
  if (fs::exists(deployment, ec)) {
    notes.push_back({"conf/deployment-config.toml",
                     "Docker and Kubernetes artifacts are not generated; run `postern run DIR` in your own image "
                     "or unit (see the deployment documentation), with the same replicas, ports and probes "
                     "(GET /health and /ready on the admin listener)"});
  }
}

std::optional<fs::path> find_conf(const fs::path& project, const std::optional<fs::path>& given) {
  if (given) return given;
  std::error_code ec;
  for (const fs::path& p : {project / "conf" / "micro-gw.conf", project / "micro-gw.conf"}) {
    if (fs::is_regular_file(p, ec)) return p;
  }
  return std::nullopt;
}

}  // namespace

int run_import_wso2(const fs::path& mgw_project, const fs::path& out, const std::optional<fs::path>& conf_arg) {
  std::error_code ec;
  if (!fs::is_directory(mgw_project / "api_definitions", ec) &&
      !fs::is_directory(mgw_project / "gen" / "api_definitions", ec)) {
    std::fprintf(stderr,
                 "error: %s is not a WSO2 API Microgateway 3.x project (no api_definitions/ folder); give the "
                 "folder `micro-gw init` created\n",
                 mgw_project.c_str());
    return 1;
  }
  if (fs::exists(out, ec) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec))) {
    std::fprintf(stderr, "error: %s already exists and is not empty; give a new folder for the Postern project\n",
                 out.c_str());
    return 1;
  }
  std::map<std::string, std::string> files;
  std::vector<MigrationNote> notes;
  std::optional<fs::path> conf = find_conf(mgw_project, conf_arg);
  files["postern.yaml"] = kDefaultGateway;
  if (conf) {
    auto text = read_all(*conf);
    if (!text) {
      std::fprintf(stderr, "error: cannot read %s\n", conf->c_str());
      return 1;
    }
    ConvertedConf c = convert_micro_gw_conf(*text, conf->filename().string());
    if (!c.ok) {
      std::fprintf(stderr, "error: %s\n", c.error.c_str());
      return 1;
    }
    files["postern.yaml"] = c.postern_yaml;
    for (auto& [name, content] : c.files) files[name] = content;
    notes = std::move(c.notes);
  } else {
    notes.push_back({"micro-gw.conf", "not found (give it with --micro-gw-conf): postern.yaml has WSO2's default "
                                      "HTTP port 9090 and no issuers, so secured APIs refuse every call until "
                                      "security.issuers is set"});
  }
  size_t apis = copy_apis(mgw_project, notes, files);
  if (fs::is_regular_file(mgw_project / "policies.yaml", ec)) {
    if (auto text = read_all(mgw_project / "policies.yaml")) files["policies.yaml"] = *text;
  }
  note_unsupported(mgw_project, notes);
  fs::create_directories(out / "apis", ec);
  for (const auto& [name, content] : files) {
    if (!write_all(out / name, content, name.starts_with("secrets/"))) {
      std::fprintf(stderr, "error: cannot write %s\n", (out / name).c_str());
      return 1;
    }
  }
  std::printf("created %s: postern.yaml%s, apis/ (%zu document%s)%s\n", out.c_str(),
              conf ? (" (from " + conf->string() + ")").c_str() : "", apis, apis == 1 ? "" : "s",
              files.count("policies.yaml") ? ", policies.yaml" : "");
  if (!notes.empty()) {
    std::printf("not carried over (%zu):\n", notes.size());
    for (const MigrationNote& n : notes) std::printf("  %s: %s\n", n.where.c_str(), n.why.c_str());
  }
  std::fflush(stdout);
  return run_validate(out, false);
}

}  // namespace postern::cli
