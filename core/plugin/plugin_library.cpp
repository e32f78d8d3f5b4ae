#include "core/plugin/plugin_library.hpp"

#include "core/plugin/host_info.hpp"
#include "core/plugin/isolated_plugin.hpp"
#include "core/trusted_file.hpp"

#include <boost/dll/shared_library.hpp>

#include <cstddef>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>
#include <fstream>
#include <string_view>

namespace sb::core {
namespace {

// Sizes of the v1.0 tables: anything smaller cannot be a v1 table.
constexpr std::size_t kMinPluginTableSize = offsetof(sb_plugin, get_extension) + sizeof(void *);
constexpr std::size_t kMinDescriptorSize =
    offsetof(sb_provider_descriptor, known_model_count) + sizeof(size_t);

bool looks_like_elf(const std::filesystem::path &file) {
    std::ifstream in(file, std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    return in.gcount() == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' &&
           magic[3] == 'F';
}

bool valid_view(sb_str s) { return s.len == 0 || s.ptr != nullptr; }

bool valid_provider_id(sb_str id) {
    if (id.len == 0 || id.len > 64 || !id.ptr) return false;
    for (std::size_t i = 0; i < id.len; ++i) {
        char c = id.ptr[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

struct InitError {
    std::string message;
};

void record_init_error(void *ctx, sb_error_kind, int32_t, sb_str message) {
    auto *e = static_cast<InitError *>(ctx);
    if (message.ptr) e->message.assign(message.ptr, message.len);
}

void validate_tables(const sb_plugin &t) {
    if (t.abi_major < PluginLibrary::kHostAbiMajorMin || t.abi_major > PluginLibrary::kHostAbiMajorMax)
        throw PluginLoadError("ABI major version " + std::to_string(t.abi_major) +
                              " is not supported (host speaks " +
                              std::to_string(PluginLibrary::kHostAbiMajorMin) + ".." +
                              std::to_string(PluginLibrary::kHostAbiMajorMax) + ")");
    if (t.struct_size < kMinPluginTableSize)
        throw PluginLoadError("plugin table is too small for ABI v1 (struct_size " +
                              std::to_string(t.struct_size) + ")");
    const sb_provider_descriptor *d = t.descriptor;
    if (!d) throw PluginLoadError("plugin has no provider descriptor");
    if (d->struct_size < kMinDescriptorSize)
        throw PluginLoadError("provider descriptor is too small for ABI v1");
    if (!valid_provider_id(d->id))
        throw PluginLoadError("provider id must be 1-64 characters of [a-z0-9_-]");
    for (sb_str s : {d->display_name, d->plugin_version, d->default_model, d->default_api_base,
                     d->env_api_key, d->env_model, d->env_api_base})
        if (!valid_view(s)) throw PluginLoadError("descriptor has a string with a null pointer");
    if (d->known_model_count && !d->known_models)
        throw PluginLoadError("descriptor lists models without a model array");
    if (!t.build_chat_request || !t.parse_chat_response)
        throw PluginLoadError("plugin lacks build_chat_request or parse_chat_response");
    if ((d->capabilities & SB_CAP_STREAMING) && (!t.stream_open || !t.stream_event || !t.stream_close))
        throw PluginLoadError("plugin declares streaming but lacks the stream functions");
    if ((d->capabilities & SB_CAP_MODEL_LISTING) &&
        (!t.build_models_request || !t.parse_models_response))
        throw PluginLoadError("plugin declares model listing but lacks the model functions");
}

}  // namespace



FileIdentity FileIdentity::of(const std::filesystem::path &file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return {};
    return FileIdentity{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                        static_cast<std::uint64_t>(st.st_size),
                        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

namespace {

// The dynamic loader identifies libraries by path, so a file replaced in
// place would never be loaded again, and overwriting a mapped library
// crashes the process. Loading a private copy (unlinked once mapped) makes
// every load see the file as it is now.
// The copy lives in a fresh mkdtemp directory (0700, ours alone, so no other
// user can swap the file before it is mapped); both go once it is loaded.
struct PrivateCopy {
    std::filesystem::path dir;
    std::filesystem::path file;
    ~PrivateCopy() {
        std::error_code ec;
        if (!file.empty()) std::filesystem::remove(file, ec);
        if (!dir.empty()) std::filesystem::remove(dir, ec);
    }
};

void make_private_copy(const std::filesystem::path &file, PrivateCopy &copy) {
    std::string pattern = (std::filesystem::temp_directory_path() / "switchboard-plugin-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw PluginLoadError("cannot create a private directory to load from");
    copy.dir = pattern;
    std::error_code ec;
    std::filesystem::path target = copy.dir / file.filename();
    std::filesystem::copy_file(file, target, ec);
    if (ec) throw PluginLoadError("cannot read the file: " + ec.message());
    copy.file = target;
}

}  // namespace

struct PluginLibrary::Handle {
    boost::dll::shared_library library;
    // An isolated plugin: the helper's stand-in, and the private copy the
    // helper (and every restart of it) loads, so it always runs the bytes
    // checked at load.
    std::unique_ptr<IsolatedPlugin> isolated;
    std::unique_ptr<PrivateCopy> copy;
    ~Handle() {
        isolated.reset();  // before the copy goes
    }
};

std::optional<std::string> plugin_file_untrusted(const std::filesystem::path &file) {
    namespace fs = std::filesystem;
    const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    if (auto why = untrusted_because(dir, TrustedOwners::root_or_daemon_user))
        return "plugins directory " + dir.string() + " " + *why + ": anyone who can write there can run code in the daemon";
    std::error_code ec;
    if (fs::is_symlink(file, ec)) {
        fs::path target = fs::canonical(file, ec);
        if (ec) return "is a symbolic link that cannot be resolved: " + ec.message();
        fs::path inside = target.lexically_relative(fs::canonical(dir, ec));
        if (ec || inside.empty() || *inside.begin() == "..")
            return "is a symbolic link to " + target.string() + ", outside the plugins directory";
    }
    if (auto why = untrusted_because(file, TrustedOwners::root_or_daemon_user))
        return "the file " + *why + ": anyone who can write it can run code in the daemon";
    return std::nullopt;
}

std::shared_ptr<PluginLibrary> PluginLibrary::load(const std::filesystem::path &file) {
    if (auto why = plugin_file_untrusted(file)) throw PluginLoadError(*why);
    if (!looks_like_elf(file)) throw PluginLoadError("not a shared library (no ELF header)");
    FileIdentity identity = FileIdentity::of(file);
    auto handle = std::make_unique<Handle>();
    {
        PrivateCopy copy;
        make_private_copy(file, copy);
        boost::dll::fs::error_code ec;
        handle->library.load(copy.file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
        if (ec) throw PluginLoadError("cannot load shared library: " + ec.message());
    }
    if (!handle->library.has(SB_ENTRY_SYMBOL))
        throw PluginLoadError(std::string("missing entry symbol ") + SB_ENTRY_SYMBOL);
    auto entry = handle->library.get<sb_status(const sb_host_info *, uint32_t, uint32_t,
                                               const sb_plugin **)>(SB_ENTRY_SYMBOL);
    const sb_plugin *table = nullptr;
    const sb_host_info &host = plugin_host_info();
    sb_status status = entry(&host, kHostAbiMajorMin, kHostAbiMajorMax, &table);
    if (status == SB_ERR_VERSION)
        throw PluginLoadError("plugin implements no ABI major version in the host's range " +
                              std::to_string(kHostAbiMajorMin) + ".." +
                              std::to_string(kHostAbiMajorMax));
    if (status != SB_OK || !table)
        throw PluginLoadError("entry function failed with status " + std::to_string(status));
    validate_tables(*table);
    if (table->init) {
        InitError init_error;
        sb_error_sink sink{sizeof(sb_error_sink), &init_error, &record_init_error};
        sb_status st = table->init(&host, &sink);
        if (st != SB_OK)
            throw PluginLoadError("init failed: " +
                                  (init_error.message.empty() ? "status " + std::to_string(st)
                                                              : init_error.message));
    }
    std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
    lib->handle_ = std::move(handle);
    lib->adopt(table, file, identity);
    return lib;
}

std::shared_ptr<PluginLibrary> PluginLibrary::load_isolated(const std::filesystem::path &file,
                                                            const HelperSettings &helper) {
    if (auto why = plugin_file_untrusted(file)) throw PluginLoadError(*why);
    if (!looks_like_elf(file)) throw PluginLoadError("not a shared library (no ELF header)");
    FileIdentity identity = FileIdentity::of(file);
    auto handle = std::make_unique<Handle>();
    handle->copy = std::make_unique<PrivateCopy>();
    make_private_copy(file, *handle->copy);
    try {
        handle->isolated = std::make_unique<IsolatedPlugin>(handle->copy->file, helper);
    } catch (const std::exception &e) {
        throw PluginLoadError(e.what());
    }
    const sb_plugin &table = handle->isolated->table();
    validate_tables(table);
    std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
    lib->handle_ = std::move(handle);
    lib->adopt(&table, file, identity);
    return lib;
}

void PluginLibrary::adopt(const sb_plugin *table, const std::filesystem::path &file, const FileIdentity &identity) {
    table_ = table;
    file_ = file;
    identity_ = identity;
    load_time_ = std::chrono::system_clock::now();
}

Isolation PluginLibrary::isolation() const noexcept {
    return handle_ && handle_->isolated ? Isolation::process : Isolation::in_process;
}

std::uint64_t PluginLibrary::helper_restarts() const {
    return handle_ && handle_->isolated ? handle_->isolated->restarts() : 0;
}

PluginLibrary::~PluginLibrary() {
    if (table_ && table_->shutdown) table_->shutdown();
}

std::string PluginLibrary::abi_version() const {
    return std::to_string(table_->abi_major) + "." + std::to_string(table_->abi_minor);
}

}  // namespace sb::core
