// sym-differentiate: every sym.operator @H becomes its derivative operators @H__d_<direction>
// (here wrt=p: @H__d_p), with H's terms, predicates and updates and each amplitude replaced by
// its derivative. One case per derivative rule; the parameter's own tangent is the constant 1
// (complex: 1 and i, one operator each). Dead primal ops are removed.
//
// RUN: symir-opt %s --split-input-file -p 'sym-differentiate{wrt=p}' | filecheck %s
// RUN: symir-opt %s --split-input-file -p 'sym-differentiate{wrt=p}' 2>&1 >/dev/null | filecheck %s --check-prefix=WARN
// RUN: not symir-opt %s --split-input-file -p 'sym-differentiate{wrt=nope}' 2>&1 | filecheck %s --check-prefix=ERR
// A table parameter has no direction: every parameter but the tables by default (@table;
// naming one is an error: sym-differentiate-errors.mlir).
// RUN: symir-opt %s --split-input-file -p sym-differentiate 2>/dev/null | filecheck %s --check-prefix=TABLES

// ERR: error: ValueError: sym-differentiate: operator @seed has no parameter(s) ['nope']; its parameters are ['p', 'q']

// The parameter itself: dp/dp = 1.
// CHECK-LABEL: sym.operator @seed__d_p sites 2 states [-1, 1] dtype f64 {
// CHECK-NOT: sym.param
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: sym.yield %[[ONE]] : f64
builtin.module {
  sym.operator @seed sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        
        sym.yield %p : f64
      }
    }
  }
}

// -----

// d(a + b) = da + db (b an integer read: no tangent).
// CHECK-LABEL: sym.operator @add__d_p
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: sym.yield %[[ONE]] : f64
builtin.module {
  sym.operator @add sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.add %p, %s : f64, i64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d(a - b) = da - db.
// CHECK-LABEL: sym.operator @sub__d_p
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[D:.*]] = sym.neg %[[ONE]] : f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @sub sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.sub %s, %p : i64, f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d(a b) = da b + a db (here db = 0).
// CHECK-LABEL: sym.operator @mul__d_p
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[Q:.*]] = sym.param "q" default 2.0 : f64
// CHECK-NEXT: %[[D:.*]] = sym.mul %[[Q]], %[[ONE]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @mul sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.mul %p, %q : f64, f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d(a / b) = (da - (a / b) db) / b.
// CHECK-LABEL: sym.operator @div__d_p
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[Q:.*]] = sym.param "q"
// CHECK-NEXT: %[[D:.*]] = sym.div %[[ONE]], %[[Q]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @div sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.div %p, %q : f64, f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d(a ** b) = b a ** (b - 1) da + (a == 0 ? 0 : a ** b log a) db.
// CHECK-LABEL: sym.operator @pow__d_p
// CHECK: %[[P:.*]] = sym.param "p"
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[Q:.*]] = sym.param "q"
// CHECK-NEXT: %[[ONE2:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[QM1:.*]] = sym.sub %[[Q]], %[[ONE2]] : f64, f64 -> f64
// CHECK-NEXT: %[[POW:.*]] = sym.pow %[[P]], %[[QM1]] : f64, f64 -> f64
// CHECK-NEXT: %[[F:.*]] = sym.mul %[[Q]], %[[POW]] : f64, f64 -> f64
// CHECK-NEXT: %[[D:.*]] = sym.mul %[[F]], %[[ONE]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @pow sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.pow %p, %q : f64, f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// The exponent's part of d(a ** b): (a == 0 ? 0 : a ** b log a) db.
// CHECK-LABEL: sym.operator @pow_exponent__d_p
// CHECK: %[[Q:.*]] = sym.param "q"
// CHECK: %[[A:.*]] = sym.pow %[[Q]], %[[P:.*]] : f64, f64 -> f64
// CHECK-NEXT: %[[Z:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[AT0:.*]] = sym.cmp eq %[[Q]], %[[Z]] : f64, f64
// CHECK-NEXT: %[[LOG:.*]] = sym.log %[[Q]] : f64 -> f64
// CHECK-NEXT: %[[VLOG:.*]] = sym.mul %[[A]], %[[LOG]] : f64, f64 -> f64
// CHECK-NEXT: %[[Z2:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[F:.*]] = sym.select %[[AT0]], %[[Z2]], %[[VLOG]] : f64, f64 -> f64
// CHECK-NEXT: %[[D:.*]] = sym.mul %[[F]], %{{.*}} : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @pow_exponent sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.pow %q, %p : f64, f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d min(a, b) = a <= b ? da : db.
// CHECK-LABEL: sym.operator @min__d_p
// CHECK: %[[P:.*]] = sym.param "p"
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[Q:.*]] = sym.param "q"
// CHECK-NEXT: %[[LE:.*]] = sym.cmp le %[[P]], %[[Q]] : f64, f64
// CHECK-NEXT: %[[Z:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[D:.*]] = sym.select %[[LE]], %[[ONE]], %[[Z]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @min sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.min %p, %q : f64, f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d max(a, b) = a >= b ? da : db.
// CHECK-LABEL: sym.operator @max__d_p
// CHECK: %[[P:.*]] = sym.param "p"
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK: %[[S:.*]] = sym.read
// CHECK-NEXT: %[[GE:.*]] = sym.cmp ge %[[P]], %[[S]] : f64, i64
// CHECK-NEXT: %[[Z:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[D:.*]] = sym.select %[[GE]], %[[ONE]], %[[Z]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @max sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.max %p, %s : f64, i64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d(-a) = -da.
// CHECK-LABEL: sym.operator @neg__d_p
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[D:.*]] = sym.neg %[[ONE]] : f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @neg sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.neg %p : f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d|a| = a >= 0 ? da : -da (a real).
// CHECK-LABEL: sym.operator @abs__d_p
// CHECK: %[[P:.*]] = sym.param "p"
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[Z:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[GE:.*]] = sym.cmp ge %[[P]], %[[Z]] : f64, f64
// CHECK-NEXT: %[[N:.*]] = sym.neg %[[ONE]] : f64 -> f64
// CHECK-NEXT: %[[D:.*]] = sym.select %[[GE]], %[[ONE]], %[[N]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @abs sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.abs %p : f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d|z| = re(conj(z) dz) / |z|, and 0 where z = 0.
// CHECK-LABEL: sym.operator @abs_complex__d_p
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK: %[[Z:.*]] = sym.complex %{{.*}}, %{{.*}} : i64, f64
// CHECK-NEXT: %[[R0:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[DZ:.*]] = sym.complex %[[R0]], %[[ONE]] : f64, f64
// CHECK-NEXT: %[[A:.*]] = sym.abs %[[Z]] : complex<f64> -> f64
// CHECK-NEXT: %[[C:.*]] = sym.conj %[[Z]] : complex<f64> -> complex<f64>
// CHECK-NEXT: %[[M:.*]] = sym.mul %[[C]], %[[DZ]] : complex<f64>, complex<f64> -> complex<f64>
// CHECK-NEXT: %[[RE:.*]] = sym.real %[[M]] : complex<f64> -> f64
// CHECK-NEXT: %[[ZERO:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[AT0:.*]] = sym.cmp eq %[[A]], %[[ZERO]] : f64, f64
// CHECK-NEXT: %[[Q:.*]] = sym.div %[[RE]], %[[A]] : f64, f64 -> f64
// CHECK-NEXT: %[[D:.*]] = sym.select %[[AT0]], %[[ZERO]], %[[Q]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @abs_complex sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %z = sym.complex %s, %p : i64, f64
        %a = sym.abs %z : complex<f64> -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d sqrt(a) = da / (2 sqrt(a)).
// CHECK-LABEL: sym.operator @sqrt__d_p
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[V:.*]] = sym.sqrt %{{.*}} : f64 -> f64
// CHECK-NEXT: %[[TWO:.*]] = sym.constant 2.000000e+00 : f64
// CHECK-NEXT: %[[M:.*]] = sym.mul %[[TWO]], %[[V]] : f64, f64 -> f64
// CHECK-NEXT: %[[D:.*]] = sym.div %[[ONE]], %[[M]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @sqrt sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.sqrt %p : f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d exp(a) = exp(a) da.
// CHECK-LABEL: sym.operator @exp__d_p
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[V:.*]] = sym.exp %{{.*}} : f64 -> f64
// CHECK-NEXT: %[[D:.*]] = sym.mul %[[V]], %[[ONE]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @exp sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.exp %p : f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d log(a) = da / a.
// CHECK-LABEL: sym.operator @log__d_p
// CHECK: %[[P:.*]] = sym.param "p"
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[D:.*]] = sym.div %[[ONE]], %[[P]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @log sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.log %p : f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d sin(a) = cos(a) da.
// CHECK-LABEL: sym.operator @sin__d_p
// CHECK: %[[P:.*]] = sym.param "p"
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[C:.*]] = sym.cos %[[P]] : f64 -> f64
// CHECK-NEXT: %[[D:.*]] = sym.mul %[[C]], %[[ONE]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @sin sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.sin %p : f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d cos(a) = -sin(a) da.
// CHECK-LABEL: sym.operator @cos__d_p
// CHECK: %[[P:.*]] = sym.param "p"
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[S:.*]] = sym.sin %[[P]] : f64 -> f64
// CHECK-NEXT: %[[M:.*]] = sym.mul %[[S]], %[[ONE]] : f64, f64 -> f64
// CHECK-NEXT: %[[D:.*]] = sym.neg %[[M]] : f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @cos sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.cos %p : f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d floor(a) = 0 (a step function): d(floor(p) p) = floor(p) dp.
// CHECK-LABEL: sym.operator @floor__d_p
// CHECK: %[[P:.*]] = sym.param "p"
// CHECK-NEXT: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[F:.*]] = sym.floor %[[P]] : f64 -> f64
// CHECK-NEXT: %[[D:.*]] = sym.mul %[[F]], %[[ONE]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @floor sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %f = sym.floor %p : f64 -> f64
        %a = sym.mul %f, %p : f64, f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d complex(re, im) = complex(d re, d im) (d re = 0: an integer read).
// CHECK-LABEL: sym.operator @complex__d_p sites 2 states [-1, 1] dtype complex<f64>
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[Z:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[D:.*]] = sym.complex %[[Z]], %[[ONE]] : f64, f64
// CHECK-NEXT: sym.yield %[[D]] : complex<f64>
builtin.module {
  sym.operator @complex sites 2 states [-1, 1] dtype complex<f64> {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.complex %s, %p : i64, f64
        sym.yield %a : complex<f64>
      }
    }
  }
}

// -----

// d conj(a) = conj(da).
// CHECK-LABEL: sym.operator @conj__d_p
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[Z:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[DZ:.*]] = sym.complex %[[Z]], %[[ONE]] : f64, f64
// CHECK-NEXT: %[[D:.*]] = sym.conj %[[DZ]] : complex<f64> -> complex<f64>
// CHECK-NEXT: sym.yield %[[D]] : complex<f64>
builtin.module {
  sym.operator @conj sites 2 states [-1, 1] dtype complex<f64> {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %z = sym.complex %s, %p : i64, f64
        %a = sym.conj %z : complex<f64> -> complex<f64>
        sym.yield %a : complex<f64>
      }
    }
  }
}

// -----

// d re(a) = re(da).
// CHECK-LABEL: sym.operator @real__d_p
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[Z:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[DZ:.*]] = sym.complex %[[ONE]], %[[Z]] : f64, f64
// CHECK-NEXT: %[[D:.*]] = sym.real %[[DZ]] : complex<f64> -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @real sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %z = sym.complex %p, %s : f64, i64
        %a = sym.real %z : complex<f64> -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d im(a) = im(da).
// CHECK-LABEL: sym.operator @imag__d_p
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[Z:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[DZ:.*]] = sym.complex %[[Z]], %[[ONE]] : f64, f64
// CHECK-NEXT: %[[D:.*]] = sym.imag %[[DZ]] : complex<f64> -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @imag sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %z = sym.complex %s, %p : i64, f64
        %a = sym.imag %z : complex<f64> -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// d (c ? a : b) = c ? da : db; the condition is kept as it is.
// CHECK-LABEL: sym.operator @select__d_p
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK: %[[C:.*]] = sym.cmp gt %{{.*}}, %{{.*}} : i64, i64
// CHECK-NEXT: %[[Z:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[D:.*]] = sym.select %[[C]], %[[ONE]], %[[Z]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
builtin.module {
  sym.operator @select sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %c0 = sym.constant 0 : i64
        %c = sym.cmp gt %s, %c0 : i64, i64
        %a = sym.select %c, %p, %s : f64, i64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// Integer values (wrap_mod, reads, cmp) carry no tangent: the amplitude's derivative is 0.
// CHECK-LABEL: sym.operator @integer__d_p sites 2 states [0, 1]
// CHECK-NOT: sym.wrap_mod
// CHECK: %[[Z:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: sym.yield %[[Z]] : f64
builtin.module {
  sym.operator @integer sites 2 states [0, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default 0.5 : f64
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %w = sym.wrap_mod %s : i64 -> i64
        %a = sym.mul %w, %s : i64, i64 -> i64
        sym.yield %a : i64
      }
    }
  }
}

// -----

// A complex parameter: one operator per real direction, seeded with 1 and i.
// CHECK-LABEL: sym.operator @zc__d_re_p sites 2 states [-1, 1] dtype complex<f64>
// CHECK: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[Z:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[D:.*]] = sym.complex %[[ONE]], %[[Z]] : f64, f64
// CHECK: sym.yield %{{.*}} : complex<f64>
// CHECK-LABEL: sym.operator @zc__d_im_p sites 2 states [-1, 1] dtype complex<f64>
// CHECK: %[[Z:.*]] = sym.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[D:.*]] = sym.complex %[[Z]], %[[ONE]] : f64, f64
// CHECK: sym.yield %{{.*}} : complex<f64>
builtin.module {
  sym.operator @zc sites 2 states [-1, 1] dtype complex<f64> {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %p = sym.param "p" default (0.5, 1.0) : complex<f64>
        %q = sym.param "q" default 2.0 : f64
        %i = sym.label "i"
        %s = sym.read %i : i64
        %a = sym.mul %p, %s : complex<f64>, i64 -> complex<f64>
        sym.yield %a : complex<f64>
      }
    }
  }
}

// -----

// A parameter in the term predicate: the predicate stays as it is (a step has no
// derivative), the amplitude is differentiated, and the pass warns.
// CHECK-LABEL: sym.operator @predicate__d_p
// CHECK: %[[P:.*]] = sym.param "p" default 0.5 : f64
// CHECK-NEXT: %[[C:.*]] = sym.cmp gt %{{.*}}, %[[P]] : i64, f64
// CHECK-NEXT: sym.where %[[C]]
// CHECK: sym.shift
// CHECK: } amplitude {
// CHECK-NEXT: %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[TWO:.*]] = sym.constant 2.000000e+00 : f64
// CHECK-NEXT: %[[D:.*]] = sym.mul %[[TWO]], %[[ONE]] : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
// WARN: symir-opt: warning: sym-differentiate: operator @predicate: parameter 'p' decides the predicate of term @t; the derivative with respect to 'p' keeps it as it is
// WARN: symir-opt: warning: sym-differentiate: operator @predicate: parameter 'p' decides the emission predicate of term @t, emission 0
// WARN: symir-opt: warning: sym-differentiate: operator @predicate: parameter 'p' decides an update of term @t, emission 0
builtin.module {
  sym.operator @predicate sites 2 states [-1, 0, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      %i = sym.label "i"
      %s = sym.read %i : i64
      %p = sym.param "p" default 0.5 : f64
      %c = sym.cmp gt %s, %p : i64, f64
      sym.where %c
      %n = sym.not %c
      sym.emission if %n {
        %i2 = sym.label "i"
        %p2 = sym.param "p" default 0.5 : f64
        %c2 = sym.cmp gt %p2, %s : f64, i64
        %d = sym.select %c2, %s, %s : i64, i64 -> i64
        sym.shift %i2, %d
      } amplitude {
        %p3 = sym.param "p" default 0.5 : f64
        %two = sym.constant 2.0 : f64
        %a = sym.mul %two, %p3 : f64, f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// A table parameter (read by sym.lookup) beside a number: only the number is a direction.
// CHECK-LABEL: sym.operator @table__d_p
// CHECK: %[[T:.*]] = sym.param "coefficients" default array<f64: 2.500000e-01, -1.000000e+00> : tensor<2xf64>
// CHECK-NEXT: %[[R:.*]] = sym.lookup %{{.*}}, %[[T]] {keys = array<i64: -1, 1>} : i64, tensor<2xf64> -> f64
// CHECK: %[[D:.*]] = sym.mul %[[R]], %{{.*}} : f64, f64 -> f64
// CHECK-NEXT: sym.yield %[[D]] : f64
// TABLES-LABEL: sym.operator @table__d_p
// TABLES-NOT: sym.operator @table__d_coefficients
builtin.module {
  sym.operator @table sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      %i = sym.label "i"
      sym.emission {
      } amplitude {
        %xi = sym.read %i : i64
        %table = sym.param "coefficients" default array<f64: 0.25, -1.0> : tensor<2xf64>
        %read = sym.lookup %xi, %table {keys = array<i64: -1, 1>} : i64, tensor<2xf64> -> f64
        %p = sym.param "p" : f64
        %a = sym.mul %read, %p : f64, f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}
