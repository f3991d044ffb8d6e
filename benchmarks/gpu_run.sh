#!/usr/bin/env bash
# symir's checks and reduced benchmarks on a lent GPU machine, in one command.
#
# The machine has python3 with jax/jaxlib and the CUDA plugin but no xdsl, netket and some
# of netket's needs: they travel as wheels in .whl/ (carried, ignored by git) and go into
# /tmp/site, and so does a copy of symir laid out as setup.py installs it, with a dist-info
# for its entry points (NetKet's integration is found through `symir.integrations`). Each group runs
# under `timeout`, in order of importance, within one overall budget (GPU_RUN_BUDGET_S,
# default 400 s from the start), its output in one log under $OUT:
#   00_env.log  01_check.log  02_lattices.log  03_expect.log  04_fermions.log  05_rest.log
# GPU_RUN_PLAN=second runs the checks, then what the first plan's budget left out
# (determinant updates, larger random molecules, fusion, many terms) and
# gpu_kernels.py, which writes the optimized HLO of symir's and NetKet's kernels to
# $OUT/kernels: 01_check.log 06_second.log. GPU_RUN_PLAN=third: the checks, then
# eloc_packed.py on networks with logarithmic activations, determinants, sampler:
# 08_third.log. GPU_RUN_PLAN=complex: the checks, then eloc_packed.py on complex
# networks: 09_complex.log. GPU_RUN_PLAN=slater: gpu_slater.py alone. GPU_RUN_PLAN=molecules:
# the checks, then chemistry.py and eloc_packed.py on real molecules read from FCIDUMP files
# in .fcidumps/ (carried; `python benchmarks/_molecules.py .fcidumps NAME...` writes them
# where PySCF is installed): 10_molecules.log.
# Wall-clock ratios (block_until_ready) are the ones that mean anything on a GPU; the
# scripts that also print process-CPU ratios print both.
#
#   bash benchmarks/gpu_run.sh                                  # on the device (run tool)
#   OUT=/tmp/gpuout JAX_PLATFORMS=cpu PY=/path/to/python3.12 GPU_RUN_SITE=/tmp/site2 \
#       GPU_RUN_BUDGET_S=2400 GPU_RUN_LIMIT_SCALE=5 bash benchmarks/gpu_run.sh  # here, 2 cores
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu_run_out}
PY=${PY:-python3}
SITE=${GPU_RUN_SITE:-/tmp/site}
BUDGET=${GPU_RUN_BUDGET_S:-400}
SCALE=${GPU_RUN_LIMIT_SCALE:-1} # every group's limit times this (a slower machine)
START=$(date +%s)
mkdir -p "$OUT" "$SITE"
export PYTHONUNBUFFERED=1
# JAX takes 75% of the GPU's memory per process by default: any_network.py's subprocess for
# NetKet's packed kernel runs beside its parent
export XLA_PYTHON_CLIENT_PREALLOCATE=false

{
    echo "== $(date -u) on $(hostname), budget ${BUDGET} s"
    if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1; then
        "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target "$SITE" .whl/*.whl || echo "WHEEL INSTALL FAILED"
    else
        echo "no .whl/ folder: xdsl and netket must be importable already"
    fi
    # symir installed by hand, as setup.py lays it out (symir/, dialects/ as
    # symir.dialects, lowering/ as symir.lowering), with a dist-info for its entry points
    rm -rf "$SITE/symir" && cp -r symir "$SITE/symir" && cp -r dialects "$SITE/symir/dialects" \
        && cp -r lowering "$SITE/symir/lowering" || echo "SYMIR COPY FAILED"
    "$PY" - "$SITE" <<'EOF'
import pathlib
import sys
import tomllib

project = tomllib.loads(pathlib.Path("pyproject.toml").read_text())["project"]
info = pathlib.Path(sys.argv[1]) / f"symir-{project['version']}.dist-info"
info.mkdir(parents=True, exist_ok=True)
(info / "METADATA").write_text(
    f"Metadata-Version: 2.1\nName: symir\nVersion: {project['version']}\n"
)
groups = {"console_scripts": project.get("scripts", {}), **project.get("entry-points", {})}
text = "".join(
    f"[{g}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()) + "\n"
    for g, entries in groups.items()
)
(info / "entry_points.txt").write_text(text)
print(f"entry points written to {info}")
EOF
    nvidia-smi 2>&1 | head -20 || true
    "$PY" -c "import sys; print(sys.version)"
} >"$OUT/00_env.log" 2>&1

export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
# -P: not this folder first on sys.path (its symir/ lacks symir.dialects)
"$PY" -P - >>"$OUT/00_env.log" 2>&1 <<'EOF'
from importlib.metadata import version

import jax

for name in ("jax", "jaxlib", "jax-cuda13-plugin", "numpy", "scipy", "numba", "flax", "optax",
             "equinox", "netket", "xdsl", "symir"):
    try:
        print(name, version(name))
    except Exception as e:
        print(name, "MISSING", e)
import netket
import symir.integrations.netket
import xdsl

print("devices", jax.devices(), "symir from", symir.__file__)
EOF
cat "$OUT/00_env.log"

# run LOG LIMIT_S COMMAND...: the command under `timeout`, at most LIMIT_S and at most what
# is left of the budget, appended to $OUT/LOG
run() {
    local log=$1 limit=$2
    shift 2
    limit=$((limit * SCALE))
    local left=$((BUDGET - ($(date +%s) - START)))
    [ "$left" -lt "$limit" ] && limit=$left
    if [ "$limit" -le 5 ]; then
        echo "== SKIPPED (budget spent): $*" | tee -a "$OUT/$log"
        return
    fi
    echo "== $(date -u +%T) [${limit} s] $*" | tee -a "$OUT/$log"
    local t0
    t0=$(date +%s)
    timeout --kill-after=5 "$limit" "$PY" "$@" >>"$OUT/$log" 2>&1
    local rc=$?
    echo "== rc $rc after $(($(date +%s) - t0)) s: $*" | tee -a "$OUT/$log"
}

B=benchmarks
if [ "${GPU_RUN_PLAN:-main}" = slater ]; then
    # a determinant network's local energies piece by piece, optimized HLO in $OUT/slater
    run 07_slater.log 300 $B/gpu_slater.py --dump "$OUT/slater" --rounds 5
    exit 0
fi
if [ "${GPU_RUN_PLAN:-main}" = third ]; then
    # the checks, then the networks whose activations take logarithms (fast_logs is CPU
    # only: on the GPU the program keeps XLA's log), the sampler and determinant updates
    run 01_check.log 180 $B/gpu_check.py
    run 08_third.log 150 $B/eloc_packed.py heisenberg6:logcosh j1j2:curbm j1j2:softplus \
        tfim4:logcosh bh4:mlp32 --rounds 5 --samples 4096
    run 08_third.log 60 $B/determinants.py --kinds restricted,user --rounds 3
    run 08_third.log 40 $B/sampler.py --models tfim4,j1j2 --networks rbm --extra "" --rounds 3
    echo "== done in $(($(date +%s) - START)) s"
    exit 0
fi
if [ "${GPU_RUN_PLAN:-main}" = molecules ]; then
    # the checks, then real molecules (FCIDUMP files in .fcidumps/, written here by
    # benchmarks/_molecules.py: the machine has no PySCF) and the fused local energies
    export SYMIR_FCIDUMPS=$PWD/.fcidumps
    run 01_check.log 150 $B/gpu_check.py
    run 10_molecules.log 200 $B/chemistry.py --molecules h2o_631g,c2h4_sto3g,n2_631g,co_631g,n2_ccpvdz \
        --batch 1024 --rounds 10
    run 10_molecules.log 150 $B/eloc_packed.py h2o631g:mlp64 n2631g:mlp64 tfim34:user bh33:mlp1 \
        --rounds 5 --samples 1024
    echo "== done in $(($(date +%s) - START)) s"
    exit 0
fi
if [ "${GPU_RUN_PLAN:-main}" = complex ]; then
    # complex networks: on the GPU their programs run as written (complex_pairs is CPU's)
    run 01_check.log 180 $B/gpu_check.py
    run 09_complex.log 100 $B/eloc_packed.py j1j2:curbm heisenberg6:cmlp --rounds 5 \
        --samples 4096
    echo "== done in $(($(date +%s) - START)) s"
    exit 0
fi
if [ "${GPU_RUN_PLAN:-main}" = second ]; then
    run 01_check.log 180 $B/gpu_check.py
    run 06_second.log 40 $B/gpu_kernels.py --dump "$OUT/kernels" --rounds 30
    run 06_second.log 90 $B/determinants.py --kinds restricted,user --rounds 3
    run 06_second.log 80 $B/chemistry.py --sizes 16,20 --batch 1024 --rounds 5 --repetitions 1
    run 06_second.log 45 $B/many_terms.py --model pauli --input list --sizes 1000,10000 \
        --sites 32 --batch 512 --rounds 10
    run 06_second.log 45 $B/many_terms.py --model couplings --input list --sizes 1000,10000 \
        --sites 36 --batch 512 --rounds 10
    run 06_second.log 40 $B/fusion.py --sections conn --repeat 1 --rounds 5 \
        --models heisenberg,j1j2 --lattices chain64,square8
    echo "== done in $(($(date +%s) - START)) s"
    exit 0
fi
# 1. correctness on the GPU and on the CPU device of the same process
run 01_check.log 180 $B/gpu_check.py
# 2. get_conn_padded on lattices
run 02_lattices.log 80 $B/lattices.py --sections table,batch --repeat 1 --rounds 10 \
    --lattices chain64,square8,honeycomb6 --batches 256,4096,16384
run 02_lattices.log 25 $B/get_conn_padded.py --rounds 10
# 3. expect_and_grad against NetKet's default and packed kernels
run 03_expect.log 90 $B/any_network.py --models tfim6,bh4,fh4 --networks mlp1,rbm \
    --samples 4096 --rounds 5 --packed-timeout 40
run 03_expect.log 30 $B/eloc_packed.py tfim6:mlp2 j1j2:mlp1 --rounds 5 --samples 4096
# 4. fermions and molecules (random integrals)
run 04_fermions.log 30 $B/fermions.py --rounds 10
run 04_fermions.log 45 $B/chemistry.py --sizes 8,12,16 --batch 256 --rounds 5 --repetitions 1
# 5. the rest
run 05_rest.log 30 $B/determinants.py --kinds restricted,multi,user --rounds 3
run 05_rest.log 30 $B/gradients.py --rounds 10
run 05_rest.log 30 $B/pauli_scaling.py --sizes 100,1000 --repeats 3
run 05_rest.log 30 $B/sampler.py --models tfim4,j1j2 --networks rbm --extra "" --rounds 3
run 05_rest.log 30 $B/fusion.py --sections conn --repeat 1 --rounds 5 --models heisenberg,j1j2 \
    --lattices chain64,square8
echo "== done in $(($(date +%s) - START)) s"
