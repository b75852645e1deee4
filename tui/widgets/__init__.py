"""The terminal app's widgets: they show what screens give them and never call storage."""
