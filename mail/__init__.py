"""The desk's mail on the network: SMTP out (:mod:`mail.smtp`) and LMTP/SMTP in
(:mod:`mail.server`, on aiosmtpd). What to send and what a received mail does is the
engine's (:mod:`engine.mail`); this package only moves bytes.

Imports ``engine``; never ``storage`` or ``tui``.
"""
