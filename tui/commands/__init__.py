"""The command line's commands, one module per area; each exposes ``register(app)``.

:data:`COMMANDS` names every command with its module and its one-line help, so that
``ticketflow --help`` lists them without importing a module and ``ticketflow NAME`` imports
only NAME's module (pip's and hatch's lazy loading). A test checks the table against what
the modules register.
"""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    """Where a command lives, what it does in one line, and its heading in ``--help``."""

    module: str
    help: str
    section: str


def _entries(module: str, section: str, *commands: tuple[str, str]) -> dict[str, Entry]:
    return {name: Entry(module, text, section) for name, text in commands}


COMMANDS: dict[str, Entry] = {
    **_entries("files", "Files (no database)",
               ("validate", "Check process, scenario and assessment files; print "
                            "path:line:column: message."),
               ("diagram", "Print a process's state graph (Mermaid stateDiagram-v2).")),
    **_entries("scenarios", "Files (no database)",
               ("test", "Run scenarios (a folder: every *.yaml in it); exit 1 if an "
                        "expectation fails.")),
    **_entries("admin", "Setting a desk up",
               ("init", "Create or upgrade the schema and create the first admin."),
               ("deploy", "Deploy process files: a new version for each file whose content "
                          "changed."),
               ("processes", "List deployed process versions."),
               ("users", "Manage accounts (admin role)."),
               ("settings", "Desk-wide settings (admin role to change).")),
    **_entries("login", "Setting a desk up",
               ("login", "Log in once; later commands on this database act as you until the "
                         "session ends."),
               ("logout", "End the login session on this database.")),
    **_entries("tickets", "Working tickets",
               ("open", "Open a ticket of a process (for a requester, with --requester EMAIL)."),
               ("fire", "Fire a trigger on a ticket."),
               ("approve", "Vote on the approval a ticket waits for (approve, or --reject); "
                           "once per account."),
               ("assign", "Give a ticket to an account of its post (NAME '-' unassigns)."),
               ("claim", "Take a ticket of your post for yourself."),
               ("comment", "Add a comment to a ticket's journal."),
               ("record", "Record an event that changes no state (a customer reply, a "
                          "complaint, ...)."),
               ),
    **_entries("reading", "Working tickets",
               ("show", "Show a ticket with its requester, pending timers and attachments."),
               ("history", "Show a ticket's journal.")),
    **_entries("tickets", "Working tickets",
               ("list", "List the tickets you may read, newest first, a page at a time."),
               ("search", "Find the tickets you may read and the articles by words and "
                          "filters, newest first.")),
    **_entries("clocks", "Working tickets",
               ("sla", "Show a ticket's open SLA clocks with their remaining working time."),
               ("outbox", "List notifications (SLA warnings and breaches), oldest first, a "
                          "page at a time.")),
    **_entries("requesters", "Working tickets",
               ("requesters", "The people the desk serves.")),
    **_entries("items", "Working tickets",
               ("items", "Configuration items (the CMDB): load a YAML or CSV file, list, show "
                         "one with its open tickets and impact.")),
    **_entries("problems", "Working tickets",
               ("problems", "Problem records: list, show one with its linked tickets, link or "
                            "unlink a ticket.")),
    **_entries("kb", "Working tickets",
               ("kb", "The knowledge base: write, publish, retire, read and search articles; "
                      "how often each solved a ticket.")),
    **_entries("mail_cmds", "Working tickets",
               ("mail", "The desk's mail: receive it, see it.")),
    **_entries("serve", "Serving other systems",
               ("serve", "Serve the API at http://HOST:PORT/api/v1 (docs at /docs) and the "
                         "requester's page at /r/TOKEN over the desk at --db.")),
    **_entries("tokens", "Serving other systems",
               ("tokens", "Manage API tokens (admin role).")),
    **_entries("webhooks", "Serving other systems",
               ("webhooks", "Manage webhooks (admin role).")),
    **_entries("assessment", "Assessing and auditing",
               ("assess", "The assessment per post: each indicator's numerator, denominator, "
                          "rate and score.")),
    **_entries("audit", "Assessing and auditing",
               ("replay", "Rebuild a ticket from its journal alone, as it was at a moment."),
               ("audit", "Verify, seal and review the journals.")),
    **_entries("maintenance", "Keeping the records",
               ("export", "Export the journal as JSON Lines, CSV or XES (IEEE 1849, for "
                          "process mining)."),
               ("migrate", "Move a process's open tickets to another of its versions, each "
                           "move journaled."),
               ("backup", "Copy the database consistently while agents work (SQLite file or "
                          "logical dump)."),
               ("restore", "Restore a backup into a new, empty database, then verify it.")),
    **_entries("worker", "Keeping the records",
               ("worker", "Fire due timers, each in the transaction that marks it fired; "
                          "several may run at once.")),
    **_entries("app_cmds", "The terminal app",
               ("tui", "Open the terminal app on a desk (login with the desk's accounts)."),
               ("demo", "Open the app on a demo desk, creating it first if the database is "
                        "empty.")),
}
"""Every command, in the order ``ticketflow --help`` lists them."""
