"""The Gradio app, one module per job.

* :mod:`app.ui.app`: :class:`TdaUI` (the Blocks assembly, page load and ``launch`` arguments) and
  :class:`TdaBlocks`;
* :mod:`app.ui.login`: role checks, the throttled auth callback and the login-page text;
* :mod:`app.ui.chat`, :mod:`app.ui.intake`, :mod:`app.ui.trainer`, :mod:`app.ui.reviewer`: one tab
  each (components, events and handlers);
* :mod:`app.ui.layout`: role constants, labels, CSS and the helpers the tabs share.
"""

from app.ui.app import TdaBlocks, TdaUI
from app.ui.chat import clean_message, render_reply, render_why
from app.ui.layout import AccessDenied, show_placeholders

__all__ = ["AccessDenied", "TdaBlocks", "TdaUI", "clean_message", "render_reply", "render_why", "show_placeholders"]
