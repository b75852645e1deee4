"""Mail: the desk's settings for it, the templates, what to tell whom (planning deliveries
from the journal and the outbox, sending them with retries), and taking received mail in
(loop prevention, the quarantine, attachments).

Imports every room up to ``desk``; beside ``audit`` and ``assessment``. The network itself
(SMTP out, LMTP in) is the top-level ``mail`` package's.
"""
