package dev.kiln.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.tf.ops.TfConverters;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The TensorFlow ops a frozen TF1 deployment graph commonly holds all have a converter. */
class TfOpCoverageTest {

  static final List<String> DEPLOYMENT_OPS = List.of(
    "Conv2D",
    "DepthwiseConv2dNative",
    "BiasAdd",
    "FusedBatchNorm",
    "FusedBatchNormV2",
    "FusedBatchNormV3",
    "MatMul",
    "Relu",
    "Relu6",
    "Elu",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "Add",
    "AddV2",
    "Sub",
    "Mul",
    "RealDiv",
    "FloorDiv",
    "FloorMod",
    "Maximum",
    "Minimum",
    "Neg",
    "Abs",
    "Sqrt",
    "Rsqrt",
    "Square",
    "Exp",
    "Log",
    "Log1p",
    "Floor",
    "Less",
    "LessEqual",
    "Greater",
    "GreaterEqual",
    "Equal",
    "NotEqual",
    "LogicalAnd",
    "LogicalOr",
    "LogicalNot",
    "Select",
    "SelectV2",
    "Reshape",
    "Squeeze",
    "ExpandDims",
    "ConcatV2",
    "Pack",
    "Unpack",
    "Split",
    "SplitV",
    "Slice",
    "StridedSlice",
    "Transpose",
    "Pad",
    "PadV2",
    "MirrorPad",
    "MaxPool",
    "AvgPool",
    "Mean",
    "Sum",
    "Max",
    "Min",
    "Prod",
    "ArgMax",
    "Shape",
    "Fill",
    "Range",
    "Cast",
    "OneHot",
    "GatherV2",
    "Tile",
    "SpaceToBatchND",
    "BatchToSpaceND",
    "ResizeBilinear",
    "ResizeNearestNeighbor",
    "RandomUniform",
    "RandomStandardNormal",
    "QuantizeV2",
    "Dequantize",
    "QuantizedConv2D",
    "QuantizedMatMul",
    "QuantizedMaxPool",
    "QuantizedRelu",
    "QuantizedReshape",
    "QuantizedAdd",
    "Requantize",
    "RequantizationRange"
  );

  @Test
  void every_common_deployment_op_has_a_converter() {
    Set<String> missing = new TreeSet<>(DEPLOYMENT_OPS);
    missing.removeAll(TfConverters.all().keySet());
    assertEquals(Set.of(), missing);
  }
}
