"""docgen's built-in document types. Each module is a plugin, loaded through the ``docgen`` entry point group."""
