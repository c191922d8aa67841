#pragma once
// Small POSIX file helpers shared by the writer, the outbox and the disk budget.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace postern::analytics {

// write(2) until everything is written (EINTR retried); false on any other error.
bool write_all(int fd, const void* data, size_t n);
// fsync of a folder, so a rename or unlink inside it survives a power loss.
void fsync_dir(const std::filesystem::path& dir);
// Writes `content` to `tmp`, fsyncs it, renames it to `final_path` and fsyncs the folder:
// after a crash either the whole file is there under its final name or it is not.
bool write_file_durably(const std::filesystem::path& tmp, const std::filesystem::path& final_path,
                        std::string_view content, std::string& error);
// Number of newlines in a file (an event file holds one event per line); `ok` is false
// when it cannot be read.
uint64_t count_lines(const std::filesystem::path& file, bool& ok);

}  // namespace postern::analytics
