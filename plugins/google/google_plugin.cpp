#include "google.hpp"

SWITCHBOARD_EXPORT_PROVIDER(switchboard::google::Provider)
