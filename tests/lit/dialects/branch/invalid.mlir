// Every verifier message of the branch dialect (every `raise VerifyException` in
// dialects/branch/ that a user can reach from text) and the parse error of the
// !branch.state type. One case per split chunk; never write the split marker in a comment.
//
// RUN: symir-opt %s --split-input-file --verify-diagnostics --parsing-diagnostics | filecheck %s
//
// As in tests/lit/dialects/sym/invalid.mlir: `{{^}}` anchors each CHECK to the first
// (unannotated) copy of the message, so a chunk without an error cannot borrow the next
// chunk's message. `"test.op"` makes values of types no branch op produces.
//
// Not reachable from text (IRDL's operand/result constraints reject a non-state value
// before the op's verifier runs): `'<op>' expects a !branch.state, got <type>`.

// branch.kernel: first argument has the wrong site count
// CHECK: {{^}}'branch.kernel' first argument must be tensor<?x4xiK>, got tensor<?x3xi8>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %xp = "test.op"() : () -> tensor<?x1x4xi8>
  %mel = "test.op"() : () -> tensor<?x1xf64>
  branch.return %xp, %mel : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.kernel: more sites than a kernel can hold (test.termop: branch.return would check
// its types against the sites first)
// CHECK: {{^}}'branch.kernel' has 16777217 sites, outside [1, 16777216]
branch.kernel @k sites 16777217 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  "test.termop"() : () -> ()
}

// -----

// branch.kernel: configurations of a non-integer type
// CHECK: {{^}}'branch.kernel' configurations must have element type i8, i16, i32 or i64, got f64
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xf64>):
  "test.termop"() : () -> ()
}

// -----

// branch.kernel: local states the configurations' type cannot hold
// CHECK: {{^}}'branch.kernel' local states [0, 255] do not fit the configurations' element type i8
branch.kernel @k sites 4 states [0, 255] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  "test.termop"() : () -> ()
}

// -----

// branch.kernel: configurations that are not a tensor (its branch.return, verified before
// the kernel, leaves the report to it)
// CHECK: {{^}}'branch.kernel' configurations must be a tensor<?xNxiK>, got i64
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: i64):
  %xp = "test.op"() : () -> tensor<?x1x4xi8>
  %mel = "test.op"() : () -> tensor<?x1xf64>
  branch.return %xp, %mel : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.kernel: no block arguments at all (test.termop: branch.return would read the missing argument)
// CHECK: {{^}}'branch.kernel' first argument must be tensor<?x4xiK>, got nothing
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0:
  "test.termop"() : () -> ()
}

// -----

// branch.kernel: configurations of the wrong rank (checked before the site count)
// CHECK: {{^}}'branch.kernel' configurations must be a tensor<?xNxiK>, got tensor<4xi8>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<4xi8>):
  %xp = "test.op"() : () -> tensor<?x1x4xi8>
  %mel = "test.op"() : () -> tensor<?x1xf64>
  branch.return %xp, %mel : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.kernel: parameter names and arguments differ in number
// CHECK: {{^}}'branch.kernel' has 1 parameter names but 0 parameter arguments
branch.kernel @k sites 4 states [-1, 1] dtype f64 params ["h"] {
^bb0(%x: tensor<?x4xi8>):
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.kernel: a parameter that is neither a 0-d tensor nor a table
// CHECK: {{^}}'branch.kernel' parameters must be 0-d tensors or tables (tensor<Kxf64>), got tensor<2x2xf64>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params ["h"] {
^bb0(%x: tensor<?x4xi8>, %h: tensor<2x2xf64>):
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.return: xp with the wrong number of sites
// CHECK: {{^}}'branch.return' xp must be tensor<?xFx4xiK>, got tensor<?x1x3xi8>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %bad = "test.op"() : () -> tensor<?x1x3xi8>
  branch.return %bad, %mel_ : tensor<?x1x3xi8>, tensor<?x1xf64>
}

// -----

// branch.return: mels with a width other than xp's
// CHECK: {{^}}'branch.return' mels must be tensor<?x1xf64>, got tensor<?x2xf64>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %bad = "test.op"() : () -> tensor<?x2xf64>
  branch.return %xp_, %bad : tensor<?x1x4xi8>, tensor<?x2xf64>
}

// -----

// branch.return: mels of another element type than the kernel dtype
// CHECK: {{^}}'branch.return' mels must be tensor<?x1xf64>, got tensor<?x1xcomplex<f64>>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %bad = "test.op"() : () -> tensor<?x1xcomplex<f64>>
  branch.return %xp_, %bad : tensor<?x1x4xi8>, tensor<?x1xcomplex<f64>>
}

// -----

// branch.return: derivatives without a name each in wrt
// CHECK: {{^}}'branch.return' has 1 derivative(s) but 0 name(s) in wrt
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>, tensor<?x1xf64>
}

// -----

// branch.return: a derivative of another type than mels
// CHECK: {{^}}'branch.return' derivatives must have the type of mels (tensor<?x1xf64>), got tensor<?x2xf64>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %bad = "test.op"() : () -> tensor<?x2xf64>
  branch.return %xp_, %mel_, %bad {wrt = ["h"]} : tensor<?x1x4xi8>, tensor<?x1xf64>, tensor<?x2xf64>
}

// -----

// branch.return: xp element type differs from the input's
// CHECK: {{^}}'branch.return' xp element type i16 differs from the input's i8
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %bad = "test.op"() : () -> tensor<?x1x4xi16>
  branch.return %bad, %mel_ : tensor<?x1x4xi16>, tensor<?x1xf64>
}

// -----

// branch.return: the xp concat and the mels concat gather the same emits in the same order
// (swapped, every matrix element would sit beside another emission's configuration)
// CHECK: {{^}}'branch.return' input 0 of its xp concat is the xp of 'branch.emit' of term "zz" but input 0 of its mels concat is the mel of 'branch.emit' of term "x" (tag "flip"): the two concats must gather the same emits in the same order
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp0, %mel0 = branch.emit %x, %s, %a, %m {term = "zz"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %xp1, %mel1 = branch.emit %x, %s, %a, %m {term = "x", tag = "flip"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %xp = branch.concat %xp0, %xp1 : tensor<?x1x4xi8>, tensor<?x1x4xi8> -> tensor<?x2x4xi8>
  %mels = branch.concat %mel1, %mel0 : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x2xf64>
  branch.return %xp, %mels : tensor<?x2x4xi8>, tensor<?x2xf64>
}

// -----

// branch.constant: result is not a tensor<?xMxT>
// CHECK: {{^}}'branch.constant' result must be a tensor<?xMxT>, got tensor<3xf64>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.constant: value type differs from the element type
// CHECK: {{^}}'branch.constant' value type must be the result element type
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.column: number of values differs from the rows
// CHECK: {{^}}'branch.column' has 2 values for 3 rows
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.column %x {values = array<i64: 0, 1>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.column: result elements are not i64
// CHECK: {{^}}'branch.column' result must have i64 elements
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.column %x {values = array<i64: 0, 1>} : tensor<?x4xi8> -> tensor<?x2xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.splat: result element type differs from the scalar's
// CHECK: {{^}}'branch.splat' result element type must be the scalar's
branch.kernel @k sites 4 states [-1, 1] dtype f64 params ["h"] {
^bb0(%x: tensor<?x4xi8>, %h: tensor<f64>):
  %p = branch.splat %h, %x : tensor<f64>, tensor<?x4xi8> -> tensor<?x3xcomplex<f64>>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.read: result that is not tensor<?xMxi64>
// CHECK: {{^}}'branch.read' result must be tensor<?x3xi64>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %r = branch.read %x, %c : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.read: configurations that are not a tensor<?xNxiK>
// CHECK: {{^}}'branch.read' configurations must be a tensor<?xNxiK>, got tensor<4xi8>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %y = "test.op"() : () -> tensor<4xi8>
  %r = branch.read %y, %c : tensor<4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// elementwise: operands with different row counts
// CHECK: {{^}}'branch.add' operands have different row counts {{\[}}2, 3]
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %d = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x2xi64>
  %r = branch.add %c, %d : tensor<?x3xi64>, tensor<?x2xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// elementwise: result type that is not the promoted type
// CHECK: {{^}}'branch.add' result must be tensor<?x3xf64>, got tensor<?x3xi64>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %r = branch.add %c, %f : tensor<?x3xi64>, tensor<?x3xf64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// elementwise: i1 operands of an arithmetic op
// CHECK: {{^}}'branch.mul' does not accept i1 elements
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %b = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x3xi1>
  %r = branch.mul %b, %b : tensor<?x3xi1>, tensor<?x3xi1> -> tensor<?x3xi1>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// elementwise: complex operand of min (real values only)
// CHECK: {{^}}'branch.min' does not accept complex<f64> elements
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %z = branch.complex %f, %f : tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x3xcomplex<f64>>
  %r = branch.min %z, %z : tensor<?x3xcomplex<f64>>, tensor<?x3xcomplex<f64>> -> tensor<?x3xcomplex<f64>>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// elementwise: real of a real value
// CHECK: {{^}}'branch.real' does not accept f64 elements
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %r = branch.real %f : tensor<?x3xf64> -> tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// elementwise: sqrt must return at least f64
// CHECK: {{^}}'branch.sqrt' result must be tensor<?x3xf64>, got tensor<?x3xi64>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %r = branch.sqrt %c : tensor<?x3xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// elementwise: operand that is not a tensor<?xMxT>
// CHECK: {{^}}'branch.neg' operand must be a tensor<?xMxT>, got tensor<3xi64>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %v = "test.op"() : () -> tensor<3xi64>
  %r = branch.neg %v : tensor<3xi64> -> tensor<3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.wrap_mod: count below 1
// CHECK: {{^}}'branch.wrap_mod' count must be >= 1
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %r = branch.wrap_mod %c {low = -1 : i64, count = 0 : i64} : tensor<?x3xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.wrap_mod: non-integer operand
// CHECK: {{^}}'branch.wrap_mod' does not accept f64 elements
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %r = branch.wrap_mod %f {low = -1 : i64, count = 2 : i64} : tensor<?x3xf64> -> tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.cmp: unknown predicate (a parse error: the predicate is the #sym<cmp_predicate> enum)
// CHECK: Expected one of 'eq', 'ge', 'gt', 'le', 'lt', 'ne'
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %r = branch.cmp lte %c, %c : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi1>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.and: non-boolean operand
// CHECK: {{^}}'branch.and' does not accept i64 elements
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %b = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x3xi1>
  %r = branch.and %b, %c : tensor<?x3xi1>, tensor<?x3xi64> -> tensor<?x3xi1>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.select: condition that is not i1
// CHECK: {{^}}'branch.select' condition must be a tensor<?xMxi1>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %r = branch.select %c, %f, %f : tensor<?x3xi64>, tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.member: operand that is not i64
// CHECK: {{^}}'branch.member' maps tensor<?xMxi64> to tensor<?xMxi1>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %r = branch.member %f {states = array<i64: -1, 1>} : tensor<?x3xf64> -> tensor<?x3xi1>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.state: result that does not match the input
// CHECK: {{^}}'branch.state' result !branch.state<3x5xi8> does not match input tensor<?x4xi8>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x5xi8>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.write: sites with another row count than the state
// CHECK: {{^}}'branch.write' operand has 2 rows but the state has 3
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %i = branch.column %x {values = array<i64: 0, 1>} : tensor<?x4xi8> -> tensor<?x2xi64>
  %w = branch.write %s, %i, %i : !branch.state<3x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<3x4xi8>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.write: values that are not i64
// CHECK: {{^}}'branch.write' sites and values must be i64, got f64
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %w = branch.write %s, %c, %f : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xf64> -> !branch.state<3x4xi8>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.write: result type other than the state's
// CHECK: {{^}}'branch.write' result must have the state's type
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %w = branch.write %s, %c, %c : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi16>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.write: an unchecked write of a constant that is not a local state (`{checked}`
// would make its branches invalid instead)
// CHECK: {{^}}'branch.write' writes 3, which is not a local state [-1, 1] (a write that may leave them is {checked})
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %i = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %c = branch.constant %x {value = 3 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %w = branch.write %s, %i, %c : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi8>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.state_read: sites with another row count than the state
// CHECK: {{^}}'branch.state_read' operand has 1 rows but the state has 3
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %i = branch.column %x {values = array<i64: 0>} : tensor<?x4xi8> -> tensor<?x1xi64>
  %v = branch.state_read %s, %i : !branch.state<3x4xi8>, tensor<?x1xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.select_state: states of different types
// CHECK: {{^}}'branch.select_state' states must have one type
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %b = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x3xi1>
  %t = branch.state %x : tensor<?x4xi8> -> !branch.state<2x4xi8>
  %r = branch.select_state %b, %s, %t : tensor<?x3xi1>, !branch.state<3x4xi8>, !branch.state<2x4xi8> -> !branch.state<3x4xi8>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.select_state: condition of the wrong type
// CHECK: {{^}}'branch.select_state' condition must be tensor<?x3xi1>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %r = branch.select_state %c, %s, %s : tensor<?x3xi64>, !branch.state<3x4xi8>, !branch.state<3x4xi8> -> !branch.state<3x4xi8>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.emit: state and input with different site counts
// CHECK: {{^}}'branch.emit' state and input have different site counts
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %t = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %b = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x3xi1>
  %y = "test.op"() : () -> tensor<?x5xi8>
  %s = "test.op"() : () -> !branch.state<3x4xi8>
  %xp, %mel = branch.emit %y, %s, %f, %b {term = "t"} : tensor<?x5xi8>, !branch.state<3x4xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x4xi8>, tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.emit: amplitude rows differ from the state's
// CHECK: {{^}}'branch.emit' amplitude rows differ from the state's
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %b = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x3xi1>
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x2xf64>
  %xp, %mel = branch.emit %x, %s, %f, %b {term = "t"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x2xf64>, tensor<?x3xi1> -> tensor<?x3x4xi8>, tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.emit: mask that is not tensor<?xMxi1>
// CHECK: {{^}}'branch.emit' mask must be tensor<?x3xi1>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %xp, %mel = branch.emit %x, %s, %f, %f {term = "t"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x3x4xi8>, tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.emit: xp that is not the state's configurations
// CHECK: {{^}}'branch.emit' xp must be tensor<?xMxNxT> of the state
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %b = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x3xi1>
  %xp, %mel = branch.emit %x, %s, %f, %b {term = "t"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x4xi16>, tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.emit: mel rows differ from the state's
// CHECK: {{^}}'branch.emit' mel rows differ from the state's
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %b = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x3xi1>
  %xp, %mel = branch.emit %x, %s, %f, %b {term = "t"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x4xi8>, tensor<?x2xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.emit: complex amplitude into a real mel
// CHECK: {{^}}'branch.emit' cannot cast a complex amplitude to a real mel
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %b = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x3xi1>
  %z = branch.complex %f, %f : tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x3xcomplex<f64>>
  %xp, %mel = branch.emit %x, %s, %z, %b {term = "t"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x3xcomplex<f64>>, tensor<?x3xi1> -> tensor<?x3x4xi8>, tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.sum_rows: result wider than one row
// CHECK: {{^}}'branch.sum_rows' result must be tensor<?x1xT>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %r = branch.sum_rows %f : tensor<?x3xf64> -> tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.concat: no input (generic form)
// CHECK: {{^}}'branch.concat' needs at least one input
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %r = "branch.concat"() : () -> tensor<?x0xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.concat: inputs that differ outside dimension 1
// CHECK: {{^}}'branch.concat' inputs must agree except in dimension 1
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %r = branch.concat %f, %c : tensor<?x3xf64>, tensor<?x3xi64> -> tensor<?x6xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.concat: result of the wrong width
// CHECK: {{^}}'branch.concat' result must have shape ?x6
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %r = branch.concat %f, %f : tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x5xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// !branch.state: needs rows x sites x type (parse error)
// CHECK: !branch.state expects <rows x sites x type>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<4xi8>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.nth_site: at least one site
// CHECK: {{^}}'branch.nth_site' needs at least one site
branch.kernel @k sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %lo = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %n = branch.nth_site %x, %lo {sites = array<i64>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.nth_site: a state that is not a local state (255 would not fit x's i8 either)
// CHECK: {{^}}'branch.nth_site' state 255 is not a local state [0, 1]
branch.kernel @k sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %lo = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %n = branch.nth_site %x, %lo {sites = array<i64: 0, 1>, state = 255 : i64} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.nth_site: distinct sites
// CHECK: {{^}}'branch.nth_site' sites must be distinct, got [1, 1]
branch.kernel @k sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %lo = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %n = branch.nth_site %x, %lo {sites = array<i64: 1, 1>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.nth_site: sites in [0, N)
// CHECK: {{^}}'branch.nth_site' site -1 is outside [0, 4)
branch.kernel @k sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %lo = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %n = branch.nth_site %x, %lo {sites = array<i64: 0, -1>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.nth_site: sites are i64 and the state an i64
// CHECK: {{^}}'branch.nth_site' sites must be an array<i64>, state an i64
branch.kernel @k sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %lo = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %n = branch.nth_site %x, %lo {sites = array<i64: 0, 1>, state = 1 : i32} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.nth_site: integer ranks
// CHECK: {{^}}'branch.nth_site' ranks must have i64 elements
branch.kernel @k sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %lo = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %n = branch.nth_site %x, %lo {sites = array<i64: 0, 1>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x3xf64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.nth_site: a result that is not tensor<?xMxi64>
// CHECK: {{^}}'branch.nth_site' result must be tensor<?x3xi64>
branch.kernel @k sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %lo = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %n = branch.nth_site %x, %lo {sites = array<i64: 0, 1>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x2xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.count: an unknown lowering strategy
// CHECK: {{^}}'branch.count' strategy "scan" is not one of ['masked', 'prefix']
branch.kernel @k sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %lo = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %n = branch.count %x, %lo, %lo {strategy = "scan"} : tensor<?x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.count: bounds with different row counts
// CHECK: {{^}}'branch.count' operands have different row counts [2, 3]
branch.kernel @k sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %lo = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %hi = branch.column %x {values = array<i64: 3, 4>} : tensor<?x4xi8> -> tensor<?x2xi64>
  %n = branch.count %x, %lo, %hi : tensor<?x4xi8>, tensor<?x3xi64>, tensor<?x2xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.count: non-integer bounds
// CHECK: {{^}}'branch.count' upper bounds must have i64 elements
branch.kernel @k sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %lo = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %hi = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %n = branch.count %x, %lo, %hi : tensor<?x4xi8>, tensor<?x3xi64>, tensor<?x3xf64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.count: a result that is not tensor<?xMxi64>
// CHECK: {{^}}'branch.count' result must be tensor<?x3xi64>
branch.kernel @k sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %lo = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %n = branch.count %x, %lo, %lo : tensor<?x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.parity: integer operands only
// CHECK: {{^}}'branch.parity' does not accept f64 elements
branch.kernel @k sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %f = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %r = branch.parity %f : tensor<?x3xf64> -> tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.read: an unknown lowering
// CHECK: {{^}}'branch.read' lowering must be one of ('x', 'slices', 'take', 'permuted', 'gather'), got 'scatter'
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %r = branch.read %x, %c {lowering = "scatter"} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.state: an unknown lowering
// CHECK: {{^}}'branch.state' lowering must be one of ('concat', 'merged', 'projected'), got 'scatter'
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s_ = branch.state %x {lowering = "scatter"} : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.read: a static lowering of sites that are not a column
// CHECK: {{^}}'branch.read' lowering 'take' needs sites from a 'branch.column'
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %r = branch.read %x, %c {lowering = "take"} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.read: lowering x of a column that is not the identity
// CHECK: {{^}}'branch.read' lowering 'x' needs the identity column (sites 0..N-1)
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.column %x {values = array<i64: 1, 2, 3, 0>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %r = branch.read %x, %c {lowering = "x"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.quadratic_form: a site out of range
// CHECK: {{^}}'branch.quadratic_form' pairs must be i64 sites in [0, 4)
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %q = branch.quadratic_form %x {pairs = array<i64: 0, 4>, weights = array<f64: 1.0>, sites = array<i64>, linear = array<f64>, constant = 0.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.quadratic_form: linear weights that are not f64
// CHECK: {{^}}'branch.quadratic_form' linear must be f64
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %q = branch.quadratic_form %x {pairs = array<i64>, weights = array<f64>, sites = array<i64: 1>, linear = array<i64: 2>, constant = 0.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.quadratic_form: one weight short
// CHECK: {{^}}'branch.quadratic_form' needs one weight per pair of sites
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %q = branch.quadratic_form %x {pairs = array<i64: 0, 1, 1, 2>, weights = array<f64: 1.0>, sites = array<i64>, linear = array<f64>, constant = 0.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.quadratic_form: a linear site without a weight
// CHECK: {{^}}'branch.quadratic_form' needs one linear weight per site
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %q = branch.quadratic_form %x {pairs = array<i64>, weights = array<f64>, sites = array<i64: 1, 2>, linear = array<f64: 1.0>, constant = 0.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.quadratic_form: a result of several rows
// CHECK: {{^}}'branch.quadratic_form' result must be tensor<?x1xf64> or tensor<?x1xcomplex<f64>>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %q = branch.quadratic_form %x {pairs = array<i64>, weights = array<f64>, sites = array<i64>, linear = array<f64>, constant = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x2xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.lookup: as many keys as values
// CHECK: {{^}}'branch.lookup' needs as many keys as values
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %c = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %r = branch.lookup %c {keys = array<i64: 0, 1>, values = array<f64: 0.5>} : tensor<?x3xi64> -> tensor<?x3xf64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.stack: inputs of different element types
// CHECK: {{^}}'branch.stack' inputs must have one element type
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %a = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x1xi64>
  %b = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %st = "branch.stack"(%a, %b) : (tensor<?x1xi64>, tensor<?x1xf64>) -> tensor<?x1x2xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.stack: a result that is not K inputs along a new last axis
// CHECK: {{^}}'branch.stack' result must be tensor<?x1x2xi64>, got tensor<?x1x3xi64>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %a = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x1xi64>
  %st = "branch.stack"(%a, %a) : (tensor<?x1xi64>, tensor<?x1xi64>) -> tensor<?x1x3xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.stack: no input
// CHECK: {{^}}'branch.stack' needs at least one input
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %st = "branch.stack"() : () -> tensor<?x1x0xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.stack: inputs of different row counts
// CHECK: {{^}}'branch.stack' operands have different row counts [1, 2]
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %a = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x1xi64>
  %b = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x2xi64>
  %st = "branch.stack"(%a, %b) : (tensor<?x1xi64>, tensor<?x2xi64>) -> tensor<?x1x2xi64>
  %s_ = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// branch.return_deltas: derivatives without names
// CHECK: {{^}}'branch.return_deltas' has 1 derivative(s) but 0 name(s) in wrt
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %si = "test.op"() : () -> tensor<?x1x2xi64>
  %v3 = "test.op"() : () -> tensor<?x1x3xi64>
  %m = "test.op"() : () -> tensor<?x1xf64>
  %m2 = "test.op"() : () -> tensor<?x2xf64>
  branch.return_deltas %si, %si, %m, %m : tensor<?x1x2xi64>, tensor<?x1x2xi64>, tensor<?x1xf64>, tensor<?x1xf64>
}

// -----

// branch.return_deltas: sites that are not tensor<?xFxKxi64>
// CHECK: {{^}}'branch.return_deltas' sites must be tensor<?xFxKxi64> with K >= 1, got tensor<?x1xf64>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %si = "test.op"() : () -> tensor<?x1x2xi64>
  %v3 = "test.op"() : () -> tensor<?x1x3xi64>
  %m = "test.op"() : () -> tensor<?x1xf64>
  %m2 = "test.op"() : () -> tensor<?x2xf64>
  branch.return_deltas %m, %m, %m : tensor<?x1xf64>, tensor<?x1xf64>, tensor<?x1xf64>
}

// -----

// branch.return_deltas: values of another type than the sites
// CHECK: {{^}}'branch.return_deltas' values must have the type of sites (tensor<?x1x2xi64>), got tensor<?x1x3xi64>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %si = "test.op"() : () -> tensor<?x1x2xi64>
  %v3 = "test.op"() : () -> tensor<?x1x3xi64>
  %m = "test.op"() : () -> tensor<?x1xf64>
  %m2 = "test.op"() : () -> tensor<?x2xf64>
  branch.return_deltas %si, %v3, %m : tensor<?x1x2xi64>, tensor<?x1x3xi64>, tensor<?x1xf64>
}

// -----

// branch.return_deltas: mels of another slot count
// CHECK: {{^}}'branch.return_deltas' mels must be tensor<?x1xf64>, got tensor<?x2xf64>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %si = "test.op"() : () -> tensor<?x1x2xi64>
  %v3 = "test.op"() : () -> tensor<?x1x3xi64>
  %m = "test.op"() : () -> tensor<?x1xf64>
  %m2 = "test.op"() : () -> tensor<?x2xf64>
  branch.return_deltas %si, %si, %m2 : tensor<?x1x2xi64>, tensor<?x1x2xi64>, tensor<?x2xf64>
}

// -----

// branch.return_deltas: a derivative of another type than mels
// CHECK: {{^}}'branch.return_deltas' derivatives must have the type of mels (tensor<?x1xf64>), got tensor<?x2xf64>
branch.kernel @k sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %si = "test.op"() : () -> tensor<?x1x2xi64>
  %v3 = "test.op"() : () -> tensor<?x1x3xi64>
  %m = "test.op"() : () -> tensor<?x1xf64>
  %m2 = "test.op"() : () -> tensor<?x2xf64>
  branch.return_deltas %si, %si, %m, %m2 {wrt = ["h"]} : tensor<?x1x2xi64>, tensor<?x1x2xi64>, tensor<?x1xf64>, tensor<?x2xf64>
}

// -----

// branch.parity_sum: i64 keys
// CHECK: {{^}}'branch.parity_sum' keys must have i64 elements
branch.kernel @k sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %k = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %kf = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x2xf64>
  %v = branch.parity_sum %x, %kf {offsets = array<i64: 0, 1, 3>, masks = array<i64: 4, 0, 2>, real = array<f64: 0.5, 1.0, -2.0>, state = -1 : i64} : tensor<?x3xi8>, tensor<?x2xf64> -> tensor<?x2xf64>
  %s_ = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x3xi8>, tensor<?x1xf64>
}

// -----

// branch.parity_sum: result type
// CHECK: {{^}}'branch.parity_sum' result must be tensor<?x2xf64>
branch.kernel @k sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %k = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %v = branch.parity_sum %x, %k {offsets = array<i64: 0, 1, 3>, masks = array<i64: 4, 0, 2>, real = array<f64: 0.5, 1.0, -2.0>, state = -1 : i64} : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %s_ = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x3xi8>, tensor<?x1xf64>
}

// -----

// branch.parity_sum: offsets
// CHECK: {{^}}'branch.parity_sum' offsets must start at 0 and end at the number of coefficients
branch.kernel @k sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %k = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %v = branch.parity_sum %x, %k {offsets = array<i64: 0, 1, 2>, masks = array<i64: 4, 0, 2>, real = array<f64: 0.5, 1.0, -2.0>, state = -1 : i64} : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xf64>
  %s_ = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x3xi8>, tensor<?x1xf64>
}

// -----

// branch.parity_sum: masks inside the sites
// CHECK: {{^}}'branch.parity_sum' has a mask with a site outside [0, 3)
branch.kernel @k sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %k = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %v = branch.parity_sum %x, %k {offsets = array<i64: 0, 1, 3>, masks = array<i64: 8, 0, 2>, real = array<f64: 0.5, 1.0, -2.0>, state = -1 : i64} : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xf64>
  %s_ = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x3xi8>, tensor<?x1xf64>
}

// -----

// branch.parity_sum: a local state
// CHECK: {{^}}'branch.parity_sum' state 0 is not a local state [-1, 1]
branch.kernel @k sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %k = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %v = branch.parity_sum %x, %k {offsets = array<i64: 0, 1, 3>, masks = array<i64: 4, 0, 2>, real = array<f64: 0.5, 1.0, -2.0>, state = 0 : i64} : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xf64>
  %s_ = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x3xi8>, tensor<?x1xf64>
}

// -----

// branch.flip_sites: the state's type
// CHECK: {{^}}'branch.flip_sites' result must have the state's type
branch.kernel @k sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %k = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<2x3xi8>
  %f = branch.flip_sites %s, %k {masks = array<i64: 1, 6>} : !branch.state<2x3xi8>, tensor<?x2xi64> -> !branch.state<2x3xi16>
  %s_ = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x3xi8>, tensor<?x1xf64>
}

// -----

// branch.flip_sites: masks inside the sites
// CHECK: {{^}}'branch.flip_sites' has a mask with a site outside [0, 3)
branch.kernel @k sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %k = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<2x3xi8>
  %f = branch.flip_sites %s, %k {masks = array<i64: 1, 9>} : !branch.state<2x3xi8>, tensor<?x2xi64> -> !branch.state<2x3xi8>
  %s_ = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x3xi8>, tensor<?x1xf64>
}

// -----

// branch.flip_sites: two local states
// CHECK: {{^}}'branch.flip_sites' needs two local states, the kernel has [-1, 0, 1]
branch.kernel @k sites 3 states [-1, 0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %k = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<2x3xi8>
  %f = branch.flip_sites %s, %k {masks = array<i64: 1, 6>} : !branch.state<2x3xi8>, tensor<?x2xi64> -> !branch.state<2x3xi8>
  %s_ = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %a_ = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
  %m_ = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp_, %mel_ = branch.emit %x, %s_, %a_, %m_ {term = "t"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  branch.return %xp_, %mel_ : tensor<?x1x3xi8>, tensor<?x1xf64>
}
