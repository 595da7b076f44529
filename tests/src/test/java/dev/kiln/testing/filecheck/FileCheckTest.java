package dev.kiln.testing.filecheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.filecheck.FileCheck.Options;
import dev.kiln.testing.filecheck.FileCheck.Result;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FileCheckTest {

  private record Case(
    String name,
    String check,
    String input,
    List<String> prefixes,
    boolean ok,
    List<String> present,
    List<String> absent
  ) {
    @Override
    public String toString() {
      return name;
    }

    Case withPrefixes(String... p) {
      return new Case(name, check, input, List.of(p), ok, present, absent);
    }

    Case without(String... fragments) {
      return new Case(name, check, input, prefixes, ok, present, List.of(fragments));
    }
  }

  private static Case pass(String name, String check, String input) {
    return new Case(name, check, input, List.of("CHECK"), true, List.of(), List.of());
  }

  private static Case fail(String name, String check, String input, String... present) {
    return new Case(name, check, input, List.of("CHECK"), false, List.of(present), List.of());
  }

  private static String lines(String... lines) {
    return String.join("\n", lines) + "\n";
  }

  private static Result run(Case c) {
    return FileCheck.check(c.check(), c.input(), new Options(c.prefixes(), "check.kir"));
  }

  private static void verify(Case c) {
    Result r = run(c);
    assertEquals(c.ok(), r.ok(), () -> "unexpected outcome; report:\n" + r.report());
    if (c.ok()) {
      assertEquals("", r.report());
    } else {
      assertFalse(r.report().isEmpty(), "a failure must come with a report");
    }
    for (String fragment : c.present()) {
      assertTrue(
        r.report().contains(fragment),
        () -> "missing '" + fragment + "' in report:\n" + r.report()
      );
    }
    for (String fragment : c.absent()) {
      assertFalse(
        r.report().contains(fragment),
        () -> "unexpected '" + fragment + "' in report:\n" + r.report()
      );
    }
  }

  static Stream<Case> plainCases() {
    return Stream.of(
      pass("plain match", lines("// CHECK: hello world"), lines("say hello world")),
      fail(
        "plain missing reports scan start and near miss",
        lines("// CHECK: hello world"),
        lines("nothing", "say hello wrld", "other"),
        "check.kir:1: error: CHECK: expected string not found in input\n// CHECK: hello world\n          ^\n",
        "<stdin>:1:1: note: scanning from here\nnothing\n^\n",
        "<stdin>:2:5: note: possible intended match here\nsay hello wrld\n    ^\n"
      ),
      fail(
        "plain directives match in order",
        lines("CHECK: second", "CHECK: first"),
        lines("first", "second"),
        "check.kir:2: error: CHECK: expected string not found in input"
      ),
      pass(
        "match may start mid-line and scanning continues after it",
        lines("CHECK: foo", "CHECK: foo"),
        lines("foo foo")
      ),
      fail(
        "a consumed match is not matched again",
        lines("CHECK: foo", "CHECK: foo", "CHECK: foo"),
        lines("foo foo"),
        "check.kir:3: error: CHECK: expected string not found in input"
      ),
      pass(
        "whitespace runs are equivalent and pattern is trimmed",
        lines("CHECK:   %x =   add\t i32  "),
        lines("  %x\t=  add   i32 %a")
      ),
      fail(
        "whitespace is not optional",
        lines("CHECK: a b"),
        lines("ab"),
        "check.kir:1: error: CHECK: expected string not found in input"
      ),
      pass(
        "regex metacharacters and dollar are literal",
        lines("CHECK: a.b*c$ (x) [y] {z} ^+?|"),
        lines("a.b*c$ (x) [y] {z} ^+?|")
      ),
      fail(
        "no near miss for unrelated input",
        lines("CHECK: hello world"),
        lines("xyz", "12345"),
        "check.kir:1: error: CHECK: expected string not found in input",
        "<stdin>:1:1: note: scanning from here"
      ).without("possible intended match"),
      fail(
        "dot in literal text is not a wildcard",
        lines("CHECK: a.b"),
        lines("axb"),
        "check.kir:1: error: CHECK: expected string not found in input",
        "<stdin>:1:1: note: possible intended match here"
      ),
      pass("crlf line endings", "CHECK: a\r\nCHECK-NEXT: b c\r\n", "a\r\nb  c\r\n")
    );
  }

  static Stream<Case> nextCases() {
    return Stream.of(
      pass(
        "next on consecutive lines",
        lines("CHECK: a", "CHECK-NEXT: b", "CHECK-NEXT: c"),
        lines("a", "b", "c")
      ),
      fail(
        "next with a line in between",
        lines("CHECK: a", "CHECK-NEXT: c"),
        lines("a", "b", "c"),
        "check.kir:2: error: CHECK-NEXT: is not on the line after the previous match\nCHECK-NEXT: c\n            ^\n",
        "<stdin>:3:1: note: 'next' match was here",
        "<stdin>:1:2: note: previous match ended here",
        "<stdin>:2:1: note: non-matching line after previous match is here"
      ),
      fail(
        "next on the same line",
        lines("CHECK: a", "CHECK-NEXT: b"),
        lines("a b"),
        "check.kir:2: error: CHECK-NEXT: is on the same line as previous match"
      ),
      fail(
        "next not found at all",
        lines("CHECK: start", "CHECK-NEXT: %r = mul i32"),
        lines("start", "%r = mull i32"),
        "check.kir:2: error: CHECK-NEXT: expected string not found in input",
        "<stdin>:2:1: note: possible intended match here\n%r = mull i32\n^\n"
      ),
      fail(
        "next as first directive",
        lines("CHECK-NEXT: a"),
        lines("a"),
        "check.kir:1: error: found 'CHECK-NEXT' without previous 'CHECK: line"
      ),
      pass(
        "next matching an empty line with a regex",
        lines("CHECK: a", "CHECK-NEXT: {{^$}}", "CHECK-NEXT: b"),
        lines("a", "", "b")
      ),
      fail(
        "next after a label refers to the label line",
        lines("CHECK-LABEL: fn", "CHECK-NEXT: body"),
        lines("fn", "", "body"),
        "check.kir:2: error: CHECK-NEXT: is not on the line after the previous match"
      )
    );
  }

  static Stream<Case> sameCases() {
    return Stream.of(
      pass(
        "same line",
        lines("CHECK: define", "CHECK-SAME: @main", "CHECK-SAME: {"),
        lines("define i32 @main() {")
      ),
      fail(
        "same finds its match on a later line",
        lines("CHECK: define", "CHECK-SAME: @main"),
        lines("define i32 @foo()", "@main"),
        "check.kir:2: error: CHECK-SAME: is not on the same line as the previous match",
        "<stdin>:2:1: note: 'next' match was here",
        "<stdin>:1:7: note: previous match ended here"
      ),
      fail(
        "same cannot look before the previous match",
        lines("CHECK: b", "CHECK-SAME: a"),
        lines("a b"),
        "check.kir:2: error: CHECK-SAME: expected string not found in input"
      ),
      fail(
        "same as first directive",
        lines("CHECK-SAME: a"),
        lines("a"),
        "check.kir:1: error: found 'CHECK-SAME' without previous 'CHECK: line"
      )
    );
  }

  static Stream<Case> notCases() {
    String check = lines("CHECK: start", "CHECK-NOT: load", "CHECK: end");
    return Stream.of(
      pass("not absent between matches", check, lines("load", "start", "store", "end", "load")),
      fail(
        "not present between matches",
        check,
        lines("start", "  %v = load i32", "end"),
        "check.kir:2: error: CHECK-NOT: excluded string found in input\nCHECK-NOT: load\n           ^\n",
        "<stdin>:2:8: note: found here\n  %v = load i32\n       ^~~~\n"
      ),
      fail(
        "trailing not extends to end of input",
        lines("CHECK: start", "CHECK-NOT: load"),
        lines("start", "x", "load"),
        "check.kir:2: error: CHECK-NOT: excluded string found in input",
        "<stdin>:3:1: note: found here"
      ),
      pass(
        "leading not only covers input before the first match",
        lines("CHECK-NOT: bad", "CHECK: good"),
        lines("good", "bad")
      ),
      fail(
        "leading not found before the first match",
        lines("CHECK-NOT: bad", "CHECK: good"),
        lines("bad", "good"),
        "check.kir:1: error: CHECK-NOT: excluded string found in input",
        "<stdin>:1:1: note: found here"
      ),
      pass(
        "not with regex",
        lines("CHECK: a", "CHECK-NOT: {{[0-9]+}}", "CHECK: b"),
        lines("a x b 1")
      ),
      fail(
        "empty not pattern",
        lines("CHECK: a", "CHECK-NOT:"),
        lines("a"),
        "check.kir:2: error: found empty check string with prefix 'CHECK:'"
      )
    );
  }

  static Stream<Case> dagCases() {
    String check = lines(
      "CHECK: begin",
      "CHECK-DAG: x = 1",
      "CHECK-DAG: y = 2",
      "CHECK-DAG: z = 3",
      "CHECK: end"
    );
    String groups = lines(
      "CHECK-DAG: alpha",
      "CHECK-DAG: beta",
      "CHECK-NOT: forbidden",
      "CHECK-DAG: gamma",
      "CHECK-DAG: delta"
    );
    return Stream.of(
      pass("dag in any order", check, lines("begin", "z = 3", "x = 1", "y = 2", "end")),
      fail(
        "dag missing one",
        check,
        lines("begin", "z = 3", "x = 1", "end"),
        "check.kir:3: error: CHECK-DAG: expected string not found in input",
        "<stdin>:2:1: note: scanning from here"
      ),
      fail(
        "dag matches may not overlap",
        lines("CHECK-DAG: foo", "CHECK-DAG: foo"),
        lines("foo"),
        "check.kir:2: error: CHECK-DAG: expected string not found in input",
        "<stdin>:1:1: note: found a match here, but it overlaps an earlier CHECK-DAG match"
      ),
      fail(
        "dag overlapping a longer match",
        lines("CHECK-DAG: add i32", "CHECK-DAG: i32 %a"),
        lines("add i32 %a"),
        "check.kir:2: error: CHECK-DAG: expected string not found in input",
        "<stdin>:1:5: note: found a match here, but it overlaps an earlier CHECK-DAG match\nadd i32 %a\n    ^~~~~~\n"
      ).without("possible intended match"),
      pass(
        "dag with two distinct occurrences",
        lines("CHECK-DAG: foo", "CHECK-DAG: foo"),
        lines("foo", "foo")
      ),
      fail(
        "dag group ends before the next plain match",
        lines("CHECK-DAG: x", "CHECK: end"),
        lines("end", "x"),
        "check.kir:2: error: CHECK: expected string not found in input"
      ),
      pass(
        "not between dag groups passes",
        groups,
        lines("beta", "alpha", "delta", "gamma", "forbidden")
      ),
      fail(
        "not between dag groups fails",
        groups,
        lines("beta", "alpha", "forbidden", "delta", "gamma"),
        "check.kir:3: error: CHECK-NOT: excluded string found in input",
        "<stdin>:3:1: note: found here"
      ),
      pass(
        "dag variables flow to later checks",
        lines(
          "CHECK-DAG: def [[A:[a-z]+]]",
          "CHECK-DAG: def [[B:[0-9]+]]",
          "CHECK: use [[A]] [[B]]"
        ),
        lines("def 42", "def xy", "use xy 42")
      )
    );
  }

  static Stream<Case> labelCases() {
    String check = lines(
      "CHECK-LABEL: func @f",
      "CHECK: ret 1",
      "CHECK-LABEL: func @g",
      "CHECK: ret 2"
    );
    return Stream.of(
      pass("labels with matching blocks", check, lines("func @f", "  ret 1", "func @g", "  ret 2")),
      fail(
        "label block isolates matches",
        check,
        lines("func @f", "  nop", "func @g", "  ret 1", "  ret 2"),
        "check.kir:2: error: CHECK: expected string not found in input",
        "<stdin>:2:3: note: scanning from here"
      ).without("check.kir:4:"),
      fail(
        "failures in several blocks are all reported",
        check,
        lines("func @f", "  ret 2", "func @g", "  ret 1"),
        "check.kir:2: error: CHECK: expected string not found in input",
        "check.kir:4: error: CHECK: expected string not found in input"
      ),
      fail(
        "missing label",
        lines("CHECK-LABEL: func @f", "CHECK-LABEL: func @h"),
        lines("func @f", "func @g"),
        "check.kir:2: error: CHECK-LABEL: expected string not found in input",
        "<stdin>:2:1: note: possible intended match here"
      ),
      fail(
        "label may not use variables",
        lines("CHECK: [[N:[a-z]+]]", "CHECK-LABEL: func [[N]]"),
        lines("f"),
        "check.kir:2: error: found 'CHECK-LABEL:' with variable definition or use"
      ),
      pass(
        "not is confined to its label block",
        lines("CHECK-LABEL: f:", "CHECK-NOT: call", "CHECK-LABEL: g:", "CHECK: call"),
        lines("f:", "ret", "g:", "call")
      ),
      fail(
        "not inside a label block",
        lines("CHECK-LABEL: f:", "CHECK-NOT: call", "CHECK-LABEL: g:"),
        lines("f:", "call", "g:"),
        "check.kir:2: error: CHECK-NOT: excluded string found in input",
        "<stdin>:2:1: note: found here"
      )
    );
  }

  static Stream<Case> countCases() {
    String loops = lines("Loop at depth 1", "Loop at depth 2", "Loop at depth 3");
    return Stream.of(
      pass(
        "count exact",
        lines("CHECK-COUNT-3: Loop at depth {{[0-9]+}}", "CHECK-NOT: Loop"),
        loops
      ),
      fail(
        "count with too few matches",
        lines("CHECK-COUNT-4: Loop at depth {{[0-9]+}}"),
        loops,
        "check.kir:1: error: CHECK-COUNT-4: expected string not found in input (found 3 out of 4)"
      ),
      fail(
        "count followed by not catches extra matches",
        lines("CHECK-COUNT-2: Loop", "CHECK-NOT: Loop"),
        loops,
        "check.kir:2: error: CHECK-NOT: excluded string found in input",
        "<stdin>:3:1: note: found here"
      ),
      pass("count matches consecutively on one line", lines("CHECK-COUNT-2: x"), lines("x x")),
      pass("count one is a plain check", lines("CHECK-COUNT-1: x"), lines("x")),
      fail(
        "count zero is invalid",
        lines("CHECK-COUNT-0: x"),
        lines("x"),
        "check.kir:1: error: invalid count in -COUNT specification on prefix 'CHECK'"
      ),
      fail(
        "count not a number",
        lines("CHECK-COUNT-two: x"),
        lines("x"),
        "error: invalid count in -COUNT specification on prefix 'CHECK'"
      )
    );
  }

  static Stream<Case> emptyCases() {
    String check = lines("CHECK: foo", "CHECK-EMPTY:", "CHECK-NEXT: bar");
    return Stream.of(
      pass("empty line", check, lines("foo", "", "bar")),
      fail(
        "empty line is too late",
        check,
        lines("foo", "x", "", "bar"),
        "check.kir:2: error: CHECK-EMPTY: is not on the line after the previous match"
      ),
      fail(
        "empty line missing",
        lines("CHECK: foo", "CHECK-EMPTY:"),
        lines("foo", "bar"),
        "check.kir:2: error: CHECK-EMPTY: expected string not found in input"
      ),
      fail(
        "empty with a pattern",
        lines("CHECK: foo", "CHECK-EMPTY: x"),
        lines("foo"),
        "check.kir:2: error: found non-empty check string for empty check with prefix 'CHECK:'"
      ),
      fail(
        "empty as first directive",
        lines("CHECK-EMPTY:"),
        lines(""),
        "check.kir:1: error: found 'CHECK-EMPTY' without previous 'CHECK: line"
      )
    );
  }

  static Stream<Case> regexCases() {
    return Stream.of(
      pass(
        "regex blocks",
        lines("CHECK: %{{[0-9]+}} = add i32 {{%[a-z]+}}, 1"),
        lines("%12 = add i32 %x, 1")
      ),
      fail(
        "regex block without match",
        lines("CHECK: %{{[0-9]+}} = add"),
        lines("%x = add"),
        "check.kir:1: error: CHECK: expected string not found in input",
        "<stdin>:1:1: note: possible intended match here"
      ),
      pass("line anchors", lines("CHECK: {{^}}foo{{$}}"), lines("xfoo", "foo")),
      fail(
        "line anchors fail",
        lines("CHECK: {{^}}foo{{$}}"),
        lines("xfoo", "foox"),
        "check.kir:1: error: CHECK: expected string not found in input"
      ),
      fail(
        "regex does not cross lines",
        lines("CHECK: a{{.*}}b"),
        lines("a", "b"),
        "check.kir:1: error: CHECK: expected string not found in input"
      ),
      pass(
        "posix bracket classes",
        lines("CHECK: v{{[[:digit:]]+}} [[W:[[:alpha:]]+]] [[W]]"),
        lines("v42 ab ab")
      ),
      pass("regex ending in a brace", lines("CHECK: x{{[0-9]{2}}}y"), lines("x12y")),
      fail(
        "invalid regex",
        lines("CHECK: {{[a-}}"),
        lines("a"),
        "check.kir:1: error: invalid regex"
      ),
      fail(
        "unterminated regex",
        lines("CHECK: {{abc"),
        lines("abc"),
        "check.kir:1: error: found start of regex string with no end '}}'"
      )
    );
  }

  static Stream<Case> variableCases() {
    String alloca = lines("CHECK: %[[V:[a-z0-9]+]] = alloca", "CHECK: store i32 0, ptr %[[V]]");
    return Stream.of(
      pass("capture and reuse", alloca, lines("%x1 = alloca", "store i32 0, ptr %x1")),
      fail(
        "reuse with a different value",
        alloca,
        lines("%x1 = alloca", "store i32 0, ptr %x2"),
        "check.kir:2: error: CHECK: expected string not found in input",
        "check.kir:2: note: with \"V\" equal to \"x1\"",
        "<stdin>:2:1: note: possible intended match here"
      ),
      pass(
        "define and use on one line",
        lines("CHECK: [[R:[a-z]+]] = [[R]]"),
        lines("a = b", "q = q")
      ),
      fail(
        "define and use on one line mismatch",
        lines("CHECK: [[R:[a-z]+]] = [[R]]"),
        lines("a = b"),
        "check.kir:1: error: CHECK: expected string not found in input"
      ),
      fail(
        "undefined variable",
        lines("CHECK: a", "CHECK: use [[NOPE]]"),
        lines("a", "use x"),
        "check.kir:2: error: undefined variable: NOPE\nCHECK: use [[NOPE]]\n           ^\n"
      ),
      pass(
        "redefinition",
        lines(
          "CHECK: [[X:[0-9]+]]:",
          "CHECK: use [[X]]",
          "CHECK: [[X:[0-9]+]]:",
          "CHECK: use [[X]]"
        ),
        lines("1:", "use 1", "2:", "use 2")
      ),
      pass(
        "dollar-prefixed variable names",
        lines("CHECK: [[$G:[a-z]+]] =", "CHECK: use [[$G]]"),
        lines("g = 1", "use g")
      ),
      pass(
        "variable value with whitespace",
        lines("CHECK: name: [[N:.*]]{{$}}", "CHECK: ref [[N]];"),
        lines("name: a  b", "ref a\tb;")
      ),
      pass(
        "variable values are literal",
        lines("CHECK: [[S:.+]]!", "CHECK: [[S]]"),
        lines("a.*!", "a.*")
      ),
      fail(
        "variable values do not act as regex",
        lines("CHECK: [[S:.+]]!", "CHECK: [[S]]"),
        lines("a.*!", "abc"),
        "check.kir:2: error: CHECK: expected string not found in input"
      ),
      pass(
        "@LINE expressions",
        lines("CHECK: first", "CHECK: line [[@LINE]] prev [[@LINE-1]] next [[#@LINE+1]]"),
        lines("first", "line 2 prev 1 next 3")
      ),
      fail(
        "invalid variable name",
        lines("CHECK: [[1x:a]]"),
        lines("a"),
        "check.kir:1: error: invalid name in string variable definition '1x'"
      ),
      fail(
        "unterminated variable",
        lines("CHECK: [[X:a"),
        lines("a"),
        "check.kir:1: error: invalid variable block, no ']]' found"
      ),
      fail(
        "numeric variables unsupported",
        lines("CHECK: [[#N:]]"),
        lines("1"),
        "check.kir:1: error: numeric substitution blocks are not supported"
      )
    );
  }

  static Stream<Case> prefixCases() {
    return Stream.of(
      pass(
        "multiple prefixes",
        lines("A: one", "B: two", "C: absent"),
        lines("one", "two")
      ).withPrefixes("A", "B"),
      fail(
        "all selected prefixes are checked",
        lines("A: one", "B: two"),
        lines("one"),
        "check.kir:2: error: B: expected string not found in input"
      ).withPrefixes("A", "B"),
      pass(
        "other prefixes are ignored",
        lines("CHECK: absent", "FOO: here"),
        lines("here")
      ).withPrefixes("FOO"),
      pass(
        "prefix must start a word and have a known suffix",
        lines(
          "XCHECK: absent",
          "MY-CHECK: absent",
          "CHECK-FOO: absent",
          "CHECK : absent",
          "CHECK: here"
        ),
        lines("here")
      ),
      pass("longest prefix wins", lines("CHECK-A: x", "CHECK: y"), lines("x", "y")).withPrefixes(
        "CHECK",
        "CHECK-A"
      ),
      pass(
        "prefix-specific directive kinds",
        lines("A: one", "B-NEXT: two", "A-SAME: !"),
        lines("one", "two !")
      ).withPrefixes("A", "B"),
      fail(
        "no check strings",
        lines("nothing to see"),
        lines("x"),
        "error: no check strings found with prefix 'CHECK:'"
      ),
      fail(
        "no check strings for several prefixes",
        lines("CHECK: x"),
        lines("x"),
        "error: no check strings found with prefixes 'A:', 'B:'"
      ).withPrefixes("A", "B"),
      fail("empty check file", "", "", "error: no check strings found with prefix 'CHECK:'"),
      fail(
        "empty pattern",
        lines("CHECK:   "),
        lines("x"),
        "check.kir:1: error: found empty check string with prefix 'CHECK:'"
      ),
      fail(
        "invalid prefix",
        lines("1bad: x"),
        lines("x"),
        "supplied check prefix '1bad' is invalid"
      ).withPrefixes("1bad"),
      fail(
        "duplicate prefix",
        lines("A: x"),
        lines("x"),
        "supplied check prefix 'A' is not unique"
      ).withPrefixes("A", "A")
    );
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("plainCases")
  void plain(Case c) {
    verify(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nextCases")
  void next(Case c) {
    verify(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sameCases")
  void same(Case c) {
    verify(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notCases")
  void not(Case c) {
    verify(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dagCases")
  void dag(Case c) {
    verify(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("labelCases")
  void label(Case c) {
    verify(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("countCases")
  void count(Case c) {
    verify(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("emptyCases")
  void empty(Case c) {
    verify(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("regexCases")
  void regex(Case c) {
    verify(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variableCases")
  void variables(Case c) {
    verify(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("prefixCases")
  void prefixes(Case c) {
    verify(c);
  }

  @Test
  void fullReportFormat() {
    String check = lines(
      "; RUN: kiln %s | filecheck %s",
      "; CHECK: func @main",
      "; CHECK-NEXT: %0 = add i32 1, 2"
    );
    String input = lines("func @main() {", "  %0 = sub i32 1, 2", "}");
    Result r = FileCheck.check(check, input, Options.defaults("main.kir"));
    assertFalse(r.ok());
    assertEquals(
      """
      main.kir:3: error: CHECK-NEXT: expected string not found in input
      ; CHECK-NEXT: %0 = add i32 1, 2
                    ^
      <stdin>:1:11: note: scanning from here
      func @main() {
                ^
      <stdin>:2:3: note: possible intended match here
        %0 = sub i32 1, 2
        ^
      """,
      r.report()
    );
  }

  @Test
  void caretKeepsTabsAligned() {
    Result r = FileCheck.check(
      lines("CHECK: x", "CHECK-NOT: bad"),
      "x\n\t\tbad\n",
      Options.defaults("t.kir")
    );
    assertFalse(r.ok());
    assertTrue(
      r.report().contains("<stdin>:2:3: note: found here\n\t\tbad\n\t\t^~~\n"),
      r.report()
    );
  }

  @Test
  void defaultsUseCheckPrefix() {
    Options options = Options.defaults("x.kir");
    assertEquals(List.of("CHECK"), options.prefixes());
    assertEquals("x.kir", options.checkFileName());
    assertTrue(FileCheck.check("// CHECK: y", "y", options).ok());
  }

  @Test
  void variablesDoNotLeakBetweenChecks() {
    String check = lines("CHECK: [[V:[0-9]+]]", "CHECK: [[V]]");
    assertTrue(FileCheck.check(check, lines("7", "7"), Options.defaults("a.kir")).ok());
    Result second = FileCheck.check(lines("CHECK: [[V]]"), lines("7"), Options.defaults("b.kir"));
    assertFalse(second.ok());
    assertTrue(second.report().contains("b.kir:1: error: undefined variable: V"), second.report());
  }

  @Test
  void checkFileMayBeTheTestSourceItself() {
    String source = lines(
      "// RUN: kiln-opt %s | filecheck %s",
      "func @f(%a: f32) -> f32 {",
      "  // CHECK-LABEL: func @f",
      "  // CHECK: [[R:%[0-9]+]] = mul",
      "  // CHECK-NEXT: return [[R]]",
      "  return %a",
      "}"
    );
    String output = lines(
      "func @f(%arg0: f32) -> f32 {",
      "  %0 = mul %arg0, %arg0",
      "  return %0",
      "}"
    );
    Result r = FileCheck.check(source, output, Options.defaults("f.kir"));
    assertTrue(r.ok(), r.report());
  }
}
