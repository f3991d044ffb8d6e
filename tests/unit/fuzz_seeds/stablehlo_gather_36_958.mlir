// Fuzz reproducer (issue 35): a gather slicing the dynamic batch dimension whole (slice size 2**63, parsed as -2**63), which symir verified and jaxlib refused.
func.func @main(%x: tensor<?x4xi8>, %h: tensor<2xf64>) -> (tensor<?xf64>, tensor<?xi32>, tensor<?x4xcomplex<f64>>) {
  %n = "stablehlo.get_dimension_size"(%x) <{dimension = 0 : i64}> : (tensor<?x4xi8>) -> tensor<i32>
  %n1 = stablehlo.reshape %n : (tensor<i32>) -> tensor<1xi32>
  %xf = stablehlo.convert %x : (tensor<?x4xi8>) -> tensor<?x4xf64>
  %c31 = stablehlo.constant dense<[3, 1]> : tensor<2xi32>
  %shape3 = "stablehlo.concatenate"(%n1, %c31) <{dimension = 0 : i64}> : (tensor<1xi32>, tensor<2xi32>) -> tensor<3xi32>
  %il = stablehlo.constant dense<[[0], [1], [2]]> : tensor<3x1xi32>
  %ir = stablehlo.constant dense<[[1], [2], [3]]> : tensor<3x1xi32>
  %ilb = "stablehlo.dynamic_broadcast_in_dim"(%il, %shape3) <{broadcast_dimensions = array<i64: 1, 2>}> : (tensor<3x1xi32>, tensor<3xi32>) -> tensor<?x3x1xi32>
  %irb = "stablehlo.dynamic_broadcast_in_dim"(%ir, %shape3) <{broadcast_dimensions = array<i64: 1, 2>}> : (tensor<3x1xi32>, tensor<3xi32>) -> tensor<?x3x1xi32>
  %l = "stablehlo.gather"(%xf, %ilb) <{dimension_numbers = #stablehlo.gather<operand_batching_dims = [0], start_indices_batching_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: 1, 1>}> : (tensor<?x4xf64>, tensor<?x3x1xi32>) -> tensor<?x3xf64>
  %r = "stablehlo.gather"(%xf, %irb) <{dimension_numbers = #stablehlo.gather<operand_batching_dims = [0], start_indices_batching_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: 1, 1>}> : (tensor<?x4xf64>, tensor<?x3x1xi32>) -> tensor<?x3xf64>
  %zz = stablehlo.multiply %l, %r : tensor<?x3xf64>
  %zero = stablehlo.constant dense<0.0> : tensor<f64>
  %s = "stablehlo.reduce"(%zz, %zero) <{dimensions = array<i64: 1>}> ({
  ^bb0(%a: tensor<f64>, %b: tensor<f64>):
    %t = stablehlo.add %a, %b : tensor<f64>
    stablehlo.return %t : tensor<f64>
  }) : (tensor<?x3xf64>, tensor<f64>) -> tensor<?xf64>
  %b0 = stablehlo.constant dense<0> : tensor<1xi64>
  %b1 = stablehlo.constant dense<1> : tensor<1xi64>
  %b2 = stablehlo.constant dense<2> : tensor<1xi64>
  %ha = stablehlo.real_dynamic_slice %h, %b0, %b1, %b1 : (tensor<2xf64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1xf64>
  %has = stablehlo.reshape %ha : (tensor<1xf64>) -> tensor<f64>
  %hab = "stablehlo.dynamic_broadcast_in_dim"(%has, %n1) <{broadcast_dimensions = array<i64>}> : (tensor<f64>, tensor<1xi32>) -> tensor<?xf64>
  %e = stablehlo.multiply %s, %hab : tensor<?xf64>

  %m1 = stablehlo.constant dense<-1> : tensor<i8>
  %c4 = stablehlo.constant dense<4> : tensor<1xi32>
  %shape = "stablehlo.concatenate"(%n1, %c4) <{dimension = 0 : i64}> : (tensor<1xi32>, tensor<1xi32>) -> tensor<2xi32>
  %m1b = "stablehlo.dynamic_broadcast_in_dim"(%m1, %shape) <{broadcast_dimensions = array<i64>}> : (tensor<i8>, tensor<2xi32>) -> tensor<?x4xi8>
  %isdown = stablehlo.compare EQ, %x, %m1b, SIGNED : (tensor<?x4xi8>, tensor<?x4xi8>) -> tensor<?x4xi1>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %zi = stablehlo.constant dense<0> : tensor<i32>
  %oneb = "stablehlo.dynamic_broadcast_in_dim"(%one, %shape) <{broadcast_dimensions = array<i64>}> : (tensor<i32>, tensor<2xi32>) -> tensor<?x4xi32>
  %zib = "stablehlo.dynamic_broadcast_in_dim"(%zi, %shape) <{broadcast_dimensions = array<i64>}> : (tensor<i32>, tensor<2xi32>) -> tensor<?x4xi32>
  %cnt = stablehlo.select %isdown, %oneb, %zib : tensor<?x4xi1>, tensor<?x4xi32>
  %down = "stablehlo.reduce"(%cnt, %zi) <{dimensions = array<i64: 1>}> ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %t = stablehlo.add %a, %b : tensor<i32>
    stablehlo.return %t : tensor<i32>
  }) : (tensor<?x4xi32>, tensor<i32>) -> tensor<?xi32>

  %c11 = stablehlo.constant dense<[1, 1]> : tensor<2xi32>
  %shape1 = "stablehlo.concatenate"(%n1, %c11) <{dimension = 0 : i64}> : (tensor<1xi32>, tensor<2xi32>) -> tensor<3xi32>
  %i2 = stablehlo.constant dense<2> : tensor<1x1xi32>
  %i2b = "stablehlo.dynamic_broadcast_in_dim"(%i2, %shape1) <{broadcast_dimensions = array<i64: 1, 2>}> : (tensor<1x1xi32>, tensor<3xi32>) -> tensor<?x1x1xi32>
  %col = "stablehlo.gather"(%x, %i2b) <{dimension_numbers = #stablehlo.gather<operand_batching_dims = [0], start_indices_batching_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: 9223372036854775808, 1>}> : (tensor<?x4xi8>, tensor<?x1x1xi32>) -> tensor<?x1xi8>
  %flip = stablehlo.negate %col : tensor<?x1xi8>
  %flipb = "stablehlo.dynamic_broadcast_in_dim"(%flip, %shape) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x1xi8>, tensor<2xi32>) -> tensor<?x4xi8>
  %at2 = stablehlo.constant dense<[false, false, true, false]> : tensor<4xi1>
  %at2b = "stablehlo.dynamic_broadcast_in_dim"(%at2, %shape) <{broadcast_dimensions = array<i64: 1>}> : (tensor<4xi1>, tensor<2xi32>) -> tensor<?x4xi1>
  %xp = stablehlo.select %at2b, %flipb, %x : tensor<?x4xi1>, tensor<?x4xi8>
  %xpf = stablehlo.convert %xp : (tensor<?x4xi8>) -> tensor<?x4xcomplex<f64>>
  %hb = stablehlo.real_dynamic_slice %h, %b1, %b2, %b1 : (tensor<2xf64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1xf64>
  %hbs = stablehlo.reshape %hb : (tensor<1xf64>) -> tensor<f64>
  %onef = stablehlo.constant dense<1.0> : tensor<f64>
  %coef = stablehlo.complex %hbs, %onef : (tensor<f64>, tensor<f64>) -> tensor<complex<f64>>
  %coefb = "stablehlo.dynamic_broadcast_in_dim"(%coef, %shape) <{broadcast_dimensions = array<i64>}> : (tensor<complex<f64>>, tensor<2xi32>) -> tensor<?x4xcomplex<f64>>
  %res = stablehlo.multiply %xpf, %coefb : tensor<?x4xcomplex<f64>>
  func.return %e, %down, %res : tensor<?xf64>, tensor<?xi32>, tensor<?x4xcomplex<f64>>
}

