"""The "Inspection workflow" of the spec (symbolic-system-architecture.txt), definition part.

```python
sym_op = (
    sym.DOperator(hi, "demo")
    .for_each_site("i")
    .where(sym.site("i") > 0)
    .emit(sym.shift("i", -1), amplitude=1.0)
    .build()
)
ir = sym_op.to_ir()
print(ir.operator_name, ir.term_count)
print(ir.static_fingerprint())
print(ir)
```

On Spin-1/2 the local states are -1, +1: `shift(-1)` from +1 gives 0, outside the local
states. The definition is valid (the verifier accepts it); compiling it fails strict
`symbolic_validation`, because the shift maps no local state to a local state (see
tests/unit/test_spec_examples.py, which runs the whole workflow on a Fock space).
"""

from __future__ import annotations

import re

import netket as nk
import pytest

import symir as sym

EXPECTED_IR = """\
builtin.module {
  sym.operator @demo sites 4 states [-1, 1] dtype f64 {
    sym.term @term0 kind "site" labels ["i"] rows [[0], [1], [2], [3]] {
      %0 = sym.label "i"
      %1 = sym.read %0 : i64
      %2 = sym.constant 0 : i64
      %3 = sym.cmp gt %1, %2 : i64, i64
      sym.where %3
      sym.emission {
        %4 = sym.label "i"
        %5 = sym.constant -1 : i64
        sym.shift %4, %5
      } amplitude {
        %6 = sym.constant 1.000000e+00 : f64
        sym.yield %6 : f64
      }
    }
  }
}
"""


def demo(hi) -> sym.SymbolicOperator:
    return (
        sym.DOperator(hi, "demo")
        .for_each_site("i")
        .where(sym.site("i") > 0)
        .emit(sym.shift("i", -1), amplitude=1.0)
        .build()
    )


HILBERTS = {
    "netket": lambda: nk.hilbert.Spin(0.5, 4),
    "symir": lambda: sym.Spin(0.5, 4),
}


@pytest.mark.parametrize("which", list(HILBERTS))
def test_inspection_workflow_definition_output(which, capsys):
    hi = HILBERTS[which]()
    sym_op = demo(hi)
    assert sym_op.hilbert is hi  # the NetKet object is kept as given

    # Definition output
    ir = sym_op.to_ir()
    print(ir.operator_name, ir.term_count)
    print(ir.static_fingerprint())
    print(ir)
    out = capsys.readouterr().out.splitlines(keepends=True)

    assert ir.operator_name == "demo" and ir.term_count == 1
    assert out[0] == "demo 1\n"
    assert re.fullmatch(r"[0-9a-f]{64}\n", out[1])
    assert "".join(out[2:]) == EXPECTED_IR + "\n"

    (term,) = ir.terms
    assert term.kind == "site" and term.labels == ("i",)
    assert term.rows == ((0,), (1,), (2,), (3,))
    assert term.has_predicate and term.emission_count == 1
    assert ir.hilbert_size == 4 and ir.local_states == (-1, 1)
    assert ir.dtype_str == "float64" and sym_op.dtype == "float64"
    assert sym_op.max_conn_size == 4


def test_netket_and_symir_hilbert_give_the_same_ir():
    a = demo(nk.hilbert.Spin(0.5, 4)).to_ir()
    b = demo(sym.Spin(0.5, 4)).to_ir()
    assert str(a) == str(b) == EXPECTED_IR
    assert a.static_fingerprint() == b.static_fingerprint()
