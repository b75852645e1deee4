"""The terminal app's screens, one module each; they use the engine and the workspace directly."""
