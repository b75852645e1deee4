"""ticketflow's two front ends: the Textual terminal app and the ``ticketflow`` command line."""
