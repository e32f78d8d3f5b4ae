/* no_entry: a valid shared library that exports a function, but not
   switchboard_plugin_entry. */
__attribute__((visibility("default"))) int switchboard_not_the_entry(int x) { return x + 1; }
