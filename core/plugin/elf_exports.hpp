#pragma once
// The names a shared library exports (defined global/weak dynamic symbols),
// read from its ELF .dynsym without loading it.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sb::core {

// nullopt when the file is not a readable 64-bit ELF shared object.
std::optional<std::vector<std::string>> exported_symbols(const std::filesystem::path &file);

}  // namespace sb::core
