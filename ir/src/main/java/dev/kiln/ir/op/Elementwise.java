package dev.kiln.ir.op;

/**
 * Trait of ops that compute each output element from the operand elements at the same
 * (broadcast) index; chains of them fuse into one loop nest.
 */
public interface Elementwise {}
