"""The reference RAG pipeline: Cairo notes in PostgreSQL + pgvector, DSPy modules on top.

Public API:

- `RagPipeline`: the program under test (`program: harness.rag:RagPipeline` in a suite).
- `Database`, `SchemaMismatch`: the store (embedded pgserver or any DSN), one pool per event loop.
- `HashEmbedder`, `LiteLLMEmbedder`, `make_embedder`: embedders.
- `ingest`, `ensure_corpus`, `IngestReport`, `load_chunks`, `Chunk`, `DEFAULT_CORPUS`: the corpus.
- `DocumentRetriever`, `Document`: the vector search on its own.
- `QueryProcessor`, `RetrievalJudge`, `Generation`: the DSPy signatures.
- `SOURCES`: the documentation source names and what they cover.
"""

from .chunk import DEFAULT_CORPUS, Chunk, load_chunks
from .db import Database, SchemaMismatch
from .embed import HashEmbedder, LiteLLMEmbedder, make_embedder
from .ingest import IngestReport, ensure_corpus, ingest
from .pipeline import RagPipeline
from .retrieve import Document, DocumentRetriever
from .signatures import Generation, QueryProcessor, RetrievalJudge
from .sources import SOURCES

__all__ = [
    "DEFAULT_CORPUS",
    "SOURCES",
    "Chunk",
    "Database",
    "Document",
    "DocumentRetriever",
    "Generation",
    "HashEmbedder",
    "IngestReport",
    "LiteLLMEmbedder",
    "QueryProcessor",
    "RagPipeline",
    "RetrievalJudge",
    "SchemaMismatch",
    "ensure_corpus",
    "ingest",
    "load_chunks",
    "make_embedder",
]
