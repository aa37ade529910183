#include "gateway/static_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <utility>

#include "gateway/routing.h"

namespace velocity::gateway {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string http_date(time_t seconds) {
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::array<char, 64> buffer{};
  const size_t n = std::strftime(buffer.data(), buffer.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buffer.data(), n);
}

std::string hex(uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[value & 0xf]);
    value >>= 4;
  } while (value != 0);
  return out;
}

bool has_extension(std::string_view segment) {
  return segment.find('.') != std::string_view::npos;
}

bool inside(const std::filesystem::path& path, const std::filesystem::path& root) {
  return std::mismatch(root.begin(), root.end(), path.begin(), path.end()).first == root.end();
}

}  // namespace

std::string_view content_type_for(std::string_view extension) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
  };
  const std::string key = lower(extension);
  for (const auto& [ext, type] : kTypes) {
    if (ext == key) return type;
  }
  return "application/octet-stream";
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    const size_t comma = if_none_match.find(',');
    std::string_view tag = if_none_match.substr(0, comma);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

StaticFiles::StaticFiles(std::filesystem::path root) {
  std::error_code ec;
  root_ = std::filesystem::weakly_canonical(std::filesystem::absolute(root, ec), ec);
  if (ec) root_ = std::move(root);
  if (root_.filename().empty()) root_ = root_.parent_path();  // "web/" → "web"
}

Result<StaticFile> StaticFiles::resolve(std::string_view target) const {
  auto miss = [&] {
    return fail(ErrorCode::kNotFound, "no static file for " + std::string(target_path(target)));
  };
  const std::string_view raw_path = target_path(target);
  if (raw_path.empty() || raw_path.front() != '/') return miss();
  const auto segments = decoded_segments(raw_path);
  std::filesystem::path relative;
  for (const auto& segment : segments) {
    // A decoded segment holding '/' came from "%2F": the file system would read it as two.
    if (segment.front() == '.' ||
        segment.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos) {
      return miss();
    }
    relative /= segment;
  }
  const std::filesystem::path index = root_ / "index.html";
  if (segments.empty()) return describe(index, false);
  const std::filesystem::path candidate = root_ / relative;
  std::error_code ec;
  const auto status = std::filesystem::status(candidate, ec);
  if (!ec && std::filesystem::is_directory(status)) {
    if (std::filesystem::is_regular_file(candidate / "index.html", ec))
      return describe(candidate / "index.html", false);
  } else if (!ec && std::filesystem::is_regular_file(status)) {
    return describe(candidate, false);
  }
  // A path without an extension is a page of the storefront, which routes on the client.
  if (!has_extension(segments.back())) return describe(index, true);
  return miss();
}

Result<StaticFile> StaticFiles::describe(const std::filesystem::path& path,
                                         bool is_fallback) const {
  std::error_code ec;
  const auto real = std::filesystem::canonical(path, ec);
  // canonical() resolves symbolic links: a link out of the root is refused here.
  if (ec || !inside(real, root_))
    return fail(ErrorCode::kNotFound, "no static file " + path.filename().string());
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return fail(ErrorCode::kNotFound, "no static file " + path.filename().string());
  }
  StaticFile file;
  file.path = real;
  file.size = static_cast<uint64_t>(st.st_size);
  const std::string extension = real.extension().string();
  file.content_type = std::string(content_type_for(extension));
  const uint64_t mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000ULL +
                            static_cast<uint64_t>(st.st_mtim.tv_nsec);
  file.etag = "\"" + hex(file.size) + "-" + hex(mtime_ns) + "\"";
  file.last_modified = http_date(st.st_mtim.tv_sec);
  // Pages are revalidated on every load so a new release shows at once; other files may be
  // kept a while, and files under /assets/ (content-hashed names) for good.
  const std::string rel = real.lexically_relative(root_).generic_string();
  if (is_fallback || lower(extension) == ".html") {
    file.cache_control = "no-cache";
  } else if (rel.starts_with("assets/")) {
    file.cache_control = "public, max-age=31536000, immutable";
  } else {
    file.cache_control = "public, max-age=300";
  }
  return file;
}

}  // namespace velocity::gateway
