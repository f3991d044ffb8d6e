"""Markov chains of a determinant (Slater) network: each chain keeps the inverse of its
determinants' matrices and updates it on acceptance (issue 39 item 1).

`DeterminantChains(logpsi, params, x_example)` reads the network's program with
`symir.runtime.determinant_updates.derive_determinants` (the same sites the local
energies use: a `slogdet`/`det` of rows `R(x)` gathered from a matrix `M` that does not
depend on `x`) and gives, per chain,

- `exact(x)`: `log psi(x)` and each site's cache `(R(x), A(x)^-1, the unit's outputs)`,
  `A = M[R]` (one inverse per site and chain: `O(n^3)`);
- `propose(cache, x')`: `log psi(x')` of a proposal that replaces one row of each site's
  matrix (a particle hop: the rows of `R(x')` absent from `R(x)` replace those absent
  from `R(x')`), from the cache in `O(n^2)`, and the cache of `x'`:

      c = v . A^-1[:, p]                          (v = M[a], the new row; the ratio)
      B^-1 = A^-1 - A^-1[:, p] (v A^-1 - e_p) / c (Sherman-Morrison: row p of A becomes v)
      A(x')^-1 = B^-1[:, pi^-1]                   (R(x')'s order: a column permutation)

  with `det A(x') / det A(x) = sign(pi) c`. A site whose rows do not change keeps its
  cache. A proposal that replaces more than one row of some site's matrix is flagged
  (`over`): the caller then evaluates it with `exact`.

The rest of the program (NetKet's `logdet_cmplx`, a sum over spin sectors, a Jastrow
factor) runs on the updated units' outputs as written, as in the local energies'
determinant block. Rounding accumulates in `A^-1` through the updates: the caller
recomputes the caches from scratch on a schedule (`symir.MetropolisSampler`'s
`refresh_every`) and measures the drift.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from symir.runtime.determinant_updates import (
    _apply_chain,
    _base_pass,
    _canonical,
    _first_true,
    _live,
    _run,
    derive_determinants,
    replacement_sign,
    row_changes,
)

__all__ = ["DeterminantChains"]


def _replace_row(m: Any, r: Any, ainv: Any, rp: Any, chain: Any) -> tuple[Any, Any, Any]:
    """`(det A(x') / det A(x), A(x')^-1, more than one row replaced)` of one determinant,
    `A(x) = chain(M[r])`, `A(x') = chain(M[rp])` (module docstring)."""
    n = r.shape[-1]
    eq, added, removed, na, nr = row_changes(r, rp)
    one = (na == 1) & (nr == 1)
    q = _first_true(added, 1)[0]
    p = _first_true(removed, 1)[0]
    v = chain(m[jnp.clip(rp[q], 0, m.shape[0] - 1)])
    col = ainv[:, p]
    c = v @ col
    c_safe = jnp.where(one, c, jnp.ones((), c.dtype))
    where = jnp.arange(n, dtype=jnp.int32)
    # pos[j]: the place in R' of the row at place j of the replaced list (R, R[p] = R'[q])
    sign, pos = replacement_sign(eq, p[None], q[None], one[None])
    sign = sign.astype(c.dtype)
    ratio = jnp.where(one, c * sign, jnp.ones((), c.dtype))
    e_p = (where == p).astype(ainv.dtype)
    b_inv = ainv - jnp.outer(col, v @ ainv - e_p) / c_safe
    back = jnp.sum(jnp.where(pos[None, :] == where[:, None], where[None, :], 0), axis=1)
    new_inv = jnp.where(one, b_inv[:, back], ainv)
    return ratio, new_inv, jnp.maximum(na, nr) > 1


def _proposal_pass(prog, live, params, cache, xp):
    """`log psi(x')` of one chain's proposal from its cache, the proposal's cache, and
    whether some site had more than one row replaced."""
    it = iter(cache)
    new: list = []
    over: list = []

    def hook(site, env):
        r, ainv, outs = next(it)
        m, rp = _canonical(prog, site, env)
        chain = functools.partial(_apply_chain, prog, site)
        if site.batch:
            n = site.n
            fm = jnp.reshape(m, (-1, site.m, n))
            fr, frp = (jnp.reshape(a, (-1, n)) for a in (r, rp))
            fa = jnp.reshape(ainv, (-1, n, n))
            d, fa_new, o = jax.vmap(lambda mm, a, inv, b: _replace_row(mm, a, inv, b, chain))(
                fm, fr, fa, frp
            )
            d = jnp.reshape(d, site.batch)
            ainv_new = jnp.reshape(fa_new, ainv.shape)
            o = jnp.any(o)
        else:
            d, ainv_new, o = _replace_row(m, r, ainv, rp, chain)
        # a singular matrix at x (log psi = -inf) has no inverse to update: exact then
        over.append(o | ~jnp.all(jnp.isfinite(ainv)))
        if site.kind == "det":
            outs_new = [outs[0] * d.astype(outs[0].dtype)]
        else:
            sign, logabs = outs
            mag = jnp.abs(d)
            if jnp.issubdtype(d.dtype, jnp.complexfloating):
                phase = d / jnp.where(mag == 0, jnp.ones_like(mag), mag).astype(d.dtype)
            else:
                phase = jnp.sign(d)
            outs_new = [sign * phase.astype(sign.dtype), logabs + jnp.log(mag).astype(logabs.dtype)]
        new.append((rp, ainv_new, tuple(outs_new)))
        return outs_new

    lp = _run(prog, params, xp, hook, live)
    return lp, tuple(new), functools.reduce(jnp.logical_or, over, jnp.bool_(False))


class DeterminantChains:
    """A determinant network's per-chain caches and proposals (module docstring);
    `applies` says whether the network has a determinant site, `reason` what was found
    or why none."""

    def __init__(self, logpsi: Any, params: Any, x_example: Any):
        self.program, self.reason = derive_determinants(logpsi, params, x_example)
        self.applies = self.program is not None
        self._live = _live(self.program) if self.applies else None

    def exact(self, params: Any, x: Any) -> tuple[Any, Any]:
        """`(log psi (b,), caches)` of the configurations `x (b, N)` from scratch."""
        lp, caches = jax.vmap(functools.partial(_base_pass, self.program), (None, 0))(params, x)
        return lp, tuple((r, ainv, tuple(outs)) for r, ainv, outs in caches)

    def propose(self, params: Any, cache: Any, xp: Any) -> tuple[Any, Any, Any]:
        """`(log psi (b,), caches, over)` of the proposals `xp (b, N)` from the chains'
        caches; `over` (a scalar) is True when some proposal replaced more than one row
        of a site's matrix, or a chain's matrix is singular (its inverse not finite: a
        chain on `psi = 0`, which NetKet's sampler leaves at its first move and the update
        never did, sweep 12); its values are then not exact: evaluate it with `exact`."""
        one = functools.partial(_proposal_pass, self.program, self._live)
        lp, new, over = jax.vmap(one, (None, 0, 0))(params, cache, xp)
        return lp, new, jnp.any(over)
