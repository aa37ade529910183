#include "broker/group/posix_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace velocity::group {
namespace {

std::string describe(std::string_view what, const std::filesystem::path& path, int err) {
  std::string out(what);
  out += " ";
  out += path.string();
  out += ": ";
  out += std::strerror(err);
  return out;
}

Result<void> write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::kIo, describe("write", path, errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace

Result<std::string> read_whole_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ErrorCode code = errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
    return fail(code, describe("open", path, errno));
  }
  std::string out;
  char buffer[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return fail(ErrorCode::kIo, describe("read", path, err));
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<void> sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::kIo, describe("open directory", dir, errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return fail(ErrorCode::kIo, describe("fsync directory", dir, err));
  return {};
}

Result<void> replace_file_atomically(const std::filesystem::path& path, std::string_view data) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(ErrorCode::kIo, describe("create", tmp, errno));
  auto written = write_all(fd, data, tmp);
  if (written && ::fdatasync(fd) != 0)
    written = fail(ErrorCode::kIo, describe("fdatasync", tmp, errno));
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return written;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(ErrorCode::kIo, describe("rename over", path, err));
  }
  return sync_directory(path.parent_path().empty() ? std::filesystem::path(".")
                                                   : path.parent_path());
}

Result<AppendFile> AppendFile::open(const std::filesystem::path& path, uint64_t keep_bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fail(ErrorCode::kIo, describe("open for append", path, errno));
  // Cutting and syncing before the first append keeps a dropped torn tail from reappearing
  // after a second crash, and lets appends go to a known position.
  if (::ftruncate(fd, static_cast<off_t>(keep_bytes)) != 0 || ::fdatasync(fd) != 0 ||
      ::lseek(fd, 0, SEEK_END) < 0) {
    int err = errno;
    ::close(fd);
    return fail(ErrorCode::kIo, describe("truncate", path, err));
  }
  return AppendFile(fd, path, keep_bytes);
}

AppendFile::AppendFile(AppendFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)), size_(other.size_) {}

AppendFile& AppendFile::operator=(AppendFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    size_ = other.size_;
  }
  return *this;
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> AppendFile::append_and_sync(std::string_view data) {
  if (fd_ < 0) return fail(ErrorCode::kClosed, "append to closed file " + path_.string());
  auto written = write_all(fd_, data, path_);
  if (!written) return written;
  size_ += data.size();
  if (::fdatasync(fd_) != 0) return fail(ErrorCode::kIo, describe("fdatasync", path_, errno));
  return {};
}

}  // namespace velocity::group
