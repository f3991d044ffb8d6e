// branch-differentiate: the kernel also returns, after xp and mels, the derivative of mels
// along every real direction of every parameter (`wrt`; all by default), slot for slot:
// tangents propagate forward through the ops that compute mels, whatever the branch passes
// made of them. A splat of the parameter is seeded with 1 (complex: 1 and i); an emit gets a
// twin emit with the tangent amplitude, the same state and mask; sum_rows and concat follow
// (zeros where a part does not depend on the parameter); the other ops use the rules of
// sym-differentiate (tests/lit/lowering/sym/sym-differentiate.mlir, one case per rule).
//
// RUN: symir-opt %s --split-input-file -p branch-differentiate | filecheck %s
// RUN: symir-opt %s --split-input-file -p 'branch-differentiate{wrt=h}' | filecheck %s --check-prefix=WRT
// RUN: symir-opt %s --split-input-file -p branch-differentiate,branch-differentiate | filecheck %s --check-prefix=ORDER2
// RUN: symir-opt %s --split-input-file -p branch-differentiate,convert-branch-to-stablehlo | filecheck %s --check-prefix=HLO
// RUN: symir-opt %s --split-input-file -p branch-differentiate 2>&1 >/dev/null | filecheck %s --check-prefix=WARN
// RUN: not symir-opt %s --split-input-file -p 'branch-differentiate{wrt=nope}' 2>&1 | filecheck %s --check-prefix=ERR

// A delta kernel (branch-return-deltas) gets the same derivatives, after its sites, values
// and mels; {tables=true} (first derivatives of a branch.return only) refuses it.
// RUN: symir-opt %s --split-input-file -p branch-return-deltas,branch-differentiate 2>/dev/null | filecheck %s --check-prefix=DELTAS
// RUN: not symir-opt %s --split-input-file -p 'branch-return-deltas,branch-differentiate{tables=true}' 2>&1 | filecheck %s --check-prefix=TABLES

// ERR: symir-opt: error: ValueError: branch-differentiate: kernel @flip has no parameter(s) ['nope']; its parameters are ['h']
// TABLES: ValueError: branch-differentiate{tables=true}: kernel @flip must end with a 'branch.return' of xp and mels only (first derivatives) (at op 'branch.return_deltas')

// DELTAS-LABEL: branch.kernel @flip
// DELTAS: branch.return_deltas %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {wrt = ["h"]} : tensor<?x2x1xi64>, tensor<?x2x1xi64>, tensor<?x2xf64>, tensor<?x2xf64>
// DELTAS-LABEL: branch.kernel @diag
// DELTAS: branch.return_deltas %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {wrt = ["J", "h"]} : tensor<?x3x1xi64>, tensor<?x3x1xi64>, tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64>
// DELTAS-LABEL: branch.kernel @chain
// DELTAS: branch.return_deltas {{.*}} {wrt = ["h"]}
// DELTAS-LABEL: branch.kernel @zphase
// DELTAS: branch.return_deltas {{.*}} {wrt = ["re(h)", "im(h)"]}
// DELTAS-LABEL: branch.kernel @threshold
// DELTAS: branch.return_deltas {{.*}} {wrt = ["h"]}

// A splat of h is seeded with 1; the emit gets a twin with the tangent amplitude and the
// same state and mask; the return lists the derivative after mels, named in wrt.
// CHECK-LABEL: branch.kernel @flip
// CHECK: %[[S:.*]] = branch.write
// CHECK: %[[H:.*]] = branch.splat %h, %x
// CHECK-NEXT: %[[ONE:.*]] = branch.constant %x {value = 1.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[A:.*]] = branch.neg %[[H]]
// CHECK-NEXT: %[[DA:.*]] = branch.neg %[[ONE]]
// CHECK-NEXT: %[[M:.*]] = branch.constant %x {value = true}
// CHECK-NEXT: %[[XP:.*]], %[[MEL:.*]] = branch.emit %x, %[[S]], %[[A]], %[[M]] {term = "term0"}
// CHECK-NEXT: %{{.*}}, %[[DMEL:.*]] = branch.emit %x, %[[S]], %[[DA]], %[[M]] {term = "term0"}
// CHECK-NEXT: %[[XPS:.*]] = branch.concat %[[XP]]
// CHECK-NEXT: %[[MELS:.*]] = branch.concat %[[MEL]]
// CHECK-NEXT: %[[DMELS:.*]] = branch.concat %[[DMEL]]
// CHECK-NEXT: branch.return %[[XPS]], %[[MELS]], %[[DMELS]] {wrt = ["h"]} : tensor<?x2x2xi8>, tensor<?x2xf64>, tensor<?x2xf64>
// Applied twice: the derivatives of mels and of d/dh (zero: -h is linear), named "h" and "h,h".
// ORDER2-LABEL: branch.kernel @flip
// ORDER2: %[[ZERO:.*]] = branch.constant %x {value = 0.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
// ORDER2-NEXT: branch.return %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ZERO]] {wrt = ["h", "h", "h,h"]}
// Lowered: @main returns the derivative after mels.
// HLO-LABEL: func.func @main(%x: tensor<?x2xi8>, %h: tensor<f64>) -> (tensor<?x2x2xi8>, tensor<?x2xf64>, tensor<?x2xf64>)
// HLO: func.return %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x2x2xi8>, tensor<?x2xf64>, tensor<?x2xf64>
builtin.module {
  branch.kernel @flip sites 2 states [-1, 1] dtype f64 params ["h"] {
  ^bb0(%x: tensor<?x2xi8>, %h: tensor<f64>):
    %0 = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
    %1 = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %2 = branch.read %x, %1 : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %3 = branch.neg %2 : tensor<?x2xi64> -> tensor<?x2xi64>
    %4 = branch.write %0, %1, %3 : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
    %5 = branch.splat %h, %x : tensor<f64>, tensor<?x2xi8> -> tensor<?x2xf64>
    %6 = branch.neg %5 : tensor<?x2xf64> -> tensor<?x2xf64>
    %7 = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
    %8, %9 = branch.emit %x, %4, %6, %7 {term = "term0"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
    %10 = branch.concat %8 : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
    %11 = branch.concat %9 : tensor<?x2xf64> -> tensor<?x2xf64>
    branch.return %10, %11 : tensor<?x2x2xi8>, tensor<?x2xf64>
  }
}

// -----

// A coalesced diagonal: the tangent of a sum_rows is the sum_rows of the tangents; a part
// of the output concat that does not depend on a parameter gets zeros of its width. One
// derivative per parameter, in the kernel's order (J, h); wrt=h gives only h's.
// CHECK-LABEL: branch.kernel @diag
// CHECK: %[[J:.*]] = branch.splat %J, %x
// CHECK-NEXT: %[[ONE:.*]] = branch.constant %x {value = 1.000000e+00 : f64}
// CHECK: %[[RJ:.*]] = branch.mul %[[R:.*]], %[[ONE]]
// CHECK: %{{.*}}, %[[BOND:.*]] = branch.emit %x, %[[ID:.*]], %{{.*}}, %[[T:.*]] {term = "term0"}
// CHECK-NEXT: %{{.*}}, %[[DBOND:.*]] = branch.emit %x, %[[ID]], %{{.*}}, %[[T]] {term = "term0"}
// CHECK: %{{.*}}, %[[FLIP:.*]] = branch.emit %x, %[[W:.*]], %{{.*}}, %[[T2:.*]] {term = "term1"}
// CHECK-NEXT: %{{.*}}, %[[DFLIP:.*]] = branch.emit %x, %[[W]], %{{.*}}, %[[T2]] {term = "term1"}
// CHECK-NEXT: %[[SUM:.*]] = branch.sum_rows %[[BOND]]
// CHECK-NEXT: %[[DSUM:.*]] = branch.sum_rows %[[DBOND]]
// CHECK: %{{.*}}, %[[DIAG:.*]] = branch.emit %x, %[[D:.*]], %[[SUM]], %[[T3:.*]] {term = "diagonal"}
// CHECK-NEXT: %{{.*}}, %[[DDIAG:.*]] = branch.emit %x, %[[D]], %[[DSUM]], %[[T3]] {term = "diagonal"}
// CHECK: %[[MELS:.*]] = branch.concat %[[DIAG]], %[[FLIP]]
// CHECK-NEXT: %[[Z2:.*]] = branch.constant %x {value = 0.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[DJ:.*]] = branch.concat %[[DDIAG]], %[[Z2]]
// CHECK-NEXT: %[[Z1:.*]] = branch.constant %x {value = 0.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x1xf64>
// CHECK-NEXT: %[[DH:.*]] = branch.concat %[[Z1]], %[[DFLIP]]
// CHECK-NEXT: branch.return %{{.*}}, %[[MELS]], %[[DJ]], %[[DH]] {wrt = ["J", "h"]}
// WRT-LABEL: branch.kernel @diag
// WRT: branch.sum_rows
// WRT-NOT: branch.sum_rows
// WRT: branch.return %{{.*}}, %{{.*}}, %{{.*}} {wrt = ["h"]} : tensor<?x3x2xi8>, tensor<?x3xf64>, tensor<?x3xf64>
builtin.module {
  branch.kernel @diag sites 2 states [-1, 1] dtype f64 params ["J", "h"] {
  ^bb0(%x: tensor<?x2xi8>, %J: tensor<f64>, %h: tensor<f64>):
    %0 = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
    %1 = branch.splat %J, %x : tensor<f64>, tensor<?x2xi8> -> tensor<?x2xf64>
    %2 = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %3 = branch.read %x, %2 : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %4 = branch.mul %1, %3 : tensor<?x2xf64>, tensor<?x2xi64> -> tensor<?x2xf64>
    %5 = branch.column %x {values = array<i64: 1, 0>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %6 = branch.read %x, %5 : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %7 = branch.mul %4, %6 : tensor<?x2xf64>, tensor<?x2xi64> -> tensor<?x2xf64>
    %8 = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
    %9, %10 = branch.emit %x, %0, %7, %8 {term = "term0"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
    %11 = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
    %12 = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %13 = branch.read %x, %12 : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %14 = branch.neg %13 : tensor<?x2xi64> -> tensor<?x2xi64>
    %15 = branch.write %11, %12, %14 : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
    %16 = branch.splat %h, %x : tensor<f64>, tensor<?x2xi8> -> tensor<?x2xf64>
    %17 = branch.neg %16 : tensor<?x2xf64> -> tensor<?x2xf64>
    %18 = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
    %19, %20 = branch.emit %x, %15, %17, %18 {term = "term1"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
    %21 = branch.sum_rows %10 : tensor<?x2xf64> -> tensor<?x1xf64>
    %22 = branch.state %x : tensor<?x2xi8> -> !branch.state<1x2xi8>
    %23 = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x1xi1>
    %24, %25 = branch.emit %x, %22, %21, %23 {term = "diagonal"} : tensor<?x2xi8>, !branch.state<1x2xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x2xi8>, tensor<?x1xf64>
    %26 = branch.concat %24, %19 : tensor<?x1x2xi8>, tensor<?x2x2xi8> -> tensor<?x3x2xi8>
    %27 = branch.concat %25, %20 : tensor<?x1xf64>, tensor<?x2xf64> -> tensor<?x3xf64>
    branch.return %26, %27 : tensor<?x3x2xi8>, tensor<?x3xf64>
  }
}

// -----

// A merged emit_if chain: the amplitude is a branch.select of the arms', so is its tangent
// (d(2h) = 2, d(h h) = 2h); the selected state and the mask are shared.
// CHECK-LABEL: branch.kernel @chain
// CHECK: %[[C:.*]] = branch.cmp
// CHECK: %[[A1:.*]] = branch.mul %[[TWO:.*]], %[[H1:.*]] :
// CHECK-NEXT: %[[D1:.*]] = branch.mul %[[TWO]], %[[ONE:.*]] :
// CHECK: %[[A2:.*]] = branch.mul %[[H2:.*]], %[[H2]] :
// CHECK-NEXT: %[[L:.*]] = branch.mul %[[H2]], %[[ONE2:.*]] :
// CHECK-NEXT: %[[R:.*]] = branch.mul %[[H2]], %[[ONE2]] :
// CHECK-NEXT: %[[D2:.*]] = branch.add %[[L]], %[[R]]
// CHECK-NEXT: %[[ST:.*]] = branch.select_state %[[C]]
// CHECK-NEXT: %[[A:.*]] = branch.select %[[C]], %[[A1]], %[[A2]]
// CHECK-NEXT: %[[DA:.*]] = branch.select %[[C]], %[[D1]], %[[D2]]
// CHECK-NEXT: %[[M:.*]] = branch.or
// CHECK-NEXT: branch.emit %x, %[[ST]], %[[A]], %[[M]]
// CHECK-NEXT: branch.emit %x, %[[ST]], %[[DA]], %[[M]]
builtin.module {
  branch.kernel @chain sites 2 states [0, 1, 2] dtype f64 params ["h"] {
  ^bb0(%x: tensor<?x2xi8>, %h: tensor<f64>):
    %0 = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %1 = branch.read %x, %0 : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %2 = branch.constant %x {value = 0 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
    %3 = branch.cmp eq %1, %2 : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
    %4 = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
    %5 = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %6 = branch.constant %x {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
    %7 = branch.write %4, %5, %6 : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
    %8 = branch.constant %x {value = 2.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
    %9 = branch.splat %h, %x : tensor<f64>, tensor<?x2xi8> -> tensor<?x2xf64>
    %10 = branch.mul %8, %9 : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x2xf64>
    %11 = branch.not %3 : tensor<?x2xi1> -> tensor<?x2xi1>
    %12 = branch.and %11 : tensor<?x2xi1> -> tensor<?x2xi1>
    %13 = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
    %14 = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %15 = branch.constant %x {value = 0 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
    %16 = branch.write %13, %14, %15 : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
    %17 = branch.splat %h, %x : tensor<f64>, tensor<?x2xi8> -> tensor<?x2xf64>
    %18 = branch.mul %17, %17 : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x2xf64>
    %19 = branch.select_state %3, %7, %16 : tensor<?x2xi1>, !branch.state<2x2xi8>, !branch.state<2x2xi8> -> !branch.state<2x2xi8>
    %20 = branch.select %3, %10, %18 : tensor<?x2xi1>, tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x2xf64>
    %21 = branch.or %3, %12 : tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
    %22, %23 = branch.emit %x, %19, %20, %21 {term = "term0"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
    %24 = branch.concat %22 : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
    %25 = branch.concat %23 : tensor<?x2xf64> -> tensor<?x2xf64>
    branch.return %24, %25 : tensor<?x2x2xi8>, tensor<?x2xf64>
  }
}

// -----

// A complex parameter: two real directions, seeded with 1 and i, named re(h) and im(h).
// CHECK-LABEL: branch.kernel @zphase
// CHECK: %[[H:.*]] = branch.splat %h, %x
// CHECK-NEXT: %[[R1:.*]] = branch.constant %x {value = 1.000000e+00 : f64}
// CHECK-NEXT: %[[R0:.*]] = branch.constant %x {value = 0.000000e+00 : f64}
// CHECK-NEXT: %[[RE:.*]] = branch.complex %[[R1]], %[[R0]]
// CHECK-NEXT: %[[I0:.*]] = branch.constant %x {value = 0.000000e+00 : f64}
// CHECK-NEXT: %[[I1:.*]] = branch.constant %x {value = 1.000000e+00 : f64}
// CHECK-NEXT: %[[IM:.*]] = branch.complex %[[I0]], %[[I1]]
// CHECK: branch.mul %[[S:.*]], %[[RE]]
// CHECK-NEXT: branch.mul %[[S]], %[[IM]]
// CHECK: branch.return {{.*}} {wrt = ["re(h)", "im(h)"]} : tensor<?x2x2xi8>, tensor<?x2xcomplex<f64>>, tensor<?x2xcomplex<f64>>, tensor<?x2xcomplex<f64>>
builtin.module {
  branch.kernel @zphase sites 2 states [-1, 1] dtype complex<f64> params ["h"] {
  ^bb0(%x: tensor<?x2xi8>, %h: tensor<complex<f64>>):
    %0 = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
    %1 = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %2 = branch.read %x, %1 : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %3 = branch.neg %2 : tensor<?x2xi64> -> tensor<?x2xi64>
    %4 = branch.write %0, %1, %3 : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
    %5 = branch.splat %h, %x : tensor<complex<f64>>, tensor<?x2xi8> -> tensor<?x2xcomplex<f64>>
    %6 = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %7 = branch.read %x, %6 : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %8 = branch.mul %5, %7 : tensor<?x2xcomplex<f64>>, tensor<?x2xi64> -> tensor<?x2xcomplex<f64>>
    %9 = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
    %10, %11 = branch.emit %x, %4, %8, %9 {term = "term0"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xcomplex<f64>>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xcomplex<f64>>
    %12 = branch.concat %10 : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
    %13 = branch.concat %11 : tensor<?x2xcomplex<f64>> -> tensor<?x2xcomplex<f64>>
    branch.return %12, %13 : tensor<?x2x2xi8>, tensor<?x2xcomplex<f64>>
  }
}

// -----

// h decides the mask (where(site > h)): the tangent emit keeps the mask as it is, and
// the pass warns that the step is left out.
// CHECK-LABEL: branch.kernel @threshold
// CHECK: %[[MASK:.*]] = branch.cmp gt %{{.*}}, %{{.*}}
// CHECK: branch.emit %x, %[[S:.*]], %{{.*}}, %[[MASK]]
// CHECK-NEXT: branch.emit %x, %[[S]], %{{.*}}, %[[MASK]]
// WARN: symir-opt: warning: branch-differentiate: kernel @threshold: parameter 'h' decides term @term0: its mask; the derivative of mels with respect to 'h' leaves that dependence out
builtin.module {
  branch.kernel @threshold sites 2 states [0, 1, 2] dtype f64 params ["h"] {
  ^bb0(%x: tensor<?x2xi8>, %h: tensor<f64>):
    %0 = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %1 = branch.read %x, %0 : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %2 = branch.splat %h, %x : tensor<f64>, tensor<?x2xi8> -> tensor<?x2xf64>
    %3 = branch.cmp gt %1, %2 : tensor<?x2xi64>, tensor<?x2xf64> -> tensor<?x2xi1>
    %4 = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
    %5 = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %6 = branch.constant %x {value = -1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
    %7 = branch.read %x, %5 : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %8 = branch.add %7, %6 : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
    %9 = branch.write %4, %5, %8 {checked} : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
    %10 = branch.splat %h, %x : tensor<f64>, tensor<?x2xi8> -> tensor<?x2xf64>
    %11 = branch.constant %x {value = 2.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
    %12 = branch.mul %10, %11 : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x2xf64>
    %13, %14 = branch.emit %x, %9, %12, %3 {term = "term0"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
    %15 = branch.concat %13 : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
    %16 = branch.concat %14 : tensor<?x2xf64> -> tensor<?x2xf64>
    branch.return %15, %16 : tensor<?x2x2xi8>, tensor<?x2xf64>
  }
}
