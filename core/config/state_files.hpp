#pragma once
// Files in the daemon's state dir, shared by every store kept there (the
// runtime config, the virtual keys and their spend). The dir must be ours
// alone: owned by the daemon's user and writable by no one else. Each file
// is written to a fresh temp file (O_EXCL|O_NOFOLLOW, a random name),
// fsynced, renamed over the old one, mode 0600, and the dir fsynced; every
// operation goes through one descriptor of the dir, so swapping the path
// after the check changes nothing.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace sb::core {

// Opens the state dir (creating it 0700 when missing), checks that it is
// ours alone and narrows it to 0700; the caller closes the descriptor.
// Throws std::runtime_error naming the directory and the fix.
int open_state_dir(const std::filesystem::path &requested);

// Replaces the file `name` in the dir atomically with data. `shown_as` names
// the file in errors. Throws std::runtime_error; the old file is then intact.
void write_state_file(int dir_fd, std::string_view name, const std::filesystem::path &shown_as,
                      const std::string &data);

// The file's text, or nullopt when there is none. A link in its place is not
// followed; anything but a regular file throws std::runtime_error.
std::optional<std::string> read_state_file(int dir_fd, std::string_view name,
                                           const std::filesystem::path &shown_as);

// Moves an unreadable file aside as <name>.corrupt-<unix time>, never
// overwriting it; returns the new path. Throws std::runtime_error when it
// cannot.
std::filesystem::path move_state_file_aside(int dir_fd, std::string_view name,
                                            const std::filesystem::path &shown_as);

}  // namespace sb::core
