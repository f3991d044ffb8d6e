// Round trip of every branch op and of the !branch.state type through symir-opt: the
// custom form, the generic form, and a fixed point after one print.
// (SYMIR_ROUNDTRIP and SYMIR_GENERIC_ROUNDTRIP written out: each print made once, checked
// by FileCheck and parsed back from the file.)
// RUN: symir-opt %s -o %t.1.mlir && filecheck %s < %t.1.mlir
// RUN: symir-opt %t.1.mlir -o %t.2.mlir && filecheck %s < %t.2.mlir && diff %t.1.mlir %t.2.mlir
// RUN: symir-opt %s --print-op-generic -o %t.generic.mlir
// RUN: filecheck %s --check-prefix=GENERIC < %t.generic.mlir
// RUN: symir-opt %t.generic.mlir | filecheck %s

// The generic form spells properties and the state type out.
// GENERIC-LABEL: "branch.kernel"() <{sym_name = "values", num_sites = #builtin.int<3>, local_states = array<i64: -1, 0, 1>, dtype = complex<f64>, params = ["J", "w"], hermitian}> ({
// GENERIC-LABEL: "branch.kernel"() <{sym_name = "counts", num_sites = #builtin.int<4>, local_states = array<i64: 0, 1>, dtype = f64, params = []}> ({
// GENERIC: "branch.count"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x4xi8>, tensor<?x2xi64>, tensor<?x2xi64>) -> tensor<?x2xi64>
// GENERIC: "branch.count"(%{{.*}}, %{{.*}}, %{{.*}}) <{strategy = "prefix"}> : (tensor<?x4xi8>, tensor<?x2xi64>, tensor<?x2xi64>) -> tensor<?x2xi64>
// GENERIC: "branch.parity"(%{{.*}}) : (tensor<?x2xi64>) -> tensor<?x2xi64>
// GENERIC: "branch.nth_site"(%{{.*}}, %{{.*}}) <{sites = array<i64: 3, 0, 1>, state = 1 : i64}> : (tensor<?x4xi8>, tensor<?x2xi64>) -> tensor<?x2xi64>
// GENERIC-LABEL: "branch.kernel"() <{sym_name = "states", num_sites = #builtin.int<4>, local_states = array<i64: 0, 1, 2>, dtype = f64, params = []}> ({
// GENERIC: "branch.write"(%{{.*}}, %{{.*}}, %{{.*}}) : (!branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64>) -> !branch.state<2x4xi8>
// GENERIC: "branch.write"(%{{.*}}, %{{.*}}, %{{.*}}) <{checked}> : (!branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64>) -> !branch.state<2x4xi8>
// GENERIC: "branch.emit"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{term = "hop", tag = "up"}>

// ---------------------------------------------------------------------------------------
// @values: complex dtype, two runtime parameters, hermitian; every value and
// elementwise op (constant of each element type, column, splat, read, arithmetic with
// promotion, unary functions, floor, wrap_mod, complex, cmp, and/or/not, select, member).
// ---------------------------------------------------------------------------------------
// CHECK-LABEL: branch.kernel @values sites 3 states [-1, 0, 1] dtype complex<f64> params ["J", "w"] hermitian {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x3xi8>, %[[VJ:[a-zA-Z0-9_]+]]: tensor<f64>, %[[VW:[a-zA-Z0-9_]+]]: tensor<complex<f64>>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VJ_2:.*]] = branch.column %[[VX]] {values = array<i64: 1, 2>} : tensor<?x3xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VCI:.*]] = branch.constant %[[VX]] {value = 3 : i64} : tensor<?x3xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VCF:.*]] = branch.constant %[[VX]] {value = 5.000000e-01 : f64} : tensor<?x3xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VT:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x3xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VCOUPLING:.*]] = branch.splat %[[VJ]], %[[VX]] : tensor<f64>, tensor<?x3xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VWZ:.*]] = branch.splat %[[VW]], %[[VX]] : tensor<complex<f64>>, tensor<?x3xi8> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VXI:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VXJ:.*]] = branch.read %[[VX]], %[[VJ_2]] : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VADD:.*]] = branch.add %[[VXI]], %[[VCF]] : tensor<?x2xi64>, tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VSUB:.*]] = branch.sub %[[VXI]], %[[VXJ]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VMUL:.*]] = branch.mul %[[VCOUPLING]], %[[VXI]] : tensor<?x2xf64>, tensor<?x2xi64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VDIV:.*]] = branch.div %[[VXI]], %[[VCI]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VPOW:.*]] = branch.pow %[[VADD]], %[[VCI]] : tensor<?x2xf64>, tensor<?x2xi64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VMIN:.*]] = branch.min %[[VXI]], %[[VXJ]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VMAX:.*]] = branch.max %[[VMUL]], %[[VCF]] : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VNEG:.*]] = branch.neg %[[VSUB]] : tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VABSZ:.*]] = branch.abs %[[VWZ]] : tensor<?x2xcomplex<f64>> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VABSI:.*]] = branch.abs %[[VNEG]] : tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VCONJ:.*]] = branch.conj %[[VWZ]] : tensor<?x2xcomplex<f64>> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VRE:.*]] = branch.real %[[VCONJ]] : tensor<?x2xcomplex<f64>> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VIM:.*]] = branch.imag %[[VCONJ]] : tensor<?x2xcomplex<f64>> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VSQRT:.*]] = branch.sqrt %[[VABSI]] : tensor<?x2xi64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VEXP:.*]] = branch.exp %[[VRE]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VLOG:.*]] = branch.log %[[VEXP]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VSIN:.*]] = branch.sin %[[VLOG]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VCOS:.*]] = branch.cos %[[VWZ]] : tensor<?x2xcomplex<f64>> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VFLOOR:.*]] = branch.floor %[[VSIN]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VFLOORI:.*]] = branch.floor %[[VSUB]] : tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VWRAP:.*]] = branch.wrap_mod %[[VSUB]] {low = -1 : i64, count = 3 : i64} : tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VZ:.*]] = branch.complex %[[VRE]], %[[VCI]] : tensor<?x2xf64>, tensor<?x2xi64> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VLT:.*]] = branch.cmp lt %[[VXI]], %[[VXJ]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VLE:.*]] = branch.cmp le %[[VXI]], %[[VCF]] : tensor<?x2xi64>, tensor<?x2xf64> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VGT:.*]] = branch.cmp gt %[[VXI]], %[[VXJ]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VGE:.*]] = branch.cmp ge %[[VXI]], %[[VXJ]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VEQ:.*]] = branch.cmp eq %[[VZ]], %[[VWZ]] : tensor<?x2xcomplex<f64>>, tensor<?x2xcomplex<f64>> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VNE:.*]] = branch.cmp ne %[[VLT]], %[[VT]] : tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VAND:.*]] = branch.and %[[VLT]], %[[VLE]], %[[VGT]] : tensor<?x2xi1>, tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VOR:.*]] = branch.or %[[VGE]], %[[VEQ]] : tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VNOT:.*]] = branch.not %[[VNE]] : tensor<?x2xi1> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VOK:.*]] = branch.member %[[VWRAP]] {states = array<i64: -1, 0, 1>} : tensor<?x2xi64> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VMASK:.*]] = branch.and %[[VAND]], %[[VOR]], %[[VNOT]], %[[VOK]] : tensor<?x2xi1>, tensor<?x2xi1>, tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VSEL:.*]] = branch.select %[[VMASK]], %[[VXI]], %[[VPOW]] : tensor<?x2xi1>, tensor<?x2xi64>, tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: %{{.*}} = branch.lookup %[[VXI]] {keys = array<i64: 0, 2>, values = array<f64: 1.500000e+00, -5.000000e-01>} : tensor<?x2xi64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VA1:.*]] = branch.mul %[[VSEL]], %[[VZ]] : tensor<?x2xf64>, tensor<?x2xcomplex<f64>> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VA2:.*]] = branch.add %[[VA1]], %[[VCOS]] : tensor<?x2xcomplex<f64>>, tensor<?x2xcomplex<f64>> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VA3:.*]] = branch.mul %[[VA2]], %[[VSIN]] : tensor<?x2xcomplex<f64>>, tensor<?x2xf64> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VA4:.*]] = branch.add %[[VA3]], %[[VDIV]] : tensor<?x2xcomplex<f64>>, tensor<?x2xf64> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VA5:.*]] = branch.add %[[VA4]], %[[VMAX]] : tensor<?x2xcomplex<f64>>, tensor<?x2xf64> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VA6:.*]] = branch.add %[[VA5]], %[[VABSZ]] : tensor<?x2xcomplex<f64>>, tensor<?x2xf64> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VA7:.*]] = branch.add %[[VA6]], %[[VIM]] : tensor<?x2xcomplex<f64>>, tensor<?x2xf64> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VA8:.*]] = branch.add %[[VA7]], %[[VSQRT]] : tensor<?x2xcomplex<f64>>, tensor<?x2xf64> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VA9:.*]] = branch.add %[[VA8]], %[[VMIN]] : tensor<?x2xcomplex<f64>>, tensor<?x2xi64> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VS:.*]] = branch.state %[[VX]] : tensor<?x3xi8> -> !branch.state<2x3xi8>
// CHECK-NEXT: %[[VXP:[a-zA-Z0-9_]+]], %[[VMEL:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[VS]], %[[VA9]], %[[VMASK]] {term = "all"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xcomplex<f64>>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VXPS:.*]] = branch.concat %[[VXP]] : tensor<?x2x3xi8> -> tensor<?x2x3xi8>
// CHECK-NEXT: %[[VMELS:.*]] = branch.concat %[[VMEL]] : tensor<?x2xcomplex<f64>> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: branch.return %[[VXPS]], %[[VMELS]] : tensor<?x2x3xi8>, tensor<?x2xcomplex<f64>>
// CHECK-NEXT: }
branch.kernel @values sites 3 states [-1, 0, 1] dtype complex<f64> params ["J", "w"] hermitian {
^bb0(%x: tensor<?x3xi8>, %J: tensor<f64>, %w: tensor<complex<f64>>):
  %i = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %j = branch.column %x {values = array<i64: 1, 2>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %ci = branch.constant %x {value = 3 : i64} : tensor<?x3xi8> -> tensor<?x2xi64>
  %cf = branch.constant %x {value = 5.000000e-01 : f64} : tensor<?x3xi8> -> tensor<?x2xf64>
  %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x2xi1>
  %coupling = branch.splat %J, %x : tensor<f64>, tensor<?x3xi8> -> tensor<?x2xf64>
  %wz = branch.splat %w, %x : tensor<complex<f64>>, tensor<?x3xi8> -> tensor<?x2xcomplex<f64>>
  %xi = branch.read %x, %i : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %xj = branch.read %x, %j : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %add = branch.add %xi, %cf : tensor<?x2xi64>, tensor<?x2xf64> -> tensor<?x2xf64>
  %sub = branch.sub %xi, %xj : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %mul = branch.mul %coupling, %xi : tensor<?x2xf64>, tensor<?x2xi64> -> tensor<?x2xf64>
  %div = branch.div %xi, %ci : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xf64>
  %pow = branch.pow %add, %ci : tensor<?x2xf64>, tensor<?x2xi64> -> tensor<?x2xf64>
  %min = branch.min %xi, %xj : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %max = branch.max %mul, %cf : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x2xf64>
  %neg = branch.neg %sub : tensor<?x2xi64> -> tensor<?x2xi64>
  %absz = branch.abs %wz : tensor<?x2xcomplex<f64>> -> tensor<?x2xf64>
  %absi = branch.abs %neg : tensor<?x2xi64> -> tensor<?x2xi64>
  %conj = branch.conj %wz : tensor<?x2xcomplex<f64>> -> tensor<?x2xcomplex<f64>>
  %re = branch.real %conj : tensor<?x2xcomplex<f64>> -> tensor<?x2xf64>
  %im = branch.imag %conj : tensor<?x2xcomplex<f64>> -> tensor<?x2xf64>
  %sqrt = branch.sqrt %absi : tensor<?x2xi64> -> tensor<?x2xf64>
  %exp = branch.exp %re : tensor<?x2xf64> -> tensor<?x2xf64>
  %log = branch.log %exp : tensor<?x2xf64> -> tensor<?x2xf64>
  %sin = branch.sin %log : tensor<?x2xf64> -> tensor<?x2xf64>
  %cos = branch.cos %wz : tensor<?x2xcomplex<f64>> -> tensor<?x2xcomplex<f64>>
  %floor = branch.floor %sin : tensor<?x2xf64> -> tensor<?x2xf64>
  %floori = branch.floor %sub : tensor<?x2xi64> -> tensor<?x2xi64>
  %wrap = branch.wrap_mod %sub {low = -1 : i64, count = 3 : i64} : tensor<?x2xi64> -> tensor<?x2xi64>
  %z = branch.complex %re, %ci : tensor<?x2xf64>, tensor<?x2xi64> -> tensor<?x2xcomplex<f64>>
  %lt = branch.cmp lt %xi, %xj : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %le = branch.cmp le %xi, %cf : tensor<?x2xi64>, tensor<?x2xf64> -> tensor<?x2xi1>
  %gt = branch.cmp gt %xi, %xj : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %ge = branch.cmp ge %xi, %xj : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %eq = branch.cmp eq %z, %wz : tensor<?x2xcomplex<f64>>, tensor<?x2xcomplex<f64>> -> tensor<?x2xi1>
  %ne = branch.cmp ne %lt, %t : tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
  %and = branch.and %lt, %le, %gt : tensor<?x2xi1>, tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
  %or = branch.or %ge, %eq : tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
  %not = branch.not %ne : tensor<?x2xi1> -> tensor<?x2xi1>
  %ok = branch.member %wrap {states = array<i64: -1, 0, 1>} : tensor<?x2xi64> -> tensor<?x2xi1>
  %mask = branch.and %and, %or, %not, %ok : tensor<?x2xi1>, tensor<?x2xi1>, tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
  %sel = branch.select %mask, %xi, %pow : tensor<?x2xi1>, tensor<?x2xi64>, tensor<?x2xf64> -> tensor<?x2xf64>
  %lk = branch.lookup %xi {keys = array<i64: 0, 2>, values = array<f64: 1.5, -0.5>} : tensor<?x2xi64> -> tensor<?x2xf64>
  %a1 = branch.mul %sel, %z : tensor<?x2xf64>, tensor<?x2xcomplex<f64>> -> tensor<?x2xcomplex<f64>>
  %a2 = branch.add %a1, %cos : tensor<?x2xcomplex<f64>>, tensor<?x2xcomplex<f64>> -> tensor<?x2xcomplex<f64>>
  %a3 = branch.mul %a2, %sin : tensor<?x2xcomplex<f64>>, tensor<?x2xf64> -> tensor<?x2xcomplex<f64>>
  %a4 = branch.add %a3, %div : tensor<?x2xcomplex<f64>>, tensor<?x2xf64> -> tensor<?x2xcomplex<f64>>
  %a5 = branch.add %a4, %max : tensor<?x2xcomplex<f64>>, tensor<?x2xf64> -> tensor<?x2xcomplex<f64>>
  %a6 = branch.add %a5, %absz : tensor<?x2xcomplex<f64>>, tensor<?x2xf64> -> tensor<?x2xcomplex<f64>>
  %a7 = branch.add %a6, %im : tensor<?x2xcomplex<f64>>, tensor<?x2xf64> -> tensor<?x2xcomplex<f64>>
  %a8 = branch.add %a7, %sqrt : tensor<?x2xcomplex<f64>>, tensor<?x2xf64> -> tensor<?x2xcomplex<f64>>
  %a9 = branch.add %a8, %min : tensor<?x2xcomplex<f64>>, tensor<?x2xi64> -> tensor<?x2xcomplex<f64>>
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<2x3xi8>
  %xp, %mel = branch.emit %x, %s, %a9, %mask {term = "all"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xcomplex<f64>>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xcomplex<f64>>
  %xps = branch.concat %xp : tensor<?x2x3xi8> -> tensor<?x2x3xi8>
  %mels = branch.concat %mel : tensor<?x2xcomplex<f64>> -> tensor<?x2xcomplex<f64>>
  branch.return %xps, %mels : tensor<?x2x3xi8>, tensor<?x2xcomplex<f64>>
}

// ---------------------------------------------------------------------------------------
// @counts: the range count (with and without a fixed lowering strategy) and the parity.
// ---------------------------------------------------------------------------------------
// CHECK-LABEL: branch.kernel @counts sites 4 states [0, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[CX:[a-zA-Z0-9_]+]]: tensor<?x4xi8>):
// CHECK-NEXT: %[[CLO:.*]] = branch.column %[[CX]] {values = array<i64: 0, 1>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[CHI:.*]] = branch.column %[[CX]] {values = array<i64: 3, 4>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[CN:.*]] = branch.count %[[CX]], %[[CLO]], %[[CHI]] : tensor<?x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[CP:.*]] = branch.count %[[CX]], %[[CLO]], %[[CN]] {strategy = "prefix"} : tensor<?x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[CS:.*]] = branch.parity %[[CP]] : tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[CK:.*]] = branch.nth_site %[[CX]], %[[CLO]] {sites = array<i64: 3, 0, 1>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
branch.kernel @counts sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %lo = branch.column %x {values = array<i64: 0, 1>} : tensor<?x4xi8> -> tensor<?x2xi64>
  %hi = branch.column %x {values = array<i64: 3, 4>} : tensor<?x4xi8> -> tensor<?x2xi64>
  %n = branch.count %x, %lo, %hi : tensor<?x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %p = branch.count %x, %lo, %n {strategy = "prefix"} : tensor<?x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %s = branch.parity %p : tensor<?x2xi64> -> tensor<?x2xi64>
  %k = branch.nth_site %x, %lo {sites = array<i64: 3, 0, 1>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %st = branch.state %x : tensor<?x4xi8> -> !branch.state<2x4xi8>
  %t = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x2xi1>
  %xp, %mel = branch.emit %x, %st, %s, %t {term = "jw"} : tensor<?x4xi8>, !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi1> -> tensor<?x2x4xi8>, tensor<?x2xf64>
  %xps = branch.concat %xp : tensor<?x2x4xi8> -> tensor<?x2x4xi8>
  %mels = branch.concat %mel : tensor<?x2xf64> -> tensor<?x2xf64>
  branch.return %xps, %mels : tensor<?x2x4xi8>, tensor<?x2xf64>
}

// ---------------------------------------------------------------------------------------
// @states: no parameters, not hermitian; every state op (state, checked and unchecked
// write, state_read, invalidate, select_state), emit with and without a tag, sum_rows and
// concat of several inputs.
// ---------------------------------------------------------------------------------------
// CHECK-LABEL: branch.kernel @states sites 4 states [0, 1, 2] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX_1:[a-zA-Z0-9_]+]]: tensor<?x4xi8>):
// CHECK-NEXT: %[[VI_1:.*]] = branch.column %[[VX_1]] {values = array<i64: 0, 2>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VJ_1:.*]] = branch.column %[[VX_1]] {values = array<i64: 1, 3>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VONE:.*]] = branch.constant %[[VX_1]] {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VT_1:.*]] = branch.constant %[[VX_1]] {value = true} : tensor<?x4xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VS0:.*]] = branch.state %[[VX_1]] : tensor<?x4xi8> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[VVI:.*]] = branch.state_read %[[VS0]], %[[VI_1]] : !branch.state<2x4xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VVJ:.*]] = branch.state_read %[[VS0]], %[[VJ_1]] : !branch.state<2x4xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VS1:.*]] = branch.write %[[VS0]], %[[VI_1]], %[[VVJ]] : !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[VUP:.*]] = branch.add %[[VVI]], %[[VONE]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VS2:.*]] = branch.write %[[VS1]], %[[VJ_1]], %[[VUP]] {checked} : !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[VS3:.*]] = branch.invalidate %[[VS2]] : !branch.state<2x4xi8> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[VP:.*]] = branch.cmp ne %[[VVI]], %[[VVJ]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VS4:.*]] = branch.select_state %[[VP]], %[[VS2]], %[[VS3]] : tensor<?x2xi1>, !branch.state<2x4xi8>, !branch.state<2x4xi8> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[VAFTER:.*]] = branch.state_read %[[VS4]], %[[VJ_1]] : !branch.state<2x4xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VAMP:.*]] = branch.constant %[[VX_1]] {value = -1.000000e+00 : f64} : tensor<?x4xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VHOP_XP:[a-zA-Z0-9_]+]], %[[VHOP_MEL:[a-zA-Z0-9_]+]] = branch.emit %[[VX_1]], %[[VS4]], %[[VAMP]], %[[VP]] {term = "hop", tag = "up"} : tensor<?x4xi8>, !branch.state<2x4xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x4xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[VD0:.*]] = branch.state %[[VX_1]] : tensor<?x4xi8> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[VN:.*]] = branch.mul %[[VAFTER]], %[[VVI]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VDIAG_XP:[a-zA-Z0-9_]+]], %[[VDIAG_MEL:[a-zA-Z0-9_]+]] = branch.emit %[[VX_1]], %[[VD0]], %[[VN]], %[[VT_1]] {term = "n"} : tensor<?x4xi8>, !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi1> -> tensor<?x2x4xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[VSUM:.*]] = branch.sum_rows %[[VDIAG_MEL]] : tensor<?x2xf64> -> tensor<?x1xf64>
// CHECK-NEXT: %[[VD1:.*]] = branch.state %[[VX_1]] : tensor<?x4xi8> -> !branch.state<1x4xi8>
// CHECK-NEXT: %[[VT1:.*]] = branch.constant %[[VX_1]] {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
// CHECK-NEXT: %[[VONE_XP:[a-zA-Z0-9_]+]], %[[VONE_MEL:[a-zA-Z0-9_]+]] = branch.emit %[[VX_1]], %[[VD1]], %[[VSUM]], %[[VT1]] {term = "diagonal"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
// CHECK-NEXT: %[[VXPS_1:.*]] = branch.concat %[[VONE_XP]], %[[VHOP_XP]], %[[VDIAG_XP]] : tensor<?x1x4xi8>, tensor<?x2x4xi8>, tensor<?x2x4xi8> -> tensor<?x5x4xi8>
// CHECK-NEXT: %[[VMELS_1:.*]] = branch.concat %[[VONE_MEL]], %[[VHOP_MEL]], %[[VDIAG_MEL]] : tensor<?x1xf64>, tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x5xf64>
// CHECK-NEXT: branch.return %[[VXPS_1]], %[[VMELS_1]] : tensor<?x5x4xi8>, tensor<?x5xf64>
// CHECK-NEXT: }
branch.kernel @states sites 4 states [0, 1, 2] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %i = branch.column %x {values = array<i64: 0, 2>} : tensor<?x4xi8> -> tensor<?x2xi64>
  %j = branch.column %x {values = array<i64: 1, 3>} : tensor<?x4xi8> -> tensor<?x2xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x2xi64>
  %t = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x2xi1>
  %s0 = branch.state %x : tensor<?x4xi8> -> !branch.state<2x4xi8>
  %vi = branch.state_read %s0, %i : !branch.state<2x4xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %vj = branch.state_read %s0, %j : !branch.state<2x4xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %s1 = branch.write %s0, %i, %vj : !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x4xi8>
  %up = branch.add %vi, %one : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %s2 = branch.write %s1, %j, %up {checked} : !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x4xi8>
  %s3 = branch.invalidate %s2 : !branch.state<2x4xi8> -> !branch.state<2x4xi8>
  %p = branch.cmp ne %vi, %vj : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %s4 = branch.select_state %p, %s2, %s3 : tensor<?x2xi1>, !branch.state<2x4xi8>, !branch.state<2x4xi8> -> !branch.state<2x4xi8>
  %after = branch.state_read %s4, %j : !branch.state<2x4xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %amp = branch.constant %x {value = -1.000000e+00 : f64} : tensor<?x4xi8> -> tensor<?x2xf64>
  %hop_xp, %hop_mel = branch.emit %x, %s4, %amp, %p {term = "hop", tag = "up"} : tensor<?x4xi8>, !branch.state<2x4xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x4xi8>, tensor<?x2xf64>
  %d0 = branch.state %x : tensor<?x4xi8> -> !branch.state<2x4xi8>
  %n = branch.mul %after, %vi : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %diag_xp, %diag_mel = branch.emit %x, %d0, %n, %t {term = "n"} : tensor<?x4xi8>, !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi1> -> tensor<?x2x4xi8>, tensor<?x2xf64>
  %sum = branch.sum_rows %diag_mel : tensor<?x2xf64> -> tensor<?x1xf64>
  %d1 = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %t1 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %one_xp, %one_mel = branch.emit %x, %d1, %sum, %t1 {term = "diagonal"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %xps = branch.concat %one_xp, %hop_xp, %diag_xp : tensor<?x1x4xi8>, tensor<?x2x4xi8>, tensor<?x2x4xi8> -> tensor<?x5x4xi8>
  %mels = branch.concat %one_mel, %hop_mel, %diag_mel : tensor<?x1xf64>, tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x5xf64>
  branch.return %xps, %mels : tensor<?x5x4xi8>, tensor<?x5xf64>
}

// A derivative kernel's return (branch-differentiate): derivatives after mels, named in wrt.
// CHECK-LABEL: branch.kernel @derivatives sites 2 states [-1, 1] dtype f64 params ["h"] {
// CHECK: branch.return %{{.*}}, %[[VM:.*]], %[[VD:.*]], %[[VD]] {wrt = ["h", "h,h"]} : tensor<?x1x2xi8>, tensor<?x1xf64>, tensor<?x1xf64>, tensor<?x1xf64>
// CHECK-NEXT: }
// GENERIC-LABEL: "branch.kernel"() <{sym_name = "derivatives"
// GENERIC: "branch.return"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{wrt = ["h", "h,h"]}> : (tensor<?x1x2xi8>, tensor<?x1xf64>, tensor<?x1xf64>, tensor<?x1xf64>) -> ()
branch.kernel @derivatives sites 2 states [-1, 1] dtype f64 params ["h"] {
^bb0(%x: tensor<?x2xi8>, %h: tensor<f64>):
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<1x2xi8>
  %a = branch.splat %h, %x : tensor<f64>, tensor<?x2xi8> -> tensor<?x1xf64>
  %m = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x1xi1>
  %xp, %mel = branch.emit %x, %s, %a, %m {term = "t"} : tensor<?x2xi8>, !branch.state<1x2xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x2xi8>, tensor<?x1xf64>
  %d = branch.constant %x {value = 0.0 : f64} : tensor<?x2xi8> -> tensor<?x1xf64>
  branch.return %xp, %mel, %d, %d {wrt = ["h", "h,h"]} : tensor<?x1x2xi8>, tensor<?x1xf64>, tensor<?x1xf64>, tensor<?x1xf64>
}

// ---------------------------------------------------------------------------------------
// @choices: the lowering choices of branch-choose-lowering, a read with each `lowering`
// and a quadratic form with pairs, linear sites and a constant.
// ---------------------------------------------------------------------------------------
// CHECK-LABEL: branch.kernel @choices sites 4 states [-1, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX_C:[a-zA-Z0-9_]+]]: tensor<?x4xi8>):
// CHECK-NEXT: %[[VID:.*]] = branch.column %[[VX_C]] {values = array<i64: 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
// CHECK-NEXT: %[[VSC:.*]] = branch.column %[[VX_C]] {values = array<i64: 3, 1, 0, 2>} : tensor<?x4xi8> -> tensor<?x4xi64>
// CHECK-NEXT: %{{.*}} = branch.read %[[VX_C]], %[[VID]] {lowering = "x"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
// CHECK-NEXT: %{{.*}} = branch.read %[[VX_C]], %[[VID]] {lowering = "slices"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
// CHECK-NEXT: %{{.*}} = branch.read %[[VX_C]], %[[VSC]] {lowering = "take"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
// CHECK-NEXT: %{{.*}} = branch.read %[[VX_C]], %[[VSC]] {lowering = "permuted"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
// CHECK-NEXT: %{{.*}} = branch.read %[[VX_C]], %[[VSC]] {lowering = "gather"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
// CHECK-NEXT: %[[VQ:.*]] = branch.quadratic_form %[[VX_C]] {pairs = array<i64: 0, 1, 2, 2>, weights = array<f64: 1.000000e+00, -5.000000e-01>, sites = array<i64: 3>, linear = array<f64: 2.500000e-01>, constant = 1.500000e+00 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
// CHECK-NEXT: %{{.*}} = branch.quadratic_form %[[VX_C]] {pairs = array<i64>, weights = array<f64>, sites = array<i64>, linear = array<f64>, constant = 0.000000e+00 : f64} : tensor<?x4xi8> -> tensor<?x1xcomplex<f64>>
// CHECK: branch.return
// CHECK-NEXT: }
branch.kernel @choices sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %id = branch.column %x {values = array<i64: 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %sc = branch.column %x {values = array<i64: 3, 1, 0, 2>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %a = branch.read %x, %id {lowering = "x"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %b = branch.read %x, %id {lowering = "slices"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %c = branch.read %x, %sc {lowering = "take"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %d = branch.read %x, %sc {lowering = "permuted"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %e = branch.read %x, %sc {lowering = "gather"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %q = branch.quadratic_form %x {pairs = array<i64: 0, 1, 2, 2>, weights = array<f64: 1.0, -0.5>, sites = array<i64: 3>, linear = array<f64: 0.25>, constant = 1.5 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %z = branch.quadratic_form %x {pairs = array<i64>, weights = array<f64>, sites = array<i64>, linear = array<f64>, constant = 0.0 : f64} : tensor<?x4xi8> -> tensor<?x1xcomplex<f64>>
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %t = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xp, %mel = branch.emit %x, %s, %q, %t {term = "diagonal"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  branch.return %xp, %mel : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// The table ops of symir.pauli_strings (docs/pauli-strings.md).
// CHECK-LABEL: branch.kernel @pauli sites 3 states [-1, 1] dtype f64 params [] {
// CHECK:       %[[PV:.*]] = branch.parity_sum %{{.*}}, %{{.*}} {offsets = array<i64: 0, 1, 3>, masks = array<i64: 4, 0, 2>, real = array<f64: 5.000000e-01, 1.000000e+00, -2.000000e+00>, state = -1 : i64} : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xf64>
// CHECK:       %{{.*}} = branch.flip_sites %{{.*}}, %{{.*}} {masks = array<i64: 1, 6>} : !branch.state<2x3xi8>, tensor<?x2xi64> -> !branch.state<2x3xi8>
// GENERIC-LABEL: "branch.kernel"() <{sym_name = "pauli"
// GENERIC: "branch.parity_sum"(%{{.*}}, %{{.*}}) <{offsets = array<i64: 0, 1, 3>, masks = array<i64: 4, 0, 2>, real = array<f64: 5.000000e-01, 1.000000e+00, -2.000000e+00>, state = -1 : i64}> : (tensor<?x3xi8>, tensor<?x2xi64>) -> tensor<?x2xf64>
// GENERIC: "branch.flip_sites"(%{{.*}}, %{{.*}}) <{masks = array<i64: 1, 6>}> : (!branch.state<2x3xi8>, tensor<?x2xi64>) -> !branch.state<2x3xi8>
branch.kernel @pauli sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %k = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %v = branch.parity_sum %x, %k {offsets = array<i64: 0, 1, 3>, masks = array<i64: 4, 0, 2>, real = array<f64: 0.5, 1.0, -2.0>, state = -1 : i64} : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xf64>
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<2x3xi8>
  %f = branch.flip_sites %s, %k {masks = array<i64: 1, 6>} : !branch.state<2x3xi8>, tensor<?x2xi64> -> !branch.state<2x3xi8>
  %m = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x2xi1>
  %xp, %mel = branch.emit %x, %f, %v, %m {term = "strings"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
  branch.return %xp, %mel : tensor<?x2x3xi8>, tensor<?x2xf64>
}

// A delta kernel (branch-return-deltas): branch.stack joins K values per row, and
// branch.return_deltas returns the sites and values (and mels, derivatives) of each slot.
// CHECK-LABEL: branch.kernel @deltas sites 2 states [-1, 1] dtype f64 params ["h"] {
// CHECK: %[[VSS:.*]] = branch.stack %{{.*}}, %{{.*}} : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1x2xi64>
// CHECK-NEXT: %[[VSV:.*]] = branch.stack %{{.*}}, %{{.*}} : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1x2xi64>
// CHECK: branch.return_deltas %[[VSS]], %[[VSV]], %{{.*}}, %{{.*}} {wrt = ["h"]} : tensor<?x1x2xi64>, tensor<?x1x2xi64>, tensor<?x1xf64>, tensor<?x1xf64>
// CHECK-NEXT: }
// CHECK-NEXT: }
// GENERIC-LABEL: "branch.kernel"() <{sym_name = "deltas"
// GENERIC: "branch.stack"(%{{.*}}, %{{.*}}) : (tensor<?x1xi64>, tensor<?x1xi64>) -> tensor<?x1x2xi64>
// GENERIC: "branch.return_deltas"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{wrt = ["h"]}> : (tensor<?x1x2xi64>, tensor<?x1x2xi64>, tensor<?x1xf64>, tensor<?x1xf64>) -> ()
branch.kernel @deltas sites 2 states [-1, 1] dtype f64 params ["h"] {
^bb0(%x: tensor<?x2xi8>, %h: tensor<f64>):
  %i = branch.column %x {values = array<i64: 0>} : tensor<?x2xi8> -> tensor<?x1xi64>
  %j = branch.column %x {values = array<i64: 1>} : tensor<?x2xi8> -> tensor<?x1xi64>
  %xi = branch.read %x, %i : tensor<?x2xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
  %xj = branch.read %x, %j : tensor<?x2xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
  %sites = branch.stack %i, %j : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1x2xi64>
  %values = branch.stack %xj, %xi : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1x2xi64>
  %mel = branch.splat %h, %x : tensor<f64>, tensor<?x2xi8> -> tensor<?x1xf64>
  %d = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x1xf64>
  branch.return_deltas %sites, %values, %mel, %d {wrt = ["h"]} : tensor<?x1x2xi64>, tensor<?x1x2xi64>, tensor<?x1xf64>, tensor<?x1xf64>
}

