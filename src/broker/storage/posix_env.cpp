// Env over POSIX file descriptors: pread/pwrite (safe to mix across threads), fdatasync,
// fallocate(KEEP_SIZE) for reservations, sync_file_range to start writeback early.
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "broker/storage/env.h"

namespace velocity::storage {
namespace {

std::unexpected<Error> os_error(std::string_view what, const std::string& path) {
  return fail(ErrorCode::kIo, fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  Result<void> write_at(uint64_t offset, std::span<const std::byte> data) override {
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return os_error("write", path_);
      }
      data = data.subspan(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return {};
  }

  Result<size_t> read_at(uint64_t offset, std::span<std::byte> out) const override {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n =
          ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return os_error("read", path_);
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

  Result<void> sync() override {
    if (::fdatasync(fd_) != 0) return os_error("fdatasync", path_);
    return {};
  }

  void start_writeback() override {
    // Best effort: a failure here changes nothing about what sync() will report.
    (void)::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
  }

  void write_back(uint64_t offset, uint64_t length) override {
    (void)::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length),
                            SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                SYNC_FILE_RANGE_WAIT_AFTER);
  }

  Result<void> truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return os_error("truncate", path_);
    return {};
  }

  Result<void> reserve(uint64_t offset, uint64_t length) override {
    if (length == 0) return {};
    if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                    static_cast<off_t>(length)) != 0) {
      if (errno == EOPNOTSUPP || errno == ENOSYS) {
        return fail(ErrorCode::kUnsupported, fmt::format("reserve {}: not supported", path_));
      }
      return os_error("reserve", path_);
    }
    return {};
  }

  Result<uint64_t> size() const override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return os_error("stat", path_);
    return static_cast<uint64_t>(st.st_size);
  }

  int native_handle() const override { return fd_; }
  const std::string& path() const override { return path_; }

 private:
  int fd_;
  std::string path_;
};

class PosixEnv final : public Env {
 public:
  Result<std::shared_ptr<File>> open_file(const std::string& path, OpenMode mode) override {
    int flags = O_RDWR | O_CLOEXEC;
    if (mode == OpenMode::kCreateOrOpen) flags |= O_CREAT;
    if (mode == OpenMode::kCreateTruncate) flags |= O_CREAT | O_TRUNC;
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) {
      if (errno == ENOENT) return fail(ErrorCode::kNotFound, fmt::format("open {}", path));
      return os_error("open", path);
    }
    return std::make_shared<PosixFile>(fd, path);
  }

  Result<void> rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return os_error("rename", from + " -> " + to);
    return {};
  }

  Result<void> remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) return fail(ErrorCode::kNotFound, fmt::format("remove {}", path));
      return os_error("remove", path);
    }
    return {};
  }

  Result<bool> exists(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    return os_error("stat", path);
  }

  Result<std::vector<std::string>> list_dir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return os_error("list", dir);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(d);
    return names;
  }

  Result<void> create_dirs(const std::string& dir) override {
    for (size_t pos = 1; pos <= dir.size(); ++pos) {
      if (pos != dir.size() && dir[pos] != '/') continue;
      std::string prefix = dir.substr(0, pos);
      if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) return os_error("mkdir", prefix);
    }
    return {};
  }

  Result<void> sync_dir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return os_error("open directory", dir);
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return os_error("fsync directory", dir);
    return {};
  }
};

}  // namespace

Env& posix_env() {
  static PosixEnv env;
  return env;
}

}  // namespace velocity::storage
