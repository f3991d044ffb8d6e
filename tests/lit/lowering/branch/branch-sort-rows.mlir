// branch-sort-rows: the rows of each term (a row component: the columns and every op
// depending on them) are put in the order whose reads the cost model prices lowest, the
// emitted rows too (the branches are a multiset; xp and mels of an emission move
// together). Candidates: the given order, the lexicographic order of the read columns, and
// per read column its value order and its occurrence-rank order; applied only when
// strictly cheaper. The second RUN line applies the pass twice (idempotent), the third
// shows the reads it makes cheap.
//
// RUN: symir-opt %s --split-input-file -p 'branch-sort-rows{target=cpu}' | filecheck %s
// RUN: symir-opt %s --split-input-file -p 'branch-sort-rows{target=cpu},branch-sort-rows{target=cpu}' | filecheck %s
// RUN: symir-opt %s --split-input-file -p 'branch-sort-rows{target=cpu},branch-choose-lowering{target=cpu diagonal=rows}' | filecheck %s --check-prefix=READS
// A delta kernel (branch-return-deltas) keeps the order of the rows it returns (@deltas).
// RUN: symir-opt %s --split-input-file -p 'branch-return-deltas,branch-sort-rows{target=cpu}' | filecheck %s --check-prefix=DELTAS

// Heisenberg on NetKet's Chain(6, pbc=True) after coalescing and merging: the bonds come
// scrambled ((0, 1), (0, 5), (1, 2), (3, 4), (2, 3), (4, 5): i and j 4 runs each, gathers);
// the whole term (the diagonal's reads, the mask, the swap's reads and writes) is sorted
// by one permutation: i = 0, 0, 1, 2, 3, 4 and j = 1, 5, 2, 3, 4, 5, two runs each.
// CHECK-LABEL: branch.kernel @heisenberg
// CHECK: branch.column %{{.*}} {values = array<i64: 0, 0, 1, 2, 3, 4>}
// CHECK-NEXT: branch.read
// CHECK-NEXT: branch.column %{{.*}} {values = array<i64: 1, 5, 2, 3, 4, 5>}
// CHECK: branch.column %{{.*}} {values = array<i64: 0, 0, 1, 2, 3, 4>}
// CHECK-NEXT: branch.read
// CHECK-NEXT: branch.column %{{.*}} {values = array<i64: 1, 5, 2, 3, 4, 5>}
// CHECK: branch.column %{{.*}} {values = array<i64: 0, 0, 1, 2, 3, 4>}
// CHECK-NEXT: branch.column %{{.*}} {values = array<i64: 1, 5, 2, 3, 4, 5>}
// CHECK-NOT: branch.column
// READS-LABEL: branch.kernel @heisenberg
// READS-COUNT-6: {lowering = "slices"}
// READS-NOT: {lowering = "gather"}
// READS-NOT: {lowering = "take"}
branch.kernel @heisenberg sites 6 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x6xi8>):
  %0 = branch.state %x : tensor<?x6xi8> -> !branch.state<6x6xi8>
  %1 = branch.column %x {values = array<i64: 0, 0, 1, 3, 2, 4>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %2 = branch.read %x, %1 : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %3 = branch.column %x {values = array<i64: 1, 5, 2, 4, 3, 5>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %4 = branch.read %x, %3 : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %5 = branch.mul %2, %4 : tensor<?x6xi64>, tensor<?x6xi64> -> tensor<?x6xi64>
  %6 = branch.constant %x {value = true} : tensor<?x6xi8> -> tensor<?x6xi1>
  %7, %8 = branch.emit %x, %0, %5, %6 {term = "term0"} : tensor<?x6xi8>, !branch.state<6x6xi8>, tensor<?x6xi64>, tensor<?x6xi1> -> tensor<?x6x6xi8>, tensor<?x6xf64>
  %9 = branch.column %x {values = array<i64: 0, 0, 1, 3, 2, 4>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %10 = branch.read %x, %9 : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %11 = branch.column %x {values = array<i64: 1, 5, 2, 4, 3, 5>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %12 = branch.read %x, %11 : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %13 = branch.cmp ne %10, %12 : tensor<?x6xi64>, tensor<?x6xi64> -> tensor<?x6xi1>
  %14 = branch.state %x : tensor<?x6xi8> -> !branch.state<6x6xi8>
  %15 = branch.column %x {values = array<i64: 0, 0, 1, 3, 2, 4>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %16 = branch.column %x {values = array<i64: 1, 5, 2, 4, 3, 5>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %17 = branch.read %x, %15 : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %18 = branch.read %x, %16 : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %19 = branch.write %14, %15, %18 : !branch.state<6x6xi8>, tensor<?x6xi64>, tensor<?x6xi64> -> !branch.state<6x6xi8>
  %20 = branch.write %19, %16, %17 : !branch.state<6x6xi8>, tensor<?x6xi64>, tensor<?x6xi64> -> !branch.state<6x6xi8>
  %21 = branch.constant %x {value = -2.000000e+00 : f64} : tensor<?x6xi8> -> tensor<?x6xf64>
  %22, %23 = branch.emit %x, %20, %21, %13 {term = "term0"} : tensor<?x6xi8>, !branch.state<6x6xi8>, tensor<?x6xf64>, tensor<?x6xi1> -> tensor<?x6x6xi8>, tensor<?x6xf64>
  %24 = branch.sum_rows %8 : tensor<?x6xf64> -> tensor<?x1xf64>
  %25 = branch.state %x : tensor<?x6xi8> -> !branch.state<1x6xi8>
  %26 = branch.constant %x {value = true} : tensor<?x6xi8> -> tensor<?x1xi1>
  %27, %28 = branch.emit %x, %25, %24, %26 {term = "diagonal"} : tensor<?x6xi8>, !branch.state<1x6xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x6xi8>, tensor<?x1xf64>
  %29 = branch.concat %27, %22 : tensor<?x1x6xi8>, tensor<?x6x6xi8> -> tensor<?x7x6xi8>
  %30 = branch.concat %28, %23 : tensor<?x1xf64>, tensor<?x6xf64> -> tensor<?x7xf64>
  branch.return %29, %30 : tensor<?x7x6xi8>, tensor<?x7xf64>
}

// -----

// A concat that is not the kernel's output sees the row order: the term keeps it.
// CHECK-LABEL: branch.kernel @kept
// CHECK: branch.column %{{.*}} {values = array<i64: 3, 0, 2, 1>}
branch.kernel @kept sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<4x4xi8>
  %i = branch.column %x {values = array<i64: 3, 0, 2, 1>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %xi = branch.read %x, %i : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %t = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x4xi1>
  %xp, %mel = branch.emit %x, %s, %xi, %t {term = "z"} : tensor<?x4xi8>, !branch.state<4x4xi8>, tensor<?x4xi64>, tensor<?x4xi1> -> tensor<?x4x4xi8>, tensor<?x4xf64>
  %both = branch.concat %mel, %mel : tensor<?x4xf64>, tensor<?x4xf64> -> tensor<?x8xf64>
  %sum = branch.sum_rows %both : tensor<?x8xf64> -> tensor<?x1xf64>
  %d = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %t1 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %dxp, %dmel = branch.emit %x, %d, %sum, %t1 {term = "diagonal"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %xps = branch.concat %dxp, %xp : tensor<?x1x4xi8>, tensor<?x4x4xi8> -> tensor<?x5x4xi8>
  %mels = branch.concat %dmel, %mel : tensor<?x1xf64>, tensor<?x4xf64> -> tensor<?x5xf64>
  branch.return %xps, %mels : tensor<?x5x4xi8>, tensor<?x5xf64>
}

// -----

// x[i] = x[j]: the write joins i and j in one component, sorted by the read of j. In the
// delta kernel the sites (the stack of i) and the values (the stack of the read of j) are
// two components, no longer joined: sorting one alone would pair each site with another
// row's value, so the rows it returns keep their order.
// CHECK-LABEL: branch.kernel @deltas
// CHECK: branch.column %{{.*}} {values = array<i64: 1, 3, 2, 0>}
// CHECK: branch.column %{{.*}} {values = array<i64: 0, 1, 2, 3>}
// DELTAS-LABEL: branch.kernel @deltas
// DELTAS: branch.column %{{.*}} {values = array<i64: 0, 1, 2, 3>}
// DELTAS: branch.column %{{.*}} {values = array<i64: 3, 0, 2, 1>}
// DELTAS: branch.return_deltas
branch.kernel @deltas sites 4 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %i = branch.column %x {values = array<i64: 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %j = branch.column %x {values = array<i64: 3, 0, 2, 1>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %v = branch.read %x, %j : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<4x4xi8>
  %s1 = branch.write %s, %i, %v : !branch.state<4x4xi8>, tensor<?x4xi64>, tensor<?x4xi64> -> !branch.state<4x4xi8>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x4xf64>
  %t = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x4xi1>
  %xp, %mel = branch.emit %x, %s1, %a, %t {term = "t"} : tensor<?x4xi8>, !branch.state<4x4xi8>, tensor<?x4xf64>, tensor<?x4xi1> -> tensor<?x4x4xi8>, tensor<?x4xf64>
  %xps = branch.concat %xp : tensor<?x4x4xi8> -> tensor<?x4x4xi8>
  %mels = branch.concat %mel : tensor<?x4xf64> -> tensor<?x4xf64>
  branch.return %xps, %mels : tensor<?x4x4xi8>, tensor<?x4xf64>
}
