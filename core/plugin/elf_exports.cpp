#include "core/plugin/elf_exports.hpp"

#include <cstring>
#include <elf.h>
#include <fstream>
#include <iterator>

namespace sb::core {

std::optional<std::vector<std::string>> exported_symbols(const std::filesystem::path &file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    std::string data((std::istreambuf_iterator<char>(in)), {});
    if (data.size() < sizeof(Elf64_Ehdr) || std::memcmp(data.data(), ELFMAG, SELFMAG) != 0 ||
        data[EI_CLASS] != ELFCLASS64)
        return std::nullopt;
    Elf64_Ehdr eh;
    std::memcpy(&eh, data.data(), sizeof eh);
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff == 0 ||
        eh.e_shoff + std::size_t(eh.e_shnum) * sizeof(Elf64_Shdr) > data.size())
        return std::nullopt;
    auto section = [&](std::size_t i) {
        Elf64_Shdr sh;
        std::memcpy(&sh, data.data() + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof sh);
        return sh;
    };
    std::vector<std::string> names;
    for (std::size_t i = 0; i < eh.e_shnum; ++i) {
        Elf64_Shdr sh = section(i);
        if (sh.sh_type != SHT_DYNSYM || sh.sh_link >= eh.e_shnum) continue;
        Elf64_Shdr strtab = section(sh.sh_link);
        if (sh.sh_offset + sh.sh_size > data.size() || strtab.sh_offset + strtab.sh_size > data.size())
            return std::nullopt;
        for (std::size_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
            Elf64_Sym sym;
            std::memcpy(&sym, data.data() + sh.sh_offset + off, sizeof sym);
            unsigned bind = ELF64_ST_BIND(sym.st_info);
            if (sym.st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK)) continue;
            if (sym.st_name >= strtab.sh_size) continue;
            const char *name = data.data() + strtab.sh_offset + sym.st_name;
            std::size_t max = strtab.sh_size - sym.st_name;
            names.emplace_back(name, strnlen(name, max));
        }
    }
    return names;
}

}  // namespace sb::core
