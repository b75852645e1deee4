"""Power-loss simulation for SQLite desks: an LD_PRELOAD recorder and a disk model.

``shim.c`` records every write, truncation, sync and name change a process makes under a
watched directory; :mod:`.disk` rebuilds from that log the files a power loss could leave
(the model is in its docstring); :mod:`.campaign` kills a desk process at random and
checks every rebuilt desk. Run a campaign by hand::

    python -m tests.reliability.powerloss --rounds 100
    python -m tests.reliability.powerloss --rounds 20 --synchronous NORMAL
"""
