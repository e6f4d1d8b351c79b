"""The DSPy signatures of the RAG pipeline: declarative, so optimisers (GEPA) can tune them."""

from __future__ import annotations

import dspy

from .sources import describe_sources


class QueryProcessor(dspy.Signature):
    """Turn a request about Cairo or Starknet into documentation searches.

    Name the Cairo concepts, corelib items, attributes and Starknet APIs the answer will need,
    and pick the documentation sources worth searching."""

    query: str = dspy.InputField(desc="the user's request")
    chat_history: str = dspy.InputField(desc="earlier turns of the conversation, may be empty")
    search_terms: list[str] = dspy.OutputField(
        desc="3 to 8 short search phrases, e.g. 'storage Map read write', 'emit event #[key]'"
    )
    resources: list[str] = dspy.OutputField(
        desc=f"the documentation sources to search, a subset of: {describe_sources()}"
    )


class RetrievalJudge(dspy.Signature):
    """Rate how useful each retrieved document is for answering the query with correct Cairo.

    1 means it directly shows syntax or APIs the answer needs, 0 means it is unrelated."""

    query: str = dspy.InputField(desc="the user's request")
    documents: list[str] = dspy.InputField(
        desc="the retrieved documents, in order, each starting '[n] title'"
    )
    scores: list[float] = dspy.OutputField(
        desc="one relevance score in [0, 1] per document, in the same order"
    )


class Generation(dspy.Signature):
    """You are an expert Cairo and Starknet developer. Answer the request with correct Cairo
    (Cairo 2.x as compiled by Scarb 2.8 or later), using the documentation context where it
    applies and the exact names, signatures and error messages the request asks for.

    Put the complete code in a single ```cairo block; keep prose short."""

    query: str = dspy.InputField(desc="the user's request")
    chat_history: str = dspy.InputField(desc="earlier turns of the conversation, may be empty")
    context: str = dspy.InputField(desc="documentation excerpts retrieved for this request")
    answer: str = dspy.OutputField(desc="the answer, with the code in one ```cairo block")
