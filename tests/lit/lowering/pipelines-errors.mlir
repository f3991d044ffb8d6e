// A bad -p pipeline is one error on stderr that names the problem and points into the
// pipeline as typed; symir-opt exits 1 (`not`). Options of a pass may be separated by
// commas as well as spaces.
//
// RUN: not symir-opt %s -p branch-fuse-equal-state 2>&1 | filecheck %s
// RUN: not symir-opt %s -p 'symir-lower{enable_fusoin=false}' 2>&1 | filecheck %s --check-prefix=OPTION
// RUN: not symir-opt %s -p 'symir-lower{force_fusion=term0+term1}' 2>&1 | filecheck %s --check-prefix=GROUP
// RUN: not symir-opt %s -p 'symir-lower{after=branch-sort-rows:cse,}' 2>&1 | filecheck %s --check-prefix=SYNTAX
// RUN: not symir-opt %s -p 'symir-lower{sort-rows=false enable_fusion=true sort_rows=true}' 2>&1 | filecheck %s --check-prefix=TWICE
// RUN: not symir-opt %s -p 'symir-lower{force_fusion="a+b" enable_fusion=false}' 2>&1 | filecheck %s --check-prefix=OFF
// RUN: not symir-opt %s -t riscv-asm 2>&1 | filecheck %s --check-prefix=TARGET
// RUN: symir-opt %s -p 'symir-lower{after=branch-fuse-equal-states:cse,before=convert-branch-to-stablehlo:dce}' --print-between-passes | filecheck %s --check-prefix=COMMA

// CHECK: symir-opt: error: unknown pass 'branch-fuse-equal-state' (did you mean branch-fuse-equal-states

// OPTION: symir-opt: error: pass 'symir-lower' has no option 'enable_fusoin' (did you mean enable_fusion?)

// An option given twice (`-` and `_` in its name alike): xDSL would keep the last.
// TWICE: symir-opt: error: pass 'symir-lower' is given the option 'sort_rows' twice

// OFF: symir-opt: error: pass 'symir-lower': bad options: symir-lower: force_fusion=['a+b'] names groups to merge, but enable_fusion=false turns the fusion pass off

// xDSL's targets for its own low-level dialects are not offered (they printed nothing or
// a stray bracket for sym IR); `mlir` is.
// TARGET: symir-opt: error: argument -t/--target: invalid choice: 'riscv-asm' (choose from mlir)

// GROUP:      symir-opt: error: cannot parse the pipeline at column 31: Unknown token
// GROUP-NEXT: {{^}}symir-lower{force_fusion=term0+term1}{{$}}
// GROUP-NEXT: {{^}}                              ^{{$}}
// GROUP-NEXT: hint: a merge group (emissions joined by '+') must be quoted: "term0+term1"

// The caret is under the text as typed (no quotes added around the insertion).
// SYNTAX:      symir-opt: error: cannot parse the pipeline at column 40: Unknown argument value
// SYNTAX-NEXT: {{^}}symir-lower{after=branch-sort-rows:cse,}{{$}}
// SYNTAX-NEXT: {{^}}                                       ^{{$}}

// COMMA:      IR after branch-fuse-equal-states:
// COMMA:      IR after cse:
// COMMA:      IR after branch-sort-rows:
// COMMA:      IR after dce:
// COMMA-NEXT: builtin.module
// COMMA:      IR after convert-branch-to-stablehlo:

sym.operator @x sites 2 states [-1, 1] dtype f64 {
  sym.term @flip kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %xi = sym.read %i : i64
      %f = sym.neg %xi : i64 -> i64
      sym.write %i, %f
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}
