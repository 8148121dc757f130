"""The hybrid retriever as a LangChain ``BaseRetriever`` (for LangChain chains and the optional LLM path).

Each document's ``page_content`` is the passage text; its metadata carries the citation fields
(source, title, section, heading, lines) and the fused score, so a chain can cite exactly as the
extractive composer does.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict


class TdaRetriever(BaseRetriever):
    """LangChain view of :class:`knowledge.retrieval.HybridRetriever`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [to_document(p) for p in self.retriever.search(query, k=self.k)]


def to_document(passage) -> Document:
    d = passage.to_dict()
    text = d.pop("text")
    return Document(page_content=text, metadata=d)


def to_passage_dict(doc: Document) -> dict:
    """A LangChain document back as the passage dict the rails and composers take."""
    return {**doc.metadata, "text": doc.page_content}
