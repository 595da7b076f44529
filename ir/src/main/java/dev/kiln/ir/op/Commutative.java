package dev.kiln.ir.op;

/** Trait of binary ops whose operands may be swapped without changing the result. */
public interface Commutative {}
