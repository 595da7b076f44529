package dev.kiln.pass;

import dev.kiln.ir.Rewriter;

/** What a running pass may use: the rewriter that records changes and rewrite statistics. */
public record PassContext(Rewriter rewriter) {}
