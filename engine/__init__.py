"""ticketflow's engine: process specs, the compiler, the desk service and its ports.

Pure logic: it imports neither storage nor any UI library.
"""
