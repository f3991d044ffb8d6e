"""SymbolicCompiler: stages, cache semantics, stores, failures, extension points."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import symir as sym
from symir.compiler import (
    DiskArtifactStore,
    InMemoryArtifactStore,
    JaxSymbolicLowerer,
    ModulePassStage,
    SymbolicCompilationSignature,
    SymbolicCompiler,
    SymbolicCompilerOptions,
    SymbolicLowererRegistry,
    SymbolicPassPipeline,
    default_pre_cache,
)
from symir.errors import SymbolicCompilerError
from symir.interpreter import reference_get_conn_padded
from symir.testing import assert_same_connections, connections

PRE = ["to_ir", "symbolic_validation", "symbolic_normalization", "cache_key", "cache_lookup"]
POST = {"symbolic_fanout_analysis", "branch-fuse-equal-states", "jax_symbolic_v1"}


def hop(n=4, edges=None, amp=1.0, states=None, name="hop"):
    hi = sym.Spin(0.5, n) if states is None else sym.DiscreteHilbert(states, n)
    edges = edges if edges is not None else [(i, i + 1) for i in range(n - 1)]
    return (
        sym.DOperator(hi, name)
        .for_each(("i", "j"), over=edges)
        .emit(sym.swap("i", "j"), amplitude=amp)
        .build()
    )


def fresh(**kw):
    return SymbolicCompiler(SymbolicCompilerOptions(**kw), artifact_store=InMemoryArtifactStore())


def key_of(op, **kw):
    c = fresh(**kw)
    return c.compile(op).cache_token()


def test_stages_and_metadata():
    c = fresh()
    a = c.compile(hop())
    names = a.pass_names
    assert names[:5] == PRE and POST <= set(names)
    assert names.index("symbolic_fanout_analysis") < names.index("jax_symbolic_v1")
    assert names.index("branch-fuse-equal-states") < names.index("jax_symbolic_v1")
    assert all(r.duration_s >= 0 for r in a.pass_reports)
    assert a.backend == "jax" and a.lowerer_name == "jax_symbolic_v1" and len(a.cache_token()) == 64
    md = a.metadata
    assert md["term_fanouts"] == {"term0": 3} and md["total_fanout"] == 3
    assert md["total_padded_size"] == a.compiled_operator.max_conn_size
    assert md["fusion_groups"] == [["term0"]]
    assert "convert-sym-to-branch" in md["lowering_passes"]
    assert {"validation_summary", "ir_fingerprint", "resolved_backend", "term_order"} <= set(
        a.analyses
    )
    assert "sym.fanout_analysis" in a.ir("sym") and "branch." in a.ir("branch")
    assert "stablehlo." in a.ir("stablehlo")
    # symir-opt parses and verifies the three levels, in one process (`// -----`
    # separated: a chunk that does not parse fails the run, naming its line)
    levels = "\n// -----\n".join(a.ir(level) for level in ("sym", "branch", "stablehlo"))
    out = subprocess.run(
        [
            str(__import__("pathlib").Path(sys.executable).parent / "symir-opt"),
            "--split-input-file",
        ],
        input=levels,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("// -----") == 2


def test_hit_runs_only_pre_cache_passes():
    c = fresh()
    op = hop()
    first = c.compile(op)
    hit = c.compile(op)
    assert not first.cache_hit and hit.cache_hit and hit.source == "memory"
    assert hit.pass_names == PRE
    assert hit.compiled_operator is first.compiled_operator
    assert c.cache_size == 1
    c.clear_cache()
    assert c.cache_size == 0


def _memoized(artifact) -> dict[str, bool]:
    return {
        r.pass_name: r.details.get("memoized", False)
        for r in artifact.pass_reports
        if r.stage == "pre_cache"
    }


def test_pre_cache_results_are_memoized():
    c = fresh()
    op = hop(name="memoized_once")
    text = str(op.to_ir())
    first = c.compile(op)
    assert _memoized(first) == {"symbolic_validation": False, "symbolic_normalization": False}
    hit = c.compile(op)
    assert _memoized(hit) == {"symbolic_validation": True, "symbolic_normalization": True}
    for k in ("validation_summary", "ir_fingerprint", "term_order", "resolved_backend"):
        assert hit.analyses[k] == first.analyses[k]
    # what a caller does to the analyses it got does not reach the memo
    hit.analyses["validation_summary"]["warnings"].append("mine")
    assert c.compile(op).analyses["validation_summary"]["warnings"] == []
    # the IR given to the compiler is never mutated
    assert str(op.to_ir()) == text
    assert "sym.validation_summary" not in str(op.to_ir())
    # an equal operator built anew has the same static fingerprint: memoized too
    again = c.compile(hop(name="memoized_once"))
    assert again.cache_hit and all(_memoized(again).values())
    assert again.analyses["ir_fingerprint"] == first.analyses["ir_fingerprint"]
    # other options make other passes, other IR makes another fingerprint: not memoized
    lax = fresh(strict_validation=False).compile(op)
    assert _memoized(lax)["symbolic_validation"] is False
    other = c.compile(hop(name="memoized_once", amp=2.0))
    assert not other.cache_hit and not any(_memoized(other).values())


def test_a_custom_pre_cache_pass_ends_memoization():
    runs = []

    class Count:
        name = "count"

        def run(self, context):
            runs.append(1)

    pipeline = SymbolicPassPipeline(pre_cache=[Count(), *default_pre_cache()])
    c = SymbolicCompiler(artifact_store=InMemoryArtifactStore(), pipeline=pipeline)
    op = hop(name="after_a_custom_pass")
    c.compile(op)
    hit = c.compile(op)
    assert hit.cache_hit and len(runs) == 2
    # after a pass that is not memoizable the module may differ: the defaults run again
    assert _memoized(hit) == {
        "count": False,
        "symbolic_validation": False,
        "symbolic_normalization": False,
    }


def test_a_deterministic_custom_pass_can_opt_into_memoization():
    from symir.lowering.sym import SymbolicFanoutAnalysisPass

    stage = ModulePassStage("early_fanout", lambda o: SymbolicFanoutAnalysisPass(), memoizable=True)
    pipeline = SymbolicPassPipeline(pre_cache=[*default_pre_cache(), stage])
    c = SymbolicCompiler(artifact_store=InMemoryArtifactStore(), pipeline=pipeline)
    op = hop(name="opted_in")
    first = c.compile(op)
    assert "early_fanout" in first.pass_names
    assert first.analyses["term_fanouts"] == {"term0": 3}
    assert _memoized(c.compile(op))["early_fanout"] is True


def test_sym_op_compile_uses_default_store():
    op = hop(5)
    assert op.compile() is op.compile()
    assert op.compile(cache=False) is not op.compile()


def test_key_changes():
    base = key_of(hop())
    assert key_of(hop()) == base
    changed = [
        key_of(hop(amp=2.0)),
        key_of(hop(edges=[(0, 1), (2, 3), (1, 2)])),
        key_of(hop(states=(0, 1))),
        key_of(hop(), cache_namespace="other"),
        key_of(hop(), enable_fusion=False),
        key_of(hop(), coalesce_diagonal=False),
        key_of(hop(), x_dtype="i32"),
        key_of(hop(amp=1j)),
    ]
    assert len(set([*changed, base])) == len(changed) + 1


def test_options_that_cannot_change_the_kernel_do_not_change_the_key():
    base = key_of(hop())
    assert key_of(hop(), strict_validation=False) == base
    assert key_of(hop(), backend_preference="jax") == base
    assert key_of(hop(), cache_enabled=False) == base
    assert key_of(hop(), x_dtype="i8") == base  # what "auto" resolves to for spin-1/2
    # sort_summed_rows only acts after diagonal coalescing
    off = key_of(hop(), coalesce_diagonal=False)
    assert key_of(hop(), coalesce_diagonal=False, sort_summed_rows=False) == off
    assert key_of(hop(), sort_summed_rows=False) != base


def test_normalization_unifies_equivalent_constructions():
    hi = sym.Spin(0.5, 3)
    a = (
        sym.DOperator(hi, "a")
        .for_each_site("i")
        .emit(sym.identity(), amplitude=sym.site("i") * 2.0)
    )
    b = (
        sym.DOperator(hi, "a")
        .for_each_site("i")
        .emit(sym.identity(), amplitude=2.0 * sym.site("i"))
    )
    ka, kb = key_of(a.build()), key_of(b.build())
    assert ka == kb


def test_different_edges_never_share_a_kernel():
    c = fresh()
    x = np.random.default_rng(0).choice([-1, 1], size=(16, 4))
    results = []
    for edges in ([(0, 1), (1, 2)], [(0, 2), (1, 3)], [(0, 3), (2, 3)]):
        op = hop(edges=edges)
        xp, mels = c.compile_operator(op).get_conn_padded(x)
        rxp, rmels = reference_get_conn_padded(op.to_ir(), x)
        np.testing.assert_array_equal(np.asarray(xp), rxp)
        np.testing.assert_allclose(np.asarray(mels), rmels)
        results.append(np.asarray(xp))
    assert c.cache_size == 3
    assert not np.array_equal(results[0], results[1])


def test_thread_safety_one_lowering_per_key():
    store = InMemoryArtifactStore()
    counts: dict[str, int] = {}
    lock = threading.Lock()

    class Counting(JaxSymbolicLowerer):
        def lower(self, context):
            with lock:
                counts[context.analyses["cache_token"]] = (
                    counts.get(context.analyses["cache_token"], 0) + 1
                )
            return super().lower(context)

    reg = SymbolicLowererRegistry([Counting()])
    ops = [hop(4, amp=1.0), hop(4, amp=3.0)]
    x = np.array([[1, -1, 1, -1]])
    out: list = [None] * 8
    errors = []

    def work(k):
        try:
            c = SymbolicCompiler(artifact_store=store, lowerer_registry=reg)
            op = ops[k % 2]
            out[k] = (k % 2, np.asarray(c.compile_operator(op).get_conn_padded(x)[1]))
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(counts.values()) == [1, 1]
    for which, mels in out:
        assert np.allclose(np.sort(np.abs(mels[0]))[-1], [1.0, 3.0][which])


def test_failure_triage():
    class Broken:
        def to_ir(self):
            raise RuntimeError("boom")

    with pytest.raises(SymbolicCompilerError) as e:
        fresh().compile(Broken())
    assert e.value.stage == "ir_extraction"

    class FailingPass:
        name = "my_failing_pass"

        def run(self, context):
            raise ValueError("bad")

    c = fresh()
    c.pipeline.add_post_cache(FailingPass())
    with pytest.raises(SymbolicCompilerError) as e:
        c.compile(hop())
    assert e.value.stage == "post_cache" and e.value.pass_name == "my_failing_pass"

    class FailingLowerer:
        name = "failing"

        def supports(self, context):
            return True

        def lower(self, context):
            raise RuntimeError("no")

    reg = SymbolicLowererRegistry()
    reg.register(FailingLowerer(), first=True)
    c = SymbolicCompiler(artifact_store=InMemoryArtifactStore(), lowerer_registry=reg)
    with pytest.raises(SymbolicCompilerError) as e:
        c.compile(hop())
    assert e.value.stage == "lowering" and e.value.pass_name == "failing"


def _broken_ir_operator():
    """An operator whose IR fails the verifier (two terms with one name)."""
    op = (
        sym.DOperator(sym.Spin(0.5, 3), "dup")
        .for_each_site("i")
        .emit(sym.identity(), amplitude=1.0)
        .for_each_site("j")
        .emit(sym.identity(), amplitude=2.0)
        .build()
    )
    ir = op.to_ir()
    terms = ir._module.body.block.first_op.terms
    terms[1].sym_name = terms[0].sym_name

    class Op:
        hilbert = op.hilbert

        def to_ir(self):
            return ir

    return Op()


def test_strict_validation_of_a_broken_verifier():
    op = _broken_ir_operator()
    with pytest.raises(SymbolicCompilerError) as e:
        fresh().compile(op)
    assert e.value.stage == "pre_cache" and e.value.pass_name == "symbolic_validation"
    assert "two terms named" in str(e.value)


def _shift_off_spin_states():
    """Well-formed, but `shift(i, 1)` maps no spin-1/2 state [-1, 1] to a state."""
    return (
        sym.DOperator(sym.Spin(0.5, 3), "off")
        .for_each_site("i")
        .emit(sym.shift("i", 1), amplitude=1.0)
        .for_each_site("j")
        .emit(sym.identity(), amplitude=sym.site("j") * sym.site("j") / 0)
        .build()
    )


def test_strict_validation():
    op = _shift_off_spin_states()
    with pytest.raises(SymbolicCompilerError, match="maps no local state") as e:
        fresh().compile(op)
    assert e.value.stage == "pre_cache" and e.value.pass_name == "symbolic_validation"
    assert "by the constant zero" in str(e.value)


def test_non_strict_validation_reports_and_goes_on():
    a = fresh(strict_validation=False).compile(_shift_off_spin_states())
    summary = a.analyses["validation_summary"]
    assert not summary["ok"]
    assert summary["errors"] == [
        "SYMIR-E002 term @term0, emission 0: 'sym.shift' by 1 maps no local state [-1, 1] to "
        "a local state, so every branch it emits is invalid",
        "SYMIR-E004 term @term1: 'sym.div' by the constant zero",
    ]
    assert "sym.validation_summary = {ok = false" in a.ir("sym")
    # the operator still compiles and runs as the reference says: every shifted branch
    # is invalid (mel 0), the diagonal is 1 / 0 = inf
    x = np.array([[1, -1, 1]], dtype=np.int8)
    got = a.compiled_operator.get_conn_padded(x)
    reference = reference_get_conn_padded(_shift_off_spin_states().to_ir(), x)
    assert_same_connections(got, reference, x, atol=0.0)
    assert connections(got[0][0], got[1][0]) == [((1, -1, 1), np.inf)]


def test_validation_warnings():
    hi = sym.DiscreteHilbert((0, 1, 2), 3)
    op = (
        sym.DOperator(hi, "w")
        .for_each_site("i")
        .fanout(1)
        .emit(sym.shift_mod("i", 1), amplitude=1.0 / sym.site("i"))
        .emit(sym.shift_mod("i", 2), amplitude=1.0)
        .build()
    )
    a = fresh().compile(op)
    summary = a.analyses["validation_summary"]
    assert summary["ok"] and summary["errors"] == []
    assert summary["warnings"] == [
        "SYMIR-W105 term @term0: 'sym.div' by a site read, and 0 is a local state (guard it "
        "with a predicate)",
        "SYMIR-W104 term @term0: fan-out hint 1 is smaller than rows x emissions = 6 (the kernel keeps 6 "
        "slots; the reference interpreter raises where a configuration has more active "
        "branches than the hint)",
    ]


def test_options_rejected():
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['coalesce'\].*x_dtype"):
        hop().compile(coalesce=False)
    with pytest.raises(ValueError, match="merge_exclusive_emissions must be a bool"):
        hop().compile(merge_exclusive_emissions="no")
    # every bool option, the lowering's too: "false" read as a truth value turned
    # narrow_integers on (sweep 18)
    for name in ("narrow_integers", "outline_constants", "sort_rows"):
        with pytest.raises(ValueError, match=f"{name} must be a bool, got 'false'"):
            SymbolicCompilerOptions(**{name: "false"})
    with pytest.raises(ValueError, match="enable_fusion=False turns the fusion pass off"):
        SymbolicCompilerOptions(force_fusion=("a+b",), enable_fusion=False)
    for cache in ("yes", "no", 0, None):  # read as truth values they chose by accident
        with pytest.raises(TypeError, match=r"compile\(cache=\.\.\.\) takes True or False"):
            hop().compile(cache=cache)
    with pytest.raises(ValueError, match="backend_preference"):
        SymbolicCompilerOptions(backend_preference="cuda")
    with pytest.raises(ValueError, match="cache_namespace"):
        SymbolicCompilerOptions(cache_namespace="")
    with pytest.raises(ValueError, match="enable_fusion"):
        SymbolicCompilerOptions(enable_fusion="yes")
    sig = SymbolicCompilerOptions().static_signature()
    assert ("enable_fusion", True) in sig


def test_fusion_disabled():
    # two terms flipping the same sites (sigma^x written twice, sigma^y sigma^y-like
    # amplitude), and a diagonal term: fusion merges the flips into one slot per site
    hi = sym.Spin(0.5, 3)
    op = (
        sym.DOperator(hi, "f")
        .for_each_site("i")
        .emit(sym.identity(), amplitude=1.0)
        .for_each_site("j")
        .emit(sym.write("j", -sym.site("j")), amplitude=1.0)
        .for_each_site("k")
        .emit(sym.write("k", -sym.site("k")), amplitude=sym.site("k") * 0.5)
        .build()
    )
    fused, unfused = fresh().compile(op), fresh(enable_fusion=False).compile(op)
    assert fused.metadata["fusion_groups"] == [["term0"], ["term1", "term2"]]
    assert unfused.metadata["fusion_groups"] == [["term0"], ["term1"], ["term2"]]
    assert fused.compiled_operator.max_conn_size == 4
    assert unfused.compiled_operator.max_conn_size == 7
    assert fused.metadata["fusion"]["merged"] == [
        {"emissions": ["term1", "term2"], "terms": ["term1", "term2"], "rows": 3}
    ]
    assert unfused.metadata["fusion"]["merged"] == []
    assert fused.metadata["fusion"]["fanout"] == [9, 4]
    assert unfused.metadata["fusion"]["fanout"] == [9, 7]
    np.testing.assert_allclose(
        fused.compiled_operator.to_dense(), unfused.compiled_operator.to_dense(), atol=1e-12
    )
    assert "branch-fuse-equal-states" not in unfused.pass_names
    assert "branch.fusion" in fused.ir("branch") and "branch.fusion" not in unfused.ir("branch")


def test_bounded_store_evicts_oldest():
    store = InMemoryArtifactStore(max_entries=2)
    c = SymbolicCompiler(artifact_store=store)
    keys = [c.compile(hop(amp=a)).cache_key for a in (1.0, 2.0, 3.0)]
    assert len(store) == 2 and store.get(keys[0]) is None and store.get(keys[2]) is not None


# ---------------------------------------------------------------- extension points


def test_custom_pre_and_post_cache_passes():
    seen = []

    class Tag:
        name = "tag_terms"

        def run(self, context):
            context.analyses["n_terms"] = len(context.analyses["term_order"])
            seen.append(self.name)

    c = fresh()
    c.pipeline.add_pre_cache(Tag())
    c.pipeline.add_post_cache(Tag())
    a = c.compile(hop())
    assert a.analyses["n_terms"] == 1 and a.pass_names.count("tag_terms") == 2
    assert a.cache_token() != key_of(hop())  # the pipeline is part of the key
    hit = c.compile(hop())
    assert hit.pass_names.count("tag_terms") == 1


def test_custom_lowerer_ahead_of_default():
    class Wrapping(JaxSymbolicLowerer):
        name = "wrapping"

        def supports(self, context):
            return context.analyses["term_order"] == ["term0"]

        def lower(self, context):
            artifact = super().lower(context)
            return artifact.replace(metadata={**artifact.metadata, "wrapped": True})

    reg = SymbolicLowererRegistry()
    reg.register(Wrapping(), first=True)
    c = SymbolicCompiler(artifact_store=InMemoryArtifactStore(), lowerer_registry=reg)
    a = c.compile(hop())
    assert a.lowerer_name == "wrapping" and a.metadata["wrapped"]


def test_custom_artifact_store():
    class Logging(InMemoryArtifactStore):
        def __init__(self):
            super().__init__()
            self.log = []

        def get(self, key):
            self.log.append("get")
            return super().get(key)

        def put(self, key, artifact):
            self.log.append("put")
            super().put(key, artifact)

    store = Logging()
    c = SymbolicCompiler(artifact_store=store)
    c.compile(hop())
    c.compile(hop())
    assert store.log == ["get", "get", "put", "get"]


# ---------------------------------------------------------------- disk store

_CHILD = """
import json, sys
import numpy as np
import symir as sym
from symir.compiler import DiskArtifactStore, SymbolicCompiler
op = (sym.DOperator(sym.Spin(0.5, 4), "hop").for_each(("i", "j"), over=[(0, 1), (1, 2), (2, 3)])
      .emit(sym.swap("i", "j"), amplitude=1.0).build())
a = SymbolicCompiler(artifact_store=DiskArtifactStore(sys.argv[1])).compile(op)
xp, mels = a.compiled_operator.get_conn_padded(np.array([[1, -1, 1, -1]]))
print(json.dumps({"source": a.source, "passes": a.pass_names, "mels": np.asarray(mels).tolist()}))
"""


def test_disk_store_second_process_and_corruption(tmp_path):
    store = DiskArtifactStore(tmp_path)
    c = SymbolicCompiler(artifact_store=store)
    first = c.compile(hop())
    assert first.source == "lowered" and len(store) == 1
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path)], capture_output=True, text=True, check=True
    )
    child = json.loads(out.stdout.strip().splitlines()[-1])
    assert child["source"] == "disk" and child["passes"] == PRE
    x = np.array([[1, -1, 1, -1]])
    np.testing.assert_allclose(
        child["mels"], np.asarray(first.compiled_operator.get_conn_padded(x)[1])
    )
    # corrupt / truncate the entry: a warning and a recompile, never a wrong operator
    (entry,) = tmp_path.glob("*/*.json")
    for damage in (lambda t: t[: len(t) // 2], lambda t: t.replace("swap", "swop", 1)):
        entry.write_text(damage(entry.read_text()))
        fresh_store = DiskArtifactStore(tmp_path)
        with pytest.warns(RuntimeWarning, match="corrupt"):
            again = SymbolicCompiler(artifact_store=fresh_store).compile(hop())
        assert again.source == "lowered"
        np.testing.assert_allclose(
            np.asarray(again.compiled_operator.get_conn_padded(x)[1]),
            np.asarray(first.compiled_operator.get_conn_padded(x)[1]),
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            SymbolicCompiler(artifact_store=DiskArtifactStore(tmp_path)).compile(hop()).source
            == "disk"
        )


def test_signature_from_context():
    c = fresh()
    a = c.compile(hop())
    assert isinstance(a.cache_key.token, str)
    assert SymbolicCompilationSignature  # exported


def test_compile_pauses_the_garbage_collector():
    import gc

    from symir.gc_pause import gc_paused

    seen = []

    class Probe:
        name = "probe"

        def run(self, context):
            seen.append(gc.isenabled())

    c = SymbolicCompiler(
        artifact_store=InMemoryArtifactStore(),
        pipeline=SymbolicPassPipeline(pre_cache=[*default_pre_cache(), Probe()]),
    )
    assert gc.isenabled()
    c.compile(hop())
    assert seen == [False] and gc.isenabled()
    with gc_paused():  # nested: enabled again only when the outer one ends
        c.compile(hop(amp=2.0))
        assert not gc.isenabled()
    assert seen == [False, False] and gc.isenabled()
    gc.disable()
    try:  # a collector the caller turned off stays off
        c.compile(hop(amp=3.0))
        assert not gc.isenabled()
    finally:
        gc.enable()

    class Boom:
        name = "boom"

        def run(self, context):
            raise RuntimeError("boom")

    failing = SymbolicCompiler(
        artifact_store=InMemoryArtifactStore(),
        pipeline=SymbolicPassPipeline(pre_cache=[Boom()]),
    )
    with pytest.raises(SymbolicCompilerError, match="boom"):
        failing.compile(hop())
    assert gc.isenabled()


def test_lowering_choice_options_and_cache_key():
    import jax

    expected = "gpu" if jax.default_backend() in ("gpu", "cuda", "rocm") else "cpu"
    auto = SymbolicCompilerOptions()
    assert dict(auto.static_signature())["target"] == expected
    assert auto.lowering_options().target == expected
    op = hop(edges=[(0, 2), (1, 3), (0, 1)])
    assert key_of(op) == key_of(op, target=expected)  # auto is the backend's target
    tokens = {
        key_of(op, target="cpu"),
        key_of(op, target="gpu"),
        key_of(op, read_lowering="take"),
        key_of(op, diagonal_lowering="dense"),
        key_of(op, sort_rows=False),
    }
    assert len(tokens) == 5
    for field, bad in (("target", "tpu"), ("read_lowering", "scatter"), ("diagonal_lowering", "x")):
        with pytest.raises(ValueError, match=rf"SymbolicCompilerOptions\.{field} must be one of"):
            SymbolicCompilerOptions(**{field: bad})
    with pytest.raises(ValueError, match=r"SymbolicCompilerOptions\.sort_rows must be a bool"):
        SymbolicCompilerOptions(sort_rows="yes")
