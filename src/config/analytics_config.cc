// postern.yaml `analytics:` — where events go, how often they reach the disk, rotation,
// the disk budget and the collector to upload to (docs/analytics.md).

#include "config/internal.h"

namespace postern::config::detail {

namespace fs = std::filesystem;

namespace {

void parse_upload(Diagnostics& d, const Entry& e, const fs::path& project_abs, AnalyticsUpload& out) {
  MapReader m(d, e.value, "analytics.upload",
              std::vector<std::string_view>{"url", "token_env", "token_file", "basic_user", "password_env",
                                            "password_file", "ca_file", "interval", "retry_min", "retry_max",
                                            "timeout"});
  if (!m.ok()) return;
  if (const Entry* f = m.get("url")) {
    if (auto s = read_string(d, *f, "analytics.upload.url")) {
      if (!s->starts_with("http://") && !s->starts_with("https://")) {
        d.error(f->value,
                "'analytics.upload.url' must start with http:// or https://, e.g. https://collector.example:9600");
      } else {
        out.url = *s;
        while (out.url.ends_with('/')) out.url.pop_back();
      }
    }
  } else if (!m.misspelled("url")) {
    d.error(e.value,
            "'analytics.upload' needs a 'url', the collector's base URL, e.g. {url: \"https://collector:9600\"}");
  }
  if (const Entry* f = m.get("token_env")) {
    if (auto v = read_secret_env(d, *f, "the collector token")) out.bearer_token = *v;
  }
  if (const Entry* f = m.get("token_file")) {
    if (auto v = read_secret_file(d, *f, project_abs, "the collector token")) out.bearer_token = *v;
  }
  if (const Entry* f = m.get("basic_user")) {
    if (auto v = read_string(d, *f, "analytics.upload.basic_user")) {
      if (v->empty() || v->find(':') != std::string::npos)
        d.error(f->value, "'basic_user' must be a non-empty user name without ':'");
      else out.basic_user = *v;
    }
  }
  if (const Entry* f = m.get("password_env")) {
    if (auto v = read_secret_env(d, *f, "the collector password")) out.basic_password = *v;
  }
  if (const Entry* f = m.get("password_file")) {
    if (auto v = read_secret_file(d, *f, project_abs, "the collector password")) out.basic_password = *v;
  }
  if (!out.bearer_token.empty() && !out.basic_user.empty()) {
    d.error(e.key, "'analytics.upload' has both a token and a basic_user; choose one way to authenticate");
  }
  if (!out.basic_user.empty() && out.basic_password.empty() && !m.get("password_env") && !m.get("password_file")) {
    d.error(e.key, "'analytics.upload.basic_user' needs 'password_env' or 'password_file'");
  }
  if (const Entry* f = m.get("ca_file")) {
    if (auto s = read_string(d, *f, "analytics.upload.ca_file")) {
      fs::path p(*s);
      p = (p.is_absolute() ? p : project_abs / p).lexically_normal();
      std::error_code ec;
      if (!fs::is_regular_file(p, ec)) d.error(f->value, "CA file '" + p.string() + "' does not exist");
      out.ca_file = p;
    }
  }
  auto duration = [&](const char* key, std::chrono::milliseconds& v, int64_t min_ms) {
    if (const Entry* f = m.get(key)) {
      if (auto dd = read_duration(d, *f, std::string("analytics.upload.") + key)) {
        if (dd->count() < min_ms)
          d.error(f->value, std::string("'") + key + "' must be at least " + std::to_string(min_ms) + "ms");
        else v = *dd;
      }
    }
  };
  duration("interval", out.interval, 10);
  duration("retry_min", out.retry_min, 10);
  duration("retry_max", out.retry_max, 10);
  duration("timeout", out.timeout, 100);
  if (out.retry_max < out.retry_min) d.error(e.key, "'retry_max' must not be below 'retry_min'");
}

}  // namespace

void parse_analytics(Diagnostics& d, const Entry& e, const fs::path& project_abs, AnalyticsConfig& out) {
  out.source = d.location(e.key.Mark());
  MapReader m(d, e.value, "analytics",
              std::vector<std::string_view>{"enabled", "dir", "flush_interval", "rotate_size", "rotate_age",
                                            "compression", "max_disk", "max_buffer", "upload"});
  if (!m.ok()) return;
  out.enabled = true;  // a section present means "on" unless enabled: false
  out.dir = (project_abs / "analytics").lexically_normal();
  if (const Entry* f = m.get("enabled")) {
    if (auto b = read_bool(d, *f, "analytics.enabled")) out.enabled = *b;
  }
  if (const Entry* f = m.get("dir")) {
    if (auto s = read_string(d, *f, "analytics.dir")) {
      if (s->empty()) {
        d.error(f->value, "'analytics.dir' must name a folder, e.g. dir: /var/lib/postern/analytics");
      } else {
        fs::path p(*s);
        out.dir = (p.is_absolute() ? p : project_abs / p).lexically_normal();
      }
    }
  }
  if (const Entry* f = m.get("flush_interval")) {
    if (f->value.IsScalar() && (f->value.Scalar() == "0" || f->value.Scalar() == "every_event")) {
      out.flush_interval = std::chrono::milliseconds(0);
    } else if (auto dd = read_duration(d, *f, "analytics.flush_interval")) {
      if (*dd > std::chrono::minutes(10))
        d.error(f->value, "'flush_interval' must be at most 10m (events wait in memory that long)");
      else out.flush_interval = *dd;
    }
  }
  if (const Entry* f = m.get("rotate_size")) {
    if (auto n = read_size(d, *f, "analytics.rotate_size")) {
      if (*n < 4096) d.error(f->value, "'rotate_size' must be at least 4KiB");
      else out.rotate_bytes = *n;
    }
  }
  if (const Entry* f = m.get("rotate_age")) {
    if (auto dd = read_duration(d, *f, "analytics.rotate_age")) {
      if (dd->count() < 100) d.error(f->value, "'rotate_age' must be at least 100ms");
      else out.rotate_age = *dd;
    }
  }
  if (const Entry* f = m.get("compression")) {
    if (auto s = read_string(d, *f, "analytics.compression")) {
      if (*s == "gzip") out.gzip = true;
      else if (*s == "none") out.gzip = false;
      else d.error(f->value, "'compression' must be gzip or none");
    }
  }
  if (const Entry* f = m.get("max_disk")) {
    if (auto n = read_size(d, *f, "analytics.max_disk")) out.max_disk_bytes = *n;
  }
  if (const Entry* f = m.get("max_buffer")) {
    if (auto n = read_size(d, *f, "analytics.max_buffer")) {
      if (*n < 65536) d.error(f->value, "'max_buffer' must be at least 64KiB");
      else out.max_buffer_bytes = *n;
    }
  }
  if (out.max_disk_bytes < 2 * out.rotate_bytes) {
    const Entry* f = m.get("max_disk");
    d.error(f ? f->value : e.key,
            "'max_disk' must be at least twice 'rotate_size' (the file being written plus one closed file)");
  }
  if (const Entry* f = m.get("upload")) parse_upload(d, *f, project_abs, out.upload);
}

}  // namespace postern::config::detail
