package dev.kiln.testing.filecheck;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * Matches parsed check steps against one input, following LLVM FileCheck's algorithm.
 *
 * <p>Labels are located first, each after the previous one; the input between the end of one label
 * match and the end of the next is that label's block, and the remaining steps are matched only
 * inside their block. A failure inside a block is reported and matching resumes with the next block;
 * a label that cannot be found ends the run.
 */
final class CheckRun {

  private static final String INPUT_NAME = "<stdin>";

  private record Found(int start, int end, Map<String, String> captures) {}

  private record Range(int start, int end) {}

  private final CanonicalText input;
  private final String text;
  private final String checkFileName;
  private final Map<String, String> variables = new HashMap<>();
  private final StringBuilder report = new StringBuilder();

  CheckRun(String input, String checkFileName) {
    this.input = CanonicalText.of(input);
    this.text = this.input.text();
    this.checkFileName = checkFileName;
  }

  /** Runs all steps; returns the failure report, empty when every check passed. */
  String run(List<CheckStep> steps) {
    int n = steps.size();
    int bufferStart = 0;
    int i = 0;
    int j = 0;
    while (true) {
      if (j < n && !steps.get(j).isLabel()) {
        j++;
        continue;
      }
      int regionStart = bufferStart;
      int regionEnd;
      if (j == n) {
        regionEnd = text.length();
      } else {
        try {
          Found label = matchPositive(steps.get(j).positive(), bufferStart, text.length());
          regionEnd = label.end();
          bufferStart = label.end();
        } catch (CheckFailure e) {
          report.append(e.diagnostic());
          break;
        }
        j++;
      }
      int pos = regionStart;
      for (; i < j; i++) {
        try {
          pos = checkStep(steps.get(i), pos, regionEnd);
        } catch (CheckFailure e) {
          report.append(e.diagnostic());
          i = j;
          break;
        }
      }
      if (j == n) {
        break;
      }
    }
    return report.toString();
  }

  private int checkStep(CheckStep step, int pos, int regionEnd) throws CheckFailure {
    List<Directive> nots = new ArrayList<>();
    int lastPos = checkDag(step.dagNots(), pos, regionEnd, nots);
    Directive d = step.positive();
    if (d == null) {
      checkNots(nots, lastPos, regionEnd);
      return regionEnd;
    }
    int firstMatchStart = -1;
    int lastMatchEnd = lastPos;
    for (int k = 1; k <= d.count(); k++) {
      Found f = find(d, lastMatchEnd, regionEnd);
      if (f == null) {
        throw noMatch(
          d,
          lastMatchEnd,
          regionEnd,
          d.count() > 1 ? " (found " + (k - 1) + " out of " + d.count() + ")" : "",
          ""
        );
      }
      commit(f);
      if (k == 1) {
        firstMatchStart = f.start();
      }
      lastMatchEnd = f.end();
    }
    checkNextLine(d, lastPos, firstMatchStart);
    checkSameLine(d, lastPos, firstMatchStart);
    checkNots(nots, lastPos, firstMatchStart);
    return lastMatchEnd;
  }

  private Found matchPositive(Directive d, int from, int to) throws CheckFailure {
    Found f = find(d, from, to);
    if (f == null) {
      throw noMatch(d, from, to, "", "");
    }
    commit(f);
    return f;
  }

  private int checkDag(List<Directive> dagNots, int pos, int regionEnd, List<Directive> nots)
    throws CheckFailure {
    int startPos = pos;
    List<Range> ranges = new ArrayList<>();
    for (int k = 0; k < dagNots.size(); k++) {
      Directive d = dagNots.get(k);
      if (d.kind() == Directive.Kind.NOT) {
        nots.add(d);
        continue;
      }
      int from = startPos;
      Found overlapping = null;
      while (true) {
        Found f = find(d, from, regionEnd);
        if (f == null) {
          String extra = overlapping == null
            ? ""
            : inputNote(
              overlapping.start(),
              overlapping.end(),
              "found a match here, but it overlaps an earlier CHECK-DAG match"
            );
          throw noMatch(d, startPos, regionEnd, "", extra);
        }
        int index = 0;
        boolean overlap = false;
        for (; index < ranges.size(); index++) {
          Range r = ranges.get(index);
          if (f.start() < r.end()) {
            overlap = r.start() < f.end();
            break;
          }
        }
        if (!overlap) {
          ranges.add(index, new Range(f.start(), f.end()));
          commit(f);
          break;
        }
        if (overlapping == null) {
          overlapping = f;
        }
        from = ranges.get(index).end();
      }
      boolean groupEnds =
        k + 1 == dagNots.size() || dagNots.get(k + 1).kind() == Directive.Kind.NOT;
      if (groupEnds) {
        if (!nots.isEmpty()) {
          checkNots(nots, startPos, ranges.getFirst().start());
          nots.clear();
        }
        startPos = ranges.stream().mapToInt(Range::end).max().orElse(startPos);
        ranges.clear();
      }
    }
    return startPos;
  }

  private void checkNots(List<Directive> nots, int from, int to) throws CheckFailure {
    for (Directive d : nots) {
      Found f = find(d, from, to);
      if (f != null) {
        throw new CheckFailure(
          checkError(d, d.column(), d.description() + ": excluded string found in input") +
          substitutionNotes(d) +
          inputNote(f.start(), f.end(), "found here")
        );
      }
    }
  }

  private void checkNextLine(Directive d, int previousEnd, int matchStart) throws CheckFailure {
    if (d.kind() != Directive.Kind.NEXT && d.kind() != Directive.Kind.EMPTY) {
      return;
    }
    int newlines = 0;
    int firstNewline = -1;
    for (int k = previousEnd; k < matchStart; k++) {
      if (text.charAt(k) == '\n') {
        if (firstNewline < 0) {
          firstNewline = k;
        }
        newlines++;
      }
    }
    if (newlines == 1) {
      return;
    }
    String message = newlines == 0
      ? "is on the same line as previous match"
      : "is not on the line after the previous match";
    StringBuilder out = new StringBuilder(
      checkError(d, d.column(), d.description() + ": " + message)
    )
      .append(inputNote(matchStart, matchStart, "'next' match was here"))
      .append(inputNote(previousEnd, previousEnd, "previous match ended here"));
    if (newlines > 1) {
      out.append(
        inputNote(
          firstNewline + 1,
          firstNewline + 1,
          "non-matching line after previous match is here"
        )
      );
    }
    throw new CheckFailure(out.toString());
  }

  private void checkSameLine(Directive d, int previousEnd, int matchStart) throws CheckFailure {
    if (
      d.kind() != Directive.Kind.SAME || text.substring(previousEnd, matchStart).indexOf('\n') < 0
    ) {
      return;
    }
    throw new CheckFailure(
      checkError(
        d,
        d.column(),
        d.description() + ": is not on the same line as the previous match"
      ) +
      inputNote(matchStart, matchStart, "'next' match was here") +
      inputNote(previousEnd, previousEnd, "previous match ended here")
    );
  }

  private Found find(Directive d, int from, int to) throws CheckFailure {
    if (from > to) {
      return null;
    }
    return switch (d.pattern().compile(variables)) {
      case CheckPattern.Undefined u -> throw new CheckFailure(
        checkError(d, u.use().column(), "undefined variable: " + u.use().name())
      );
      case CheckPattern.Ready r -> {
        Matcher m = r.regex().matcher(text);
        m.region(from, to);
        m.useTransparentBounds(true);
        m.useAnchoringBounds(false);
        if (!m.find()) {
          yield null;
        }
        Map<String, String> captures = new LinkedHashMap<>();
        r.groups().forEach((name, group) -> captures.put(name, m.group(group)));
        yield new Found(Math.min(m.start() + r.startSkip(), m.end()), m.end(), captures);
      }
    };
  }

  private void commit(Found f) {
    f
      .captures()
      .forEach((name, value) -> {
        if (value != null) {
          variables.put(name, value);
        }
      });
  }

  private CheckFailure noMatch(Directive d, int from, int to, String detail, String extraNotes) {
    int scan = from;
    while (scan < to && (text.charAt(scan) == ' ' || text.charAt(scan) == '\n')) {
      scan++;
    }
    StringBuilder out = new StringBuilder(
      checkError(d, d.column(), d.description() + ": expected string not found in input" + detail)
    )
      .append(inputNote(scan, scan, "scanning from here"))
      .append(substitutionNotes(d));
    if (!d.pattern().isEmptyLine() && extraNotes.isEmpty()) {
      int near = NearMiss.find(d.pattern().fuzzyElements(variables), text, from, to);
      if (near >= 0) {
        out.append(inputNote(near, near, "possible intended match here"));
      }
    }
    out.append(extraNotes);
    return new CheckFailure(out.toString());
  }

  private String substitutionNotes(Directive d) {
    StringBuilder out = new StringBuilder();
    d
      .pattern()
      .substitutions(variables)
      .forEach((name, value) ->
        out
          .append(checkFileName)
          .append(':')
          .append(d.line())
          .append(": note: with \"")
          .append(name)
          .append("\" equal to \"")
          .append(value)
          .append("\"\n")
      );
    return out.toString();
  }

  private String checkError(Directive d, int column, String message) {
    return (
      checkFileName +
      ":" +
      d.line() +
      ": error: " +
      message +
      "\n" +
      Diagnostics.excerpt(d.lineText(), column, 1)
    );
  }

  private String inputNote(int start, int end, String message) {
    int line = input.line(start);
    int column = input.column(start);
    int length = Math.max(1, input.originalOffset(end) - input.originalOffset(start));
    return (
      INPUT_NAME +
      ":" +
      line +
      ":" +
      column +
      ": note: " +
      message +
      "\n" +
      Diagnostics.excerpt(input.lineText(line), column, length)
    );
  }
}
