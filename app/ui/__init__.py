"""The Gradio app (see :mod:`app.ui.chat`)."""

from app.ui.chat import AccessDenied, TdaBlocks, TdaUI, clean_message, render_reply, render_why, show_placeholders

__all__ = ["AccessDenied", "TdaBlocks", "TdaUI", "clean_message", "render_reply", "render_why", "show_placeholders"]
