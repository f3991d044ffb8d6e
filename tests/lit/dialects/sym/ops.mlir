// Round trip of every op of the sym dialect.
//
// 1. custom form -> custom form -> custom form;
// 2. custom form -> generic form -> custom form (both must print identically, so the
//    same CHECK lines serve both RUN lines);
// 3. the generic form itself: the property names and the operand/result types.
//
// RUN: SYMIR_ROUNDTRIP
// RUN: symir-opt %s --print-op-generic -o %t.generic.mlir
// RUN: filecheck %s --check-prefix=GENERIC < %t.generic.mlir
// RUN: symir-opt %t.generic.mlir | filecheck %s
//
// SSA names are renamed by the printer (`%i` in a second term prints as `%i_1`), so every
// value is captured. `rows [[...]]` is written `{{\[\[}}...]]` in CHECK lines because
// `[[` starts a FileCheck variable.

// ---------------------------------------------------------------------------------------
// @updates: real dtype, not hermitian; every iterator shape (global, site, pair, k-body);
// fan-out hints; where; emissions with and without tag and `if`; every update op;
// empty update / else regions (printed `{` `}`, no `^bb0:`).
// ---------------------------------------------------------------------------------------

// CHECK-LABEL: sym.operator @updates sites 4 states [0, 1, 2] dtype f64 {
sym.operator @updates sites 4 states [0, 1, 2] dtype f64 {
  // CHECK-LABEL: sym.term @global kind "global" labels [] rows {{\[\[}}]] {
  // CHECK-NEXT:  sym.emission {
  // CHECK-NEXT:  sym.invalidate
  // CHECK-NEXT:  } amplitude {
  // CHECK-NEXT:  %[[A:.*]] = sym.constant 1.000000e+00 : f64
  // CHECK-NEXT:  sym.yield %[[A]] : f64
  // CHECK-NEXT:  }
  // CHECK-NEXT:  }
  sym.term @global kind "global" labels [] rows [[]] {
    sym.emission {
      sym.invalidate
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
  // CHECK-LABEL: sym.term @site kind "site" labels ["i"] rows {{\[\[}}0], [1], [2], [3]] fanout 2 {
  // CHECK-NEXT:  %[[I:.*]] = sym.label "i"
  // CHECK-NEXT:  %[[X:.*]] = sym.read %[[I]] : i64
  // CHECK-NEXT:  %[[ONE:.*]] = sym.constant 1 : i64
  // CHECK-NEXT:  %[[P:.*]] = sym.cmp lt %[[X]], %[[ONE]] : i64, i64
  // CHECK-NEXT:  sym.where %[[P]]
  // CHECK-NEXT:  sym.emission "w" if %[[P]] {
  // CHECK-NEXT:  %[[V:.*]] = sym.constant 2 : i64
  // CHECK-NEXT:  sym.write %[[I]], %[[V]]
  // CHECK-NEXT:  sym.shift %[[I]], %[[ONE]]
  // CHECK-NEXT:  sym.shift_mod %[[I]], %[[ONE]]
  // CHECK-NEXT:  sym.affine %[[I]], %[[ONE]], %[[ONE]]
  // CHECK-NEXT:  } amplitude {
  // CHECK-NEXT:  %[[Y:.*]] = sym.read_emitted %[[I]] : i64
  // CHECK-NEXT:  %[[S:.*]] = sym.sqrt %[[Y]] : i64 -> f64
  // CHECK-NEXT:  sym.yield %[[S]] : f64
  // CHECK-NEXT:  }
  // CHECK-NEXT:  }
  sym.term @site kind "site" labels ["i"] rows [[0], [1], [2], [3]] fanout 2 {
    %i = sym.label "i"
    %x = sym.read %i : i64
    %one = sym.constant 1 : i64
    %p = sym.cmp lt %x, %one : i64, i64
    sym.where %p
    sym.emission "w" if %p {
      %v = sym.constant 2 : i64
      sym.write %i, %v
      sym.shift %i, %one
      sym.shift_mod %i, %one
      sym.affine %i, %one, %one
    } amplitude {
      %y = sym.read_emitted %i : i64
      %s = sym.sqrt %y : i64 -> f64
      sym.yield %s : f64
    }
  }
  // CHECK-LABEL: sym.term @pair kind "rows" labels ["i", "j"] rows {{\[\[}}0, 1], [2, 3]] fanout 0 {
  // CHECK-NEXT:  %[[I:.*]] = sym.label "i"
  // CHECK-NEXT:  %[[J:.*]] = sym.label "j"
  // CHECK-NEXT:  %[[C:.*]] = sym.constant true
  // CHECK-NEXT:  sym.emission "tagged" {
  // CHECK-NEXT:  sym.swap %[[I]], %[[J]]
  // CHECK-NEXT:  sym.scatter [%[[I]], %[[J]]], [%[[I]], %[[J]]]
  // CHECK-NEXT:  } amplitude {
  // CHECK-NEXT:  %[[A:.*]] = sym.constant 1 : i64
  // CHECK-NEXT:  sym.yield %[[A]] : i64
  // CHECK-NEXT:  }
  // CHECK-NEXT:  sym.emission if %[[C]] {
  // CHECK-NEXT:  sym.cond %[[C]] {
  // CHECK-NEXT:  sym.swap %[[I]], %[[J]]
  // CHECK-NEXT:  } else {
  // CHECK-NEXT:  sym.invalidate
  // CHECK-NEXT:  }
  // CHECK-NEXT:  } amplitude {
  // CHECK-NEXT:  %[[A:.*]] = sym.constant 1 : i64
  // CHECK-NEXT:  sym.yield %[[A]] : i64
  // CHECK-NEXT:  }
  // CHECK-NEXT:  }
  sym.term @pair kind "rows" labels ["i", "j"] rows [[0, 1], [2, 3]] fanout 0 {
    %i = sym.label "i"
    %j = sym.label "j"
    %c = sym.constant true
    sym.emission "tagged" {
      sym.swap %i, %j
      sym.scatter [%i, %j], [%i, %j]
    } amplitude {
      %a = sym.constant 1 : i64
      sym.yield %a : i64
    }
    sym.emission if %c {
      sym.cond %c {
        sym.swap %i, %j
      } else {
        sym.invalidate
      }
    } amplitude {
      %a = sym.constant 1 : i64
      sym.yield %a : i64
    }
  }
  // CHECK-LABEL: sym.term @kbody kind "rows" labels ["a", "b", "c"] rows {{\[\[}}0, 1, 2], [1, 2, 3]] {
  // CHECK-NEXT:  %[[A:.*]] = sym.label "a"
  // CHECK-NEXT:  %[[B:.*]] = sym.label "b"
  // CHECK-NEXT:  %[[C:.*]] = sym.label "c"
  // CHECK-NEXT:  sym.emission {
  // CHECK-NEXT:  sym.permute %[[A]], %[[B]], %[[C]]
  // CHECK-NEXT:  %[[T:.*]] = sym.constant true
  // CHECK-NEXT:  sym.cond %[[T]] {
  // CHECK-NEXT:  sym.permute %[[C]], %[[B]], %[[A]]
  // CHECK-NEXT:  } else {
  // CHECK-NEXT:  }
  // CHECK-NEXT:  } amplitude {
  // CHECK-NEXT:  %[[F:.*]] = sym.constant false
  // CHECK-NEXT:  %[[Z:.*]] = sym.param "h" : f64
  // CHECK-NEXT:  sym.yield %[[Z]] : f64
  // CHECK-NEXT:  }
  // CHECK-NEXT:  }
  sym.term @kbody kind "rows" labels ["a", "b", "c"] rows [[0, 1, 2], [1, 2, 3]] {
    %a = sym.label "a"
    %b = sym.label "b"
    %c = sym.label "c"
    sym.emission {
      sym.permute %a, %b, %c
      %t = sym.constant true
      sym.cond %t {
        sym.permute %c, %b, %a
      } else {
      }
    } amplitude {
      %f = sym.constant false
      %z = sym.param "h" : f64
      sym.yield %z : f64
    }
  }
  // CHECK-LABEL: sym.term @diag kind "site" labels ["i"] rows {{\[\[}}3]] {
  // CHECK-NEXT:  sym.emission {
  // CHECK-NEXT:  } amplitude {
  // CHECK-NEXT:  %[[I:.*]] = sym.label "i"
  // CHECK-NEXT:  %[[X:.*]] = sym.read %[[I]] : i64
  // CHECK-NEXT:  sym.yield %[[X]] : i64
  // CHECK-NEXT:  }
  // CHECK-NEXT:  }
  sym.term @diag kind "site" labels ["i"] rows [[3]] {
    sym.emission {
    } amplitude {
      %i = sym.label "i"
      %x = sym.read %i : i64
      sym.yield %x : i64
    }
  }
}

// An operator without terms.
// CHECK-LABEL: sym.operator @empty sites 1 states [0] dtype f64 {
// CHECK-NEXT:  }
sym.operator @empty sites 1 states [0] dtype f64 {
}

// ---------------------------------------------------------------------------------------
// @exprs: complex dtype, hermitian; every expression op (constants, params with and
// without default, complex default, label, read, read_emitted, arithmetic with promotion,
// unary functions, floor, trunc, wrap_mod, complex, cmp with each predicate, and/or/not, select).
// ---------------------------------------------------------------------------------------

// CHECK-LABEL: sym.operator @exprs sites 3 states [-1, 0, 1] dtype complex<f64> hermitian {
sym.operator @exprs sites 3 states [-1, 0, 1] dtype complex<f64> hermitian {
  // CHECK-LABEL: sym.term @all kind "rows" labels ["i", "j"] rows {{\[\[}}0, 1], [1, 2]] {
  // CHECK-NEXT:  %[[I:.*]] = sym.label "i"
  // CHECK-NEXT:  %[[J:.*]] = sym.label "j"
  // CHECK-NEXT:  %[[XI:.*]] = sym.read %[[I]] : i64
  // CHECK-NEXT:  %[[XJ:.*]] = sym.read %[[J]] : i64
  // CHECK-NEXT:  %[[CI:.*]] = sym.constant 3 : i64
  // CHECK-NEXT:  %[[CF:.*]] = sym.constant 5.000000e-01 : f64
  // CHECK-NEXT:  %[[T:.*]] = sym.constant true
  // CHECK-NEXT:  %[[F:.*]] = sym.constant false
  // CHECK-NEXT:  %[[COUPLING:.*]] = sym.param "J" default 1.0 : f64
  // CHECK-NEXT:  %[[H:.*]] = sym.param "h" : f64
  // CHECK-NEXT:  %[[Z:.*]] = sym.param "z" default (0.5, -1.5) : complex<f64>
  // CHECK-NEXT:  %[[W:.*]] = sym.param "w" : complex<f64>
  // CHECK-NEXT:  %[[ADD:.*]] = sym.add %[[XI]], %[[CF]] : i64, f64 -> f64
  // CHECK-NEXT:  %[[SUB:.*]] = sym.sub %[[XI]], %[[XJ]] : i64, i64 -> i64
  // CHECK-NEXT:  %[[MUL:.*]] = sym.mul %[[CF]], %[[Z]] : f64, complex<f64> -> complex<f64>
  // CHECK-NEXT:  %[[DIV:.*]] = sym.div %[[XI]], %[[XJ]] : i64, i64 -> f64
  // CHECK-NEXT:  %[[POW:.*]] = sym.pow %[[XI]], %[[CF]] : i64, f64 -> f64
  // CHECK-NEXT:  %[[MIN:.*]] = sym.min %[[XI]], %[[XJ]] : i64, i64 -> i64
  // CHECK-NEXT:  %[[MAX:.*]] = sym.max %[[CF]], %[[XI]] : f64, i64 -> f64
  // CHECK-NEXT:  %[[QUOT:.*]] = sym.quotient %[[XI]], %[[XJ]] : i64, i64 -> i64
  // CHECK-NEXT:  %[[NEG:.*]] = sym.neg %[[XI]] : i64 -> i64
  // CHECK-NEXT:  %[[ABS:.*]] = sym.abs %[[Z]] : complex<f64> -> f64
  // CHECK-NEXT:  %[[ABSI:.*]] = sym.abs %[[XI]] : i64 -> i64
  // CHECK-NEXT:  %[[CONJ:.*]] = sym.conj %[[Z]] : complex<f64> -> complex<f64>
  // CHECK-NEXT:  %[[RE:.*]] = sym.real %[[Z]] : complex<f64> -> f64
  // CHECK-NEXT:  %[[IM:.*]] = sym.imag %[[Z]] : complex<f64> -> f64
  // CHECK-NEXT:  %[[SQRT:.*]] = sym.sqrt %[[XI]] : i64 -> f64
  // CHECK-NEXT:  %[[SQRTZ:.*]] = sym.sqrt %[[Z]] : complex<f64> -> complex<f64>
  // CHECK-NEXT:  %[[EXP:.*]] = sym.exp %[[CF]] : f64 -> f64
  // CHECK-NEXT:  %[[LOG:.*]] = sym.log %[[CF]] : f64 -> f64
  // CHECK-NEXT:  %[[SIN:.*]] = sym.sin %[[CF]] : f64 -> f64
  // CHECK-NEXT:  %[[COS:.*]] = sym.cos %[[XI]] : i64 -> f64
  // CHECK-NEXT:  %[[FLOOR:.*]] = sym.floor %[[CF]] : f64 -> f64
  // CHECK-NEXT:  %[[FLOORI:.*]] = sym.floor %[[XI]] : i64 -> i64
  // CHECK-NEXT:  %[[TRUNC:.*]] = sym.trunc %[[CF]] : f64 -> i64
  // CHECK-NEXT:  %[[TRUNCI:.*]] = sym.trunc %[[XI]] : i64 -> i64
  // CHECK-NEXT:  %[[WRAP:.*]] = sym.wrap_mod %[[SUB]] : i64 -> i64
  // CHECK-NEXT:  %[[CPLX:.*]] = sym.complex %[[RE]], %[[XI]] : f64, i64
  // CHECK-NEXT:  %[[LT:.*]] = sym.cmp lt %[[XI]], %[[XJ]] : i64, i64
  // CHECK-NEXT:  %[[LE:.*]] = sym.cmp le %[[XI]], %[[CF]] : i64, f64
  // CHECK-NEXT:  %[[GT:.*]] = sym.cmp gt %[[CF]], %[[XJ]] : f64, i64
  // CHECK-NEXT:  %[[GE:.*]] = sym.cmp ge %[[CF]], %[[CF]] : f64, f64
  // CHECK-NEXT:  %[[EQ:.*]] = sym.cmp eq %[[Z]], %[[W]] : complex<f64>, complex<f64>
  // CHECK-NEXT:  %[[NE:.*]] = sym.cmp ne %[[T]], %[[F]] : i1, i1
  // CHECK-NEXT:  %[[AND:.*]] = sym.and %[[LT]], %[[LE]], %[[GT]]
  // CHECK-NEXT:  %[[OR:.*]] = sym.or %[[GE]], %[[EQ]]
  // CHECK-NEXT:  %[[AND1:.*]] = sym.and %[[NE]]
  // CHECK-NEXT:  %[[NOT:.*]] = sym.not %[[AND]]
  // CHECK-NEXT:  %[[SEL:.*]] = sym.select %[[NOT]], %[[XI]], %[[CF]] : i64, f64 -> f64
  // CHECK-NEXT:  %{{.*}} = sym.lookup %[[XI]] {keys = array<i64: 0, 2>, values = array<f64: 1.500000e+00, -5.000000e-01>} : i64 -> f64
  // CHECK-NEXT:  %[[TABLE:.*]] = sym.param "coefficients" default array<f64: 2.500000e-01, -1.000000e+00> : tensor<2xf64>
  // CHECK-NEXT:  %{{.*}} = sym.lookup %[[XI]], %[[TABLE]] {keys = array<i64: 0, 2>} : i64, tensor<2xf64> -> f64
  // CHECK-NEXT:  %[[REQUIRED:.*]] = sym.param "required" : tensor<3xf64>
  // CHECK-NEXT:  sym.where %[[OR]]
  // CHECK-NEXT:  sym.emission {
  // CHECK-NEXT:  sym.write %[[I]], %[[WRAP]]
  // CHECK-NEXT:  } amplitude {
  // CHECK-NEXT:  %[[Y:.*]] = sym.read_emitted %[[I]] : i64
  // CHECK-NEXT:  %[[M:.*]] = sym.mul %[[Y]], %[[CPLX]] : i64, complex<f64> -> complex<f64>
  // CHECK-NEXT:  sym.yield %[[M]] : complex<f64>
  // CHECK-NEXT:  }
  // CHECK-NEXT:  }
  sym.term @all kind "rows" labels ["i", "j"] rows [[0, 1], [1, 2]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %xi = sym.read %i : i64
    %xj = sym.read %j : i64
    %ci = sym.constant 3 : i64
    %cf = sym.constant 5.000000e-01 : f64
    %t = sym.constant true
    %f = sym.constant false
    %coupling = sym.param "J" default 1.0 : f64
    %h = sym.param "h" : f64
    %z = sym.param "z" default (0.5, -1.5) : complex<f64>
    %w = sym.param "w" : complex<f64>
    %add = sym.add %xi, %cf : i64, f64 -> f64
    %sub = sym.sub %xi, %xj : i64, i64 -> i64
    %mul = sym.mul %cf, %z : f64, complex<f64> -> complex<f64>
    %div = sym.div %xi, %xj : i64, i64 -> f64
    %pow = sym.pow %xi, %cf : i64, f64 -> f64
    %min = sym.min %xi, %xj : i64, i64 -> i64
    %max = sym.max %cf, %xi : f64, i64 -> f64
    %quot = sym.quotient %xi, %xj : i64, i64 -> i64
    %neg = sym.neg %xi : i64 -> i64
    %abs = sym.abs %z : complex<f64> -> f64
    %absi = sym.abs %xi : i64 -> i64
    %conj = sym.conj %z : complex<f64> -> complex<f64>
    %re = sym.real %z : complex<f64> -> f64
    %im = sym.imag %z : complex<f64> -> f64
    %sqrt = sym.sqrt %xi : i64 -> f64
    %sqrtz = sym.sqrt %z : complex<f64> -> complex<f64>
    %exp = sym.exp %cf : f64 -> f64
    %log = sym.log %cf : f64 -> f64
    %sin = sym.sin %cf : f64 -> f64
    %cos = sym.cos %xi : i64 -> f64
    %floor = sym.floor %cf : f64 -> f64
    %floori = sym.floor %xi : i64 -> i64
    %trunc = sym.trunc %cf : f64 -> i64
    %trunci = sym.trunc %xi : i64 -> i64
    %wrap = sym.wrap_mod %sub : i64 -> i64
    %cplx = sym.complex %re, %xi : f64, i64
    %lt = sym.cmp lt %xi, %xj : i64, i64
    %le = sym.cmp le %xi, %cf : i64, f64
    %gt = sym.cmp gt %cf, %xj : f64, i64
    %ge = sym.cmp ge %cf, %cf : f64, f64
    %eq = sym.cmp eq %z, %w : complex<f64>, complex<f64>
    %ne = sym.cmp ne %t, %f : i1, i1
    %and = sym.and %lt, %le, %gt
    %or = sym.or %ge, %eq
    %and1 = sym.and %ne
    %not = sym.not %and
    %sel = sym.select %not, %xi, %cf : i64, f64 -> f64
    %lk = sym.lookup %xi {keys = array<i64: 0, 2>, values = array<f64: 1.5, -0.5>} : i64 -> f64
    %table = sym.param "coefficients" default array<f64: 0.25, -1.0> : tensor<2xf64>
    %read = sym.lookup %xi, %table {keys = array<i64: 0, 2>} : i64, tensor<2xf64> -> f64
    %required = sym.param "required" : tensor<3xf64>
    sym.where %or
    sym.emission {
      sym.write %i, %wrap
    } amplitude {
      %y = sym.read_emitted %i : i64
      %m = sym.mul %y, %cplx : i64, complex<f64> -> complex<f64>
      sym.yield %m : complex<f64>
    }
  }
}

// ---------------------------------------------------------------------------------------
// @fermions: the range count (a leaf that reads x, with label-dependent and constant
// bounds) and the parity of an integer: a Jordan-Wigner sign.
// ---------------------------------------------------------------------------------------

// CHECK-LABEL: sym.operator @fermions sites 4 states [0, 1] dtype f64 {
sym.operator @fermions sites 4 states [0, 1] dtype f64 {
  // CHECK-LABEL: sym.term @hop kind "rows" labels ["i", "j"] rows {{\[\[}}0, 3], [1, 2]] {
  // CHECK-NEXT:  %[[I:.*]] = sym.label "i"
  // CHECK-NEXT:  %[[J:.*]] = sym.label "j"
  // CHECK-NEXT:  %[[ZERO:.*]] = sym.constant 0 : i64
  // CHECK-NEXT:  %[[N:.*]] = sym.constant 4 : i64
  // CHECK-NEXT:  %[[CIJ:.*]] = sym.count %[[I]], %[[J]] : i64
  // CHECK-NEXT:  %[[CALL:.*]] = sym.count %[[ZERO]], %[[N]] : i64
  // CHECK-NEXT:  %[[S:.*]] = sym.parity %[[CIJ]] : i64 -> i64
  // CHECK-NEXT:  sym.emission {
  // CHECK-NEXT:  %[[ONE:.*]] = sym.constant 1 : i64
  // CHECK-NEXT:  sym.write %[[J]], %[[ONE]]
  // CHECK-NEXT:  } amplitude {
  // CHECK-NEXT:  %[[M:.*]] = sym.mul %[[S]], %[[CALL]] : i64, i64 -> i64
  // CHECK-NEXT:  sym.yield %[[M]] : i64
  sym.term @hop kind "rows" labels ["i", "j"] rows [[0, 3], [1, 2]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %zero = sym.constant 0 : i64
    %n = sym.constant 4 : i64
    %cij = sym.count %i, %j : i64
    %call = sym.count %zero, %n : i64
    %s = sym.parity %cij : i64 -> i64
    sym.emission {
      %one = sym.constant 1 : i64
      sym.write %j, %one
    } amplitude {
      %m = sym.mul %s, %call : i64, i64 -> i64
      sym.yield %m : i64
    }
  }
  // the site of the k-th particle and of the k-th hole among the first three sites (a
  // leaf that reads x, at a rank that is a label)
  // CHECK-LABEL: sym.term @excite kind "rows" labels ["k"] rows {{\[\[}}0], [1]] {
  // CHECK-NEXT:  %[[K:.*]] = sym.label "k"
  // CHECK-NEXT:  %[[P:.*]] = sym.nth_site %[[K]] {sites = array<i64: 0, 1, 2>, state = 1 : i64} : i64
  // CHECK-NEXT:  %[[H:.*]] = sym.nth_site %[[K]] {sites = array<i64: 2, 1, 0>, state = 0 : i64} : i64
  // CHECK-NEXT:  sym.emission {
  // CHECK-NEXT:  %[[ZERO2:.*]] = sym.constant 0 : i64
  // CHECK-NEXT:  %[[ONE2:.*]] = sym.constant 1 : i64
  // CHECK-NEXT:  sym.write %[[P]], %[[ZERO2]]
  // CHECK-NEXT:  sym.write %[[H]], %[[ONE2]]
  sym.term @excite kind "rows" labels ["k"] rows [[0], [1]] {
    %k = sym.label "k"
    %p = sym.nth_site %k {sites = array<i64: 0, 1, 2>, state = 1 : i64} : i64
    %h = sym.nth_site %k {sites = array<i64: 2, 1, 0>, state = 0 : i64} : i64
    sym.emission {
      %zero = sym.constant 0 : i64
      %one = sym.constant 1 : i64
      sym.write %p, %zero
      sym.write %h, %one
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// ---------------------------------------------------------------------------------------
// Generic form: properties and types.
// ---------------------------------------------------------------------------------------

// GENERIC-LABEL: "sym.operator"() <{sym_name = "updates", num_sites = #builtin.int<4>, local_states = array<i64: 0, 1, 2>, dtype = f64}> ({
// GENERIC-NEXT:    "sym.term"() <{sym_name = "global", kind = "global", labels = [], rows = [array<i64>]}> ({
// GENERIC-NEXT:      "sym.emission"() ({
// GENERIC-NEXT:        "sym.invalidate"() : () -> ()
// GENERIC-NEXT:      }, {
// GENERIC:         "sym.term"() <{sym_name = "site", kind = "site", labels = ["i"], rows = [array<i64: 0>, array<i64: 1>, array<i64: 2>, array<i64: 3>], fanout = #builtin.int<2>}> ({
// GENERIC:           %[[P:.*]] = "sym.cmp"(%{{.*}}, %{{.*}}) <{predicate = #sym<cmp_predicate lt>}> : (i64, i64) -> i1
// GENERIC-NEXT:      "sym.where"(%[[P]]) : (i1) -> ()
// GENERIC-NEXT:      "sym.emission"(%[[P]]) <{tag = "w"}> ({
// GENERIC:             "sym.write"(%{{.*}}, %{{.*}}) : (i64, i64) -> ()
// GENERIC:           %[[C:.*]] = "sym.constant"() <{value = true}> : () -> i1
// GENERIC-NEXT:      "sym.emission"() <{tag = "tagged"}> ({
// GENERIC-NEXT:        "sym.swap"(%{{.*}}, %{{.*}}) : (i64, i64) -> ()
// GENERIC-NEXT:        "sym.scatter"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (i64, i64, i64, i64) -> ()
// GENERIC:           "sym.emission"(%[[C]]) ({
// GENERIC-NEXT:        "sym.cond"(%[[C]]) ({
// GENERIC:             "sym.permute"(%{{.*}}, %{{.*}}, %{{.*}}) : (i64, i64, i64) -> ()
// GENERIC:           %{{.*}} = "sym.param"() <{param_name = "h"}> : () -> f64
// GENERIC-LABEL: "sym.operator"() <{sym_name = "exprs", num_sites = #builtin.int<3>, local_states = array<i64: -1, 0, 1>, dtype = complex<f64>, hermitian}> ({
// GENERIC:           %{{.*}} = "sym.param"() <{param_name = "J", default = 1.000000e+00 : f64}> : () -> f64
// GENERIC:           %{{.*}} = "sym.param"() <{param_name = "z", default = [5.000000e-01 : f64, -1.500000e+00 : f64]}> : () -> complex<f64>
// GENERIC:           %{{.*}} = "sym.add"(%{{.*}}, %{{.*}}) : (i64, f64) -> f64
// GENERIC:           %{{.*}} = "sym.complex"(%{{.*}}, %{{.*}}) : (f64, i64) -> complex<f64>
// GENERIC:           %{{.*}} = "sym.cmp"(%{{.*}}, %{{.*}}) <{predicate = #sym<cmp_predicate eq>}> : (complex<f64>, complex<f64>) -> i1
// GENERIC:           %{{.*}} = "sym.and"(%{{.*}}, %{{.*}}, %{{.*}}) : (i1, i1, i1) -> i1
// GENERIC:           %{{.*}} = "sym.select"(%{{.*}}, %{{.*}}, %{{.*}}) : (i1, i64, f64) -> f64
// GENERIC:           %{{.*}} = "sym.lookup"(%{{.*}}) <{keys = array<i64: 0, 2>, values = array<f64: 1.500000e+00, -5.000000e-01>}> : (i64) -> f64
// GENERIC:           %{{.*}} = "sym.read_emitted"(%{{.*}}) : (i64) -> i64
// GENERIC:           "sym.yield"(%{{.*}}) : (complex<f64>) -> ()
// GENERIC-LABEL: "sym.operator"() <{sym_name = "fermions", num_sites = #builtin.int<4>, local_states = array<i64: 0, 1>, dtype = f64}> ({
// GENERIC:           %{{.*}} = "sym.count"(%{{.*}}, %{{.*}}) : (i64, i64) -> i64
// GENERIC:           %{{.*}} = "sym.parity"(%{{.*}}) : (i64) -> i64
// GENERIC:           %{{.*}} = "sym.nth_site"(%{{.*}}) <{sites = array<i64: 0, 1, 2>, state = 1 : i64}> : (i64) -> i64

// ---------------------------------------------------------------------------------------
// @pauli: the table ops of `symir.pauli_strings` (docs/pauli-strings.md): sym.flip_sites
// (an update: the sites of the k-th packed mask flipped) and sym.parity_sum (a leaf: the
// signed coefficients of key k), real and complex, at a key made of labels.
// CHECK-LABEL: sym.operator @pauli sites 3 states [-1, 1] dtype complex<f64> {
// CHECK:       %[[PK:.*]] = sym.add
// CHECK-NEXT:  sym.flip_sites %[[PK]] {masks = array<i64: 1, 6>}
// CHECK:       %{{.*}} = sym.parity_sum %{{.*}} {offsets = array<i64: 0, 1, 3>, masks = array<i64: 4, 0, 2>, real = array<f64: 5.000000e-01, 1.000000e+00, -2.000000e+00>, state = -1 : i64} : f64
// CHECK:       %{{.*}} = sym.parity_sum %{{.*}} {offsets = array<i64: 0, 1>, masks = array<i64: 7>, real = array<f64: 0.000000e+00>, state = 1 : i64, imag = array<f64: 1.500000e+00>} : complex<f64>
// GENERIC-LABEL: "sym.operator"() <{sym_name = "pauli"
// GENERIC:       "sym.flip_sites"(%{{.*}}) <{masks = array<i64: 1, 6>}> : (i64) -> ()
// GENERIC:       %{{.*}} = "sym.parity_sum"(%{{.*}}) <{offsets = array<i64: 0, 1, 3>, masks = array<i64: 4, 0, 2>, real = array<f64: 5.000000e-01, 1.000000e+00, -2.000000e+00>, state = -1 : i64}> : (i64) -> f64
sym.operator @pauli sites 3 states [-1, 1] dtype complex<f64> {
  sym.term @strings kind "rows" labels ["p0", "p1"] rows [[0, 0], [0, 1]] {
    sym.emission {
      %p0 = sym.label "p0"
      %three = sym.constant 3 : i64
      %hi = sym.mul %p0, %three : i64, i64 -> i64
      %p1 = sym.label "p1"
      %k = sym.add %hi, %p1 : i64, i64 -> i64
      sym.flip_sites %k {masks = array<i64: 1, 6>}
    } amplitude {
      %q0 = sym.label "p0"
      %v = sym.parity_sum %q0 {offsets = array<i64: 0, 1, 3>, masks = array<i64: 4, 0, 2>, real = array<f64: 0.5, 1.0, -2.0>, state = -1 : i64} : f64
      sym.yield %v : f64
    }
  }
  sym.term @diagonal kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %zero = sym.constant 0 : i64
      %z = sym.parity_sum %zero {offsets = array<i64: 0, 1>, masks = array<i64: 7>, real = array<f64: 0.0>, state = 1 : i64, imag = array<f64: 1.5>} : complex<f64>
      sym.yield %z : complex<f64>
    }
  }
}
