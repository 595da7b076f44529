package dev.kiln.onnx;

/**
 * A subgraph attribute ({@code If}'s branches, {@code Loop}'s and {@code Scan}'s bodies), imported
 * on demand by {@link ImportContext#importSubgraph}.
 *
 * @param name the graph's name
 * @param proto the protobuf message, opaque to converters
 */
public record OnnxGraph(String name, Object proto) {}
