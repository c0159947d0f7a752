"""The neighbourhood signal: how close two briefs are in the graph of candidates.

The graph's leading eigenvectors (``scipy.sparse.linalg.eigsh``), each weighted by its
eigenvalue to the power of the diffusion time, embed every brief; two briefs whose
embeddings point the same way share a neighbourhood even when they share few words. It is
a function of the candidate lists alone, which an incremental ranking keeps exact.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackNoConvergence, eigsh

from briefgen.pipeline.related.features import F32, F64, I32

GRAPH_MIN_DOCS = 60  # below this the neighbour graph is too small to say anything


GRAPH_NEIGHBOURS = 20  # candidates per brief that make the neighbour graph


GRAPH_DIMS = 16


_EIGEN_STEPS = 5000  # Lanczos restarts; BBC dev and 10,000 news-like briefs need far fewer


EIGEN_TOL = 1e-4  # the embedding is raised to a power and rounded: more digits change nothing


GRAPH_STEPS = 8  # diffusion time: eigenvalue**steps fades the fine-grained directions


def diffusion_near(cand: I32, base: F32) -> F32:
    """How close each brief is to each of its candidates in the neighbour graph: the dot
    product of their diffusion embeddings (``_diffusion_embedding``), 0 for padding."""
    emb = _diffusion_embedding(cand, base, cand.shape[0])
    near = np.einsum("id,ijd->ij", emb, emb[np.maximum(cand, 0)])
    near[cand < 0] = 0.0
    out: F32 = np.maximum(near, 0.0).astype(np.float32)
    return out


def _diffusion_embedding(cand: I32, base: F32, n: int) -> F32:
    """Unit vectors whose dot products say how close two briefs are in the graph of each
    brief's strongest candidates: the graph's leading eigenvectors, each weighted by its
    eigenvalue to the power of the diffusion time. Global by nature, but cheap next to
    finding the candidates, and a function of the candidate lists alone, so an incremental
    ranking that keeps those exact gets the same embedding as a cold one.
    """
    kn = min(GRAPH_NEIGHBOURS, cand.shape[1])
    w = np.maximum(base[:, :kn], 0.0).ravel()
    cols = cand[:, :kn].ravel()
    real = cols >= 0  # pruned candidates pad short rows with -1
    graph = sp.csr_matrix((w[real], (np.repeat(np.arange(n), kn)[real], cols[real])),
                          shape=(n, n))
    graph = graph.maximum(graph.T)  # symmetric: a neighbour either way
    degree = np.asarray(graph.sum(axis=1), dtype=np.float64).ravel()
    scale = np.divide(1.0, np.sqrt(degree), out=np.zeros_like(degree), where=degree > 0)
    norm_graph = sp.diags(scale) @ graph @ sp.diags(scale)
    vals, vecs = _top_eigen(norm_graph, min(GRAPH_DIMS, n - 2))
    emb = vecs * np.power(np.clip(vals, 0.0, None), GRAPH_STEPS)
    length = np.linalg.norm(emb, axis=1, keepdims=True)
    unit: F32 = np.divide(emb, length, out=np.zeros_like(emb), where=length > 0).astype(np.float32)
    return unit


def _top_eigen(mat: sp.csr_matrix, dims: int) -> tuple[F64, F64]:
    """The largest eigenpairs of a symmetric matrix (scipy's Lanczos, from a seeded start)."""
    start = np.random.default_rng(0).standard_normal(mat.shape[0])  # reproducible output
    try:
        vals, vecs = eigsh(mat, k=dims, which="LA", v0=start, tol=EIGEN_TOL, maxiter=_EIGEN_STEPS)
    except ArpackNoConvergence as err:  # keep the pairs that converged (a shorter embedding)
        vals, vecs = err.eigenvalues, err.eigenvectors
    top = np.argsort(-vals, kind="stable")
    return vals[top], vecs[:, top]

