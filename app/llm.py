"""Optional LLM backend: a LangChain chat model that only rephrases retrieved passages.

The default composer of the assistant is extractive. When ``settings.llm_backend`` is ``ollama`` or
``openai`` (any OpenAI-compatible endpoint), :class:`LLMComposer` asks the chat model to rephrase the
numbered passages with the grounded prompt ``prompts/llm.yaml`` and to cite them as ``[n]``.

The composer is strict about grounding and lenient about nothing else:

* a timeout, any exception of the backend, or an empty answer raises :class:`LLMUnavailable`;
* an answer that cites no passage marker, cites a marker that does not exist, or leaves a
  paragraph without a marker ("dropped citations") raises :class:`LLMUnavailable` too.

The caller then falls back to the extractive answer with a Dutch notice. The text that *is* returned
still goes through the output rails exactly as the extractive text does; this module never decides
that a text is safe to show.
"""

from __future__ import annotations

import concurrent.futures
import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

from prompts.templates import PromptTemplate, load_prompt

logger = logging.getLogger(__name__)

__all__ = ["LLMComposer", "LLMUnavailable", "FALLBACK_NOTICE", "cited_markers"]

#: Dutch notice for the reply when the LLM answer is not used.
FALLBACK_NOTICE = ("Het taalmodel was niet beschikbaar of gaf geen goed onderbouwd antwoord; "
                   "hieronder staat het antwoord rechtstreeks uit de bronnen.")

MAX_PASSAGE_CHARS = 1500
MAX_QUESTION_CHARS = 2000
MIN_WORDS_NEEDING_CITATION = 6     # shorter paragraphs (a heading, "Kort gezegd:") need no marker

_MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class LLMUnavailable(RuntimeError):
    """The LLM answer cannot be used (timeout, error, empty, or not grounded in the passages)."""


def cited_markers(text: str) -> list[int]:
    """All passage numbers cited as ``[n]`` or ``[n, m]`` in ``text``, in order, without repeats."""
    out: list[int] = []
    for m in _MARKER.finditer(text or ""):
        for part in m.group(1).split(","):
            n = int(part.strip())
            if n not in out:
                out.append(n)
    return out


def _message_text(message: Any) -> str:
    """Text of an AIMessage whose content may be a string or a list of content blocks."""
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
        return "".join(parts)
    return ""


def format_passages(passages: Sequence[dict]) -> str:
    """Number the passages ``[1]..[n]`` with their source, section and lines, for the prompt."""
    blocks = []
    for i, p in enumerate(passages, start=1):
        lines = p.get("lines") or ("?", "?")
        head = f"[{i}] bron {p.get('source', '?')}"
        if p.get("title"):
            head += f" ({p['title']})"
        if p.get("section"):
            head += f", {p['section']}"
        head += f", regels {lines[0]}-{lines[1]}"
        text = _CTRL.sub(" ", str(p.get("text", "")))[:MAX_PASSAGE_CHARS].strip()
        blocks.append(f"{head}\n{text}")
    return "\n\n".join(blocks)


class LLMComposer:
    """Phrase an answer from retrieved passages with a LangChain chat model.

    Args:
        chat_model: any ``langchain_core`` ``BaseChatModel`` (tests inject the fake chat models).
        timeout_s: wall-clock limit for one answer; enforced here as well as in the client.
        template: the grounded prompt; defaults to ``prompts/llm.yaml``.
    """

    def __init__(self, chat_model: Any, *, timeout_s: float = 20.0, template: PromptTemplate | None = None):
        self.chat_model = chat_model
        self.timeout_s = float(timeout_s)
        self.template = template or load_prompt("llm")
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="tda-llm")

    @classmethod
    def from_settings(cls, settings: Any) -> LLMComposer | None:
        """Build the composer chosen in settings, or None when ``llm_backend == "none"``.

        The LangChain integration is imported only here, so the offline default never loads it.
        Building the client opens no connection; errors surface at the first ``compose``.
        """
        backend = getattr(settings, "llm_backend", "none")
        timeout = float(getattr(settings, "llm_timeout_s", 20.0))
        if backend == "none":
            return None
        if backend == "ollama":
            from langchain_ollama import ChatOllama

            kwargs: dict[str, Any] = {"model": settings.llm_model, "temperature": 0,
                                      "client_kwargs": {"timeout": timeout}}
            if settings.llm_base_url:
                kwargs["base_url"] = settings.llm_base_url
            model = ChatOllama(**kwargs)
        elif backend == "openai":
            from langchain_openai import ChatOpenAI

            model = ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url,
                               api_key=settings.llm_api_key or "not-needed", timeout=timeout,
                               max_retries=0, temperature=0)
        else:
            raise ValueError(f"unknown llm_backend {backend!r}")
        logger.info("LLM backend %s, model %s", backend, settings.llm_model)
        return cls(model, timeout_s=timeout)

    # -- prompt ------------------------------------------------------------------------------------
    def messages(self, question: str, passages: Sequence[dict], role: str) -> list:
        """The system and user messages sent to the model (public for tests and audit)."""
        from langchain_core.messages import HumanMessage, SystemMessage

        question = _CTRL.sub(" ", str(question or ""))[:MAX_QUESTION_CHARS]
        prompt, system = self.template.evaluate(
            {"question": question, "passages": format_passages(passages)}, variant=role)
        out = [SystemMessage(content=system)] if system else []
        out.append(HumanMessage(content=prompt))
        return out

    # -- checks ------------------------------------------------------------------------------------
    @staticmethod
    def check_grounding(text: str, n_passages: int) -> str:
        """Return the stripped text if every citation is valid, else raise :class:`LLMUnavailable`.

        Rules: at least one marker; every marker in ``1..n_passages``; every paragraph of at least
        ``MIN_WORDS_NEEDING_CITATION`` words carries a marker.
        """
        text = (text or "").strip()
        if not text:
            raise LLMUnavailable("empty answer")
        markers = cited_markers(text)
        if not markers:
            raise LLMUnavailable("answer cites no passage")
        bad = [n for n in markers if not 1 <= n <= n_passages]
        if bad:
            raise LLMUnavailable(f"answer cites passages that do not exist: {bad}")
        for para in re.split(r"\n\s*\n", text):
            if len(para.split()) >= MIN_WORDS_NEEDING_CITATION and not _MARKER.search(para):
                raise LLMUnavailable("a paragraph of the answer cites no passage")
        return text

    # -- compose -----------------------------------------------------------------------------------
    def compose(self, question: str, passages: list[dict], role: str) -> str:
        """Ask the model to rephrase ``passages`` as an answer to ``question``.

        Args:
            question: the user's (already input-railed) question.
            passages: retrieved passages (dicts with source, title, section, lines, text).
            role: the user's role; selects the role rules of the prompt.

        Returns:
            The model's text with valid ``[n]`` markers (``n`` indexes ``passages`` from 1).

        Raises:
            LLMUnavailable: no passages, timeout, backend error, empty or ungrounded answer.
        """
        if not passages:
            raise LLMUnavailable("no passages to ground the answer in")
        msgs = self.messages(question, passages, role)
        future = self._pool.submit(self.chat_model.invoke, msgs)
        try:
            result = future.result(timeout=self.timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            logger.warning("LLM timed out after %.1f s", self.timeout_s)
            raise LLMUnavailable(f"timeout after {self.timeout_s:.1f} s") from None
        except Exception as exc:  # any backend failure means: fall back
            logger.warning("LLM backend failed: %s", type(exc).__name__)
            raise LLMUnavailable(f"backend error: {type(exc).__name__}") from exc
        text = self.check_grounding(_message_text(result), len(passages))
        logger.info("LLM answer accepted (%d chars, %d passages cited)", len(text), len(cited_markers(text)))
        return text

    def compose_retrieved(self, question: str, retriever: Any, role: str, rail=None) -> tuple[str, list[dict]]:
        """Retrieve with a LangChain retriever (e.g. :class:`knowledge.lc_retriever.TdaRetriever`), then compose.

        ``rail`` (passages -> passages, e.g. ``Guardrails.check_retrieval``) filters the passages
        before the model sees them. Returns the grounded text and the passages it was given.
        """
        from knowledge.lc_retriever import to_passage_dict

        try:
            docs = retriever.invoke(question)
        except Exception as exc:
            raise LLMUnavailable(f"retriever error: {type(exc).__name__}") from exc
        passages = [to_passage_dict(d) for d in docs]
        if rail is not None:
            passages = rail(passages)
        return self.compose(question, passages, role), passages

    def stream(self, question: str, passages: list[dict], role: str) -> Iterator[str]:
        """Yield the answer in chunks; after the last chunk the whole text is grounding-checked.

        The chunks are *not* vetted: a UI must not show them before the complete text has passed
        the output rails. If the finished text is not grounded, :class:`LLMUnavailable` is raised
        after the last chunk, and the caller discards what it buffered.

        Raises:
            LLMUnavailable: as for :meth:`compose` (a timeout here is the client's own).
        """
        if not passages:
            raise LLMUnavailable("no passages to ground the answer in")
        parts: list[str] = []
        try:
            for chunk in self.chat_model.stream(self.messages(question, passages, role)):
                piece = _message_text(chunk)
                if piece:
                    parts.append(piece)
                    yield piece
        except LLMUnavailable:
            raise
        except Exception as exc:
            logger.warning("LLM stream failed: %s", type(exc).__name__)
            raise LLMUnavailable(f"backend error: {type(exc).__name__}") from exc
        self.check_grounding("".join(parts), len(passages))

    def cited_passages(self, text: str, passages: Sequence[dict]) -> list[dict]:
        """The passages cited in ``text``, in citation order (for building ``Reply.citations``)."""
        return [passages[n - 1] for n in cited_markers(text) if 1 <= n <= len(passages)]
